import { createHmac, timingSafeEqual } from "node:crypto";
import type { VerifyResult, WebhookRequest } from "../types.ts";

export const GITHUB_SIGNATURE_HEADER = "x-hub-signature-256";

const SIGNATURE_FORMAT = /^sha256=[0-9a-f]{64}$/;

/**
 * Check `X-Hub-Signature-256` over the raw body bytes, in constant time. The bytes are hashed as
 * they arrived, never decoded first: text decoding would turn invalid UTF-8 into replacement
 * characters, and a signature over those must not vouch for the real bytes. (The
 * @octokit/webhooks-methods `verify` takes only a string, so it is not used.) An empty body is
 * signed like any other; whether it is a valid delivery is classify's question (a 400).
 */
export async function verifyGitHubSignature(request: WebhookRequest, secret: string): Promise<VerifyResult> {
  const signature = request.headers[GITHUB_SIGNATURE_HEADER];
  if (!signature) return { ok: false, reason: "missing X-Hub-Signature-256 header" };
  if (!secret) return { ok: false, reason: "no webhook secret configured" };
  const received = signature.trim();
  if (!SIGNATURE_FORMAT.test(received)) return { ok: false, reason: "signature does not match" };
  // Both sides are 71 ASCII bytes once the format check passed, as timingSafeEqual requires.
  const expected = Buffer.from(signGitHubBody(secret, request.body), "utf8");
  const actual = Buffer.from(received, "utf8");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, reason: "signature does not match" };
  }
  return { ok: true };
}

/**
 * The `X-Hub-Signature-256` value GitHub would send for `body` (for replay and tests):
 * `sha256=` + hex HMAC-SHA256(secret, raw body). Synchronous on purpose, so callers can build
 * headers inline; it computes exactly what `sign` from @octokit/webhooks-methods computes for
 * a string (a test holds the two together).
 */
export function signGitHubBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
