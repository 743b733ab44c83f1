import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ActivitySchema } from "../../../shared/model/activity.ts";
import { normalizeDiscourseEnvelope } from "../../../shared/sources/discourse/index.ts";
import { NormalizeError } from "../../../shared/sources/types.ts";
import { configWith, envelopeFor, fixture } from "./helpers.ts";
import type { Payload } from "./helpers.ts";

const config = configWith({});

const seeds: Array<{ event: string; payload: Payload }> = [
  ...["topic_created", "topic_edited", "topic_destroyed", "topic_recovered", "topic_archived_status_updated"].map((event) => ({ event, payload: fixture("topic_created.json") })),
  { event: "topic_closed_status_updated", payload: fixture("topic_closed_status_updated.json") },
  ...["post_created", "post_edited", "post_destroyed", "post_recovered"].flatMap((event) => [
    { event, payload: fixture("post_created.first.json") },
    { event, payload: fixture("post_created.reply.json") },
  ]),
  { event: "post_created", payload: fixture("post_created.small_action.json") },
  { event: "accepted_solution", payload: fixture("accepted_solution.json") },
  { event: "unaccepted_solution", payload: fixture("accepted_solution.json") },
];

/** Paths to the values a payload holds. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value);
  return [prefix, ...keys.flatMap((k) => paths((value as Record<string, unknown>)[k], [...prefix, k]))];
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
    const mutation = fc
      .record({ seed: fc.nat(seeds.length - 1), pick: fc.nat(), value: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }) })
      .map(({ seed, pick, value }) => {
        const { event, payload } = seeds[seed]!;
        const all = paths(payload);
        return { event, payload: replaceAt(payload, all[pick % all.length]!, value) };
      });
    fc.assert(
      fc.property(mutation, ({ event, payload }) => {
        let activities;
        try {
          activities = normalizeDiscourseEnvelope(envelopeFor(event, payload), config);
        } catch (err) {
          expect(err).toBeInstanceOf(NormalizeError);
          return;
        }
        for (const a of activities) ActivitySchema.parse(a);
      }),
      { numRuns: 1500, seed: 20261117 },
    );
  });
});
