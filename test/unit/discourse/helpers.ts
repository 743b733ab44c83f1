import { readFileSync } from "node:fs";
import { parseConfig } from "../../../shared/model/config.ts";
import type { Config, ConfigInput } from "../../../shared/model/config.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";
import { discourseEventType, isSupportedDiscourseEvent } from "../../../shared/sources/discourse/index.ts";

export type Payload = Record<string, any>;

export const INSTANCE = "https://discuss.example.org";
export const HOST = "discuss.example.org";
export const RECEIVED_AT = "2026-11-20T12:00:00.000Z";

export function envelopeFor(event: string, payload: unknown, overrides: Partial<Envelope> = {}): Envelope {
  const type = isSupportedDiscourseEvent(event) ? discourseEventType(event) : "topic";
  return {
    v: 1,
    id: "env-0001",
    source: "discourse",
    eventType: event,
    deliveryId: "58213",
    receivedAt: RECEIVED_AT,
    contentType: "application/json",
    headers: {
      "x-discourse-instance": INSTANCE,
      "x-discourse-event-id": "58213",
      "x-discourse-event-type": type,
      "x-discourse-event": event,
      "content-type": "application/json",
    },
    body: typeof payload === "string" ? payload : JSON.stringify(payload),
    ...overrides,
  };
}

export function configWith(input: ConfigInput = {}): Config {
  return parseConfig(input);
}

/** A deep copy of a fixture body from test/fixtures/discourse. */
export function fixture(name: string): Payload {
  return JSON.parse(readFileSync(new URL(`../../fixtures/discourse/${name}`, import.meta.url), "utf8")) as Payload;
}

/** The fixture post wrapped as another event's body (post_edited, solved, ...). */
export function postBody(name: string, key: "post" | "solved" = "post", change: Payload = {}): Payload {
  const body = fixture(name);
  const post = body["post"] ?? body["solved"];
  return { [key]: { ...post, ...change } };
}

export function topicBody(name: string, change: Payload = {}): Payload {
  const body = fixture(name);
  return { topic: { ...body["topic"], ...change } };
}
