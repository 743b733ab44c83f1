import { createHash } from "node:crypto";
import { discourseEventType, isSupportedDiscourseEvent } from "./classify.ts";
import { signDiscourseBody } from "./verify.ts";

export interface DiscourseSample {
  event?: string;
  headers?: Record<string, string>;
  payload: unknown;
}

/** Where samples come from when they do not say (`headers["x-discourse-instance"]`). */
export const DEFAULT_SAMPLE_INSTANCE = "https://forum.rocketdb.example";

/** The body's one key is the event type Discourse sends it under (`{"post": {...}}`). */
function typeOf(event: string, payload: unknown): string {
  if (event === "ping") return "ping";
  if (isSupportedDiscourseEvent(event)) return discourseEventType(event);
  const keys = payload && typeof payload === "object" && !Array.isArray(payload) ? Object.keys(payload) : [];
  if (keys.length === 1) return keys[0]!;
  throw new Error(`cannot tell the X-Discourse-Event-Type of ${event}: give it in the sample's headers`);
}

/**
 * The exact request Discourse would send for a sample: the body as JSON text, signed, with every
 * header emit_web_hook_event.rb sets except the ones an HTTP client computes itself (Host,
 * Content-Length, Connection). The event id is a stable number derived from the body, so
 * replaying one file twice is a manual redelivery (Discourse keeps the id), not a new event.
 * `now` is unused: Discourse signs no timestamp.
 */
export function replayRequest(
  sample: DiscourseSample,
  secret: string,
  _now: Date,
): { headers: Record<string, string>; body: string } {
  const extra: Record<string, string> = {};
  for (const [name, value] of Object.entries(sample.headers ?? {})) extra[name.toLowerCase()] = value;
  const event = sample.event ?? extra["x-discourse-event"];
  if (!event) throw new Error("a Discourse sample needs an event name (X-Discourse-Event)");
  const body = JSON.stringify(sample.payload);
  const digest = createHash("sha256").update(event).update(body).digest();
  const eventId = String(digest.readUInt32BE(0) % 1_000_000_000);
  const headers: Record<string, string> = {
    accept: "*/*",
    "content-type": "application/json",
    "user-agent": "Discourse/3.5.0",
    "x-discourse-instance": DEFAULT_SAMPLE_INSTANCE,
    "x-discourse-event-id": eventId,
    "x-discourse-event-type": typeOf(event, sample.payload),
    "x-discourse-event": event,
    ...extra,
  };
  headers["x-discourse-event-signature"] = signDiscourseBody(secret, body);
  return { headers, body };
}
