/**
 * Limits on untrusted text (issue 10, "Hostile input"). A signed webhook can still carry
 * anything its sender typed; these bounds are enforced at the one place every adapter builds
 * its activities (`buildActivity` in shared/sources/common.ts, through `boundActivityFields`
 * in shared/model/activity.ts), and again where the digest reads stored threads (so items
 * stored before the bounds existed are cut the same way). Every output (activity records,
 * digest JSON, text and HTML mail, Parquet) is built from those records.
 *
 * | field                                         | limit                                  | when over it                      |
 * | --------------------------------------------- | -------------------------------------- | --------------------------------- |
 * | thread title                                  | MAX_TITLE_LENGTH = 300 characters      | cut, ending in "…" (300 in all)   |
 * | actor login and name, channel name, reason    | MAX_NAME_LENGTH = 200 characters       | cut, ending in "…"                |
 * | excerpt                                       | `privacy.excerptLength` (default 280, at most MAX_EXCERPT_LENGTH = 2000) | cut, ending in "…" |
 * | URL (activity `url`, thread `url`)            | MAX_URL_LENGTH = 2048 characters, absolute http: or https:, no user:password@ | dropped: activity `url` null, thread `url` "" (no link) |
 *
 * Titles, names and logins are also put on one line (line breaks, tabs and control characters
 * become one space), so they cannot fake extra lines in a plain-text mail. Lengths count
 * UTF-16 code units (JavaScript string length); a cut never splits a surrogate pair.
 */
export const MAX_TITLE_LENGTH = 300;
export const MAX_NAME_LENGTH = 200;
export const MAX_EXCERPT_LENGTH = 2000;
export const MAX_URL_LENGTH = 2048;

/**
 * User text on one line: a title or login with line breaks or control characters could
 * otherwise fake extra lines (a fake "OVERDUE", a fake link) in the plain-text mail.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s]+/g, " ").trim();
}

/**
 * `text` if it has at most `max` characters, else its first `max - 1` (without trailing
 * spaces, never half a surrogate pair) and "…".
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return "";
  let cut = max - 1;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut).trimEnd()}…`;
}

/** A title as it is stored and shown: one line, at most MAX_TITLE_LENGTH characters. */
export function boundTitle(title: string): string {
  return truncate(oneLine(title), MAX_TITLE_LENGTH);
}

/** A login, display name, channel name or short label: one line, at most MAX_NAME_LENGTH characters. */
export function boundName(name: string): string {
  return truncate(oneLine(name), MAX_NAME_LENGTH);
}
