import { createHmac, timingSafeEqual } from "node:crypto";
import type { VerifyResult, WebhookRequest } from "../types.ts";

export const SLACK_SIGNATURE_HEADER = "x-slack-signature";
export const SLACK_TIMESTAMP_HEADER = "x-slack-request-timestamp";
/** Slack's own advice, and the config default (`maxClockSkewSeconds`). */
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 300;

/**
 * The `X-Slack-Signature` value Slack sends: `v0=` + hex HMAC-SHA256 over
 * `v0:<timestamp>:<raw body>`. The body is hashed as bytes, never re-encoded.
 */
export function signSlackRequest(secret: string, timestamp: string | number, body: string | Buffer): string {
  const hmac = createHmac("sha256", secret);
  hmac.update(`v0:${timestamp}:`, "utf8");
  hmac.update(typeof body === "string" ? Buffer.from(body, "utf8") : body);
  return `v0=${hmac.digest("hex")}`;
}

/**
 * Check a request's signature and its age. Slack signs the timestamp along with the body, so a
 * captured request cannot be re-sent later with a fresh timestamp: refusing old timestamps is
 * the replay defence. The timestamp is checked first because it costs nothing.
 */
export async function verifySlackRequest(
  request: WebhookRequest,
  secret: string,
  now: Date,
  maxClockSkewSeconds: number = DEFAULT_MAX_CLOCK_SKEW_SECONDS,
): Promise<VerifyResult> {
  const signature = request.headers[SLACK_SIGNATURE_HEADER];
  const timestamp = request.headers[SLACK_TIMESTAMP_HEADER];
  if (!signature) return { ok: false, reason: "missing X-Slack-Signature header" };
  if (!timestamp) return { ok: false, reason: "missing X-Slack-Request-Timestamp header" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "malformed X-Slack-Request-Timestamp header" };
  if (!secret) return { ok: false, reason: "no signing secret configured" };

  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (!(skew <= maxClockSkewSeconds)) return { ok: false, reason: "stale timestamp" };

  const expected = Buffer.from(signSlackRequest(secret, timestamp, request.body), "utf8");
  const given = Buffer.from(signature, "utf8");
  // timingSafeEqual needs equal lengths; a wrong length is a mismatch and says nothing secret.
  const matches = given.length === expected.length && timingSafeEqual(given, expected);
  return matches ? { ok: true } : { ok: false, reason: "signature does not match" };
}
