import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the Slack Web API methods we call, shaped as Slack documents them: form or
 * JSON arguments, `Authorization: Bearer xoxb-…`, `{ ok: true, … }` or `{ ok: false, error }` with
 * HTTP 200, and 429 with `Retry-After` when rate limited. Requests are logged.
 *
 * - Names for the digest: users.info, conversations.info, team.info.
 * - History for backfill: auth.test, users.conversations, conversations.history (parents and
 *   broadcasts, newest first, with the thread fields reply_count, latest_reply, reply_users) and
 *   conversations.replies (the parent, then its replies oldest first), served from `messages`,
 *   honouring oldest, latest, inclusive, limit and cursor (`next_ts:<ts>`, base64, as Slack's
 *   cursors read). Responses follow the examples on docs.slack.dev (`{ok, messages, has_more,
 *   pin_count, response_metadata: {next_cursor}}`); errors: invalid_auth, not_authed,
 *   missing_scope with `needed` and `provided`, not_in_channel, channel_not_found,
 *   thread_not_found; `failNext` answers a 500 (or any error) a number of times.
 * - `limited`: the non-Marketplace limits on history and replies (at most 15 messages a call).
 */
export interface FakeSlackOptions {
  token?: string;
  users?: Record<string, { name: string; real_name?: string; display_name?: string }>;
  /** Channel names by id (conversations.info, users.conversations). */
  channels?: Record<string, string>;
  teams?: Record<string, string>;
  /** The workspace the token belongs to (auth.test). */
  team?: { id: string; name: string; domain: string };
  /** Messages per channel id, in any order: parents, replies (thread_ts ≠ ts) and broadcasts. */
  messages?: Record<string, SlackStoredMessage[]>;
  /** Channel ids the app is in; default every channel in `messages` and `channels`. */
  memberOf?: string[];
  /** Private channels (besides G… ids): they need groups:history. */
  privateChannels?: string[];
  /** The token's scopes; default all that are asked for. */
  scopes?: string[];
  limited?: boolean;
}

/** A message as Slack stores it (and returns it, with thread fields added to parents). */
export type SlackStoredMessage = Record<string, unknown> & { ts: string; thread_ts?: string; subtype?: string; user?: string };

export interface FakeFailure {
  method: string;
  /** An HTTP status (500, 503) or a platform error answered with 200. */
  status?: number;
  error?: string;
  times: number;
}

const ALL_SCOPES = ["channels:history", "groups:history", "channels:read", "groups:read", "users:read", "team:read", "reactions:read"];
const TEAM = { id: "T0ROCKETDB", name: "RocketDB Community", domain: "rocketdb" };

export class FakeSlack {
  readonly requests: { method: string; args: Record<string, string>; status: number }[] = [];
  /** The next N calls (of `method`, or any) answer 429 with this Retry-After (seconds). */
  rateLimitNext: { times: number; retryAfter: number; method?: string } | null = null;
  readonly failures: FakeFailure[] = [];
  /** Messages per channel id; tests add to it between runs. */
  readonly messages: Map<string, SlackStoredMessage[]>;
  memberOf: Set<string>;
  scopes: string[];
  limited: boolean;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly token: string,
    private readonly options: FakeSlackOptions,
  ) {
    this.messages = new Map(Object.entries(options.messages ?? {}).map(([c, ms]) => [c, [...ms]]));
    this.memberOf = new Set(options.memberOf ?? [...this.messages.keys(), ...Object.keys(options.channels ?? {})]);
    this.scopes = options.scopes ?? ALL_SCOPES;
    this.limited = options.limited ?? false;
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const token = options.token ?? "xoxb-fake-0000-community-signals";
    let fake: FakeSlack;
    const server = createServer((req, res) => {
      void (async () => {
        const method = (req.url ?? "").replace(/^\/api\//, "").split("?")[0] ?? "";
        const args = await readArgs(req);
        const reply = (status: number, body: object, headers: Record<string, string> = {}) => {
          fake.requests.push({ method, args, status });
          res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
          res.end(JSON.stringify(body));
        };
        const limit = fake.rateLimitNext;
        if (limit && limit.times > 0 && (limit.method === undefined || limit.method === method)) {
          limit.times--;
          return reply(429, { ok: false, error: "ratelimited" }, { "retry-after": String(limit.retryAfter) });
        }
        const failure = fake.failures.find((f) => f.method === method && f.times > 0);
        if (failure) {
          failure.times--;
          if (failure.status !== undefined) return reply(failure.status, { ok: false, error: "internal_error" });
          return reply(200, { ok: false, error: failure.error ?? "internal_error" });
        }
        const auth = req.headers.authorization ?? args["token"];
        if (!auth) return reply(200, { ok: false, error: "not_authed" });
        if (auth !== `Bearer ${token}` && auth !== token) return reply(200, { ok: false, error: "invalid_auth" });
        const answer = fake.answer(method, args);
        return reply(200, answer);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as AddressInfo;
    fake = new FakeSlack(server, `http://127.0.0.1:${port}/api`, token, options);
    return fake;
  }

  /** Answers the next `times` calls of `method` with an HTTP status or a platform error. */
  failNext(method: string, failure: { status?: number; error?: string }, times = 1): void {
    this.failures.push({ method, ...failure, times });
  }

  /** Adds messages to a channel (a reply is a message with thread_ts set to its parent's ts). */
  post(channel: string, ...messages: SlackStoredMessage[]): void {
    this.messages.set(channel, [...(this.messages.get(channel) ?? []), ...messages]);
    this.memberOf.add(channel);
  }

  calls(method: string): number {
    return this.requests.filter((r) => r.method === method && r.status === 200).length;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private get team() {
    return this.options.team ?? TEAM;
  }

  private missingScope(needed: string): object | null {
    if (this.scopes.includes(needed)) return null;
    return { ok: false, error: "missing_scope", needed, provided: this.scopes.join(",") };
  }

  private isPrivate(channel: string): boolean {
    return channel.startsWith("G") || (this.options.privateChannels ?? []).includes(channel);
  }

  private answer(method: string, args: Record<string, string>): object {
    const options = this.options;
    switch (method) {
      case "users.info": {
        const user = options.users?.[args["user"] ?? ""];
        if (!user) return { ok: false, error: "user_not_found" };
        return {
          ok: true,
          user: { id: args["user"], team_id: this.team.id, name: user.name, real_name: user.real_name ?? user.name, profile: { display_name: user.display_name ?? "", real_name: user.real_name ?? user.name } },
        };
      }
      case "conversations.info": {
        const name = options.channels?.[args["channel"] ?? ""];
        if (!name) return { ok: false, error: "channel_not_found" };
        return { ok: true, channel: { id: args["channel"], name, is_channel: true, is_private: false } };
      }
      case "team.info": {
        const name = options.teams?.[args["team"] ?? ""];
        if (!name) return { ok: false, error: "team_not_found" };
        return { ok: true, team: { id: args["team"], name, domain: name.toLowerCase().replace(/[^a-z0-9]+/g, "-") } };
      }
      case "auth.test":
        // As docs.slack.dev shows it for a bot token.
        return { ok: true, url: `https://${this.team.domain}.slack.com/`, team: this.team.name, user: "community-signals", team_id: this.team.id, user_id: "U0COMMSIG1", bot_id: "B0COMMSIG1", is_enterprise_install: false };
      case "users.conversations": {
        const missing = this.missingScope("channels:read") ?? this.missingScope("groups:read");
        if (missing) return missing;
        const channels = [...this.memberOf].sort().map((id) => ({ id, name: options.channels?.[id] ?? id.toLowerCase(), is_channel: !this.isPrivate(id), is_private: this.isPrivate(id), is_archived: false }));
        return { ok: true, channels, response_metadata: { next_cursor: "" } };
      }
      case "conversations.history":
        return this.history(args);
      case "conversations.replies":
        return this.replies(args);
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  private channelProblem(channel: string): object | null {
    const known = this.messages.has(channel) || Object.hasOwn(this.options.channels ?? {}, channel);
    if (!known) return { ok: false, error: "channel_not_found" };
    const missing = this.missingScope(this.isPrivate(channel) ? "groups:history" : "channels:history");
    if (missing) return missing;
    if (!this.memberOf.has(channel)) return { ok: false, error: "not_in_channel" };
    return null;
  }

  private pageLimit(args: Record<string, string>, fallback: number): number {
    const asked = Number(args["limit"] ?? fallback) || fallback;
    return Math.max(1, Math.min(asked, this.limited ? 15 : 999));
  }

  private history(args: Record<string, string>): object {
    const channel = args["channel"] ?? "";
    const problem = this.channelProblem(channel);
    if (problem) return problem;
    const all = this.messages.get(channel) ?? [];
    // Parents and broadcasts; a parent with replies carries the thread's fields.
    const listed = all
      .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === "thread_broadcast")
      .map((m) => withThreadFields(m, all))
      .filter(inRange(args))
      .sort((a, b) => compareTs(b.ts, a.ts));
    const after = decodeCursor(args["cursor"]);
    const rest = after === null ? listed : listed.filter((m) => compareTs(m.ts, after) <= 0);
    const limit = this.pageLimit(args, this.limited ? 15 : 100);
    const page = rest.slice(0, limit);
    const next = rest[limit];
    return {
      ok: true,
      ...(args["latest"] ? { latest: args["latest"] } : {}),
      messages: page,
      has_more: next !== undefined,
      pin_count: 0,
      response_metadata: { next_cursor: next ? encodeCursor(next.ts) : "" },
    };
  }

  private replies(args: Record<string, string>): object {
    const channel = args["channel"] ?? "";
    const problem = this.channelProblem(channel);
    if (problem) return problem;
    const all = this.messages.get(channel) ?? [];
    const target = all.find((m) => m.ts === args["ts"]);
    if (!target) return { ok: false, error: "thread_not_found" };
    const rootTs = target.thread_ts ?? target.ts;
    const parent = all.find((m) => m.ts === rootTs);
    const replies = all.filter((m) => m.thread_ts === rootTs && m.ts !== rootTs).filter(inRange(args)).sort((a, b) => compareTs(a.ts, b.ts));
    const after = decodeCursor(args["cursor"]);
    const limit = this.pageLimit(args, this.limited ? 15 : 1000);
    // The first page starts with the parent; later pages hold replies only.
    const listed = after === null ? [...(parent ? [withThreadFields(parent, all)] : []), ...replies] : replies.filter((m) => compareTs(m.ts, after) >= 0);
    const page = listed.slice(0, limit);
    const next = listed[limit];
    return { ok: true, messages: page, has_more: next !== undefined, response_metadata: { next_cursor: next ? encodeCursor(next.ts) : "" } };
  }
}

// ---------------------------------------------------------------------------------------------
// Building messages as Slack returns them

/** A user's message, as conversations.history returns it (blocks as the Slack client writes them). */
export function userMessage(ts: string, user: string, text: string, extra: Record<string, unknown> = {}): SlackStoredMessage {
  return {
    client_msg_id: `c0ffee00-${ts.replace(".", "-")}`,
    type: "message",
    text,
    user,
    ts,
    blocks: [{ type: "rich_text", block_id: "b1", elements: [{ type: "rich_text_section", elements: [{ type: "text", text }] }] }],
    team: TEAM.id,
    ...extra,
  };
}

/** A reply in the thread of `parentTs` (parent_user_id as Slack sets it). */
export function replyMessage(ts: string, parentTs: string, parentUser: string, user: string, text: string, extra: Record<string, unknown> = {}): SlackStoredMessage {
  return userMessage(ts, user, text, { thread_ts: parentTs, parent_user_id: parentUser, ...extra });
}

/** A bot's post (an integration's `bot_message`). */
export function botMessage(ts: string, text: string, extra: Record<string, unknown> = {}): SlackStoredMessage {
  return {
    type: "message",
    subtype: "bot_message",
    text,
    ts,
    username: "GitHub",
    bot_id: "B0GHBOT001",
    app_id: "A0GITHUB01",
    bot_profile: { id: "B0GHBOT001", app_id: "A0GITHUB01", name: "GitHub", deleted: false, team_id: TEAM.id, updated: 1794000000 },
    ...extra,
  };
}

/** `reactions` as history shows them: `[{ name, users, count }]`. */
export function reactions(byName: Record<string, string[]>): { name: string; users: string[]; count: number }[] {
  return Object.entries(byName).map(([name, users]) => ({ name, users, count: users.length }));
}

function withThreadFields(message: SlackStoredMessage, all: SlackStoredMessage[]): SlackStoredMessage {
  const replies = all.filter((m) => m.thread_ts === message.ts && m.ts !== message.ts).sort((a, b) => compareTs(a.ts, b.ts));
  if (replies.length === 0) return message;
  const users = [...new Set(replies.map((r) => r.user).filter((u): u is string => typeof u === "string"))];
  return {
    ...message,
    thread_ts: message.ts,
    reply_count: replies.length,
    reply_users_count: users.length,
    latest_reply: replies.at(-1)!.ts,
    reply_users: users.slice(0, 5),
    is_locked: false,
    subscribed: false,
  };
}

function micros(ts: string): number {
  const [s = "0", f = ""] = ts.split(".");
  return Number(s) * 1e6 + Number(f.padEnd(6, "0"));
}

function compareTs(a: string, b: string): number {
  return micros(a) - micros(b);
}

/** `oldest` and `latest` (exclusive unless `inclusive`), as docs.slack.dev describes them. */
function inRange(args: Record<string, string>): (m: SlackStoredMessage) => boolean {
  const inclusive = args["inclusive"] === "true" || args["inclusive"] === "1";
  const oldest = args["oldest"] ? micros(args["oldest"]) : null;
  const latest = args["latest"] ? micros(args["latest"]) : null;
  return (m) => {
    const t = micros(m.ts);
    if (oldest !== null && (inclusive ? t < oldest : t <= oldest)) return false;
    if (latest !== null && (inclusive ? t > latest : t >= latest)) return false;
    return true;
  };
}

function encodeCursor(ts: string): string {
  return Buffer.from(`next_ts:${ts.replace(".", "")}`).toString("base64");
}

function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const digits = Buffer.from(cursor, "base64").toString("utf8").replace("next_ts:", "");
  return `${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

async function readArgs(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  const query = new URL(req.url ?? "/", "http://x").searchParams;
  const out: Record<string, string> = Object.fromEntries(query);
  if ((req.headers["content-type"] ?? "").includes("application/json")) {
    try {
      Object.assign(out, JSON.parse(body) as Record<string, string>);
    } catch {
      // not JSON: no arguments
    }
  } else {
    for (const [k, v] of new URLSearchParams(body)) out[k] = v;
  }
  return out;
}
