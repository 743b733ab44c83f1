import { createHash } from "node:crypto";
import type { ReplaySample, ReplayRequest } from "../types.ts";
import { signGitHubBody } from "./verify.ts";

/**
 * The request GitHub would send for a sample: signed body, event header and a delivery id
 * that is stable per body (replaying the same sample again is a redelivery, as in GitHub).
 */
export function replayRequest(sample: ReplaySample, secret: string): ReplayRequest {
  if (!sample.event) throw new Error("a GitHub sample needs an `event` (the X-GitHub-Event value)");
  const body = JSON.stringify(sample.payload);
  const digest = createHash("sha256").update(sample.event).update(body).digest("hex");
  const delivery = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
  return {
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/community-signals-replay",
      "x-github-event": sample.event,
      "x-github-delivery": delivery,
      ...sample.headers,
      "x-hub-signature-256": signGitHubBody(secret, body),
    },
    body,
  };
}
