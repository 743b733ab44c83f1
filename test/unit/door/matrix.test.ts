// Hostile input at the front door, per webhook source: every row is correctly signed (the
// attacker holds nothing, or the platform itself sent garbage), and asserts both the answer and
// what was queued. A 400 names the problem; a 202 that queues must normalise cleanly.
import { describe, expect, it } from "vitest";
import { signGitHubBody } from "../../../shared/sources/github/index.ts";
import { SLACK_POSTED_SUBTYPES } from "../../../shared/sources/slack/index.ts";
import { POSTED_SUBTYPES } from "../../../shared/sources/slack/shape.ts";
import { door, errorOf, fixture, githubExample, normalizeQueued, signed, validPayload, type Json, type WebhookSource } from "./helpers.ts";

const LEVELS = 10_000;
const DEEP_ARRAY = "[".repeat(LEVELS) + "]".repeat(LEVELS);
const DEEP_OBJECT = '{"a":'.repeat(LEVELS) + "1" + "}".repeat(LEVELS);
/** Over the default 262144-byte queue limit on its own. */
const OVER_LIMIT = 300_000;
const HUGE = 200_000;

interface Row {
  name: string;
  /** The body exactly as sent (a string is sent as its UTF-8 bytes). */
  body: string | Buffer;
  event?: string;
  headers?: Record<string, string>;
  status: number;
  queued: 0 | 1;
  /** Text the answer's error (or reason) must contain. */
  says?: string;
}

const text = (payload: unknown) => JSON.stringify(payload);
/** `payload` with one more top-level member written at the end (raw JSON text). */
const withMember = (payload: Json, key: string, rawValue: string) => `${text(payload).slice(0, -1)},${JSON.stringify(key)}:${rawValue}}`;
/** `payload` with a member written first, so the payload's own member of that name comes last. */
const withLeadingMember = (payload: Json, key: string, rawValue: string) => `{${JSON.stringify(key)}:${rawValue},${text(payload).slice(1)}`;
const without = (payload: Json, key: string): Json => {
  const copy = structuredClone(payload);
  delete copy[key];
  return copy;
};
/** Bytes that are not UTF-8 (an overlong lead and a stray 0xff) inside a string member. */
const invalidUtf8 = (payload: Json) =>
  Buffer.concat([Buffer.from(`${text(payload).slice(0, -1)},"x_bytes":"`, "utf8"), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}', "utf8")]);
/** JSON text with `__proto__` and `constructor` as own keys (an object literal cannot say it). */
const prototypeKeys = (payload: Json) =>
  withLeadingMember(payload, "__proto__", '{"polluted":true,"toString":1}').replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},');

function rowsFor(source: WebhookSource): Row[] {
  const valid = validPayload(source);
  const common: Row[] = [
    { name: "a valid delivery", body: text(valid), status: 202, queued: 1 },
    { name: "a huge string in an unread field (200 KB)", body: withMember(valid, "x_pad", JSON.stringify("x".repeat(HUGE))), status: 202, queued: 1 },
    { name: "a huge string past the queue limit", body: withMember(valid, "x_pad", JSON.stringify("x".repeat(OVER_LIMIT))), status: 413, queued: 0 },
    { name: `${LEVELS} levels of nesting in an unread field`, body: withMember(valid, "x_deep", DEEP_ARRAY), status: 202, queued: 1 },
    { name: `${LEVELS} levels of nesting as the whole body (arrays)`, body: DEEP_ARRAY, status: 400, queued: 0, says: "not a JSON object" },
    { name: `${LEVELS} levels of nesting as the whole body (objects)`, body: DEEP_OBJECT, status: 400, queued: 0 },
    { name: "invalid UTF-8 in a string, signed over the raw bytes", body: invalidUtf8(valid), status: 400, queued: 0, says: "not valid UTF-8" },
    { name: "__proto__ and constructor as keys in the body", body: prototypeKeys(valid), status: 202, queued: 1 },
    { name: "an empty body, correctly signed", body: "", status: 400, queued: 0, says: "not valid JSON" },
    { name: "a body that is not JSON", body: "{nope: 1", status: 400, queued: 0, says: "not valid JSON" },
    { name: "JSON that is not an object", body: "[1,2,3]", status: 400, queued: 0, says: "not a JSON object" },
    { name: "a JSON string", body: '"__proto__"', status: 400, queued: 0, says: "not a JSON object" },
  ];
  return [...common, ...specific[source](valid)];
}

const specific: Record<WebhookSource, (valid: Json) => Row[]> = {
  github: (valid): Row[] => [
    { name: "an issues event without issue", body: text(without(valid, "issue")), status: 400, queued: 0, says: "issue: missing (expected object)" },
    {
      name: "issue.number as a string",
      body: text({ ...valid, issue: { ...valid["issue"], number: "7" } }),
      status: 400,
      queued: 0,
      says: "issue.number: expected number",
    },
    { name: "an action that is not a string", body: text({ ...valid, action: 1 }), status: 400, queued: 0, says: "action: expected string" },
    {
      name: "an issues event without the sender its lifecycle step is credited to",
      body: text(without(valid, "sender")),
      status: 400,
      queued: 0,
      says: "sender: missing",
    },
    {
      name: "null where GitHub sends null (a ghost user, no body, no labels)",
      body: text({ ...valid, issue: { ...valid["issue"], user: null, body: null, labels: null, closed_at: null } }),
      status: 202,
      queued: 1,
    },
    {
      name: "a huge string in a read field (issue.body, 200 KB)",
      body: text({ ...valid, issue: { ...valid["issue"], body: "y".repeat(HUGE) } }),
      status: 202,
      queued: 1,
    },
    {
      name: "a huge string failing a read field's pattern (repository.full_name)",
      body: text({ ...valid, repository: { ...valid["repository"], full_name: "z".repeat(HUGE) } }),
      status: 400,
      queued: 0,
      says: "repository.full_name: must be owner/repo",
    },
    { name: `${LEVELS} levels of nesting where issue is read`, body: withMember(without(valid, "issue"), "issue", DEEP_OBJECT), status: 400, queued: 0, says: "issue.id" },
    { name: "a duplicate issue key, the last one valid", body: withLeadingMember(valid, "issue", '{"number":"x"}'), status: 202, queued: 1 },
    { name: "a duplicate issue key, the last one wrong", body: withMember(valid, "issue", '{"number":"x"}'), status: 400, queued: 0, says: "issue.number" },
    {
      name: "__proto__ carrying issue instead of an own member",
      body: withMember(without(valid, "issue"), "__proto__", JSON.stringify({ issue: valid["issue"] })),
      status: 400,
      queued: 0,
      says: "issue: missing",
    },
    { name: "constructor as the event name", body: text(valid), event: "constructor", status: 202, queued: 0 },
    { name: "__proto__ as the event name", body: text(valid), event: "__proto__", status: 202, queued: 0 },
    {
      name: "invalid UTF-8 signed over its decoded text (replacement characters)",
      body: invalidUtf8(valid),
      headers: { "x-hub-signature-256": signGitHubBody("door-github-secret", invalidUtf8(valid).toString("utf8")) },
      status: 401,
      queued: 0,
    },
    { name: "a ping whose zen is 10,000 levels deep", body: withMember({ hook_id: 1 }, "zen", DEEP_ARRAY), event: "ping", status: 200, queued: 0 },
    { name: "an unsupported event of any shape", body: text({ ref: 5 }), event: "push", status: 202, queued: 0 },
    { name: "a form body whose payload has the wrong shape", body: new URLSearchParams({ payload: text(without(valid, "issue")) }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" }, status: 400, queued: 0, says: "issue: missing" },
  ],
  discourse: (valid): Row[] => {
    const post = valid["post"] as Json;
    const smallAction = { post: { ...post, post_type: 3, action_code: "constructor" } };
    return [
      { name: "a topic event without topic", body: text(valid), event: "topic_created", status: 400, queued: 0, says: "topic: missing (expected object)" },
      { name: "a post event without post", body: text({ topic: { id: 1 } }), status: 400, queued: 0, says: "post: missing" },
      { name: "post.post_number as a string", body: text({ post: { ...post, post_number: "2" } }), status: 400, queued: 0, says: "post.post_number: expected number" },
      { name: "post.created_at that is no time", body: text({ post: { ...post, created_at: "yesterday-ish" } }), status: 400, queued: 0, says: "post.created_at: not a timestamp" },
      { name: "X-Discourse-Instance that is not an http(s) URL", body: text(valid), headers: { "x-discourse-instance": "javascript:alert(1)" }, status: 400, queued: 0, says: "X-Discourse-Instance" },
      { name: "a huge string in a read field (post.raw, 200 KB)", body: text({ post: { ...post, raw: "y".repeat(HUGE) } }), status: 202, queued: 1 },
      { name: `${LEVELS} levels of nesting where post is read`, body: withMember({}, "post", DEEP_OBJECT).replace("{,", "{"), status: 400, queued: 0, says: "post.id" },
      { name: "a duplicate post key, the last one valid", body: withLeadingMember(valid, "post", '{"id":"x"}'), status: 202, queued: 1 },
      { name: "a duplicate post key, the last one wrong", body: withMember(valid, "post", '{"id":"x"}'), status: 400, queued: 0, says: "post.id" },
      {
        name: "__proto__ carrying post instead of an own member",
        body: `{"__proto__":${text(valid)}}`,
        status: 400,
        queued: 0,
        says: "post: missing",
      },
      { name: "a small action whose action_code is constructor", body: text(smallAction), status: 400, queued: 0, says: "post.action_code" },
      { name: "a small action whose action_code is __proto__", body: text({ post: { ...smallAction.post, action_code: "__proto__" } }), status: 400, queued: 0 },
      {
        name: "deleted_by naming a username that is no user",
        body: text({ topic: { id: 7, title: "t", created_at: "2026-11-20T10:00:00Z", deleted_by: { username: 5 } } }),
        event: "topic_destroyed",
        status: 400,
        queued: 0,
        says: "topic.deleted_by",
      },
      { name: "__proto__ as the event name", body: text(valid), event: "__proto__", status: 202, queued: 0 },
      { name: "constructor as the event name", body: text(valid), event: "constructor", status: 202, queued: 0 },
    ];
  },
  slack: (valid): Row[] => {
    const event = valid["event"] as Json;
    const reaction = fixture("slack/reaction_added.json");
    return [
      { name: "a message without ts", body: text({ ...valid, event: without(event, "ts") }), status: 400, queued: 0, says: "event.ts: missing" },
      { name: "text as a number", body: text({ ...valid, event: { ...event, text: 42 } }), status: 400, queued: 0, says: "event.text: expected string" },
      { name: "a posted message with neither user nor bot_id", body: text({ ...valid, event: without(event, "user") }), status: 400, queued: 0, says: "event.user" },
      { name: "a channel that is no channel id", body: text({ ...valid, event: { ...event, channel: "#help" } }), status: 400, queued: 0, says: "event.channel" },
      {
        name: "an app event whose event_time has 16 digits",
        body: text({ ...valid, event: { type: "app_uninstalled" }, event_time: 1_794_830_400_000_000 }),
        status: 400,
        queued: 0,
        says: "event_time",
      },
      { name: "an event_callback without event_id", body: text(without(valid, "event_id")), status: 400, queued: 0, says: "event_id" },
      { name: "a housekeeping subtype is not read (channel_join without text)", body: text({ ...valid, event: { ...without(event, "text"), subtype: "channel_join" } }), status: 202, queued: 1 },
      { name: "a huge text (200 KB)", body: text({ ...valid, event: { ...event, text: "why? ".repeat(HUGE / 5) } }), status: 202, queued: 1 },
      { name: `${LEVELS} levels of nesting inside the event (blocks)`, body: text(valid).replace('"blocks":[', `"blocks":[${DEEP_ARRAY},`), status: 202, queued: 1 },
      { name: `${LEVELS} levels of nesting where event is read`, body: withMember(without(valid, "event"), "event", DEEP_OBJECT), status: 400, queued: 0, says: "event.type" },
      { name: "a duplicate event key, the last one valid", body: withLeadingMember(valid, "event", '{"type":"message","text":5}'), status: 202, queued: 1 },
      { name: "a duplicate event key, the last one wrong", body: withMember(valid, "event", '{"type":"message","text":5}'), status: 400, queued: 0, says: "event.text" },
      { name: "__proto__ carrying the envelope type", body: `{"__proto__":${text(valid)}}`, status: 400, queued: 0, says: "type: missing" },
      { name: "constructor as the event type", body: text({ ...valid, event: { ...event, type: "constructor" } }), status: 202, queued: 0 },
      { name: "__proto__ as the envelope type", body: text({ ...valid, type: "__proto__" }), status: 202, queued: 0 },
      {
        name: "a reaction on item.channel __proto__ (looked up by name in the normaliser)",
        body: text({ ...reaction, event: { ...reaction["event"], item: { ...reaction["event"].item, channel: "__proto__" } } }),
        status: 400,
        queued: 0,
        says: "event.item.channel: must be a Slack channel id",
      },
      { name: "a url_verification without challenge", body: text({ type: "url_verification" }), status: 400, queued: 0, says: "challenge" },
    ];
  },
};

/** What a client may read in an error: our words, never a parser's or a stack. */
function expectOwnWords(error: string): void {
  expect(error).not.toMatch(/SyntaxError|TypeError|RangeError|Unexpected token|is not valid JSON:|\n\s+at /);
  expect(error.length).toBeLessThan(600);
}

describe.each(["github", "discourse", "slack"] as const)("the door, %s, under hostile input", (source) => {
  it.each(rowsFor(source))("$name: $status, queues $queued", async (row) => {
    const { ingest, sent } = door();
    const request = signed(source, row.body, {
      ...(row.event !== undefined ? { event: row.event } : {}),
      ...(row.headers !== undefined ? { headers: row.headers } : {}),
    });
    const answer = await ingest(request);
    expect(answer.status, answer.body.slice(0, 300)).toBe(row.status);
    expect(sent).toHaveLength(row.queued);
    if (row.status >= 400) expectOwnWords(errorOf(answer));
    if (row.says !== undefined) expect(answer.body).toContain(row.says);
    if (row.status === 202) {
      expect(JSON.parse(answer.body)).toEqual(row.queued ? { queued: true, id: "env-1" } : expect.objectContaining({ ignored: true }));
    }
    for (const envelope of sent) {
      // Queued means the bytes as received, and a body the normaliser can read without failing.
      expect(Buffer.from(envelope.body, "utf8").equals(request.body)).toBe(true);
      expect(() => normalizeQueued(envelope)).not.toThrow();
    }
  });
});

describe("the door reads what the normaliser reads", () => {
  it("takes the same Slack subtypes for someone posting", () => {
    expect([...POSTED_SUBTYPES].sort()).toEqual([...SLACK_POSTED_SUBTYPES].sort());
  });

  it("with duplicate keys, both take the last one", async () => {
    const { ingest, sent } = door();
    const valid = validPayload("github");
    const body = withLeadingMember(valid, "issue", JSON.stringify({ ...valid["issue"], id: 1, title: "the first, ignored" }));
    expect((await ingest(signed("github", body))).status).toBe(202);
    const opened = normalizeQueued(sent[0]!).find((a) => a.kind === "thread_opened");
    expect(opened?.thread?.title).toBe(valid["issue"].title);
    expect(opened?.id).toBe(`github:issue:${valid["issue"].id}`);
  });

  it("__proto__ and constructor in a body neither pollute nor leak into activities", async () => {
    const { ingest, sent } = door();
    expect((await ingest(signed("slack", prototypeKeys(validPayload("slack")))))).toMatchObject({ status: 202 });
    const activities = normalizeQueued(sent[0]!);
    expect(activities).toHaveLength(1);
    expect(JSON.stringify(activities)).not.toContain("polluted");
    expect(({} as Json)["polluted"]).toBeUndefined();
  });

  it("answers a ping whose zen is not a string with zen null, and never echoes anything else", async () => {
    const { ingest } = door();
    const answer = await ingest(signed("github", text({ zen: { nested: true }, hook_id: "7", extra: "x" }), { event: "ping" }));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ok: true, zen: null, hook_id: null });
  });

  it("checks the shape of a second supported event too (pull_request_review)", async () => {
    const { ingest, sent } = door();
    const review = githubExample("pull_request_review", "submitted");
    review["review"] = { ...review["review"], id: "not a number" };
    const answer = await ingest(signed("github", text(review), { event: "pull_request_review" }));
    expect(answer.status).toBe(400);
    expect(errorOf(answer)).toBe("pull_request_review.submitted: review.id: expected number, received string");
    expect(sent).toEqual([]);
  });
});

describe("client-controlled names never reach Object.prototype", () => {
  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])("POST /webhooks/%s is a 404, counted under no source", async (name) => {
    const { ingest, sent, outcomes } = door();
    // An observer that counts in plain objects, as the local stack's /health does.
    const counts: Record<string, Record<string, number>> = {};
    const answer = await ingest({ ...signed("github", text(validPayload("github"))), path: `/webhooks/${name}` });
    for (const { source, outcome } of outcomes) {
      const bySource = (counts[source] ??= {});
      bySource[outcome] = (bySource[outcome] ?? 0) + 1;
    }
    expect(answer.status).toBe(404);
    expect(sent).toEqual([]);
    expect(outcomes.map((o) => o.source)).toEqual(["-"]);
    expect(counts).toEqual({ "-": { not_found: 1 } });
    expect(Object.hasOwn(Object, "not_found")).toBe(false);
    expect(Object.hasOwn(Object.prototype, "not_found")).toBe(false);
  });

  it("counts a known but disabled source under its own name", async () => {
    const { ingest, outcomes } = door();
    expect((await ingest({ ...signed("github", "{}"), path: "/webhooks/discord" })).status).toBe(404);
    expect(outcomes).toEqual([{ source: "discord", outcome: "not_found", detail: "source not enabled" }]);
  });
});
