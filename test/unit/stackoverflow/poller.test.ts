import { afterEach, describe, expect, it } from "vitest";
import type { Activity } from "../../../shared/model/activity.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";
import {
  StackExchangeClient,
  StackOverflowPollAbortedError,
  pollStackOverflow,
  stackOverflowAdapter,
} from "../../../shared/sources/stackoverflow/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { fakeClock, type FakeClock } from "../../support/fake-discord.ts";
import { FakeStackExchange } from "../../support/fake-stackexchange.ts";
import { SITE, answer, comment, configWith, epoch, maria, other, question } from "./helpers.ts";

let fake: FakeStackExchange | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

interface Harness {
  fake: FakeStackExchange;
  clock: FakeClock;
  cursors: Map<string, string>;
  sent: Envelope[];
  logs: string[];
  poll(options?: { key?: string | null; maxPagesPerTag?: number }): ReturnType<typeof pollStackOverflow>;
  activities(): Activity[];
  thread(questionId: number, policy?: "any-reply" | "team-reply" | "accepted"): ReturnType<typeof foldThread>;
}

const config = configWith();

async function harness(startIso = "2026-11-25T08:00:00.000Z", options: { key?: string } = {}): Promise<Harness> {
  const clock = fakeClock(startIso);
  fake = await FakeStackExchange.start({ now: clock.now, ...(options.key ? { key: options.key } : {}) });
  const cursors = new Map<string, string>();
  const sent: Envelope[] = [];
  const logs: string[] = [];
  let ids = 0;
  const h: Harness = {
    fake,
    clock,
    cursors,
    sent,
    logs,
    poll: (o = {}) =>
      pollStackOverflow({
        config,
        key: o.key ?? null,
        client: new StackExchangeClient({ baseUrl: fake!.url, site: SITE, key: o.key ?? null, now: clock.now, sleep: clock.sleep }),
        cursors: { get: async (k) => cursors.get(k) ?? null, set: async (k, v) => void cursors.set(k, v) },
        sink: { send: async (e) => (sent.push(e), e.id) },
        now: () => new Date(clock.now()),
        newId: () => `envelope-${++ids}`,
        log: (line) => logs.push(line),
        ...(o.maxPagesPerTag ? { maxPagesPerTag: o.maxPagesPerTag } : {}),
      }),
    activities: () => sent.flatMap((e) => stackOverflowAdapter.normalize(e, config)),
    thread: (questionId, policy = "any-reply") =>
      foldThread(
        h.activities().filter((a) => a.thread?.id === `stackoverflow:${SITE}:question:${questionId}`),
        policy,
      ),
  };
  return h;
}

describe("pollStackOverflow", () => {
  it("queues new questions per tag with their answers and comments, and moves each tag's cursor", async () => {
    const h = await harness();
    h.fake.load({
      questions: [
        question(1, "2026-11-24T10:00:00Z", { answer_count: 1, last_activity_date: epoch("2026-11-24T11:00:00Z") }),
        question(2, "2026-11-24T12:00:00Z", { tags: ["rocketdb-cli"] }),
        question(3, "2026-11-24T13:00:00Z", { tags: ["python"] }),
      ],
      answers: [answer(901, 1, "2026-11-24T11:00:00Z")],
      comments: [comment(11, 1, "2026-11-24T10:30:00Z"), comment(12, 901, "2026-11-24T11:10:00Z")],
    });
    const report = await h.poll();
    // One listing per tag, one answers and one comments request per batch of changed questions,
    // and no look-ups by id (nothing was watched before this run).
    expect(h.fake.requests.map((r) => r.method)).toEqual([
      "questions",
      "questions/{ids}/answers",
      "posts/{ids}/comments",
      "questions",
      "posts/{ids}/comments",
    ]);
    expect(report).toMatchObject({ requests: 5, questionsQueued: 2, answersRead: 1, commentsRead: 2, envelopesSent: 2, quotaStop: null, watched: 2 });
    expect(h.fake.requestsOf("posts/{ids}/comments")[0]!.path).toBe("/posts/1;901/comments");
    expect(h.cursors.get("stackoverflow:tag:rocketdb")).toBe(String(epoch("2026-11-24T11:00:00Z")));
    expect(h.cursors.get("stackoverflow:tag:rocketdb-cli")).toBe(String(epoch("2026-11-24T12:00:00Z")));
    expect(h.sent.map((e) => [e.eventType, e.source])).toEqual([["questions", "stackoverflow"], ["questions", "stackoverflow"]]);
    expect(h.thread(1)).toMatchObject({ status: "answered", replyCount: 1 });
    expect(h.thread(2)).toMatchObject({ status: "open", channel: { id: "rocketdb-cli" } });
    expect(h.thread(3)).toBeNull();
  });

  it("a poll with nothing new costs one listing per tag and one look-up per 100 watched questions, and queues nothing", async () => {
    const h = await harness();
    h.fake.load({ questions: [question(1, "2026-11-24T10:00:00Z"), question(2, "2026-11-24T12:00:00Z")] });
    await h.poll();
    const before = h.fake.requests.length;
    h.clock.sleep(300_000);
    const report = await h.poll();
    expect(h.fake.requests.slice(before).map((r) => r.method)).toEqual(["questions", "questions", "questions/{ids}"]);
    // The newest question of each tag is listed again (min is inclusive), so only question 1 is looked up.
    expect(report).toMatchObject({ requests: 3, envelopesSent: 0, rechecked: 1 });
  });

  it("sees a new answer, an accepted answer, a deleted answer, a closed and a deleted question", async () => {
    const h = await harness("2026-11-24T18:00:00.000Z");
    h.fake.load({
      questions: [1, 2, 3, 4, 5].map((id) => question(id, `2026-11-24T1${id}:00:00Z`)),
      answers: [],
    });
    h.fake.addAnswer(answer(903, 3, "2026-11-24T13:30:00Z", other)).addAnswer(answer(904, 4, "2026-11-24T14:30:00Z", other));
    await h.poll();
    expect([1, 2, 3, 4, 5].map((id) => h.thread(id)?.status)).toEqual(["open", "open", "answered", "answered", "open"]);

    await h.clock.sleep(600_000);
    const t = epoch("2026-11-24T18:05:00Z");
    // 1 gains an answer (its activity moves); 3's answer is accepted; 4's answer is deleted; 5 is closed; 2 is deleted.
    h.fake.addAnswer(answer(901, 1, "2026-11-24T18:05:00Z", maria));
    h.fake.accept(3, 903);
    h.fake.deleteAnswer(904);
    h.fake.closeQuestion(5, t, "Duplicate");
    h.fake.deleteQuestion(2);
    const report = await h.poll();
    expect(report).toMatchObject({ deletedQuestions: 1, deletedAnswers: 1, quotaStop: null });
    expect(h.thread(1)).toMatchObject({ status: "answered", firstResponder: { login: "Maria Acme", isTeam: true } });
    expect(h.thread(2)).toMatchObject({ status: "deleted", questionStatus: "resolved" });
    expect(h.thread(3, "accepted")).toMatchObject({ status: "answered", acceptedAnswerBy: { login: "dev_raj" } });
    expect(h.thread(4)).toMatchObject({ status: "open", replyCount: 0 });
    expect(h.thread(5)).toMatchObject({ status: "closed", questionStatus: "resolved" });

    // The acceptance taken back and the question reopened: seen by comparing with what was queued.
    await h.clock.sleep(600_000);
    h.fake.accept(3, null);
    h.fake.reopenQuestion(5);
    await h.poll();
    expect(h.thread(3, "accepted")?.status).toBe("open");
    expect(h.thread(5)?.status).toBe("open");
  });

  it("pages through a busy tag by moving min forward, and splits what it queues to fit the queue", async () => {
    const h = await harness();
    const questions = Array.from({ length: 250 }, (_, i) =>
      question(1000 + i, new Date(Date.parse("2026-11-20T00:00:00Z") + i * 600_000).toISOString(), { body: `<p>${"long text ".repeat(100)}</p>` }),
    );
    h.fake.load({ questions });
    const report = await h.poll();
    expect(report.tags[0]).toMatchObject({ tag: "rocketdb", pages: 3, questions: 250, changed: 250, morePending: false });
    const listings = h.fake.requestsOf("questions").filter((r) => r.query["tagged"] === "rocketdb");
    expect(listings.map((r) => r.query["page"])).toEqual(["1", "1", "1"]);
    expect(Number(listings[1]!.query["min"])).toBe(questions[99]!["last_activity_date"]);
    expect(new Set(h.activities().filter((a) => a.kind === "thread_opened").map((a) => a.id)).size).toBe(250);
    for (const e of h.sent) expect(Buffer.byteLength(JSON.stringify(e))).toBeLessThanOrEqual(config.queue.maxMessageBytes - 1024);
  });

  it("stops at the quota reserve with a clear line, then rests without a request until the next UTC day", async () => {
    const h = await harness();
    h.fake.load({ questions: [question(1, "2026-11-24T10:00:00Z")] });
    h.fake.setQuota(16);
    const report = await h.poll();
    expect(report.quotaStop).toMatchObject({ reason: "reserve", resumeAt: "2026-11-26T00:00:00.000Z" });
    expect(h.logs.join("\n")).toMatch(/stopping for the quota \(reserve\).*1 of 300 requests left|stopping for the quota \(reserve\)/);
    expect(h.logs.join("\n")).toMatch(/register one for 10,000 requests a day/);
    const made = h.fake.requests.length;
    const again = await h.poll();
    expect(again.quotaStop).toMatchObject({ reason: "paused" });
    expect(h.fake.requests.length).toBe(made);
    // The next UTC day it polls again, from where it stopped.
    await h.clock.sleep(86_400_000);
    h.fake.setQuota(300);
    expect((await h.poll()).quotaStop).toBeNull();
    expect(h.thread(1)?.status).toBe("open");
  });

  it("honours a backoff in the middle of a poll", async () => {
    const h = await harness();
    h.fake.load({ questions: [question(1, "2026-11-24T10:00:00Z", { tags: ["rocketdb", "rocketdb-cli"] })] });
    h.fake.nextBackoff.set("questions", 7);
    const report = await h.poll();
    expect(h.fake.backoffGaps).toEqual([{ method: "questions", requiredMs: 7000, actualMs: 7000 }]);
    expect(h.fake.requests.every((r) => r.error === null)).toBe(true);
    expect(report).toMatchObject({ backoffWaits: 1, largestBackoffSeconds: 7 });
  });

  it("stops the run on a refused key, naming the secret", async () => {
    const h = await harness(undefined, { key: "good" });
    h.fake.load({ questions: [question(1, "2026-11-24T10:00:00Z")] });
    const error = await h.poll({ key: "bad" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackOverflowPollAbortedError);
    expect(h.logs.join("\n")).toMatch(/check STACKEXCHANGE_KEY/);
    expect(h.cursors.has("stackoverflow:tag:rocketdb")).toBe(false);
  });
});
