import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the parts of Discord's REST API the poller uses, on 127.0.0.1 with a
 * free port: message pages with `after`/`before`/`limit` (listed newest first, as Discord does),
 * active and archived threads, channel lookup, `Bot` token auth, per-route rate-limit buckets
 * with Discord's headers, an optional global limit, scripted failures, and a request log.
 */

type Json = Record<string, any>;

export interface FakeClock {
  now(): number;
  /** Advances the clock instead of waiting; every wait is recorded. */
  sleep(ms: number): Promise<void>;
  readonly sleeps: number[];
}

export function fakeClock(startIso = "2026-11-24T18:00:00.000Z"): FakeClock {
  let now = Date.parse(startIso);
  const sleeps: number[] = [];
  return {
    now: () => now,
    async sleep(ms: number) {
      sleeps.push(ms);
      now += Math.max(0, ms);
    },
    sleeps,
  };
}

export interface RecordedRequest {
  method: string;
  /** Path without the API prefix, e.g. `/channels/123/messages`. */
  path: string;
  query: Record<string, string>;
  /** Route template, e.g. `GET /channels/{id}/messages`. */
  route: string;
  authorization: string | undefined;
  userAgent: string | undefined;
  status: number;
  at: number;
}

export interface ScriptedFailure {
  /** Which requests it applies to; all when absent. */
  match?: (request: { route: string; path: string; query: Record<string, string> }) => boolean;
  status: 401 | 403 | 404 | 429 | 500 | 502;
  /** For 429: seconds, sent as `retry_after` in the body (and `Retry-After`, rounded up). */
  retryAfter?: number;
  global?: boolean;
  /** How many matching requests it answers (default 1). */
  times?: number;
}

export interface FakeDiscordOptions {
  token?: string;
  /** The server's clock for rate-limit windows; share a fake clock with the client in tests. */
  now?: () => number;
  /** Requests per bucket (route + channel or guild) per window. */
  bucketLimit?: number;
  bucketWindowMs?: number;
  /** Enforce a global requests-per-second limit (Discord: 50); off when absent. */
  globalPerSecond?: number;
}

const API_PREFIX = "/api/v10";
const ROUTE_BUCKETS: Record<string, string> = {
  "GET /channels/{id}/messages": "80c17d2f203122d936070c88c8d10f33",
  "GET /guilds/{id}/threads/active": "a1d24c2e6c0e5fd4b0dbc3c7d7d6f123",
  "GET /channels/{id}/threads/archived/public": "5e9b1a7c3f4d2e6b8a0c9d1e2f3a4b5c",
  "GET /channels/{id}": "0d3f6c6f1b2a4c5d6e7f8a9b0c1d2e3f",
};

function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export class FakeDiscord {
  readonly requests: RecordedRequest[] = [];
  readonly token: string;
  private readonly channels = new Map<string, Json>();
  private readonly messages = new Map<string, Json[]>();
  private readonly failures: Array<ScriptedFailure & { left: number }> = [];
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly recent: number[] = [];
  private readonly now: () => number;
  private server: Server | null = null;
  private baseUrl = "";

  private constructor(private readonly options: FakeDiscordOptions) {
    this.token = options.token ?? "fake-bot-token";
    this.now = options.now ?? Date.now;
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    const server = createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    fake.server = server;
    fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${API_PREFIX}`;
    return fake;
  }

  /** The `apiBaseUrl` to configure. */
  get url(): string {
    return this.baseUrl;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A channel, forum or thread (threads are channels with a `parent_id` and `thread_metadata`). */
  addChannel(channel: Json): this {
    this.channels.set(channel["id"], structuredClone(channel));
    if (!this.messages.has(channel["id"])) this.messages.set(channel["id"], []);
    return this;
  }

  addMessages(channelId: string, messages: Json[]): this {
    const list = this.messages.get(channelId) ?? [];
    list.push(...structuredClone(messages));
    list.sort((a, b) => compareIds(a["id"], b["id"]));
    this.messages.set(channelId, list);
    return this;
  }

  /** Load `infra/local/samples/discord` (guild.json + messages/*.json). */
  loadFolder(dir: URL): this {
    const guild = JSON.parse(readFileSync(new URL("guild.json", dir), "utf8")) as { channels: Json[]; threads: Json[] };
    for (const channel of [...guild.channels, ...guild.threads]) this.addChannel(channel);
    const messagesDir = new URL("messages/", dir);
    for (const file of readdirSync(messagesDir).filter((f) => f.endsWith(".json")).sort()) {
      const page = JSON.parse(readFileSync(new URL(file, messagesDir), "utf8")) as { channel_id: string; messages: Json[] };
      this.addMessages(page.channel_id, page.messages);
    }
    return this;
  }

  failNext(failure: ScriptedFailure): this {
    this.failures.push({ ...failure, left: failure.times ?? 1 });
    return this;
  }

  /** Requests whose route template is `route` (e.g. `GET /channels/{id}/messages`). */
  requestsTo(route: string): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) : url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const { route, majorId } = routeOf(req.method ?? "GET", path);
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      query,
      route,
      authorization: req.headers.authorization,
      userAgent: req.headers["user-agent"],
      status: 0,
      at: this.now(),
    };
    this.requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };

    const failure = this.failures.find((f) => f.left > 0 && (!f.match || f.match({ route, path, query })));
    if (failure) {
      failure.left--;
      if (failure.status === 429) {
        const retryAfter = failure.retryAfter ?? 1;
        const headers: Record<string, string> = {
          "retry-after": String(Math.ceil(retryAfter)),
          "x-ratelimit-scope": failure.global ? "global" : "user",
        };
        if (failure.global) headers["x-ratelimit-global"] = "true";
        return send(429, { message: "You are being rate limited.", retry_after: retryAfter, global: failure.global ?? false }, headers);
      }
      const messages: Record<number, string> = { 401: "401: Unauthorized", 403: "Missing Access", 404: "Unknown Channel", 500: "Internal Server Error", 502: "Bad Gateway" };
      const codes: Record<number, number> = { 401: 0, 403: 50001, 404: 10003, 500: 0, 502: 0 };
      return send(failure.status, { message: messages[failure.status], code: codes[failure.status] });
    }

    if (req.headers.authorization !== `Bot ${this.token}`) return send(401, { message: "401: Unauthorized", code: 0 });

    if (this.options.globalPerSecond !== undefined) {
      const now = this.now();
      while (this.recent.length > 0 && this.recent[0]! <= now - 1000) this.recent.shift();
      if (this.recent.length >= this.options.globalPerSecond) {
        const retryAfter = (this.recent[0]! + 1000 - now) / 1000;
        return send(
          429,
          { message: "You are being rate limited.", retry_after: retryAfter, global: true },
          { "retry-after": String(Math.ceil(retryAfter)), "x-ratelimit-global": "true", "x-ratelimit-scope": "global" },
        );
      }
      this.recent.push(now);
    }

    const limits = this.rateLimit(route, majorId);
    if (limits.limited) {
      return send(
        429,
        { message: "You are being rate limited.", retry_after: limits.resetAfter, global: false },
        { ...limits.headers, "retry-after": String(Math.ceil(limits.resetAfter)), "x-ratelimit-scope": "user" },
      );
    }

    const answer = this.answer(route, majorId, query);
    send(answer.status, answer.body, limits.headers);
  }

  private rateLimit(route: string, majorId: string): { limited: boolean; resetAfter: number; headers: Record<string, string> } {
    const limit = this.options.bucketLimit ?? 5;
    const windowMs = this.options.bucketWindowMs ?? 5000;
    const bucket = ROUTE_BUCKETS[route] ?? "unknown";
    const key = `${bucket}:${majorId}`;
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now >= window.start + windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    const resetAfter = (window.start + windowMs - now) / 1000;
    const headers = {
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(Math.max(0, limit - window.count)),
      "x-ratelimit-reset": ((window.start + windowMs) / 1000).toFixed(3),
      "x-ratelimit-reset-after": resetAfter.toFixed(3),
      "x-ratelimit-bucket": bucket,
    };
    return { limited: window.count > limit, resetAfter, headers };
  }

  private answer(route: string, id: string, query: Record<string, string>): { status: number; body: unknown } {
    const unknownChannel = { status: 404, body: { message: "Unknown Channel", code: 10003 } };
    switch (route) {
      case "GET /channels/{id}": {
        const channel = this.channels.get(id);
        return channel ? { status: 200, body: channel } : unknownChannel;
      }
      case "GET /channels/{id}/messages": {
        const channel = this.channels.get(id);
        if (!channel) return unknownChannel;
        if (channel["type"] === 15) return { status: 400, body: { message: "Cannot execute action on this channel type", code: 50024 } };
        const limit = Math.min(100, Math.max(1, Number(query["limit"] ?? 50)));
        const all = this.messages.get(id) ?? [];
        let page: Json[];
        if (query["after"] !== undefined) {
          // The `limit` messages right after the id, listed newest first.
          page = all.filter((m) => compareIds(m["id"], query["after"]!) > 0).slice(0, limit);
        } else if (query["before"] !== undefined) {
          page = all.filter((m) => compareIds(m["id"], query["before"]!) < 0).slice(-limit);
        } else {
          page = all.slice(-limit);
        }
        return { status: 200, body: [...page].reverse() };
      }
      case "GET /guilds/{id}/threads/active": {
        const threads = [...this.channels.values()]
          .filter((c) => c["guild_id"] === id && c["thread_metadata"] && !c["thread_metadata"]["archived"])
          .sort((a, b) => compareIds(b["id"], a["id"]));
        return { status: 200, body: { threads, members: [] } };
      }
      case "GET /channels/{id}/threads/archived/public": {
        if (!this.channels.has(id)) return unknownChannel;
        const limit = Math.min(100, Math.max(2, Number(query["limit"] ?? 50)));
        const before = query["before"] ? Date.parse(query["before"]) : Infinity;
        const archived = [...this.channels.values()]
          .filter((c) => c["parent_id"] === id && [10, 11].includes(c["type"]) && c["thread_metadata"]?.["archived"])
          .filter((c) => Date.parse(c["thread_metadata"]["archive_timestamp"]) < before)
          .sort((a, b) => Date.parse(b["thread_metadata"]["archive_timestamp"]) - Date.parse(a["thread_metadata"]["archive_timestamp"]));
        return { status: 200, body: { threads: archived.slice(0, limit), members: [], has_more: archived.length > limit } };
      }
      default:
        return { status: 404, body: { message: "404: Not Found", code: 0 } };
    }
  }
}

function routeOf(method: string, path: string): { route: string; majorId: string } {
  const patterns: Array<[RegExp, string]> = [
    [/^\/channels\/(\d+)\/messages$/, "/channels/{id}/messages"],
    [/^\/guilds\/(\d+)\/threads\/active$/, "/guilds/{id}/threads/active"],
    [/^\/channels\/(\d+)\/threads\/archived\/public$/, "/channels/{id}/threads/archived/public"],
    [/^\/channels\/(\d+)$/, "/channels/{id}"],
  ];
  for (const [re, template] of patterns) {
    const match = re.exec(path);
    if (match) return { route: `${method} ${template}`, majorId: match[1]! };
  }
  return { route: `${method} ${path}`, majorId: "" };
}
