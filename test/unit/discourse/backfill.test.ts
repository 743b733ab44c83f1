// backfillDiscourse against a fake Discourse forum (test/support/fake-discourse.ts): what it reads,
// what it queues, how it waits and stops, and that the queued envelopes pass the door and fold into
// the threads live webhooks would make.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SourceBackfillDeps, BackfillProgress } from "../../../shared/backfill/types.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import { parseConfig, type Config } from "../../../shared/model/config.ts";
import { EnvelopeSchema, type Envelope } from "../../../shared/model/envelope.ts";
import type { AnswerPolicy } from "../../../shared/model/thread.ts";
import { fixedClock } from "../../../shared/runtime/clock.ts";
import { discourseBackfillScopes, makeDiscourseBackfill, type DiscourseBackfillOptions } from "../../../shared/sources/discourse/backfill.ts";
import { classifyDiscourseRequest, normalizeDiscourseEnvelope } from "../../../shared/sources/discourse/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { foldedQuestionStatus } from "../../../shared/threads/status.ts";
import { fakeUser, startFakeDiscourse, type FakeDiscourse, type FakePost, type FakeTopic } from "../../support/fake-discourse.ts";
import { memoryCursors } from "../../support/memory-cursors.ts";

const KEY = "d1sc0urse-admin-api-key-0123456789abcdef";
const NOW = new Date("2026-11-25T01:00:00Z");
const SINCE_30D = new Date("2026-10-26T01:00:00Z");

const priya = fakeUser("priya_dev", 1187, { name: "Priya Raman" });
const chen = fakeUser("chen.wei", 2044, { name: "Chen Wei", trustLevel: 3 });
const maria = fakeUser("maria", 12, { name: "Maria Santos", moderator: true, trustLevel: 4 });
const system = fakeUser("system", -1, { name: "system", admin: true, trustLevel: 4 });

/** Topic ids by role in the fake forum. */
const T = { accepted: 4821, unanswered: 4822, staff: 4823, closed: 4824, old: 4825, busy: 4826, deletedReply: 4827, lounge: 4828, imported: 4829, about: 100, loungeAbout: 101 };

let forum: FakeDiscourse;
let config: Config;
let host: string;

const at = (day: number, hour = 10, minute = 0) => `2026-11-${String(day).padStart(2, "0")}T${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}:00.000Z`;

let nextPostId = 30_000;
function topic(t: Omit<FakeTopic, "slug" | "author" | "createdAt"> & { author?: FakeTopic["author"]; createdAt: string; slug?: string }, posts: Omit<FakePost, "id" | "topicId" | "postNumber">[]): void {
  forum.forum.topics.push({ author: posts[0]?.author ?? priya, slug: t.title.toLowerCase().split(" ").join("-").slice(0, 40), ...t });
  posts.forEach((p, i) => forum.forum.posts.push({ id: ++nextPostId, topicId: t.id, postNumber: i + 1, ...p }));
}

beforeAll(async () => {
  forum = await startFakeDiscourse({ apiKey: KEY });
  host = new URL(forum.url).hostname;
  forum.forum.categories.push(
    { id: 5, name: "Support", slug: "support", definitionTopicId: T.about },
    { id: 6, name: "Lounge", slug: "lounge", definitionTopicId: T.loungeAbout },
    { id: 7, name: "Off-topic", slug: "off-topic", parentId: 6 },
    { id: 8, name: "Empty", slug: "empty" },
  );
  topic({ id: T.about, categoryId: 5, title: "About the Support category", createdAt: "2026-01-01T00:00:00.000Z", pinned: true }, [
    { author: system, createdAt: "2026-01-01T00:00:00.000Z", raw: "Ask for help here." },
  ]);
  // A category created recently: its "About" topic is recent too, and still no question.
  topic({ id: T.loungeAbout, categoryId: 6, title: "About the Lounge category", createdAt: at(23) }, [{ author: maria, createdAt: at(23), raw: "Chat about anything." }]);
  topic({ id: T.accepted, categoryId: 5, title: "Replica lag spikes after enabling WAL compression", createdAt: at(17, 9), acceptedPostNumber: 2 }, [
    { author: priya, createdAt: at(17, 9), raw: "Since turning on `wal_compression = zstd` replicas lag. Why?" },
    { author: chen, createdAt: at(17, 11), raw: "Try `wal_compression_level = 1`." },
    { author: priya, createdAt: at(17, 12), raw: "That fixed it, thanks!" },
  ]);
  topic({ id: T.unanswered, categoryId: 5, title: "How do I configure widgets?", createdAt: at(18) }, [
    { author: priya, createdAt: at(18), raw: "How do I configure widgets?" },
    { author: priya, createdAt: at(19), raw: "Anyone?" },
  ]);
  topic({ id: T.staff, categoryId: 5, title: "Is the API rate limited?", createdAt: at(19) }, [
    { author: chen, createdAt: at(19), raw: "Is the API rate limited?" },
    { author: maria, createdAt: at(19, 12), raw: "Yes: 60 requests a minute." },
  ]);
  topic({ id: T.closed, categoryId: 5, title: "Never mind?", createdAt: at(20), closed: true }, [
    { author: priya, createdAt: at(20), raw: "Never mind?" },
    { author: maria, createdAt: at(20, 14), raw: "", postType: 3, actionCode: "closed.enabled" },
  ]);
  topic({ id: T.old, categoryId: 5, title: "Ancient question?", createdAt: "2026-09-01T10:00:00.000Z" }, [
    { author: priya, createdAt: "2026-09-01T10:00:00.000Z", raw: "Ancient question?" },
  ]);
  // 75 posts: the topic view carries 20, posts.json the other 55 in two requests (50 + 5).
  topic({ id: T.busy, categoryId: 5, title: "Busy thread?", createdAt: at(14) }, [
    { author: priya, createdAt: at(14), raw: "Busy thread?" },
    ...Array.from({ length: 74 }, (_, i) => ({ author: i % 2 ? priya : chen, createdAt: at(15 + Math.floor(i / 24), i % 24, i % 60), raw: `Reply ${i + 1}` })),
  ]);
  topic({ id: T.deletedReply, categoryId: 5, title: "Deleted answer?", createdAt: at(21) }, [
    { author: priya, createdAt: at(21), raw: "Deleted answer?" },
    { author: chen, createdAt: at(21, 11), raw: "Wrong answer", deletedAt: at(21, 12) },
  ]);
  // Closed by an import, without a "closed" notice; its only reply withdrawn by its author; a staff whisper.
  topic({ id: T.imported, categoryId: 5, title: "Imported and closed?", createdAt: at(22, 9), closed: true }, [
    { author: priya, createdAt: at(22, 9), raw: "Imported and closed?" },
    { author: chen, createdAt: at(22, 9, 30), updatedAt: at(22, 9, 45), raw: "(post withdrawn by author, will be automatically deleted in 24 hours unless flagged)", userDeleted: true },
    { author: maria, createdAt: at(22, 11), raw: "Note to staff: imported from the old forum.", postType: 4 },
  ]);
  topic({ id: T.lounge, categoryId: 6, title: "Weekend plans?", createdAt: at(22) }, [
    { author: priya, createdAt: at(22), raw: "Weekend plans?" },
    { author: chen, createdAt: at(22, 12), raw: "Hiking." },
  ]);
  // 40 topics in the subcategory: its list takes two pages of 30.
  for (let i = 0; i < 40; i++) {
    topic({ id: 5000 + i, categoryId: 7, title: `Off-topic ${i}`, createdAt: at(10 + (i % 10), i % 24) }, [{ author: chen, createdAt: at(10 + (i % 10), i % 24), raw: `Off-topic ${i}` }]);
  }
  config = parseConfig({
    sources: { discourse: { instances: [forum.url], categories: { "6": "none", "7": "none" }, apiKeySecretName: "ACME_FORUM_KEY" } },
  });
});
afterAll(() => forum.stop());
beforeEach(() => {
  forum.requests.length = 0;
});


interface Run {
  sleeps: number[];
  options?: DiscourseBackfillOptions;
}

async function run(overrides: Partial<SourceBackfillDeps> = {}, opts: Run = { sleeps: [] }) {
  const sent: Envelope[] = [];
  const progress: BackfillProgress[] = [];
  const logs: string[] = [];
  const cursors = overrides.cursors ?? memoryCursors();
  const backfill = makeDiscourseBackfill({ sleep: async (ms) => void opts.sleeps.push(ms), minIntervalMs: 0, ...opts.options });
  const result = await backfill({
    config,
    token: KEY,
    since: SINCE_30D,
    now: fixedClock(NOW),
    send: async (envelopes) => void sent.push(...envelopes),
    onProgress: (p) => progress.push(p),
    log: (line) => logs.push(line),
    retryAfterUnitMs: 1,
    ...overrides,
    cursors,
  });
  return { result, sent, progress, logs, cursors: cursors as ReturnType<typeof memoryCursors> };
}

function threadsOf(envelopes: Envelope[], policy: AnswerPolicy = "any-reply", cfg: Config = config) {
  const byThread = new Map<string, Activity[]>();
  for (const e of envelopes) {
    for (const a of normalizeDiscourseEnvelope(EnvelopeSchema.parse(e), cfg)) {
      const id = a.thread?.id ?? "(none)";
      byThread.set(id, [...(byThread.get(id) ?? []), a]);
    }
  }
  return new Map([...byThread].map(([id, acts]) => [id, foldThread(acts, policy)!]));
}

const threadId = (topicId: number) => `discourse:${host}:topic:${topicId}`;

describe("backfillDiscourse", () => {
  it("queues every recent topic's posts as webhook deliveries that pass the door and fold like live ones", async () => {
    const { result, sent, progress } = await run();
    expect(result.stopped).toBeNull();
    for (const e of sent) {
      expect(EnvelopeSchema.parse(e)).toMatchObject({ source: "discourse", headers: { "x-discourse-event": e.eventType, "x-discourse-instance": forum.url, "x-community-signals-backfill": "1" } });
      expect(e.deliveryId).toMatch(/^backfill:127\.0\.0\.1:[a-z-]+:\d+:2026-/);
      // The door's own check: what it would queue had the delivery come in over HTTP.
      expect(classifyDiscourseRequest({ headers: e.headers, body: Buffer.from(e.body) })).toMatchObject({ action: "queue", eventType: e.eventType });
    }
    const threads = threadsOf(sent);
    expect(foldedQuestionStatus(threads.get(threadId(T.accepted))!)).toBe("answered");
    expect(foldedQuestionStatus(threads.get(threadId(T.unanswered))!)).toBe("needs-first-response");
    expect(foldedQuestionStatus(threads.get(threadId(T.staff))!)).toBe("answered");
    expect(foldedQuestionStatus(threads.get(threadId(T.closed))!)).toBe("resolved");
    expect(foldedQuestionStatus(threads.get(threadId(T.deletedReply))!)).toBe("needs-first-response");
    expect(threads.get(threadId(T.busy))).toMatchObject({ replyCount: 74, status: "answered", hasOpening: true });
    // Closed with no notice: the status event, dated at the last post; the withdrawn reply and the whisper count for nothing.
    expect(threads.get(threadId(T.imported))).toMatchObject({ status: "closed", closedAt: at(22, 11), replyCount: 0, firstResponseAt: null });
    const topicOf = (e: Envelope) => {
      const body = JSON.parse(e.body);
      return body.topic ? body.topic.id : (body.post ?? body.solved).topic_id;
    };
    const imported = sent.filter((e) => topicOf(e) === T.imported);
    expect(imported.map((e) => e.eventType).sort()).toEqual(["post_created", "post_destroyed", "topic_closed_status_updated"]);
    expect(imported.find((e) => e.eventType === "post_destroyed")!.receivedAt).toBe(at(22, 9, 45));
    expect(threads.get(threadId(T.accepted))).toMatchObject({
      title: "Replica lag spikes after enabling WAL compression",
      author: { login: "priya_dev", name: "Priya Raman" },
      channel: { id: `${host}/c/5`, name: "support" },
      createdAt: at(17, 9),
      excerpt: "Since turning on `wal_compression = zstd` replicas lag. Why?",
    });
    // Lounge topics are threads, but no questions (the category override says so).
    expect(threads.get(threadId(T.lounge))).toMatchObject({ isQuestion: false, channel: { name: "lounge" } });
    // Topics bumped before --since and the category's "About" topic are not read.
    expect(threads.has(threadId(T.old))).toBe(false);
    expect(threads.has(threadId(T.about))).toBe(false);
    expect(threads.has(threadId(T.loungeAbout))).toBe(false);
    expect([...threads.keys()].filter((id) => /:topic:50\d\d$/.test(id)).length).toBe(40);

    // One scope per category, questions first; the subcategory's list took two pages.
    expect(result.scopes.map((s) => s.scope)).toEqual([`${host}/c/support/5`, `${host}/c/empty/8`, `${host}/c/lounge/6`, `${host}/c/lounge/off-topic/7`]);
    expect(result.scopes.every((s) => s.done)).toBe(true);
    expect(result.scopes[0]!.detail).toMatchObject({ topics: 7, acceptedAnswers: 1, skippedTopics: 0 });
    expect(result.scopes[3]).toMatchObject({ pages: 2, detail: { topics: 40 } });
    expect(result.scopes[1]).toMatchObject({ pages: 0, items: 0, envelopes: 0, done: true });
    // Requests: categories 1; lists 1 + 1 + 2 + 1; topic views 7 + 1 + 40; posts.json 2 (the busy topic).
    const served = forum.requests;
    expect(served.filter((r) => r.startsWith("GET /categories.json")).length).toBe(1);
    expect(served.filter((r) => r.includes("/l/latest.json")).length).toBe(5);
    expect(served.filter((r) => r.includes("/posts.json")).length).toBe(2);
    expect(served.find((r) => r.includes("/posts.json"))).toContain("include_raw=true");
    expect(result.requests).toBe(1 + 5 + 48 + 2);
    expect(served.length).toBe(result.requests);
    expect(result.envelopes).toBe(sent.length);
    // Progress: by time while reading topics, done at the end of each scope.
    const support = progress.filter((p) => p.scope === `${host}/c/support/5`);
    expect(support.at(-1)).toMatchObject({ source: "discourse", done: true, fraction: 1, rateLimitRemaining: null });
    const fractions = support.filter((p) => !p.done && p.fraction !== null).map((p) => p.fraction!);
    expect(fractions.length).toBe(7);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
  });

  it("carries staff flags and the accepted answer, so team-reply and accepted policies decide as live", async () => {
    const { sent } = await run();
    const teamReply = threadsOf(sent, "team-reply");
    expect(teamReply.get(threadId(T.staff))).toMatchObject({ status: "answered", firstResponder: { login: "maria", isTeam: true } });
    expect(foldedQuestionStatus(teamReply.get(threadId(T.busy))!)).toBe("awaiting-team");
    const accepted = threadsOf(sent, "accepted");
    // Discourse's topic JSON says which answer is accepted, not when: answered, at no known moment.
    expect(accepted.get(threadId(T.accepted))).toMatchObject({ status: "answered", acceptedAnswerBy: { login: "chen.wei" }, acceptedAt: null });
    expect(accepted.get(threadId(T.staff))!.status).toBe("open");
    const solved = sent.filter((e) => e.eventType === "accepted_solution");
    expect(solved.length).toBe(1);
    expect(JSON.parse(solved[0]!.body).solved).toMatchObject({ post_number: 2, username: "chen.wei", topic_title: "Replica lag spikes after enabling WAL compression", category_slug: "support" });
    // Without staffIsTeam, a moderator is no longer the team.
    const noStaff = parseConfig({ sources: { discourse: { instances: [forum.url], staffIsTeam: false } } });
    expect(threadsOf(sent, "team-reply", noStaff).get(threadId(T.staff))!.status).toBe("open");
  });

  it("--since filters what is read", async () => {
    const { sent } = await run({ since: new Date(at(19, 12)) });
    const threads = threadsOf(sent);
    expect(threads.has(threadId(T.accepted))).toBe(false);
    expect(threads.has(threadId(T.busy))).toBe(false);
    expect(threads.has(threadId(T.closed))).toBe(true);
    expect(threads.has(threadId(T.deletedReply))).toBe(true);
    // Bumped at noon on the 19th by Maria's answer, so it is read, and read whole.
    expect(threads.get(threadId(T.staff))).toMatchObject({ hasOpening: true, replyCount: 1 });
  });

  it("a second run from the same cursors sends nothing; one without them changes no thread", async () => {
    const first = await run();
    expect(first.cursors.values.get(`${host}#5`)).toMatch(/^2026-11-22T09:30:00Z \d+$/);
    forum.requests.length = 0;
    const again = await run({ cursors: first.cursors });
    expect(again.result.envelopes).toBe(0);
    expect(again.sent).toEqual([]);
    // Only the lists were read again, down to the cursors.
    expect(forum.requests.every((r) => r.startsWith("GET /categories.json") || r.includes("/l/latest.json"))).toBe(true);
    const fresh = await run();
    expect(threadsOf([...first.sent, ...fresh.sent])).toEqual(threadsOf(first.sent));
  });

  it("waits out a 429 exactly as Discourse says, counting the waits", async () => {
    forum.failNext(/^\/t\/4822\.json/, "429", { times: 2, waitSeconds: 7 });
    const sleeps: number[] = [];
    const { result, sent, logs } = await run({ retryAfterUnitMs: 3 }, { sleeps });
    expect(result.stopped).toBeNull();
    expect(sleeps).toEqual([21, 21]);
    expect(result.scopes[0]!.detail).toMatchObject({ rateLimitWaits: 2 });
    expect(logs.filter((l) => l.includes("429")).length).toBe(2);
    expect(logs[0]).toMatch(/waiting 7 s/);
    expect(threadsOf(sent).has(threadId(T.unanswered))).toBe(true);
  });

  it("stops after 3 waits when Discourse keeps answering 429, saying why", async () => {
    forum.failNext(/^\/t\/4822\.json/, "429", { times: 4, waitSeconds: 1 });
    const sleeps: number[] = [];
    const { result } = await run({}, { sleeps });
    expect(sleeps).toEqual([1, 1, 1]);
    expect(result.stopped?.scope).toBe(`${host}/c/support/5`);
    expect(result.stopped?.reason).toMatch(/429/);
    expect(result.stopped?.reason).toMatch(/DISCOURSE_MAX_ADMIN_API_REQS_PER_MINUTE/);
    expect(result.stopped?.reason).toMatch(/resumes where it stopped/);
  });

  it("a refused key stops the source with a message naming the secret, the user and what the key needs", async () => {
    const wrong = await run({ token: "wrong" });
    expect(wrong.sent).toEqual([]);
    expect(wrong.result.stopped?.scope).toBe(forum.url);
    expect(wrong.result.stopped?.reason).toMatch(/ACME_FORUM_KEY/);
    expect(wrong.result.stopped?.reason).toMatch(/Api-Username system/);
    expect(wrong.result.stopped?.reason).toMatch(/403: You are not permitted to view the requested resource. The API username or key is invalid/);
    expect(wrong.result.stopped?.reason).toMatch(/topics: read, topics: read_lists and categories: list/);
    expect(wrong.result.requests).toBe(1);
    expect(wrong.result.stopped?.reason).not.toContain(KEY);

    forum.failNext(/^\/c\/support\/5\//, "401");
    const unauthorized = await run();
    expect(unauthorized.result.stopped).toMatchObject({ scope: `${host}/c/support/5` });
    expect(unauthorized.result.stopped?.reason).toMatch(/refused the API key in ACME_FORUM_KEY .*\(GET \/c\/support\/5\/l\/latest\.json.*: 401/);
  });

  it("a 500 is retried; one that persists stops, and a rerun resumes without sending anything twice", async () => {
    const full = (await run()).sent;
    forum.failNext(/^\/t\/4821\.json/, "500");
    const retried = await run();
    expect(retried.result.stopped).toBeNull();
    expect(retried.logs.join("\n")).toMatch(/500 on GET \/t\/4821\.json\?include_raw=true; retrying in 1 s/);

    forum.failNext(/^\/t\/4823\.json/, "500", { times: 3 });
    const first = await run();
    expect(first.result.stopped).toMatchObject({ scope: `${host}/c/support/5` });
    expect(first.result.stopped?.reason).toMatch(/500.*after 2 retries.*resumes where it stopped/);
    // The accepted topic (bumped on the 17th), the busy one (18th) and the unanswered one (19th, 10:00) were sent before the staff one (19th, 12:00) failed.
    expect(first.cursors.values.get(`${host}#5`)).toMatch(/^2026-11-19T10:00:00Z /);
    expect(first.result.scopes.map((s) => s.done)).toEqual([false]);
    const second = await run({ cursors: first.cursors });
    expect(second.result.stopped).toBeNull();
    const all = [...first.sent, ...second.sent];
    expect(all.length).toBe(full.length);
    expect(new Set(all.map((e) => e.deliveryId)).size).toBe(full.length);
    expect(new Set(all.map((e) => e.deliveryId))).toEqual(new Set(full.map((e) => e.deliveryId)));
    expect(threadsOf(all)).toEqual(threadsOf(full));
  });

  it("an HTML page instead of JSON stops with a clear reason", async () => {
    forum.failNext(/^\/categories\.json/, "html");
    const { result, sent } = await run();
    expect(sent).toEqual([]);
    expect(result.stopped?.reason).toMatch(/answered text\/html; charset=utf-8, not JSON/);
    expect(result.stopped?.reason).toMatch(/sources\.discourse\.instances/);
  });

  it("a forum with nothing configured reads nothing; an empty category is done at once", async () => {
    const none = await run({ config: parseConfig({ sources: { discourse: { instances: [] } } }) });
    expect(none.result).toEqual({ source: "discourse", scopes: [], envelopes: 0, requests: 0, stopped: null });
    expect(forum.requests).toEqual([]);
    expect(discourseBackfillScopes(parseConfig({ sources: { discourse: { instances: [] } } }))).toEqual([]);
    expect(discourseBackfillScopes(parseConfig({ sources: { discourse: { enabled: false, instances: [forum.url] } } }))).toEqual([]);
    expect(discourseBackfillScopes(parseConfig({ sources: { discourse: { instances: [`${forum.url}/`] } } }))).toEqual([forum.url]);
    const { result } = await run({ since: new Date("2026-11-24T00:00:00Z") });
    expect(result.stopped).toBeNull();
    expect(result.envelopes).toBe(0);
    expect(result.scopes.every((s) => s.done && s.items === 0)).toBe(true);
  });

  it("--dry-run reads and counts, sends nothing and moves no cursor", async () => {
    const { result, sent, cursors } = await run({ dryRun: true });
    expect(sent).toEqual([]);
    expect(cursors.values.size).toBe(0);
    expect(result.envelopes).toBeGreaterThan(100);
    expect(result.scopes.every((s) => s.done)).toBe(true);
  });

  it("paces requests at the configured interval, by default 1.2 s of the platform's seconds", async () => {
    let elapsed = 0;
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      elapsed += ms;
    };
    const { result } = await run({ since: new Date("2026-11-21T00:00:00Z") }, { sleeps: [], options: { sleep, elapsedMs: () => elapsed, minIntervalMs: undefined } });
    expect(result.stopped).toBeNull();
    // retryAfterUnitMs 1: 1.2 ms between requests, waited before every request but the first.
    expect(sleeps.length).toBe(result.requests - 1);
    expect(sleeps.every((ms) => Math.abs(ms - 1.2) < 1e-9)).toBe(true);
  });

  it("reads every category of a forum whose category list is paged", async () => {
    const paged = await startFakeDiscourse({ apiKey: KEY, pagedCategories: true });
    try {
      for (let id = 1; id <= 23; id++) paged.forum.categories.push({ id, name: `Cat ${id}`, slug: `cat-${id}` });
      for (let id = 101; id <= 107; id++) paged.forum.categories.push({ id, name: `Sub ${id}`, slug: `sub-${id}`, parentId: 1 });
      paged.forum.topics.push({ id: 9001, categoryId: 107, title: "Deep question?", slug: "deep-question", author: priya, createdAt: at(20) });
      paged.forum.posts.push({ id: 99001, topicId: 9001, postNumber: 1, author: priya, createdAt: at(20), raw: "Deep question?" });
      const cfg = parseConfig({ sources: { discourse: { instances: [paged.url] } } });
      const { result, sent } = await run({ config: cfg });
      expect(result.stopped).toBeNull();
      expect(result.scopes.length).toBe(30);
      // Page 1 (20 top-level, 5 of cat-1's subcategories), page 2 (3), then cat-1's subcategories (7).
      expect(paged.requests.filter((r) => r.startsWith("GET /categories.json"))).toEqual([
        "GET /categories.json?include_subcategories=true",
        "GET /categories.json?include_subcategories=true&page=2",
        "GET /categories.json?parent_category_id=1&include_subcategories=true",
      ]);
      expect(paged.requests).toContain("GET /c/cat-1/sub-107/107/l/latest.json?order=activity&no_subcategories=true");
      expect(threadsOf(sent, "any-reply", cfg).get(`discourse:${host}:topic:9001`)).toMatchObject({ channel: { id: `${host}/c/107`, name: "sub-107" }, isQuestion: true });
    } finally {
      await paged.stop();
    }
  });

  it("never follows a redirect to another site with the key", async () => {
    const other = await startFakeDiscourse({ apiKey: "other" });
    try {
      const renamed = parseConfig({ sources: { discourse: { instances: [other.url] } } });
      other.forum.categories.push({ id: 9, name: "Moved", slug: "moved" });
      // A category renamed since its slug was read: Discourse redirects to the new path on the same site, which is followed.
      let renamedOnce = false;
      const stale: typeof fetch = (input, init) => {
        const url = String(input);
        if (renamedOnce || !url.includes("/c/moved/9/")) return fetch(input, init);
        renamedOnce = true;
        return fetch(url.replace("/c/moved/9/", "/c/old-name/9/"), init);
      };
      const { result } = await run({ config: renamed, token: "other" }, { sleeps: [], options: { fetch: stale } });
      expect(result.stopped).toBeNull();
      expect(other.requests.filter((r) => r.includes("/l/latest.json"))).toEqual([
        "GET /c/old-name/9/l/latest.json?order=activity&no_subcategories=true",
        "GET /c/moved/9/l/latest.json?order=activity&no_subcategories=true",
      ]);
    } finally {
      await other.stop();
    }
    const fetchRedirect: typeof fetch = async () => new Response(null, { status: 302, headers: { location: "https://login.example.com/sso" } });
    const { result } = await run({}, { sleeps: [], options: { fetch: fetchRedirect } });
    expect(result.stopped?.reason).toMatch(/redirected to https:\/\/login\.example\.com\/sso/);
    expect(result.stopped?.reason).toMatch(/only ever sent to it/);
  });
});
