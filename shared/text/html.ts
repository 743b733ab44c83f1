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
 * Every `<...>` tag replaced by `replacement`, in one pass (linear time). It does what
 * `html.replace(/<[^>]*>/g, replacement)` does, without that pattern's quadratic rescans on
 * many `<` with no `>` after them: once no `>` follows, no later `<` can close either, so the
 * rest is kept as text.
 */
export function stripTags(html: string, replacement = " "): string {
  let out = "";
  let from = 0;
  for (;;) {
    const open = html.indexOf("<", from);
    if (open < 0) break;
    const close = html.indexOf(">", open + 1);
    if (close < 0) break;
    out += html.slice(from, open) + replacement;
    from = close + 1;
  }
  return out + html.slice(from);
}
