import type { Classification, WebhookRequest } from "../types.ts";
import { decodeUtf8, NOT_UTF8, quote } from "../shape.ts";
import { parseDiscourseBody } from "./body.ts";
import { discourseShapeProblem, isInstanceUrl } from "./shape.ts";

/**
 * Events `normalize` turns into activities (X-Discourse-Event). Status updates arrive as
 * `topic_<status>_status_updated` on the topic subscription; only the ones that open or close a
 * topic matter (pinning and listing do not).
 */
export const DISCOURSE_SUPPORTED_EVENTS = [
  "topic_created",
  "topic_edited",
  "topic_destroyed",
  "topic_recovered",
  "topic_closed_status_updated",
  "topic_autoclosed_status_updated",
  "topic_archived_status_updated",
  "post_created",
  "post_edited",
  "post_destroyed",
  "post_recovered",
  "accepted_solution",
  "unaccepted_solution",
] as const;
export type DiscourseSupportedEvent = (typeof DISCOURSE_SUPPORTED_EVENTS)[number];

export function isSupportedDiscourseEvent(event: string): event is DiscourseSupportedEvent {
  return (DISCOURSE_SUPPORTED_EVENTS as readonly string[]).includes(event);
}

/** The X-Discourse-Event-Type each supported event is sent with (also the body's only key). */
export function discourseEventType(event: DiscourseSupportedEvent): "topic" | "post" | "solved" {
  if (event.startsWith("topic_")) return "topic";
  if (event.startsWith("post_")) return "post";
  return "solved";
}

/** Headers worth keeping in the envelope (never the signature: it is useless once verified). */
const KEPT_HEADERS = [
  "x-discourse-instance",
  "x-discourse-event-id",
  "x-discourse-event-type",
  "x-discourse-event",
  "content-type",
] as const;

function isPing(eventType: string | undefined, payload: Record<string, unknown>): boolean {
  if (eventType === "ping") return true;
  const keys = Object.keys(payload);
  return keys.length === 1 && payload["ping"] === "OK";
}

/**
 * Decide what to do with a request whose signature has already been verified: the body must be
 * UTF-8 JSON, and a supported event must come from an http(s) instance with the shape
 * `normalize` reads (see shape.ts), so nothing is acknowledged that would only fail later.
 */
export function classifyDiscourseRequest(request: WebhookRequest): Classification {
  const text = decodeUtf8(request.body);
  if (text === null) return { action: "malformed", reason: NOT_UTF8 };
  const parsed = parseDiscourseBody(text, request.headers["content-type"]);
  if (!parsed.ok) return { action: "malformed", reason: parsed.reason };

  const eventType = request.headers["x-discourse-event-type"];
  // "Ping" in the hook's admin page sends {"ping":"OK"}; older Discourse versions send it without X-Discourse-Event.
  if (isPing(eventType, parsed.payload)) {
    return {
      action: "handshake",
      answer: { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ ok: true }) },
    };
  }

  const event = request.headers["x-discourse-event"];
  if (!event) return { action: "malformed", reason: "missing X-Discourse-Event header" };
  const instance = request.headers["x-discourse-instance"];
  if (!instance) return { action: "malformed", reason: "missing X-Discourse-Instance header" };

  if (!isSupportedDiscourseEvent(event)) {
    return { action: "ignore", eventType: event, reason: `unsupported event ${quote(event)}` };
  }
  if (!isInstanceUrl(instance)) return { action: "malformed", reason: "X-Discourse-Instance is not an http(s) URL" };
  const problem = discourseShapeProblem(event, discourseEventType(event), parsed.payload);
  if (problem !== null) return { action: "malformed", reason: problem };

  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return { action: "queue", eventType: event, deliveryId: request.headers["x-discourse-event-id"] ?? null, headers };
}
