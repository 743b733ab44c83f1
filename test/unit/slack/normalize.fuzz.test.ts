import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ActivitySchema } from "../../../shared/model/activity.ts";
import { normalizeSlackEnvelope } from "../../../shared/sources/slack/index.ts";
import { NormalizeError } from "../../../shared/sources/types.ts";
import { configWith, envelopeFor } from "./helpers.ts";
import type { Payload } from "./helpers.ts";

const config = configWith({ sources: { slack: { workspaceUrl: "https://rocketdb-community.slack.com" } } });
const FIXTURES = new URL("../../fixtures/slack/", import.meta.url);
const seeds: Payload[] = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES), "utf8")) as Payload);

/** Paths to the values a payload holds, down to a few levels. */
function paths(value: unknown, prefix: string[] = [], depth = 0): string[][] {
  if (depth > 4 || value === null || typeof value !== "object") return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value);
  return [prefix, ...keys.flatMap((k) => paths((value as Record<string, unknown>)[k], [...prefix, k], depth + 1))];
}

function replaceAt(payload: Payload, path: string[], replacement: unknown): Payload {
  if (path.length === 0) return replacement as Payload;
  const copy = structuredClone(payload);
  let node: any = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  const last = path[path.length - 1]!;
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}

describe("normalize is total", () => {
  it("on any one field of a fixture removed or replaced: valid activities or NormalizeError, nothing else", () => {
    const slackish = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom("1794830400.123456", "message_changed", "message_deleted", "tombstone", "bot_message", "D0DM000001", "white_check_mark", ""),
    );
    const mutation = fc
      .record({ seed: fc.nat(seeds.length - 1), pick: fc.nat(), value: fc.option(slackish, { nil: undefined }) })
      .map(({ seed, pick, value }) => {
        const payload = seeds[seed]!;
        const all = paths(payload);
        return replaceAt(payload, all[pick % all.length]!, value);
      });
    fc.assert(
      fc.property(mutation, (payload) => {
        let activities;
        try {
          activities = normalizeSlackEnvelope(envelopeFor(payload, { eventType: "message" }), config);
        } catch (err) {
          expect(err).toBeInstanceOf(NormalizeError);
          return;
        }
        for (const a of activities) ActivitySchema.parse(a);
      }),
      { numRuns: 1500, seed: 20261116 },
    );
  });
});
