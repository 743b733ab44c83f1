/** A source's backfill cursors (or a poller's) in memory: `values` shows what was stored. */
export function memoryCursors(initial?: Map<string, string>) {
  const values = new Map(initial);
  return { values, get: async (k: string) => values.get(k) ?? null, set: async (k: string, v: string) => void values.set(k, v) };
}
