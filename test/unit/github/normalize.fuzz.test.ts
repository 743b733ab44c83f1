import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ActivitySchema } from "../../../shared/model/activity.ts";
import { GITHUB_SUPPORTED_EVENTS, normalizeGitHubEnvelope } from "../../../shared/sources/github/index.ts";
import { NormalizeError } from "../../../shared/sources/types.ts";
import { allExamples, configWith, envelopeFor } from "./helpers.ts";
import type { Payload } from "./helpers.ts";

const config = configWith({});
const supported = new Set<string>(GITHUB_SUPPORTED_EVENTS);
const seeds = allExamples().filter((e) => supported.has(e.event));

/** Keys normalize reads; mutating only these keeps the runs on what can matter. */
const READ_KEYS = new Set(
  ("action issue comment pull_request discussion review answer old_answer changes new_issue new_repository new_discussion " +
    "repository sender forkee member owner user category labels id number title html_url body state state_reason closed_at " +
    "created_at updated_at submitted_at dismissed_at starred_at answer_chosen_at merged merged_at full_name login type name " +
    "author_association performed_via_github_app is_answerable").split(" "),
);

/** Paths to the values a payload holds, down to a few levels. */
function paths(value: unknown, prefix: string[] = [], depth = 0): string[][] {
  if (depth > 3 || value === null || typeof value !== "object") return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value);
  return [prefix, ...keys.flatMap((k) => paths((value as Record<string, unknown>)[k], [...prefix, k], depth + 1))];
}

function replaceAt(payload: Payload, path: string[], replacement: unknown): Payload {
  const copy = structuredClone(payload);
  if (path.length === 0) return replacement as Payload;
  let node: any = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  const last = path[path.length - 1]!;
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}

describe("normalize is total", () => {
  it("on any one field of a real example removed or replaced: valid activities or NormalizeError, nothing else", () => {
    const mutation = fc
      .record({ seed: fc.nat(seeds.length - 1), pick: fc.nat(), value: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }) })
      .map(({ seed, pick, value }) => {
        const { event, payload } = seeds[seed]!;
        const all = paths(payload).filter((p) => p.length === 0 || READ_KEYS.has(p[p.length - 1]!));
        return { event, payload: replaceAt(payload, all[pick % all.length]!, value) };
      });
    fc.assert(
      fc.property(mutation, ({ event, payload }) => {
        let activities;
        try {
          activities = normalizeGitHubEnvelope(envelopeFor(event, payload), config);
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
