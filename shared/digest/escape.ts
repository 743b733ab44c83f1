const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/** Escape text for HTML element content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * The URL in canonical form if it is an absolute http(s) URL, else null: `javascript:`,
 * `data:` and relative links are never made clickable.
 */
export function safeHttpUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  // Credentials in a link are a phishing trick (https://github.com@evil.example), not something to show.
  if (url.username !== "" || url.password !== "") return null;
  return url.href;
}

/**
 * User text on one line: a title or login with line breaks or control characters could
 * otherwise fake extra lines (a fake "OVERDUE", a fake link) in the plain-text mail.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s]+/g, " ").trim();
}
