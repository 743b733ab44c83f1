import { describe, expect, it } from "vitest";
import { ActivitySchema } from "../../../shared/model/activity.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import type { ConfigInput } from "../../../shared/model/config.ts";
import { normalizeDiscourseEnvelope } from "../../../shared/sources/discourse/index.ts";
import { NormalizeError } from "../../../shared/sources/types.ts";
import { HOST, INSTANCE, RECEIVED_AT, configWith, envelopeFor, fixture, postBody, topicBody } from "./helpers.ts";
import type { Payload } from "./helpers.ts";

const defaults = configWith({});
const THREAD = `discourse:${HOST}:topic:4821`;
const TOPIC_URL = `${INSTANCE}/t/replica-lag-spikes-after-enabling-wal-compression/4821`;
const PRIYA = `discourse:${HOST}:user:1187`;

function run(event: string, payload: unknown, config = defaults, overrides = {}): Activity[] {
  const activities = normalizeDiscourseEnvelope(envelopeFor(event, payload, overrides), config);
  for (const a of activities) ActivitySchema.parse(a);
  return activities;
}

function one(activities: Activity[], kind: Activity["kind"]): Activity {
  const found = activities.filter((a) => a.kind === kind);
  expect(found, `exactly one ${kind} in ${activities.map((a) => a.kind).join(",")}`).toHaveLength(1);
  return found[0]!;
}

describe("topics", () => {
  it("topic_created: the opening, with full topic facts but no body, and a version that yields to post 1", () => {
    const activities = run("topic_created", fixture("topic_created.json"));
    expect(activities).toHaveLength(1);
    expect(activities[0]).toMatchObject({
      id: THREAD,
      source: "discourse",
      instance: HOST,
      kind: "thread_opened",
      channel: { id: `${HOST}/c/5`, name: "category 5" },
      actor: { id: PRIYA, login: "priya_dev", name: "Priya Raman", isBot: false, isTeam: false },
      occurredAt: "2026-11-17T09:14:03.512Z",
      receivedAt: RECEIVED_AT,
      url: TOPIC_URL,
      excerpt: null,
      isQuestion: true,
      version: "",
      thread: {
        id: THREAD,
        title: "Replica lag spikes after enabling WAL compression",
        url: TOPIC_URL,
        author: { id: PRIYA },
        createdAt: "2026-11-17T09:14:03.512Z",
        isQuestion: true,
        version: "2026-11-17T09:14:03.512Z",
      },
    });
  });

  it("topic_edited: a fresh snapshot stamped with the time it arrived, so a renamed title wins", () => {
    const renamed = topicBody("topic_created.json", { title: "Replica lag spikes with wal_compression = zstd" });
    const [opening] = run("topic_edited", renamed);
    expect(opening).toMatchObject({ id: THREAD, version: RECEIVED_AT, thread: { version: RECEIVED_AT, title: "Replica lag spikes with wal_compression = zstd" } });
  });

  it("a topic without a slug still links to /t/<id>", () => {
    const [opening] = run("topic_created", topicBody("topic_created.json", { slug: null }));
    expect(opening?.url).toBe(`${INSTANCE}/t/4821`);
  });

  it("topic_closed_status_updated: the opening plus a close stamped with the arrival time", () => {
    const activities = run("topic_closed_status_updated", fixture("topic_closed_status_updated.json"));
    expect(one(activities, "thread_opened").version).toBe("");
    expect(one(activities, "thread_closed")).toMatchObject({
      id: `${THREAD}:closed:${RECEIVED_AT}`,
      occurredAt: RECEIVED_AT,
      version: RECEIVED_AT,
      reason: "closed",
      actor: { id: `discourse:${HOST}:user:unknown`, login: "unknown" },
      thread: { id: THREAD, version: "2026-11-17T09:14:03.512Z", author: { id: PRIYA } },
    });
  });

  it("reopening (closed: false) gives thread_reopened", () => {
    const reopened = topicBody("topic_closed_status_updated.json", { closed: false });
    expect(one(run("topic_closed_status_updated", reopened), "thread_reopened").id).toBe(`${THREAD}:reopened:${RECEIVED_AT}`);
  });

  it("autoclose is a close with its own reason", () => {
    const close = one(run("topic_autoclosed_status_updated", fixture("topic_closed_status_updated.json")), "thread_closed");
    expect(close).toMatchObject({ id: `${THREAD}:closed:${RECEIVED_AT}`, reason: "autoclosed" });
  });

  it("archiving closes (reason archived); unarchiving reopens, unless the topic is still closed", () => {
    const archived = topicBody("topic_created.json", { archived: true });
    expect(one(run("topic_archived_status_updated", archived), "thread_closed")).toMatchObject({
      id: `${THREAD}:archived:${RECEIVED_AT}`,
      reason: "archived",
    });
    const unarchived = topicBody("topic_created.json", { archived: false, closed: false });
    expect(one(run("topic_archived_status_updated", unarchived), "thread_reopened").id).toBe(`${THREAD}:unarchived:${RECEIVED_AT}`);
    const stillClosed = topicBody("topic_created.json", { archived: false, closed: true });
    const activities = run("topic_archived_status_updated", stillClosed);
    expect(activities.some((a) => a.kind === "thread_reopened")).toBe(false);
    expect(one(activities, "thread_closed").reason).toBe("closed");
  });

  it("topic_destroyed: a tombstone only, at deleted_at, by deleted_by", () => {
    const destroyed = topicBody("topic_created.json", {
      deleted_at: "2026-11-18T07:00:00.000Z",
      deleted_by: { id: 12, username: "maria", name: "Maria Santos", avatar_template: "/a/{size}.png" },
    });
    const activities = run("topic_destroyed", destroyed);
    expect(activities).toHaveLength(1);
    expect(activities[0]).toMatchObject({
      kind: "deleted",
      id: `${THREAD}:deleted`,
      target: THREAD,
      occurredAt: "2026-11-18T07:00:00.000Z",
      version: "2026-11-18T07:00:00.000Z",
      actor: { login: "maria" },
      thread: { id: THREAD },
    });
  });

  it("topic_destroyed without deleted_at or deleted_by falls back to the arrival time and an unknown actor", () => {
    const [tombstone] = run("topic_destroyed", topicBody("topic_created.json", { deleted_by: {} }));
    expect(tombstone).toMatchObject({ version: RECEIVED_AT, occurredAt: RECEIVED_AT, actor: { login: "unknown" } });
  });

  it("topic_recovered: a newer version of the tombstone's id, of kind restored, plus the opening", () => {
    const activities = run("topic_recovered", fixture("topic_created.json"));
    expect(one(activities, "restored")).toMatchObject({ id: `${THREAD}:deleted`, target: THREAD, version: RECEIVED_AT });
    expect(one(activities, "thread_opened").id).toBe(THREAD);
  });

  it("private messages are never tracked", () => {
    expect(run("topic_created", topicBody("topic_created.json", { archetype: "private_message", category_id: null }))).toEqual([]);
    expect(run("post_created", postBody("post_created.reply.json", "post", { topic_archetype: "private_message" }))).toEqual([]);
  });
});

describe("posts", () => {
  it("post 1 is the opening, with the body as excerpt and the category slug as channel name", () => {
    const [opening] = run("post_created", fixture("post_created.first.json"));
    expect(opening).toMatchObject({
      id: THREAD,
      kind: "thread_opened",
      channel: { id: `${HOST}/c/5`, name: "support" },
      actor: { id: PRIYA, login: "priya_dev" },
      occurredAt: "2026-11-17T09:14:03.612Z",
      version: "2026-11-17T09:14:03.612Z",
      url: TOPIC_URL,
      excerpt: "Since turning on `wal_compression = zstd` our two read replicas fall 30–90 s behind every few minutes. Is this expected?",
      thread: { id: THREAD, author: { id: PRIYA }, createdAt: "2026-11-17T09:14:03.612Z", version: "2026-11-17T09:14:03.612Z" },
    });
  });

  it("a later post is a reply whose thread ref is partial (no author, no creation time, version \"\")", () => {
    const [reply] = run("post_created", fixture("post_created.reply.json"));
    expect(reply).toMatchObject({
      id: `discourse:${HOST}:post:30127`,
      kind: "reply",
      actor: { id: `discourse:${HOST}:user:2044`, login: "chen.wei", name: "Chen Wei", isBot: false, isTeam: false },
      occurredAt: "2026-11-17T11:02:45.201Z",
      version: "2026-11-17T11:02:45.201Z",
      url: `${TOPIC_URL}/2`,
      thread: { id: THREAD, title: "Replica lag spikes after enabling WAL compression", author: null, createdAt: null, version: "" },
    });
  });

  it("post_edited keeps the natural id and moves the version to updated_at", () => {
    const edited = postBody("post_created.reply.json", "post", { updated_at: "2026-11-17T12:30:00.000Z", version: 2, raw: "Edited: use level 1." });
    const [reply] = run("post_edited", edited);
    expect(reply).toMatchObject({ id: `discourse:${HOST}:post:30127`, version: "2026-11-17T12:30:00.000Z", occurredAt: "2026-11-17T11:02:45.201Z", excerpt: "Edited: use level 1." });
  });

  it("falls back to cooked HTML (tags stripped) when raw is absent", () => {
    const [reply] = run("post_created", postBody("post_created.reply.json", "post", { raw: undefined }));
    expect(reply?.excerpt).toBe("zstd level matters: at the default level the WAL sender becomes CPU-bound. Try wal_compression_level = 1 and watch replay_lag .");
  });

  it("post_destroyed: a tombstone for the post, at deleted_at, or on arrival when the author withdrew it", () => {
    const [byStaff] = run("post_destroyed", postBody("post_created.reply.json", "post", { deleted_at: "2026-11-18T08:00:00.000Z" }));
    expect(byStaff).toMatchObject({
      kind: "deleted",
      id: `discourse:${HOST}:post:30127:deleted`,
      target: `discourse:${HOST}:post:30127`,
      version: "2026-11-18T08:00:00.000Z",
    });
    const [withdrawn] = run("post_destroyed", postBody("post_created.reply.json", "post", { user_deleted: true }));
    expect(withdrawn).toMatchObject({ id: `discourse:${HOST}:post:30127:deleted`, version: RECEIVED_AT });
  });

  it("post_destroyed of post 1 deletes the whole thread, like topic_destroyed", () => {
    const [tombstone] = run("post_destroyed", fixture("post_created.first.json"));
    expect(tombstone).toMatchObject({ id: `${THREAD}:deleted`, target: THREAD });
  });

  it("post_recovered: restored (newer version of the tombstone's id) and the reply again", () => {
    const activities = run("post_recovered", fixture("post_created.reply.json"));
    expect(one(activities, "restored")).toMatchObject({ id: `discourse:${HOST}:post:30127:deleted`, target: `discourse:${HOST}:post:30127`, version: RECEIVED_AT });
    expect(one(activities, "reply").id).toBe(`discourse:${HOST}:post:30127`);
  });

  it("a small-action post closes or reopens at its own created_at, by its author, and is never a reply", () => {
    const activities = run("post_created", fixture("post_created.small_action.json"));
    expect(activities).toHaveLength(1);
    expect(activities[0]).toMatchObject({
      kind: "thread_closed",
      id: `${THREAD}:closed:2026-11-18T16:20:11.904Z`,
      occurredAt: "2026-11-18T16:20:11.904Z",
      reason: "closed",
      actor: { login: "maria", isTeam: true },
      thread: { version: "" },
    });
    const reopened = run("post_created", postBody("post_created.small_action.json", "post", { action_code: "closed.disabled" }));
    expect(one(reopened, "thread_reopened").id).toBe(`${THREAD}:reopened:2026-11-18T16:20:11.904Z`);
    const archived = run("post_created", postBody("post_created.small_action.json", "post", { action_code: "archived.enabled" }));
    expect(one(archived, "thread_closed")).toMatchObject({ id: `${THREAD}:archived:2026-11-18T16:20:11.904Z`, reason: "archived" });
  });

  it("other small actions, their edits, and whispers give nothing", () => {
    expect(run("post_created", postBody("post_created.small_action.json", "post", { action_code: "pinned.enabled" }))).toEqual([]);
    expect(run("post_edited", fixture("post_created.small_action.json"))).toEqual([]);
    expect(run("post_created", postBody("post_created.reply.json", "post", { post_type: 4 }))).toEqual([]);
  });
});

describe("Solved", () => {
  it("accepted_solution credits the answer's author, targets the answer, and snapshots the reply", () => {
    const activities = run("accepted_solution", fixture("accepted_solution.json"));
    expect(one(activities, "reply").id).toBe(`discourse:${HOST}:post:30127`);
    expect(one(activities, "answer_accepted")).toMatchObject({
      id: `${THREAD}:accepted:30127:${RECEIVED_AT}`,
      actor: { login: "chen.wei", id: `discourse:${HOST}:user:2044` },
      target: `discourse:${HOST}:post:30127`,
      occurredAt: RECEIVED_AT,
      version: RECEIVED_AT,
      url: `${TOPIC_URL}/2`,
      thread: { id: THREAD },
    });
  });

  it("unaccepted_solution names the same target", () => {
    const activities = run("unaccepted_solution", fixture("accepted_solution.json"), defaults, { receivedAt: "2026-11-21T09:00:00.000Z" });
    expect(one(activities, "answer_unaccepted")).toMatchObject({
      id: `${THREAD}:unaccepted:30127:2026-11-21T09:00:00.000Z`,
      target: `discourse:${HOST}:post:30127`,
      occurredAt: "2026-11-21T09:00:00.000Z",
    });
  });
});

describe("question rules", () => {
  const opening = (payload: Payload, config: ConfigInput, event = "post_created") =>
    run(event, payload, configWith(config)).find((a) => a.kind === "thread_opened")!;
  const post1 = fixture("post_created.first.json");
  const topic = fixture("topic_created.json");

  it("all (default): every topic; none: no topic", () => {
    expect(opening(post1, {}).isQuestion).toBe(true);
    expect(opening(post1, { sources: { discourse: { questions: "none" } } }).isQuestion).toBe(false);
  });

  it("solved: only topics in solvedCategories, by id (works for topic payloads too) or slug (post payloads only)", () => {
    const byId = { sources: { discourse: { questions: "solved" as const, solvedCategories: ["5"] } } };
    expect(opening(post1, byId).isQuestion).toBe(true);
    expect(opening(topic, byId, "topic_created").isQuestion).toBe(true);
    const bySlug = { sources: { discourse: { questions: "solved" as const, solvedCategories: ["Support"] } } };
    expect(opening(post1, bySlug).isQuestion).toBe(true);
    // Topic payloads name the category by id only: a slug cannot match there (documented).
    expect(opening(topic, bySlug, "topic_created").isQuestion).toBe(false);
    const elsewhere = { sources: { discourse: { questions: "solved" as const, solvedCategories: ["7", "announcements"] } } };
    expect(opening(post1, elsewhere).isQuestion).toBe(false);
  });

  it("a per-category override beats the source-wide rule, both ways", () => {
    expect(opening(post1, { sources: { discourse: { categories: { support: "none" } } } }).isQuestion).toBe(false);
    expect(opening(post1, { sources: { discourse: { questions: "none", categories: { "5": "all" } } } }).isQuestion).toBe(true);
  });

  it("Discourse's own bots never ask", () => {
    const bySystem = postBody("post_created.first.json", "post", { user_id: -1, username: "system", name: "system", admin: true, staff: true });
    expect(opening(bySystem, {})).toMatchObject({ isQuestion: false, actor: { isBot: true, id: `discourse:${HOST}:user:-1` } });
    const byDiscobot = postBody("post_created.first.json", "post", { user_id: -2, username: "discobot" });
    expect(opening(byDiscobot, {}).actor.isBot).toBe(true);
  });
});

describe("team", () => {
  it("staff (admin or moderator) are the team under staffIsTeam, not without it", () => {
    const byModerator = postBody("post_created.reply.json", "post", { moderator: true, staff: true });
    expect(one(run("post_created", byModerator), "reply").actor.isTeam).toBe(true);
    const off = configWith({ sources: { discourse: { staffIsTeam: false } } });
    expect(one(run("post_created", byModerator, off), "reply").actor.isTeam).toBe(false);
  });

  it("the roster's discourse identities are the team, case-insensitively", () => {
    const roster = configWith({ sources: { discourse: { staffIsTeam: false } }, team: [{ name: "Chen", identities: { discourse: ["Chen.Wei"] } }] });
    expect(one(run("post_created", fixture("post_created.reply.json"), roster), "reply").actor.isTeam).toBe(true);
  });
});

describe("instances and malformed input", () => {
  it("takes the host from X-Discourse-Instance and keeps a subfolder in links", () => {
    const headers = { ...envelopeFor("post_created", {}).headers, "x-discourse-instance": "https://Example.COM/forum/" };
    const [reply] = run("post_created", fixture("post_created.reply.json"), defaults, { headers });
    expect(reply).toMatchObject({ instance: "example.com", id: "discourse:example.com:post:30127" });
    expect(reply?.url).toBe("https://example.com/forum/t/replica-lag-spikes-after-enabling-wal-compression/4821/2");
  });

  it("drops deliveries from forums not listed in instances", () => {
    const only = configWith({ sources: { discourse: { instances: ["https://other.example.net"] } } });
    expect(run("post_created", fixture("post_created.reply.json"), only)).toEqual([]);
    const listed = configWith({ sources: { discourse: { instances: [`${INSTANCE}/`] } } });
    expect(run("post_created", fixture("post_created.reply.json"), listed)).toHaveLength(1);
  });

  it("unknown events give []", () => {
    expect(run("user_created", { user: { id: 1 } })).toEqual([]);
  });

  it("reads JSON sent under the form content type and a form-encoded payload field", () => {
    const json = JSON.stringify(fixture("post_created.reply.json"));
    const form = "application/x-www-form-urlencoded";
    expect(run("post_created", json, defaults, { contentType: form })).toHaveLength(1);
    expect(run("post_created", new URLSearchParams({ payload: json }).toString(), defaults, { contentType: form })).toHaveLength(1);
  });

  it.each([
    ["a body that is not JSON", "post_created", "{nope", /discourse post_created: body is not valid JSON/],
    ["a post event without a post", "post_created", { topic: {} }, /discourse post_created: post: /],
    ["a topic event with a post body", "topic_created", fixture("post_created.first.json"), /discourse topic_created: topic: /],
    ["a post without an id", "post_created", postBody("post_created.reply.json", "post", { id: "30127" }), /post\.id: /],
    ["a bad timestamp", "post_edited", postBody("post_created.reply.json", "post", { updated_at: "yesterday" }), /post\.updated_at: not a timestamp/],
    ["a solved event without the post", "accepted_solution", { post: fixture("post_created.reply.json")["post"] }, /solved: /],
  ])("throws NormalizeError for %s", (_what, event, payload, message) => {
    expect(() => run(event, payload)).toThrow(NormalizeError);
    expect(() => run(event, payload)).toThrow(message);
  });

  it("throws NormalizeError for a missing or unusable X-Discourse-Instance, and for another source's envelope", () => {
    const { ["x-discourse-instance"]: _omitted, ...headers } = envelopeFor("post_created", {}).headers;
    expect(() => run("post_created", fixture("post_created.reply.json"), defaults, { headers })).toThrow(/missing X-Discourse-Instance/);
    const ftp = { ...headers, "x-discourse-instance": "ftp://discuss.example.org" };
    expect(() => run("post_created", fixture("post_created.reply.json"), defaults, { headers: ftp })).toThrow(/not an http\(s\) URL/);
    expect(() => run("post_created", fixture("post_created.reply.json"), defaults, { source: "github" })).toThrow(/not a discourse envelope/);
  });
});
