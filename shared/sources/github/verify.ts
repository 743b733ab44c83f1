import { createHmac } from "node:crypto";
import { verify as verifyOctokitSignature } from "@octokit/webhooks-methods";
import type { VerifyResult, WebhookRequest } from "../types.ts";

export const GITHUB_SIGNATURE_HEADER = "x-hub-signature-256";

/**
 * Check `X-Hub-Signature-256` over the raw body. Delegates to @octokit/webhooks-methods, which
 * compares in constant time; its TypeError on an empty body or secret is mapped to a reason
 * so a bad request can never crash the front door.
 */
export async function verifyGitHubSignature(request: WebhookRequest, secret: string): Promise<VerifyResult> {
  const signature = request.headers[GITHUB_SIGNATURE_HEADER];
  if (!signature) return { ok: false, reason: "missing X-Hub-Signature-256 header" };
  if (!secret) return { ok: false, reason: "no webhook secret configured" };
  const body = request.body.toString("utf8");
  // GitHub signs every delivery, but an empty body has nothing to sign; octokit throws on it.
  if (body.length === 0) return { ok: false, reason: "signature does not match" };
  const matches = await verifyOctokitSignature(secret, body, signature);
  return matches ? { ok: true } : { ok: false, reason: "signature does not match" };
}

/**
 * The `X-Hub-Signature-256` value GitHub would send for `body` (for replay and tests).
 * Synchronous on purpose, so callers can build headers inline; it computes exactly what
 * `sign` from @octokit/webhooks-methods computes (a test holds the two together).
 */
export function signGitHubBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
