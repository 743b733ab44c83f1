import { createHmac, timingSafeEqual } from "node:crypto";
import type { VerifyResult, WebhookRequest } from "../types.ts";

export const DISCOURSE_SIGNATURE_HEADER = "x-discourse-event-signature";

const SIGNATURE_FORMAT = /^sha256=[0-9a-f]{64}$/i;

/**
 * The `X-Discourse-Event-Signature` value Discourse sends for `body`:
 * `sha256=` + hex HMAC-SHA256(secret, raw body) (emit_web_hook_event.rb, build_webhook_headers).
 */
export function signDiscourseBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * Check `X-Discourse-Event-Signature` over the raw body bytes, in constant time. Discourse only
 * signs when the hook has a secret; an unsigned request is refused, because we require one.
 */
export async function verifyDiscourseSignature(request: WebhookRequest, secret: string): Promise<VerifyResult> {
  const signature = request.headers[DISCOURSE_SIGNATURE_HEADER];
  if (!signature) return { ok: false, reason: "missing X-Discourse-Event-Signature header" };
  if (!secret) return { ok: false, reason: "no webhook secret configured" };
  const received = signature.trim();
  if (!SIGNATURE_FORMAT.test(received)) return { ok: false, reason: "signature does not match" };
  // Both sides are 71 ASCII bytes once the format check passed, as timingSafeEqual requires.
  const expected = Buffer.from(signDiscourseBody(secret, request.body), "utf8");
  const actual = Buffer.from(received.toLowerCase(), "utf8");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, reason: "signature does not match" };
  }
  return { ok: true };
}
