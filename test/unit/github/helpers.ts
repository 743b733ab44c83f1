import { readFileSync } from "node:fs";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import { parseConfig } from "../../../shared/model/config.ts";
import type { Config, ConfigInput } from "../../../shared/model/config.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";

export type Payload = Record<string, any>;

export const RECEIVED_AT = "2026-11-20T12:00:00.000Z";

export function envelopeFor(eventType: string, payload: unknown, overrides: Partial<Envelope> = {}): Envelope {
  return {
    v: 1,
    id: "env-0001",
    source: "github",
    eventType,
    deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    receivedAt: RECEIVED_AT,
    contentType: "application/json",
    headers: { "x-github-event": eventType },
    body: typeof payload === "string" ? payload : JSON.stringify(payload),
    ...overrides,
  };
}

export function configWith(input: ConfigInput = {}): Config {
  return parseConfig(input);
}

/** A deep copy of the n-th real example of `event` with `action` (any action when omitted). */
export function example(event: string, action?: string, n = 0): Payload {
  const definition = (examples as Array<{ name: string; examples: Payload[] }>).find((d) => d.name === event);
  if (!definition) throw new Error(`no examples for ${event}`);
  const found = definition.examples.filter((e) => action === undefined || e["action"] === action)[n];
  if (!found) throw new Error(`no example ${event}.${action ?? "*"} #${n}`);
  return structuredClone(found);
}

export function allExamples(): Array<{ event: string; payload: Payload }> {
  return (examples as Array<{ name: string; examples: Payload[] }>).flatMap((d) =>
    d.examples.map((payload) => ({ event: d.name, payload })),
  );
}

export function fixture(name: string): Payload {
  return JSON.parse(readFileSync(new URL(`../../fixtures/github/${name}`, import.meta.url), "utf8")) as Payload;
}
