// Fuzzing the front door with correctly signed garbage. Whatever arrives, the door answers (no
// throw, no 5xx), and whatever it queues the normaliser takes without crashing: activities, or a
// typed NormalizeError for the dead-letter queue, never anything else. For payloads that are
// real deliveries with a few fields changed, the door and the normaliser must agree exactly: what
// is queued normalises without any error at all. Bounded runs keep this fast.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../shared/model/envelope.ts";
import { DISCOURSE_SUPPORTED_EVENTS } from "../../../shared/sources/discourse/index.ts";
import { GITHUB_SUPPORTED_EVENTS } from "../../../shared/sources/github/index.ts";
import { SLACK_POSTED_SUBTYPES } from "../../../shared/sources/slack/index.ts";
import { NormalizeError } from "../../../shared/sources/types.ts";
import { door, fixture, githubExample, normalizeQueued, signed, type Json, type WebhookSource } from "./helpers.ts";

/** Bounded so the suite stays fast; DOOR_FUZZ_RUNS=20000 for a longer hunt. */
const RUNS = Number(process.env["DOOR_FUZZ_RUNS"] ?? 300);

/** The normaliser's contract: activities, or a NormalizeError. */
function normalizesOrRefuses(envelope: Envelope): void {
  try {
    expect(Array.isArray(normalizeQueued(envelope))).toBe(true);
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(NormalizeError);
  }
}

const EVENTS: Record<WebhookSource, fc.Arbitrary<string | undefined>> = {
  github: fc.constantFrom<string | undefined>(...GITHUB_SUPPORTED_EVENTS, "ping", "push", "constructor", "__proto__"),
  discourse: fc.constantFrom<string | undefined>(...DISCOURSE_SUPPORTED_EVENTS, "user_created", "ping", "toString"),
  // Slack names its event inside the body.
  slack: fc.constant(undefined),
};

async function answerOf(source: WebhookSource, body: string | Buffer, event: string | undefined) {
  const { ingest, sent } = door();
  const answer = await ingest(signed(source, body, event === undefined ? {} : { event }));
  expect(answer.status, answer.body.slice(0, 300)).toBeLessThan(500);
  expect(sent.length).toBeLessThanOrEqual(1);
  if (sent.length === 1) expect(answer.status).toBe(202);
  return { answer, sent };
}

describe.each(["github", "discourse", "slack"] as const)("fuzzing the %s door", (source) => {
  it("arbitrary JSON values, correctly signed: never a 5xx or a throw; what is queued normalises or is refused", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), EVENTS[source], async (value, event) => {
        const { sent } = await answerOf(source, JSON.stringify(value), event);
        for (const envelope of sent) normalizesOrRefuses(envelope);
      }),
      { numRuns: RUNS },
    );
  });

  it("arbitrary bytes, correctly signed: never a 5xx or a throw", async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 1024 }),
      // Near-JSON: a valid object's text with bytes spliced in.
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat()).map(([junk, at]) => {
        const text = Buffer.from('{"type":"event_callback","event":{"type":"message"},"issue":{"id":1},"post":{"id":2}}');
        const cut = at % text.length;
        return Buffer.concat([text.subarray(0, cut), Buffer.from(junk), text.subarray(cut)]);
      }),
    );
    await fc.assert(
      fc.asyncProperty(bytes, EVENTS[source], async (body, event) => {
        const { sent } = await answerOf(source, Buffer.from(body), event);
        for (const envelope of sent) normalizesOrRefuses(envelope);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Real deliveries with a few fields changed: the door's shape check and the normaliser agree.

interface Base {
  event: string | undefined;
  payload: Json;
}

const BASES: Record<WebhookSource, Base[]> = {
  github: [
    ["issues", "opened"],
    ["issues", "reopened"],
    ["issues", "transferred"],
    ["issues", "deleted"],
    ["issue_comment", "created"],
    ["issue_comment", "deleted"],
    ["pull_request", "closed"],
    ["pull_request_review", "submitted"],
    ["pull_request_review_comment", "created"],
    ["discussion", "answered"],
    ["discussion", "locked"],
    ["discussion", "unanswered"],
    ["discussion_comment", "created"],
    ["star", "created"],
    ["fork", undefined],
    ["member", "added"],
  ].map(([event, action]) => ({ event, payload: githubExample(event!, action) })),
  // issues.closed has no example; the fixture is a real one.
  ...[{ event: "issues", payload: fixture("github/issues.closed.json") }],
  discourse: [
    ["post_created", "post_created.reply.json"],
    ["post_created", "post_created.first.json"],
    ["post_created", "post_created.small_action.json"],
    ["topic_created", "topic_created.json"],
    ["topic_destroyed", "topic_created.json"],
    ["topic_closed_status_updated", "topic_closed_status_updated.json"],
    ["accepted_solution", "accepted_solution.json"],
  ].map(([event, file]) => ({ event, payload: fixture(`discourse/${file}`) })),
  slack: [
    "message.json",
    "message-reply.json",
    "message-bot_message.json",
    "message-message_changed.json",
    "message-message_changed-tombstone.json",
    "message-message_deleted.json",
    "message-thread_broadcast.json",
    "reaction_added.json",
    "reaction_removed.json",
    "tokens_revoked.json",
    "app_uninstalled.json",
  ].map((file) => ({ event: undefined, payload: fixture(`slack/${file}`) })),
};

/** Every path to a value in `value`, a few levels deep (array items by index). */
function pathsOf(value: unknown, depth = 4, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (depth === 0 || value === null || typeof value !== "object") return [];
  const entries = Array.isArray(value) ? value.slice(0, 3).map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, depth - 1, [...prefix, key])]);
}

type Change = { path: Array<string | number>; value: unknown };

/**
 * A copy of `payload` with the value at each path replaced, or removed when the value is
 * undefined (a path an earlier change took away is skipped).
 */
function changed(payload: Json, changes: Change[]): Json {
  const copy = structuredClone(payload);
  for (const { path, value } of changes) {
    let node: any = copy;
    for (const key of path.slice(0, -1)) node = node !== null && typeof node === "object" ? node[key] : undefined;
    if (node === null || typeof node !== "object") continue;
    const last = path[path.length - 1]!;
    if (value === undefined) {
      if (Array.isArray(node)) node.splice(Number(last), 1);
      else delete node[last];
    } else node[last] = value;
  }
  return copy;
}

/** Values a field might wrongly hold, with the near misses real bugs produce. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(""),
  fc.constantFrom("closed", "open", "tombstone", "deleted", ...SLACK_POSTED_SUBTYPES, "channel_join", "1794830400.123456", "D0DIRECT01"),
  fc.constantFrom("2026-11-20T10:00:00Z", "not a time", "constructor", "__proto__", 0, -1, 1.5, 1e21, true, [], {}),
  fc.jsonValue({ maxDepth: 2 }),
);

describe.each(["github", "discourse", "slack"] as const)("a few fields of a real %s delivery changed", (source) => {
  const bases = BASES[source].map((base) => ({ base, paths: pathsOf(base.payload) }));
  const mutation = fc.constantFrom(...bases).chain(({ base, paths }) =>
    fc.record({
      base: fc.constant(base),
      changes: fc.array(fc.record({ path: fc.constantFrom(...paths), value: fieldValue }), { minLength: 1, maxLength: 3 }),
    }),
  );

  it("is answered 202 queued only when the normaliser then takes it without any error", async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async ({ base, changes }) => {
        const payload = changed(base.payload, changes);
        const { answer, sent } = await answerOf(source, JSON.stringify(payload), base.event);
        expect([200, 202, 400]).toContain(answer.status);
        for (const envelope of sent) {
          let error: unknown = null;
          try {
            normalizeQueued(envelope);
          } catch (err) {
            error = err;
          }
          const what = changes.map(({ path, value }) => `${path.join(".")} = ${JSON.stringify(value) ?? "(removed)"}`).join(", ");
          expect(error, `${what}: ${String(error)}`).toBeNull();
        }
      }),
      { numRuns: RUNS },
    );
  });
});
