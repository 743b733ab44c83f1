import type { Classification, WebhookRequest } from "../types.ts";
import { decodeUtf8, NOT_UTF8, quote } from "../shape.ts";
import { parseGitHubBody } from "./body.ts";
import { githubShapeProblem } from "./shape.ts";

/** Events `normalize` turns into activities; every other event is acknowledged and ignored. */
export const GITHUB_SUPPORTED_EVENTS = [
  "issues",
  "issue_comment",
  "discussion",
  "discussion_comment",
  "pull_request",
  "pull_request_review",
  "pull_request_review_comment",
  "star",
  "fork",
  "member",
] as const;
export type GitHubSupportedEvent = (typeof GITHUB_SUPPORTED_EVENTS)[number];

export function isSupportedGitHubEvent(event: string): event is GitHubSupportedEvent {
  return (GITHUB_SUPPORTED_EVENTS as readonly string[]).includes(event);
}

/** Headers worth keeping in the envelope (never the signature: it is useless once verified). */
const KEPT_HEADERS = [
  "x-github-event",
  "x-github-delivery",
  "x-github-hook-id",
  "x-github-hook-installation-target-type",
  "x-github-hook-installation-target-id",
  "user-agent",
  "content-type",
] as const;

/**
 * Decide what to do with a request whose signature has already been verified: the body must be
 * UTF-8 JSON, and a supported event must have the shape `normalize` reads (see shape.ts), so
 * nothing is acknowledged that would only fail later in the queue.
 */
export function classifyGitHubRequest(request: WebhookRequest): Classification {
  const event = request.headers["x-github-event"];
  if (!event) return { action: "malformed", reason: "missing X-GitHub-Event header" };

  const text = decodeUtf8(request.body);
  if (text === null) return { action: "malformed", reason: NOT_UTF8 };
  const parsed = parseGitHubBody(text, request.headers["content-type"]);
  if (!parsed.ok) return { action: "malformed", reason: parsed.reason };

  if (event === "ping") {
    // Echo only what a ping is documented to carry, and only in its documented types.
    const { zen, hook_id } = parsed.payload;
    return {
      action: "handshake",
      answer: {
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          ok: true,
          zen: typeof zen === "string" ? zen : null,
          hook_id: typeof hook_id === "number" ? hook_id : null,
        }),
      },
    };
  }

  if (!isSupportedGitHubEvent(event)) {
    return { action: "ignore", eventType: event, reason: `unsupported event ${quote(event)}` };
  }

  const problem = githubShapeProblem(event, parsed.payload);
  if (problem !== null) return { action: "malformed", reason: problem };

  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return { action: "queue", eventType: event, deliveryId: request.headers["x-github-delivery"] ?? null, headers };
}
