import { afterEach, describe, expect, it } from "vitest";
import type { BackfillProgress, SourceBackfillDeps } from "../../../shared/backfill/types.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";
import { backfillStackOverflow, stackOverflowAdapter } from "../../../shared/sources/stackoverflow/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { FakeStackExchange } from "../../support/fake-stackexchange.ts";
import { SITE, answer, comment, configWith, epoch, maria, question } from "./helpers.ts";

let fake: FakeStackExchange | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

const NOW = new Date("2026-11-25T08:00:00.000Z");
const SINCE = new Date("2026-11-10T00:00:00.000Z");

async function setUp(options: { key?: string } = {}) {
  fake = await FakeStackExchange.start(options.key ? { key: options.key } : {});
  const questions = Array.from({ length: 130 }, (_, i) => question(5000 + i, new Date(Date.parse("2026-11-12T00:00:00Z") + i * 3_600_000).toISOString()));
  fake.load({ questions });
  fake.addAnswer(answer(9001, 5000, "2026-11-12T02:00:00Z", maria)).addComment(comment(7001, 5000, "2026-11-12T01:00:00Z"));
  // Older than `since`: not read.
  fake.addQuestion(question(4000, "2026-11-01T00:00:00Z"));
  const config = configWith({ sources: { stackoverflow: { enabled: true, tags: ["rocketdb"], apiBaseUrl: fake.url } } });
  const cursors = new Map<string, string>();
  const sent: Envelope[] = [];
  const progress: BackfillProgress[] = [];
  const deps = (extra: Partial<SourceBackfillDeps> = {}): SourceBackfillDeps => ({
    config,
    token: "",
    since: SINCE,
    now: () => NOW,
    send: async (envelopes) => void sent.push(...envelopes),
    cursors: { get: async (k) => cursors.get(k) ?? null, set: async (k, v) => void cursors.set(k, v) },
    onProgress: (p) => progress.push(p),
    retryAfterUnitMs: 1,
    ...extra,
  });
  const threads = () => {
    const byThread = new Map<string, ReturnType<typeof stackOverflowAdapter.normalize>>();
    for (const a of sent.flatMap((e) => stackOverflowAdapter.normalize(e, config))) byThread.set(a.thread!.id, [...(byThread.get(a.thread!.id) ?? []), a]);
    return new Map([...byThread].map(([id, activities]) => [id, foldThread(activities, "any-reply")]));
  };
  return { fake, config, cursors, sent, progress, deps, threads };
}

describe("backfillStackOverflow", () => {
  it("reads the tag's history oldest first into the poller's envelopes, marked as backfill, and moves the cursor", async () => {
    const { fake, cursors, sent, progress, deps, threads } = await setUp();
    const result = await backfillStackOverflow(deps());
    expect(result).toMatchObject({ source: "stackoverflow", stopped: null, scopes: [{ scope: "stackoverflow:rocketdb", done: true, pages: 2, detail: { questions: 130, answers: 1, comments: 1 } }] });
    expect(fake.requestsOf("questions").map((r) => [r.query["order"], r.query["sort"], r.query["min"]])).toEqual([
      ["asc", "activity", String(epoch("2026-11-10T00:00:00Z"))],
      ["asc", "activity", String(epoch("2026-11-16T03:00:00Z"))],
    ]);
    expect(sent.every((e) => e.eventType === "questions" && e.headers["x-community-signals-backfill"] === "1")).toBe(true);
    expect(sent[0]!.deliveryId).toMatch(/^backfill:stackoverflow:stackoverflow:questions:\d+-\d+:\d+$/);
    expect(threads().size).toBe(130);
    expect(threads().get(`stackoverflow:${SITE}:question:5000`)).toMatchObject({ status: "answered", firstResponder: { isTeam: true } });
    expect(cursors.get("stackoverflow:rocketdb")).toBe(String(epoch("2026-11-17T09:00:00Z")));
    expect(progress.at(-1)).toMatchObject({ source: "stackoverflow", scope: "stackoverflow:rocketdb", done: true, fraction: 1, rateLimitRemaining: 300 - result.requests });
    expect(progress[0]!.fraction).toBeGreaterThan(0);
    expect(progress[0]!.fraction).toBeLessThan(1);
  });

  it("running twice changes no thread, and a rerun continues from the cursor", async () => {
    const { fake, sent, deps, threads } = await setUp();
    await backfillStackOverflow(deps());
    const first = threads();
    const before = fake.requests.length;
    await backfillStackOverflow(deps());
    expect(threads()).toEqual(first);
    // The rerun lists only from the cursor (the last question again, by keyset paging).
    expect(fake.requests.slice(before).filter((r) => r.method === "questions").map((r) => r.query["min"])).toEqual([String(epoch("2026-11-17T09:00:00Z"))]);
    expect(sent.length).toBeGreaterThan(0);
  });

  it("in a dry run sends nothing and moves no cursor", async () => {
    const { sent, cursors, deps } = await setUp();
    const result = await backfillStackOverflow(deps({ dryRun: true }));
    expect(result.scopes[0]).toMatchObject({ done: true, detail: { questions: 130 } });
    expect(sent).toEqual([]);
    expect(cursors.size).toBe(0);
  });

  it("stops at the quota reserve naming the key, and resumes where it stopped", async () => {
    const { fake, cursors, deps, threads } = await setUp();
    // The first page (listing, answers, comments) fits; the reserve (15) stops the second.
    fake.setQuota(19);
    const result = await backfillStackOverflow(deps());
    expect(result.stopped).toEqual({ scope: "stackoverflow:rocketdb", reason: expect.stringMatching(/daily quota is spent \(15 of 300 requests left\).*set STACKEXCHANGE_KEY.*resumes where it stopped/) });
    expect(cursors.get("stackoverflow:rocketdb")).toBe(String(epoch("2026-11-16T03:00:00Z")));
    fake.setQuota(300);
    expect((await backfillStackOverflow(deps())).stopped).toBeNull();
    expect(threads().size).toBe(130);
  });

  it("stops on a refused key with what to do", async () => {
    const { deps, sent } = await setUp({ key: "the-good-key" });
    const result = await backfillStackOverflow(deps({ token: "a-bad-key-123" }));
    expect(result.stopped?.reason).toMatch(/refused STACKEXCHANGE_KEY.*stackapps\.com.*unset it to read anonymously/);
    expect(sent).toEqual([]);
  });
});
