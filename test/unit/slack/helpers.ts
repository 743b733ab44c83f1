import { readFileSync } from "node:fs";
import { parseConfig } from "../../../shared/model/config.ts";
import type { Config, ConfigInput } from "../../../shared/model/config.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";

export type Payload = Record<string, any>;

export const RECEIVED_AT = "2026-11-20T12:00:00.000Z";

/** The cast of the fixtures in test/fixtures/slack. */
export const TEAM = "T0ROCKETDB";
export const HELP = "C0HELP0001";
export const ASKER = "U0ASKER001";
export const HELPER = "U0HELPER01";
export const ROOT_TS = "1794830400.123456";
export const THREAD_ID = `slack:${TEAM}:${HELP}:${ROOT_TS}`;

/** The envelope ingest would queue for this body (event type as classify derives it). */
export function envelopeFor(payload: unknown, overrides: Partial<Envelope> = {}): Envelope {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  const parsed = typeof payload === "object" && payload !== null ? (payload as Payload) : {};
  return {
    v: 1,
    id: "env-0001",
    source: "slack",
    eventType: parsed["event"]?.type ?? parsed["type"] ?? "message",
    deliveryId: parsed["event_id"] ?? null,
    receivedAt: RECEIVED_AT,
    contentType: "application/json",
    headers: { "content-type": "application/json", "x-slack-request-timestamp": "1794830401" },
    body,
    ...overrides,
  };
}

export function configWith(input: ConfigInput = {}): Config {
  return parseConfig(input);
}

/** A fresh copy of a fixture (tests may mutate it). */
export function fixture(name: string): Payload {
  return JSON.parse(readFileSync(new URL(`../../fixtures/slack/${name}`, import.meta.url), "utf8")) as Payload;
}
