/**
 * A list read oldest first, resumable: the last time sent (`updated_at`, `bumped_at`) and the ids
 * sent at that instant, so a rerun that starts there skips exactly those. Stored as
 * `2026-11-20T10:00:00Z 123,456` (milliseconds only when they are not zero).
 */
export interface TimeIdsCursor {
  at: number;
  ids: Set<number>;
}

export function parseTimeIdsCursor(value: string | null): TimeIdsCursor | null {
  if (!value) return null;
  const [when = "", ids = ""] = value.split(" ");
  const at = Date.parse(when);
  if (Number.isNaN(at)) return null;
  return { at, ids: new Set(ids.split(",").filter(Boolean).map(Number)) };
}

export function formatTimeIdsCursor(c: TimeIdsCursor): string {
  return `${isoSeconds(c.at)} ${[...c.ids].join(",")}`;
}

/** An instant as ISO 8601, without `.000` when it falls on a whole second (as GitHub writes them). */
export function isoSeconds(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}
