/**
 * The p-th percentile (0..100) of `values`, interpolating linearly between the closest ranks
 * (numpy's default, so analysts re-computing from an export get the same number).
 * Returns null for no values: "no data" must not look like "zero hours".
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!Number.isFinite(p) || p < 0 || p > 100) {
    throw new RangeError(`percentile must be between 0 and 100, got ${String(p)}`);
  }
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`percentile needs finite numbers, got ${String(v)}`);
  }
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = ((sorted.length - 1) * p) / 100;
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const lowValue = sorted[lower] as number;
  const highValue = sorted[upper] as number;
  return lowValue + (rank - lower) * (highValue - lowValue);
}

/** Round to one decimal, the precision every hour figure in the digest is reported with. */
export function roundToTenth(value: number): number {
  // Math.round of a negative half rounds towards +infinity; ages and durations are never negative here.
  return Math.round(value * 10) / 10;
}
