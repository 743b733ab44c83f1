import type * as z from "../../model/zod.ts";
import type { Classification, WebhookRequest } from "../types.ts";
import { mediaType, type ParsedBody } from "../common.ts";
import { decodeUtf8, describeIssues, NOT_UTF8, parseJsonObject, quote } from "../shape.ts";
import { EventCallbackSchema, OuterSchema, UrlVerificationSchema } from "./payload.ts";
import { slackShapeProblem } from "./shape.ts";

/** Inner event types `normalize` looks at; every other event is acknowledged and ignored. */
export const SLACK_SUPPORTED_EVENTS = ["message", "reaction_added", "reaction_removed", "app_uninstalled", "tokens_revoked"] as const;
export type SlackSupportedEvent = (typeof SLACK_SUPPORTED_EVENTS)[number];

export function isSupportedSlackEvent(event: string): event is SlackSupportedEvent {
  return (SLACK_SUPPORTED_EVENTS as readonly string[]).includes(event);
}

/** Headers worth keeping in the envelope (never the signature: it is useless once verified). */
const KEPT_HEADERS = ["x-slack-request-timestamp", "x-slack-retry-num", "x-slack-retry-reason", "content-type"] as const;

export type ParsedSlackBody = ParsedBody;

/** The Events API always posts JSON; anything else (a slash command's form body) is not for us. */
export function parseSlackBody(body: string, contentType: string | undefined): ParsedSlackBody {
  const type = mediaType(contentType);
  if (type !== "" && type !== "application/json") return { ok: false, reason: `unsupported content type ${quote(type)}` };
  return parseJsonObject(body);
}

function firstProblem(error: { issues: readonly z.core.$ZodIssue[] }): string {
  return describeIssues(error.issues.slice(0, 1));
}

/**
 * Decide what to do with a request whose signature has already been verified: the body must be
 * UTF-8 JSON, and a supported event must have the shape `normalize` reads (see shape.ts), so
 * nothing is acknowledged that would only fail later in the queue.
 */
export function classifySlackRequest(request: WebhookRequest): Classification {
  const text = decodeUtf8(request.body);
  if (text === null) return { action: "malformed", reason: NOT_UTF8 };
  const parsed = parseSlackBody(text, request.headers["content-type"]);
  if (!parsed.ok) return { action: "malformed", reason: parsed.reason };

  const outer = OuterSchema.safeParse(parsed.payload);
  if (!outer.success) return { action: "malformed", reason: `body has no type (${firstProblem(outer.error)})` };

  switch (outer.data.type) {
    case "url_verification": {
      const handshake = UrlVerificationSchema.safeParse(parsed.payload);
      if (!handshake.success) return { action: "malformed", reason: `url_verification: ${firstProblem(handshake.error)}` };
      return {
        action: "handshake",
        answer: {
          status: 200,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ challenge: handshake.data.challenge }),
        },
      };
    }
    case "event_callback": {
      const callback = EventCallbackSchema.safeParse(parsed.payload);
      if (!callback.success) return { action: "malformed", reason: `event_callback: ${firstProblem(callback.error)}` };
      const eventType = callback.data.event.type;
      if (!isSupportedSlackEvent(eventType)) return { action: "ignore", eventType, reason: `unsupported event ${quote(eventType)}` };
      const problem = slackShapeProblem(callback.data);
      if (problem !== null) return { action: "malformed", reason: problem };
      const headers: Record<string, string> = {};
      for (const name of KEPT_HEADERS) {
        const value = request.headers[name];
        if (value !== undefined) headers[name] = value;
      }
      // A retry (X-Slack-Retry-Num) keeps its event_id, so the queue and the store see one event.
      return { action: "queue", eventType, deliveryId: callback.data.event_id, headers };
    }
    default:
      // app_rate_limited and any envelope type Slack adds later: well-formed, nothing to record.
      return { action: "ignore", eventType: outer.data.type, reason: `unsupported envelope type ${quote(outer.data.type)}` };
  }
}
