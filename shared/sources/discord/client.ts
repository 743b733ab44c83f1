import { trimTrailingSlashes } from "../../text/index.ts";
import * as z from "../../model/zod.ts";
import {
  DiscordChannelSchema,
  RawMessageSchema,
  ThreadListSchema,
  type DiscordChannel,
  type RawMessage,
  type DiscordThreadList,
} from "./payload.ts";

export const DISCORD_USER_AGENT = "DiscordBot (https://github.com/community-signals, 0.1)";

/** A request Discord refused, or one we gave up on. */
export class DiscordApiError extends Error {
  override readonly name: string = "DiscordApiError";
  constructor(
    message: string,
    /** HTTP status; 0 when no response arrived (network error, timeout). */
    readonly status: number,
    /** Route template, e.g. `GET /channels/{id}/messages` (never the token, never a query). */
    readonly route: string,
    /** Discord's JSON error code, when the body had one. */
    readonly code: number | null = null,
  ) {
    super(message);
  }
}

/**
 * 401 (bad token) or 403 (no access): every further request would be refused too, and Discord
 * bans an IP after 10,000 invalid requests in 10 minutes, so the run must stop.
 */
export class DiscordAuthError extends DiscordApiError {
  override readonly name = "DiscordAuthError";
}

/** Still rate limited after the allowed retries, or asked to wait longer than we may. */
export class DiscordRateLimitError extends DiscordApiError {
  override readonly name = "DiscordRateLimitError";
  constructor(
    message: string,
    route: string,
    readonly retryAfterMs: number,
    readonly global: boolean,
  ) {
    super(message, 429, route);
  }
}

export interface DiscordClientOptions {
  /** REST base, e.g. `https://discord.com/api/v10`. */
  baseUrl: string;
  /** The bot token (without the `Bot ` prefix). */
  token: string;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; injectable so tests control time. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Retries of one request after a 429, a 5xx or a network error. */
  maxRetries?: number;
  /** The longest single wait we accept; a longer `retry_after` ends the request (the next run retries). */
  maxWaitMs?: number;
  /** Requests per second across all routes (Discord's global limit is 50). */
  globalPerSecond?: number;
  requestTimeoutMs?: number;
}

export interface DiscordClientStats {
  requests: number;
  /** Times a request waited for a bucket, the global cap or a 429's `retry_after`. */
  rateLimitWaits: number;
  waitedMs: number;
  /** 429 answers received (each one counts towards Discord's invalid-request limit unless shared). */
  rateLimited: number;
}

interface BucketState {
  remaining: number;
  resetAt: number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A small Discord REST client for reading messages and threads. Requests run one at a time
 * (the poller is sequential; it keeps the bucket and global bookkeeping exact), wait when a
 * bucket is empty, keep under the global cap, honour 429 `retry_after`, and refuse to send
 * anything more once Discord said 401.
 */
export class DiscordClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxRetries: number;
  private readonly maxWaitMs: number;
  private readonly globalPerSecond: number;
  private readonly requestTimeoutMs: number;

  /** Route template -> Discord's bucket hash (several routes may share one). */
  private readonly routeBuckets = new Map<string, string>();
  /** `<bucket hash>:<major id>` -> what the last response said about it. */
  private readonly buckets = new Map<string, BucketState>();
  /** Start times of the requests sent within the last second. */
  private readonly recent: number[] = [];
  private globalBlockedUntil = 0;
  private unauthorized: DiscordAuthError | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly counters: DiscordClientStats = { requests: 0, rateLimitWaits: 0, waitedMs: 0, rateLimited: 0 };

  constructor(private readonly options: DiscordClientOptions) {
    if (!options.token) throw new Error("Discord bot token is empty");
    this.base = trimTrailingSlashes(options.baseUrl);
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.globalPerSecond = options.globalPerSecond ?? 50;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  }

  get stats(): DiscordClientStats {
    return { ...this.counters };
  }

  /** Up to `limit` messages posted after `after` (the oldest ones first come back; Discord lists them newest first). */
  channelMessages(channelId: string, after?: string, limit = 100): Promise<RawMessage[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new RangeError(`limit must be 1..100, got ${limit}`);
    const query = new URLSearchParams({ limit: String(limit) });
    if (after !== undefined) query.set("after", after);
    return this.get(
      `/channels/${channelId}/messages?${query}`,
      "GET /channels/{id}/messages",
      channelId,
      z.array(RawMessageSchema),
    );
  }

  /** Every active thread in the guild the bot can see (all parents). */
  activeThreads(guildId: string): Promise<DiscordThreadList> {
    return this.get(`/guilds/${guildId}/threads/active`, "GET /guilds/{id}/threads/active", guildId, ThreadListSchema);
  }

  /** Archived public threads of a channel, most recently archived first; `before` is an ISO timestamp. */
  archivedPublicThreads(channelId: string, before?: string): Promise<DiscordThreadList> {
    const query = new URLSearchParams({ limit: "100" });
    if (before !== undefined) query.set("before", before);
    return this.get(
      `/channels/${channelId}/threads/archived/public?${query}`,
      "GET /channels/{id}/threads/archived/public",
      channelId,
      ThreadListSchema,
    );
  }

  channel(id: string): Promise<DiscordChannel> {
    return this.get(`/channels/${id}`, "GET /channels/{id}", id, DiscordChannelSchema);
  }

  private get<S extends z.ZodMiniType>(path: string, route: string, majorId: string, schema: S): Promise<z.output<S>> {
    assertSnowflake(majorId, route);
    const run = this.tail.then(() => this.request(path, route, majorId, schema));
    // The next request waits for this one whatever its outcome.
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async request<S extends z.ZodMiniType>(path: string, route: string, majorId: string, schema: S): Promise<z.output<S>> {
    for (let attempt = 0; ; attempt++) {
      if (this.unauthorized) throw this.unauthorized;
      await this.waitForCapacity(route, majorId);

      let response: Response;
      try {
        this.counters.requests++;
        response = await this.fetchImpl(`${this.base}${path}`, {
          method: "GET",
          headers: {
            authorization: `Bot ${this.options.token}`,
            "user-agent": DISCORD_USER_AGENT,
            accept: "application/json",
          },
          signal: AbortSignal.timeout(this.requestTimeoutMs),
        });
      } catch (err) {
        if (attempt >= this.maxRetries) {
          throw new DiscordApiError(`${route}: no response (${(err as Error).message})`, 0, route);
        }
        await this.sleep(backoffMs(attempt));
        continue;
      }

      this.remember(route, majorId, response.headers);
      const text = await response.text();

      if (response.ok) return parseBody(text, route, schema);

      const error = errorBody(text);
      if (response.status === 401 || response.status === 403) {
        const auth = new DiscordAuthError(
          `${route}: ${response.status} ${error.message ?? response.statusText}`,
          response.status,
          route,
          error.code,
        );
        // A bad token stays bad: refuse every later request instead of collecting invalid ones.
        if (response.status === 401) this.unauthorized = auth;
        throw auth;
      }

      if (response.status === 429) {
        this.counters.rateLimited++;
        const global = response.headers.get("x-ratelimit-global") === "true" || error.global === true;
        const seconds = error.retryAfter ?? numberHeader(response.headers, "retry-after") ?? numberHeader(response.headers, "x-ratelimit-reset-after") ?? 1;
        const waitMs = Math.ceil(seconds * 1000);
        if (waitMs > this.maxWaitMs || attempt >= this.maxRetries) {
          throw new DiscordRateLimitError(
            `${route}: rate limited (${global ? "global" : "route"}), retry after ${seconds}s; giving up after ${attempt + 1} attempts`,
            route,
            waitMs,
            global,
          );
        }
        if (global) this.globalBlockedUntil = Math.max(this.globalBlockedUntil, this.now() + waitMs);
        else this.blockBucket(route, majorId, this.now() + waitMs);
        continue; // waitForCapacity does the waiting and counts it
      }

      if (response.status >= 500 && attempt < this.maxRetries) {
        await this.sleep(backoffMs(attempt));
        continue;
      }
      throw new DiscordApiError(`${route}: ${response.status} ${error.message ?? response.statusText}`, response.status, route, error.code);
    }
  }

  /** Waits while the global block, the global cap or this route's bucket says so. */
  private async waitForCapacity(route: string, majorId: string): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.recent.length > 0 && this.recent[0]! <= now - 1000) this.recent.shift();
      let until = this.globalBlockedUntil;
      if (this.recent.length >= this.globalPerSecond) until = Math.max(until, this.recent[0]! + 1000);
      const bucket = this.bucketState(route, majorId);
      if (bucket && bucket.remaining <= 0) until = Math.max(until, bucket.resetAt);
      if (until <= now) {
        this.recent.push(now);
        if (bucket && bucket.remaining > 0) bucket.remaining--;
        return;
      }
      const waitMs = until - now;
      if (waitMs > this.maxWaitMs) {
        throw new DiscordRateLimitError(`${route}: would have to wait ${waitMs} ms`, route, waitMs, until === this.globalBlockedUntil);
      }
      this.counters.rateLimitWaits++;
      this.counters.waitedMs += waitMs;
      await this.sleep(waitMs);
      if (bucket && this.now() >= bucket.resetAt) {
        // The window has passed; the next response tells the real count, until then allow one.
        bucket.remaining = Math.max(bucket.remaining, 1);
      }
    }
  }

  private bucketKey(route: string, majorId: string): string {
    return `${this.routeBuckets.get(route) ?? route}:${majorId}`;
  }

  private bucketState(route: string, majorId: string): BucketState | undefined {
    return this.buckets.get(this.bucketKey(route, majorId));
  }

  private blockBucket(route: string, majorId: string, until: number): void {
    const key = this.bucketKey(route, majorId);
    const state = this.buckets.get(key);
    this.buckets.set(key, { remaining: 0, resetAt: Math.max(until, state?.resetAt ?? 0) });
  }

  private remember(route: string, majorId: string, headers: Headers): void {
    const hash = headers.get("x-ratelimit-bucket");
    if (hash) this.routeBuckets.set(route, hash);
    const remaining = numberHeader(headers, "x-ratelimit-remaining");
    const resetAfter = numberHeader(headers, "x-ratelimit-reset-after");
    if (remaining === null || resetAfter === null) return;
    this.buckets.set(this.bucketKey(route, majorId), { remaining, resetAt: this.now() + Math.ceil(resetAfter * 1000) });
  }
}

function assertSnowflake(id: string, route: string): void {
  // Ids go into the path: anything but digits could address another resource.
  if (!/^\d{1,20}$/.test(id)) throw new RangeError(`${route}: ${JSON.stringify(id)} is not a snowflake`);
}

function backoffMs(attempt: number): number {
  return Math.min(8000, 500 * 2 ** attempt);
}

function numberHeader(headers: Headers, name: string): number | null {
  const value = headers.get(name);
  if (value === null || value.trim() === "") return null;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

function errorBody(text: string): { message: string | null; code: number | null; retryAfter: number | null; global: boolean | null } {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    return {
      message: typeof body["message"] === "string" ? body["message"] : null,
      code: typeof body["code"] === "number" ? body["code"] : null,
      retryAfter: typeof body["retry_after"] === "number" && body["retry_after"] >= 0 ? body["retry_after"] : null,
      global: typeof body["global"] === "boolean" ? body["global"] : null,
    };
  } catch {
    return { message: null, code: null, retryAfter: null, global: null };
  }
}

function parseBody<S extends z.ZodMiniType>(text: string, route: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DiscordApiError(`${route}: response is not JSON (${(err as Error).message})`, 200, route);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(body)"}: ${i.message}`)
    .join("; ");
  throw new DiscordApiError(`${route}: unexpected response shape: ${problems}`, 200, route);
}
