import { describe, expect, it } from "vitest";
import {
  DISCORD_USER_AGENT,
  DiscordApiError,
  DiscordAuthError,
  DiscordClient,
  DiscordRateLimitError,
} from "../../../shared/sources/discord/index.ts";
import { fakeClock } from "../../support/fake-discord.ts";

const CHANNEL = "816974502297600016";
const OTHER = "816973248200704015";

interface Call {
  url: string;
  headers: Record<string, string>;
  at: number;
}

type Reply = { status?: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A fetch that answers from a script (one reply per call; the last one repeats) and records calls. */
function scriptedFetch(clock: { now(): number }, script: Reply[]) {
  const calls: Call[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) }, at: clock.now() });
    const reply = script.length > 1 ? script.shift()! : script[0]!;
    if (reply instanceof Error) throw reply;
    return new Response(JSON.stringify(reply.body ?? []), {
      status: reply.status ?? 200,
      headers: { "content-type": "application/json", ...reply.headers },
    });
  }) as typeof fetch;
  return { fetchImpl, calls };
}

function bucket(remaining: number, resetAfter: number, hash = "msgs"): Record<string, string> {
  return {
    "x-ratelimit-limit": "5",
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-reset-after": String(resetAfter),
    "x-ratelimit-bucket": hash,
  };
}

function client(script: Reply[], options: Partial<ConstructorParameters<typeof DiscordClient>[0]> = {}) {
  const clock = fakeClock();
  const { fetchImpl, calls } = scriptedFetch(clock, script);
  const discord = new DiscordClient({
    baseUrl: "https://discord.test/api/v10/",
    token: "t0ken",
    fetch: fetchImpl,
    now: clock.now,
    sleep: clock.sleep,
    ...options,
  });
  return { discord, calls, clock };
}

describe("DiscordClient requests", () => {
  it("sends the bot token, Discord's User-Agent form and the query", async () => {
    const { discord, calls } = client([{ body: [{ id: "2" }, { id: "1" }] }]);
    const page = await discord.channelMessages(CHANNEL, "1571814636918013952", 50);
    expect(page.map((m) => m.id)).toEqual(["2", "1"]);
    expect(calls[0]!.url).toBe(`https://discord.test/api/v10/channels/${CHANNEL}/messages?limit=50&after=1571814636918013952`);
    expect(calls[0]!.headers).toMatchObject({ authorization: "Bot t0ken", "user-agent": DISCORD_USER_AGENT });
    expect(DISCORD_USER_AGENT).toMatch(/^DiscordBot \(https:\/\/github\.com\/community-signals, 0\.1\)$/);
  });

  it("refuses ids that are not snowflakes and limits outside 1..100 before sending anything", async () => {
    const { discord, calls } = client([{ body: [] }]);
    expect(() => discord.channelMessages("../guilds/1", undefined)).toThrow(RangeError);
    expect(() => discord.channelMessages(CHANNEL, undefined, 101)).toThrow(/limit must be 1..100/);
    expect(calls).toHaveLength(0);
  });

  it("reports a response of the wrong shape as an API error", async () => {
    const { discord } = client([{ body: { not: "a list" } }]);
    await expect(discord.channelMessages(CHANNEL)).rejects.toThrow(/unexpected response shape/);
  });
});

describe("DiscordClient rate limits", () => {
  it("waits for the bucket to reset when remaining is 0, for that channel only", async () => {
    const { discord, calls, clock } = client([
      { body: [], headers: bucket(0, 2.5) },
      { body: [], headers: bucket(4, 5) },
      { body: [], headers: bucket(4, 5) },
    ]);
    await discord.channelMessages(CHANNEL);
    // Another channel is another bucket (channel ids are a major parameter): no wait.
    await discord.channelMessages(OTHER);
    expect(clock.sleeps).toEqual([]);
    await discord.channelMessages(CHANNEL);
    expect(clock.sleeps).toEqual([2500]);
    expect(calls[2]!.at - calls[0]!.at).toBeGreaterThanOrEqual(2500);
    expect(discord.stats).toMatchObject({ requests: 3, rateLimitWaits: 1, waitedMs: 2500, rateLimited: 0 });
  });

  it("honours a 429's retry_after from the body, then retries", async () => {
    const { discord, calls, clock } = client([
      { status: 429, body: { message: "You are being rate limited.", retry_after: 1.337, global: false }, headers: { "retry-after": "2" } },
      { body: [{ id: "9" }] },
    ]);
    const page = await discord.channelMessages(CHANNEL);
    expect(page).toEqual([{ id: "9" }]);
    expect(clock.sleeps).toEqual([1337]);
    expect(calls).toHaveLength(2);
    expect(discord.stats).toMatchObject({ rateLimited: 1, rateLimitWaits: 1 });
  });

  it("blocks every route after a global 429 (X-RateLimit-Global)", async () => {
    const { discord, clock } = client([
      { status: 429, body: { message: "global", retry_after: 0.5, global: true }, headers: { "x-ratelimit-global": "true" } },
      { body: { threads: [] } },
    ]);
    await discord.activeThreads("816973244006400000");
    expect(clock.sleeps).toEqual([500]);
  });

  it("gives up with a typed error after the allowed retries", async () => {
    const limited = { status: 429, body: { message: "slow down", retry_after: 0.2, global: false } };
    const { discord, calls } = client([limited], { maxRetries: 2 });
    const error = await discord.channelMessages(CHANNEL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscordRateLimitError);
    expect(calls).toHaveLength(3);
  });

  it("does not wait longer than maxWaitMs: a long retry_after ends the request at once", async () => {
    const { discord, clock, calls } = client([{ status: 429, body: { message: "banned?", retry_after: 3600, global: true } }], { maxWaitMs: 60_000 });
    const error = (await discord.channelMessages(CHANNEL).catch((e: unknown) => e)) as DiscordRateLimitError;
    expect(error).toBeInstanceOf(DiscordRateLimitError);
    expect(error.retryAfterMs).toBe(3_600_000);
    expect(error.global).toBe(true);
    expect(clock.sleeps).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it("keeps to the global cap of requests per second across routes", async () => {
    const { discord, calls, clock } = client([{ body: [] }], { globalPerSecond: 50 });
    for (let i = 0; i < 120; i++) await discord.channelMessages(String(1000 + i));
    expect(calls).toHaveLength(120);
    for (let i = 50; i < calls.length; i++) {
      // Any 51 consecutive requests span at least a second.
      expect(calls[i]!.at - calls[i - 50]!.at).toBeGreaterThanOrEqual(1000);
    }
    expect(clock.sleeps.length).toBe(2);
  });

  it("learns shared buckets from X-RateLimit-Bucket", async () => {
    const { discord, clock } = client([
      { body: { threads: [] }, headers: bucket(0, 1, "threads") },
      { body: { threads: [] }, headers: bucket(3, 1, "threads") },
    ]);
    await discord.archivedPublicThreads(CHANNEL);
    await discord.archivedPublicThreads(CHANNEL, "2026-11-20T00:00:00.000Z");
    expect(clock.sleeps).toEqual([1000]);
  });
});

describe("DiscordClient errors", () => {
  it("stops on 401 and never sends another request with that token", async () => {
    const { discord, calls } = client([{ status: 401, body: { message: "401: Unauthorized", code: 0 } }, { body: [] }]);
    const first = await discord.channelMessages(CHANNEL).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(DiscordAuthError);
    expect((first as DiscordAuthError).status).toBe(401);
    const second = await discord.channel(OTHER).catch((e: unknown) => e);
    expect(second).toBe(first);
    expect(calls).toHaveLength(1);
  });

  it("reports 403 as an auth error without retrying", async () => {
    const { discord, calls } = client([{ status: 403, body: { message: "Missing Access", code: 50001 } }]);
    const error = (await discord.channel(CHANNEL).catch((e: unknown) => e)) as DiscordAuthError;
    expect(error).toBeInstanceOf(DiscordAuthError);
    expect(error).toMatchObject({ status: 403, code: 50001, route: "GET /channels/{id}" });
    expect(error.message).not.toContain("t0ken");
    expect(calls).toHaveLength(1);
  });

  it("retries 5xx and network errors with backoff, then gives up", async () => {
    const { discord, calls, clock } = client([{ status: 502, body: {} }, new TypeError("fetch failed"), { body: [{ id: "1" }] }]);
    expect(await discord.channelMessages(CHANNEL)).toEqual([{ id: "1" }]);
    expect(calls).toHaveLength(3);
    expect(clock.sleeps).toEqual([500, 1000]);

    const down = client([{ status: 500, body: {} }], { maxRetries: 1 });
    const error = await down.discord.channelMessages(CHANNEL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscordApiError);
    expect((error as DiscordApiError).status).toBe(500);
  });

  it("does not retry a 404", async () => {
    const { discord, calls } = client([{ status: 404, body: { message: "Unknown Channel", code: 10003 } }]);
    await expect(discord.channel(CHANNEL)).rejects.toMatchObject({ status: 404, code: 10003 });
    expect(calls).toHaveLength(1);
  });
});
