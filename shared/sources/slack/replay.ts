import { isSlackTs } from "./timestamps.ts";
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, signSlackRequest } from "./verify.ts";

/** What Slack's Events API deliveries identify themselves as. */
export const SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)";

export interface SlackSample {
  event?: string;
  /** Extra headers the platform sent, e.g. `X-Slack-Retry-Num` on a retry. */
  headers?: Record<string, string>;
  payload: unknown;
}

/**
 * The exact HTTP request Slack would send for a sample, signed for `now`: Slack stamps the
 * delivery time, not the event time, so replaying old samples still passes the 5-minute window.
 */
export function replayRequest(sample: SlackSample, secret: string, now: Date): { headers: Record<string, string>; body: string } {
  if (sample.payload === undefined) throw new TypeError("a Slack sample needs a payload");
  const body = JSON.stringify(sample.payload);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": SLACK_USER_AGENT };
  for (const [name, value] of Object.entries(sample.headers ?? {})) {
    const lower = name.toLowerCase();
    // A sample's own signature or timestamp would be stale by now; ours replace them.
    if (lower !== SLACK_SIGNATURE_HEADER && lower !== SLACK_TIMESTAMP_HEADER) headers[lower] = value;
  }
  headers[SLACK_TIMESTAMP_HEADER] = timestamp;
  headers[SLACK_SIGNATURE_HEADER] = signSlackRequest(secret, timestamp, body);
  return { headers, body };
}

/** Keys whose values are Slack ts strings ("1794816000.000100"). */
const TS_KEYS = new Set(["ts", "thread_ts", "event_ts", "deleted_ts", "latest_reply"]);
/** Keys whose values are whole epoch seconds. */
const SECONDS_KEYS = new Set(["event_time"]);

function walk(value: unknown, visit: (key: string, v: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => walk(v, visit));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(visit(k, v), visit)]));
}

function shiftTs(ts: string, seconds: number): string {
  const [whole, micros = "000000"] = ts.split(".");
  return `${Number(whole) + seconds}.${micros}`;
}

/**
 * Slack payloads carry times as epoch strings, not ISO instants, so a generic "rebase the
 * samples to now" misses them: this moves every ts and event_time by `seconds`.
 */
export function shiftSlackTimes(payload: unknown, seconds: number): unknown {
  const whole = Math.trunc(seconds);
  return walk(payload, (key, v) => {
    if (TS_KEYS.has(key) && typeof v === "string" && isSlackTs(v) && v !== "0000000000.000000") return shiftTs(v, whole);
    if (SECONDS_KEYS.has(key) && typeof v === "number") return v + whole;
    return v;
  });
}

/** The latest time (epoch seconds) any ts or event_time in the payload names, or null. */
export function latestSlackTime(payload: unknown): number | null {
  let latest: number | null = null;
  walk(payload, (key, v) => {
    let seconds: number | null = null;
    if (TS_KEYS.has(key) && typeof v === "string" && isSlackTs(v)) seconds = Number(v);
    if (SECONDS_KEYS.has(key) && typeof v === "number") seconds = v;
    if (seconds !== null && seconds > 0 && (latest === null || seconds > latest)) latest = seconds;
    return v;
  });
  return latest;
}
