/**
 * The one source of "now". Only entry points (Lambda handlers, the CLI, benches) create a
 * clock; everything below them is handed one, so a test that sets the clock controls every
 * business decision that depends on time (received-at stamps, look-back windows, the digest's
 * day, expiry of links, the daily timers).
 */
export type Clock = () => Date;

/** The machine's clock. Entry points only: domain code takes a `Clock` from its caller. */
export const systemClock: Clock = () => new Date();

/** Always the same instant: for unit tests and for `--at`. */
export function fixedClock(at: Date): Clock {
  const ms = at.getTime();
  return () => new Date(ms);
}

/**
 * Starts at `start` and runs at the machine's speed from the moment it is made: the local
 * stack in a test lives in the sample week while its timers and time-outs still move.
 * Measured on a monotonic timer, so a change of the wall clock cannot make it jump.
 */
export function clockStartingAt(start: Date, elapsedMs: () => number = () => performance.now()): Clock {
  const origin = elapsedMs();
  const ms = start.getTime();
  return () => new Date(ms + (elapsedMs() - origin));
}

/** Environment variable an entry point reads to start its clock at a given instant. */
export const CLOCK_ENV = "COMMUNITY_SIGNALS_CLOCK";

export class ClockSettingError extends Error {
  override readonly name = "ClockSettingError";
}

/**
 * The entry point's clock: the system clock, or, when `COMMUNITY_SIGNALS_CLOCK` holds an ISO
 * instant, a clock that starts there and runs (tests, demos of a past sample week).
 */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const value = env[CLOCK_ENV];
  if (!value) return systemClock;
  const start = parseIsoInstant(value);
  if (!start) throw new ClockSettingError(`${CLOCK_ENV}=${value} is not an ISO time such as 2026-11-25T08:00:00Z`);
  return clockStartingAt(start);
}

/** A full ISO 8601 instant with a zone (Z or ±hh:mm); anything else is refused, not guessed. */
export function parseIsoInstant(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}
