/**
 * Slack names every message by its `ts`: seconds since the epoch, a dot and six digits of
 * microseconds ("1794816000.000100"). It is both the message id and its time.
 */

const SLACK_TS = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

export function isSlackTs(value: string): boolean {
  return SLACK_TS.test(value);
}

/** The instant a ts names, in `toISOString()` form (microseconds truncated to milliseconds). */
export function slackTsToInstant(ts: string): string {
  const match = SLACK_TS.exec(ts);
  if (!match) throw new RangeError(`not a Slack ts: ${JSON.stringify(ts)}`);
  const micros = (match[2] ?? "").padEnd(6, "0");
  return new Date(Number(match[1]) * 1000 + Math.floor(Number(micros) / 1000)).toISOString();
}

/**
 * A ts as a fixed-width string, so versions compare as strings in time order: "1794816000.0001"
 * and "1794816000.000100" name the same moment and become the same version.
 */
export function slackTsVersion(ts: string): string {
  const match = SLACK_TS.exec(ts);
  if (!match) throw new RangeError(`not a Slack ts: ${JSON.stringify(ts)}`);
  return `${match[1]!.padStart(10, "0")}.${(match[2] ?? "").padEnd(6, "0")}`;
}

/** Envelope `event_time` (whole seconds) as a ts, for events that carry no ts of their own. */
export function secondsToSlackTs(seconds: number): string {
  return `${Math.trunc(seconds)}.000000`;
}
