import { MAX_URL_LENGTH } from "./limits.ts";

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
 * `safeHttpUrl`, and at most `MAX_URL_LENGTH` characters (before and after canonicalisation):
 * the only form of URL an activity, a thread or a digest carries. Anything else, including a
 * value that is not a string at all, is null: a bad link is dropped, never an error.
 */
export function boundedHttpUrl(raw: unknown): string | null {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_URL_LENGTH) return null;
  const url = safeHttpUrl(raw);
  return url !== null && url.length <= MAX_URL_LENGTH ? url : null;
}

/** `text` without the `/` characters at its end (linear, unlike `/\/+$/`, which rescans a long run of slashes). */
export function trimTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x2f) end -= 1;
  return text.slice(0, end);
}
