import { afterEach, describe, expect, it } from "vitest";
import {
  StackExchangeApiError,
  StackExchangeClient,
  StackExchangeKeyError,
  StackExchangeQuotaError,
  secondsIn,
} from "../../../shared/sources/stackoverflow/index.ts";
import { fakeClock } from "../../support/fake-discord.ts";
import { FakeStackExchange } from "../../support/fake-stackexchange.ts";
import { SITE, question } from "./helpers.ts";

let fake: FakeStackExchange | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function setUp(options: { key?: string; clientKey?: string | null; secondMs?: number; virtual?: boolean } = {}) {
  const clock = fakeClock("2026-11-25T08:00:00.000Z");
  fake = await FakeStackExchange.start({ key: options.key ?? "good-key", ...(options.virtual === false ? {} : { now: clock.now }), secondMs: options.secondMs ?? 1000 });
  fake.load({ site: SITE, questions: [question(1, "2026-11-20T10:00:00Z"), question(2, "2026-11-21T10:00:00Z"), question(3, "2026-11-22T10:00:00Z")] });
  const client = new StackExchangeClient({
    baseUrl: fake.url,
    site: SITE,
    key: options.clientKey ?? null,
    ...(options.virtual === false ? { secondMs: options.secondMs ?? 1000 } : { now: clock.now, sleep: clock.sleep }),
    minIntervalMs: 0,
  });
  return { fake, client, clock };
}

describe("StackExchangeClient", () => {
  it("reads the gzip-compressed wrapper, with the site, the withbody filter, 100 a page and the key", async () => {
    const { fake, client } = await setUp({ clientKey: "good-key" });
    const res = await client.questionsByActivity("rocketdb", 0);
    expect(res.items.map((q: any) => q.question_id)).toEqual([1, 2, 3]);
    expect((res.items[0] as any).body).toMatch(/^<p>/);
    expect(res).toMatchObject({ has_more: false, quota_max: 10_000, quota_remaining: 9_999 });
    const [request] = fake.requests;
    expect(request!.query).toMatchObject({ site: SITE, filter: "withbody", pagesize: "100", key: "good-key", tagged: "rocketdb", sort: "activity", order: "asc", min: "0" });
    expect(request!.acceptEncoding).toMatch(/gzip/);
    expect(client.stats).toMatchObject({ requests: 1, quotaMax: 10_000, quotaRemaining: 9_999 });
  });

  it("sends no key when none is configured (the anonymous quota applies)", async () => {
    const { fake, client } = await setUp();
    const res = await client.questionsByIds([1, 3]);
    expect(res.items.map((q: any) => q.question_id).sort()).toEqual([1, 3]);
    expect(fake.requests[0]!.query["key"]).toBeUndefined();
    expect(res.quota_max).toBe(300);
  });

  it("waits out a method's backoff before calling that method again, and only that method", async () => {
    const { fake, client, clock } = await setUp();
    fake.nextBackoff.set("questions", 3);
    await client.questionsByActivity("rocketdb", 0);
    // Another method is not held back.
    await client.commentsOnPosts([1]);
    expect(clock.sleeps).toEqual([]);
    await client.questionsByActivity("rocketdb", 0);
    expect(clock.sleeps).toEqual([3000]);
    expect(fake.backoffGaps).toEqual([{ method: "questions", requiredMs: 3000, actualMs: 3000 }]);
    expect(fake.requests.every((r) => r.error === null)).toBe(true);
    expect(client.stats).toMatchObject({ backoffWaits: 1, backoffWaitedMs: 3000, largestBackoffSeconds: 3 });
  });

  it("stops before the quota runs out: the reserve is never spent", async () => {
    const { fake, client } = await setUp();
    // Without a key the quota is 300; the reserve is max(10, 5%) = 15.
    fake.setQuota(17);
    await client.questionsByIds([1]);
    await client.questionsByIds([2]);
    const error = await client.questionsByIds([3]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackExchangeQuotaError);
    expect(error).toMatchObject({ reason: "reserve", quotaRemaining: 15, quotaMax: 300 });
    expect(fake.requests).toHaveLength(2);
    expect(fake.quotaRemaining()).toBe(15);
  });

  it("stops on throttle_violation (502) with the wait Stack Exchange states", async () => {
    const { fake, client } = await setUp();
    fake.setQuota(0);
    const error = await client.questionsByIds([1]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackExchangeQuotaError);
    expect(error).toMatchObject({ reason: "throttle", retryAfterSeconds: 64_800, errorId: 502, errorName: "throttle_violation" });
    expect(fake.requests).toHaveLength(1);
  });

  it("waits a short stated throttle, then goes on", async () => {
    const { fake, client, clock } = await setUp();
    fake.failWith({ error_id: 502, error_name: "throttle_violation", error_message: "too many requests from this IP, more requests available in 5 seconds" });
    const res = await client.questionsByIds([1]);
    expect(res.items).toHaveLength(1);
    expect(clock.sleeps).toEqual([5000]);
  });

  it("retries internal_error and temporarily_unavailable, and names the method when it gives up", async () => {
    const { fake, client } = await setUp();
    fake.failWith({ error_id: 500, error_name: "internal_error", error_message: "", times: 1 });
    fake.failWith({ error_id: 503, error_name: "temporarily_unavailable", error_message: "", times: 1 });
    expect((await client.questionsByIds([2])).items).toHaveLength(1);
    fake.failWith({ error_id: 500, error_name: "internal_error", error_message: "", times: 10 });
    const error = (await client.answersOfQuestions([2]).catch((e: unknown) => e)) as StackExchangeApiError;
    expect(error).toBeInstanceOf(StackExchangeApiError);
    expect(error.message).toBe("questions/{ids}/answers: internal_error (500)");
  });

  it("refuses a bad key clearly", async () => {
    const { client } = await setUp({ clientKey: "wrong-key" });
    const error = await client.questionsByIds([1]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackExchangeKeyError);
    expect((error as Error).message).toBe("questions/{ids}: bad_parameter (400): key");
  });

  it("refuses more than 100 ids before sending anything", async () => {
    const { fake, client } = await setUp();
    expect(() => client.questionsByIds(Array.from({ length: 101 }, (_, i) => i + 1))).toThrow(/1 to 100 ids/);
    expect(fake.requests).toHaveLength(0);
  });

  it("honours a backoff in real time too (measured by the server)", async () => {
    // 40 ms per backoff second: a backoff of 2 must keep the same method away for at least 80 ms.
    const { fake, client } = await setUp({ virtual: false, secondMs: 40 });
    fake.nextBackoff.set("questions/{ids}", 2);
    await client.questionsByIds([1]);
    await client.questionsByIds([2]);
    const [gap] = fake.backoffGaps;
    expect(gap!.requiredMs).toBe(80);
    expect(gap!.actualMs).toBeGreaterThanOrEqual(80);
    expect(fake.requests.map((r) => r.error)).toEqual([null, null]);
  });

  it("reads the wait out of a throttle message", () => {
    expect(secondsIn("too many requests from this IP, more requests available in 80000 seconds")).toBe(80_000);
    expect(secondsIn("Violation of backoff parameter")).toBeNull();
  });
});
