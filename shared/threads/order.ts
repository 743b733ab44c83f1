/**
 * Total orders used by the thread fold. Every choice the fold makes is a max or min over one
 * of these, so the result cannot depend on the order activities arrive in.
 */

/** Plain code-unit comparison (never locale-aware: the order must be the same everywhere). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function instantMs(value: string, label: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`${label} is not a timestamp: ${JSON.stringify(value)}`);
  return ms;
}

/**
 * Orders instants by the moment they denote, then by their text, so two spellings of one
 * moment (`Z` vs `+00:00`) still compare deterministically instead of as a tie.
 */
export function compareInstants(a: string, b: string): number {
  const diff = instantMs(a, "instant") - instantMs(b, "instant");
  return diff !== 0 ? Math.sign(diff) : compareStrings(a, b);
}

/** Throws a RangeError naming the activity when `value` is not a timestamp. */
export function assertInstant(value: string, activityId: string, field: string): void {
  instantMs(value, `${field} of activity ${activityId}`);
}

/**
 * JSON with object keys sorted, so deep-equal values give the same text whatever their key
 * order, which makes it usable as a last-resort tie-breaker.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort(compareStrings)) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** The greatest element under `compare`, or undefined for an empty list. */
export function maxBy<T>(items: readonly T[], compare: (a: T, b: T) => number): T | undefined {
  let best: T | undefined;
  for (const item of items) if (best === undefined || compare(item, best) > 0) best = item;
  return best;
}

/** The least element under `compare`, or undefined for an empty list. */
export function minBy<T>(items: readonly T[], compare: (a: T, b: T) => number): T | undefined {
  return maxBy(items, (a, b) => compare(b, a));
}
