// Property: for any topic history (replies, edits, deletions, accepted answers taken back and
// given again, closes and reopens, a title edit), what backfill reads afterwards from the forum,
// mixed with the live webhook deliveries for the same topic in any order and with repeats,
// folds into exactly the thread the live deliveries alone make; and backfill alone agrees with
// them on what the digest needs (answered or not, first response, replies, author).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Activity } from "../../../shared/model/activity.ts";
import type { Config } from "../../../shared/model/config.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";
import type { AnswerPolicy, Thread } from "../../../shared/model/thread.ts";
import { fixedClock } from "../../../shared/runtime/clock.ts";
import { makeDiscourseBackfill } from "../../../shared/sources/discourse/backfill.ts";
import { normalizeDiscourseEnvelope } from "../../../shared/sources/discourse/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { fakeUser, startFakeDiscourse, webhookPost, webhookTopic, type FakeDiscourse, type FakePost, type FakeTopic, type FakeUser } from "../../support/fake-discourse.ts";
import { configWith, envelopeFor } from "./helpers.ts";

const KEY = "property-test-api-key-0123456789";
const T0 = Date.parse("2026-11-10T00:00:00.000Z");
const SINCE = new Date("2026-11-01T00:00:00.000Z");
const NOW = new Date("2026-12-20T00:00:00.000Z");
const TOPIC_ID = 7001;
const POLICIES: AnswerPolicy[] = ["any-reply", "team-reply", "accepted"];

const USERS: FakeUser[] = [
  fakeUser("priya_dev", 1187, { name: "Priya Raman" }),
  fakeUser("chen.wei", 2044, { name: "Chen Wei" }),
  fakeUser("maria", 12, { name: "Maria Santos", moderator: true }),
  fakeUser("dana", 3003, { name: "Dana Okafor", admin: true }),
];

const CATEGORIES = [
  { id: 5, name: "Support", slug: "support" },
  { id: 6, name: "Lounge", slug: "lounge" },
];

const minutes = (n: number) => n * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface ReplyPlan {
  author: number;
  at: number;
  edits: { after: number; raw: string }[];
  deleteAfter: number | null;
}
interface History {
  asker: number;
  category: 5 | 6;
  replies: ReplyPlan[];
  openingEdits: { after: number; raw: string }[];
  accept: { reply: number; after: number; retake: { unacceptAfter: number; reacceptAfter: number } | null } | null;
  close: { at: number; reopenAfter: number | null } | null;
  retitleAt: number | null;
}

const text = fc.string({ minLength: 1, maxLength: 30 }).map((s) => (s.trim() ? s : "text"));
const edits = fc.array(fc.record({ after: fc.integer({ min: 1, max: 600 }), raw: text }), { maxLength: 2 });
const history: fc.Arbitrary<History> = fc.record({
  asker: fc.integer({ min: 0, max: USERS.length - 1 }),
  category: fc.constantFrom(5 as const, 6 as const),
  replies: fc.array(
    fc.record({
      author: fc.integer({ min: 0, max: USERS.length - 1 }),
      at: fc.integer({ min: 1, max: 5000 }),
      edits,
      deleteAfter: fc.option(fc.integer({ min: 1, max: 900 }), { nil: null }),
    }),
    { maxLength: 5 },
  ),
  openingEdits: edits,
  accept: fc.option(
    fc.record({
      reply: fc.nat(),
      after: fc.integer({ min: 0, max: 2000 }),
      retake: fc.option(fc.record({ unacceptAfter: fc.integer({ min: 1, max: 500 }), reacceptAfter: fc.integer({ min: 1, max: 500 }) }), { nil: null }),
    }),
    { nil: null },
  ),
  close: fc.option(fc.record({ at: fc.integer({ min: 1, max: 8000 }), reopenAfter: fc.option(fc.integer({ min: 1, max: 800 }), { nil: null }) }), { nil: null }),
  retitleAt: fc.option(fc.integer({ min: 1, max: 8000 }), { nil: null }),
});

interface Event {
  at: number;
  envelope: Envelope;
}

/** The forum as it ends up (for the fake) and every live delivery Discourse sent on the way. */
function play(h: History): { topic: FakeTopic; posts: FakePost[]; live: Envelope[] } {
  const asker = USERS[h.asker]!;
  const titleBefore = "How do I tune replication?";
  const titleAfter = "Tuning replication lag";
  const titleAt = (t: number) => (h.retitleAt !== null && t >= T0 + minutes(h.retitleAt) ? titleAfter : titleBefore);
  const topic: FakeTopic = { id: TOPIC_ID, categoryId: h.category, title: titleBefore, slug: "how-do-i-tune-replication", author: asker, createdAt: iso(T0 - 100), acceptedPostNumber: null };

  interface Planned {
    post: Omit<FakePost, "postNumber">;
    createdAt: number;
    edits: { at: number; raw: string }[];
    deletedAt: number | null;
    raw0: string;
  }
  let nextId = 90_000;
  const planned: Planned[] = [];
  const add = (author: FakeUser, createdAt: number, raw: string, editPlan: { after: number; raw: string }[], deleteAfter: number | null, extra: Partial<FakePost> = {}) => {
    let t = createdAt;
    const es = editPlan.map((e) => ({ at: (t += minutes(e.after)), raw: e.raw }));
    planned.push({
      post: { id: ++nextId, topicId: TOPIC_ID, author, createdAt: iso(createdAt), raw, ...extra },
      createdAt,
      edits: es,
      deletedAt: deleteAfter === null ? null : t + minutes(deleteAfter),
      raw0: raw,
    });
  };
  add(asker, T0, "Replicas lag behind after enabling compression. Why?", h.openingEdits, null);
  h.replies.forEach((r, i) => add(USERS[r.author]!, T0 + minutes(r.at) + i, `Answer ${i}`, r.edits, r.deleteAfter));
  if (h.close) {
    add(USERS[2]!, T0 + minutes(h.close.at), "", [], null, { postType: 3, actionCode: "closed.enabled" });
    if (h.close.reopenAfter !== null) add(USERS[2]!, T0 + minutes(h.close.at + h.close.reopenAfter), "", [], null, { postType: 3, actionCode: "closed.disabled" });
  }
  planned.sort((a, b) => a.createdAt - b.createdAt || a.post.id - b.post.id);
  const posts: FakePost[] = planned.map((p, i) => ({
    ...p.post,
    postNumber: i + 1,
    raw: p.edits.at(-1)?.raw ?? p.raw0,
    updatedAt: iso(p.edits.at(-1)?.at ?? p.createdAt),
    version: 1 + p.edits.length,
    deletedAt: p.deletedAt === null ? null : iso(p.deletedAt),
  }));
  const finalForum = { categories: CATEGORIES, topics: [topic], posts };

  // The accepted answer: a reply that is never deleted (deleting it would unaccept it).
  const candidates = posts.filter((p) => p.postNumber > 1 && (p.postType ?? 1) === 1 && !p.deletedAt);
  const acceptedPost = h.accept && candidates.length > 0 ? candidates[h.accept.reply % candidates.length]! : null;

  const events: Event[] = [];
  const deliver = (event: string, payload: unknown, at: number) =>
    events.push({ at, envelope: envelopeFor(event, payload, { id: `live-${events.length}`, deliveryId: String(events.length), receivedAt: iso(at) }) });
  /** The post's webhook payload as it stood at `t`. */
  const postAt = (p: FakePost, plan: Planned, t: number, overrides: Record<string, unknown> = {}) => {
    const applied = plan.edits.filter((e) => e.at <= t);
    const raw = applied.at(-1)?.raw ?? plan.raw0;
    return {
      ...webhookPost(finalForum, p),
      raw,
      cooked: (p.postType ?? 1) === 3 ? "" : `<p>${raw}</p>`,
      updated_at: iso(applied.at(-1)?.at ?? plan.createdAt),
      version: 1 + applied.length,
      deleted_at: null,
      topic_title: titleAt(t),
      ...overrides,
    };
  };
  const planOf = (p: FakePost) => planned.find((x) => x.post.id === p.id)!;

  deliver("topic_created", { topic: { ...webhookTopic(finalForum, topic), title: titleBefore, closed: false } }, T0 + 1000);
  for (const p of posts) {
    const plan = planOf(p);
    deliver("post_created", { post: postAt(p, plan, plan.createdAt) }, plan.createdAt + 2000);
    for (const e of plan.edits) deliver("post_edited", { post: postAt(p, plan, e.at) }, e.at + 2000);
    if (plan.deletedAt !== null) deliver("post_destroyed", { post: postAt(p, plan, plan.deletedAt, { deleted_at: iso(plan.deletedAt) }) }, plan.deletedAt + 2000);
    if (p.actionCode) {
      const closed = p.actionCode === "closed.enabled";
      deliver("topic_closed_status_updated", { topic: { ...webhookTopic(finalForum, topic), title: titleAt(plan.createdAt), closed } }, plan.createdAt + 1500);
    }
  }
  if (h.retitleAt !== null) {
    const at = T0 + minutes(h.retitleAt);
    deliver("topic_edited", { topic: { ...webhookTopic(finalForum, topic), title: titleAfter } }, at);
  }
  if (acceptedPost && h.accept) {
    const plan = planOf(acceptedPost);
    let at = plan.createdAt + minutes(h.accept.after) + 3000;
    deliver("accepted_solution", { solved: postAt(acceptedPost, plan, at) }, at);
    if (h.accept.retake) {
      at += minutes(h.accept.retake.unacceptAfter);
      deliver("unaccepted_solution", { solved: postAt(acceptedPost, plan, at) }, at);
      at += minutes(h.accept.retake.reacceptAfter);
      deliver("accepted_solution", { solved: postAt(acceptedPost, plan, at) }, at);
    }
    topic.acceptedPostNumber = acceptedPost.postNumber;
  }
  topic.title = titleAt(Number.MAX_SAFE_INTEGER);
  const lastStatus = posts.filter((p) => p.actionCode).at(-1);
  topic.closed = lastStatus?.actionCode === "closed.enabled";
  events.sort((a, b) => a.at - b.at);
  return { topic, posts, live: events.map((e) => e.envelope) };
}

function fold(envelopes: Envelope[], config: Config, policy: AnswerPolicy): Thread | null {
  const activities: Activity[] = envelopes.flatMap((e) => normalizeDiscourseEnvelope(e, config));
  return foldThread(activities, policy);
}

/** A deterministic shuffle of `items` with some of them repeated, driven by `seed`. */
function shuffledWithRepeats<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0 || 1;
  const next = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0);
  const out = [...items, ...items.filter(() => next() % 3 === 0)];
  for (let i = out.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

let forum: FakeDiscourse;
let config: Config;

beforeAll(async () => {
  forum = await startFakeDiscourse({ apiKey: KEY });
  config = configWith({
    sources: { discourse: { instances: [forum.url], categories: { "6": "none" } } },
    team: [{ name: "Dana", identities: { discourse: ["dana"] } }],
  });
});
afterAll(() => forum.stop());

describe("backfilled and live Discourse deliveries", () => {
  it("fold into the thread the live ones alone make, in any order and with repeats", async () => {
    // The live deliveries carry the helpers' sample instance: point them at the fake forum.
    const backfill = makeDiscourseBackfill({ minIntervalMs: 0, sleep: async () => {} });
    await fc.assert(
      fc.asyncProperty(history, fc.integer(), async (h, seed) => {
        const { topic, posts, live: sample } = play(h);
        const live = sample.map((e) => ({ ...e, headers: { ...e.headers, "x-discourse-instance": forum.url } }));
        forum.forum.categories.splice(0, Infinity, ...CATEGORIES);
        forum.forum.topics.splice(0, Infinity, topic);
        forum.forum.posts.splice(0, Infinity, ...posts);

        const sent: Envelope[] = [];
        const values = new Map<string, string>();
        const result = await backfill({
          config,
          token: KEY,
          since: SINCE,
          now: fixedClock(NOW),
          send: async (e) => void sent.push(...e),
          cursors: { get: async (k) => values.get(k) ?? null, set: async (k, v) => void values.set(k, v) },
          retryAfterUnitMs: 1,
        });
        expect(result.stopped).toBeNull();
        expect(sent.length).toBeGreaterThan(0);

        const acceptance = sent.some((e) => e.eventType === "accepted_solution");
        for (const policy of POLICIES) {
          const alone = fold(live, config, policy);
          const mixed = fold(shuffledWithRepeats([...live, ...sent], seed), config, policy);
          expect(mixed).toEqual(alone);
          const backfilled = fold(shuffledWithRepeats(sent, seed), config, policy)!;
          // Discourse does not say when an answer was accepted: a backfilled acceptance answers at
          // no known moment, so where the live first response was the acceptance itself there is none.
          const respondedByAcceptance = acceptance && alone!.firstResponseAt !== null && alone!.firstResponseAt === alone!.acceptedAt;
          if (respondedByAcceptance) {
            // Without the acceptance's moment, the first response is the first reply after it, if any.
            expect(backfilled.acceptedAt).toBeNull();
            if (backfilled.firstResponseAt !== null) expect(Date.parse(backfilled.firstResponseAt)).toBeGreaterThan(Date.parse(alone!.firstResponseAt!));
          }
          expect(backfilled).toMatchObject({
            status: alone!.status,
            questionStatus: alone!.questionStatus,
            isQuestion: alone!.isQuestion,
            replyCount: alone!.replyCount,
            ...(respondedByAcceptance ? {} : { firstResponseAt: alone!.firstResponseAt, firstResponder: alone!.firstResponder }),
            // Topic payloads carry no staff flags, so a live topic_edited may call a staff author no team member.
            author: { id: alone!.author!.id, login: alone!.author!.login },
            acceptedAnswerBy: alone!.acceptedAnswerBy,
            title: alone!.title,
          });
          // Post 1's created_at, or the topic's (a few ms earlier) when a topic_edited carries the thread.
          expect(Math.abs(Date.parse(backfilled.createdAt) - Date.parse(alone!.createdAt))).toBeLessThan(1000);
        }
      }),
      { numRuns: 60 },
    );
  });
});
