import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for where a digest is posted in Slack, shaped as Slack documents it:
 *
 * - Incoming webhooks (`POST /services/<T>/<B>/<secret>`, JSON body): 200 with the body `ok`;
 *   errors as a short plain-text body with an HTTP status (api.slack.com changelog 2016-05-17,
 *   "Improving error conditions for Incoming Webhooks"): 400 `invalid_payload` (not JSON),
 *   400 `no_text` (neither text nor blocks), 400 `invalid_blocks` (blocks Slack will not take;
 *   reported for webhooks in slackapi/java-slack-sdk#1017), 403 `action_prohibited`,
 *   404 `channel_not_found`, 410 `channel_is_archived`, 404 `no_service` (an unknown hook), and
 *   429 with `Retry-After` when rate limited.
 * - `chat.postMessage` (`POST /api/chat.postMessage`, form or JSON, `Authorization: Bearer`): HTTP
 *   200 with `{ok: true, channel, ts, message}` (the response example on docs.slack.dev) or
 *   `{ok: false, error}`: not_authed, invalid_auth, missing_scope (`needed: chat:write`),
 *   channel_not_found, not_in_channel, is_archived, no_text, invalid_blocks (with `errors` and
 *   `response_metadata.messages`, as Slack answers it), msg_too_long; 429 with `Retry-After`
 *   and `{ok: false, error: "ratelimited"}`.
 *
 * Blocks are checked against Block Kit's documented limits on their own (written here from
 * docs.slack.dev, not taken from the code under test): at most 50 blocks; header plain_text of
 * 1..150; section text 1..3000; actions with 1..25 elements; button text 1..75 and url up to
 * 3000; context with 1..10 elements. `refuseBlocks` makes it refuse valid blocks too.
 */

export interface ReceivedPost {
  via: "webhook" | "chat.postMessage";
  /** The webhook path, or the channel posted to. */
  target: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  body: Record<string, unknown>;
  /** Milliseconds since the fake started (by the wall clock: for ordering, never for asserting durations). */
  receivedAt: number;
}

export interface FakeSlackDeliveryOptions {
  token?: string;
  /** Channel and user ids chat.postMessage knows; default C0DIGEST01, C0NOTMEMB1 and U0DANA0001. */
  channels?: string[];
  /** Known channels the bot is not in (not_in_channel). */
  notMemberOf?: string[];
  archived?: string[];
  /** The token's scopes; default ["chat:write"]. */
  scopes?: string[];
}

interface Queued {
  times: number;
  /** Only this webhook path or chat.postMessage channel; any when absent. */
  target?: string;
}

export class FakeSlackDelivery {
  readonly posts: ReceivedPost[] = [];
  /** Every request, including refused ones: status and Slack's error. */
  readonly requests: { via: ReceivedPost["via"]; target: string; status: number; error: string | null }[] = [];
  /** The next N posts answer 429 with this Retry-After (seconds). */
  rateLimitNext: (Queued & { retryAfter: number }) | null = null;
  /** The next N posts with blocks answer invalid_blocks, valid or not. */
  refuseBlocks: Queued | null = null;
  /** The next N posts are read, then the connection is dropped with no answer (did it post? Slack knows). */
  dropNext: Queued | null = null;
  /** Webhook paths that answer 410 channel_is_archived. */
  readonly archivedHooks = new Set<string>();
  readonly channels: Set<string>;
  readonly notMemberOf: Set<string>;
  readonly archived: Set<string>;
  scopes: string[];
  private readonly started = performance.now();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly token: string,
    options: FakeSlackDeliveryOptions,
  ) {
    this.channels = new Set(options.channels ?? ["C0DIGEST01", "C0NOTMEMB1", "U0DANA0001"]);
    this.notMemberOf = new Set(options.notMemberOf ?? ["C0NOTMEMB1"]);
    this.archived = new Set(options.archived ?? []);
    this.scopes = options.scopes ?? ["chat:write"];
  }

  /** The Web API base to configure as `sources.slack.apiBaseUrl`. */
  get apiBaseUrl(): string {
    return `${this.url}/api`;
  }

  /** An incoming webhook URL on this fake (any `/services/…` path is a hook). */
  webhookUrl(name = "T0ACME/B0DIGEST/abcdefghijklmnopqrstuvwx"): string {
    return `${this.url}/services/${name}`;
  }

  static async start(options: FakeSlackDeliveryOptions = {}): Promise<FakeSlackDelivery> {
    const token = options.token ?? "xoxb-fake-delivery-0000";
    let fake: FakeSlackDelivery;
    const server = createServer((req, res) => {
      void (async () => {
        const path = (req.url ?? "").split("?")[0] ?? "";
        const raw = await readBody(req);
        const via: ReceivedPost["via"] | null = path.startsWith("/services/") ? "webhook" : path === "/api/chat.postMessage" ? "chat.postMessage" : null;
        if (req.method !== "POST" || via === null) {
          res.writeHead(404, { "content-type": "text/plain" }).end("not_found");
          return;
        }
        const body = via === "webhook" ? parseJson(raw) : parseArgs(raw, req.headers["content-type"] ?? "");
        const target = via === "webhook" ? path : String(body?.["channel"] ?? "");
        if (fake.take(fake.dropNext, target)) {
          req.socket.destroy();
          fake.requests.push({ via, target, status: 0, error: "dropped" });
          return;
        }
        const answer = via === "webhook" ? fake.webhook(path, body) : fake.chat(req, body);
        fake.requests.push({ via, target, status: answer.status, error: answer.error });
        if (answer.status === 200 && answer.error === null && body) {
          const blocks = typeof body["blocks"] === "string" ? parseJsonArray(body["blocks"]) : (body["blocks"] as unknown[] | undefined);
          fake.posts.push({ via, target, text: body["text"] as string | undefined, blocks, body, receivedAt: performance.now() - fake.started });
        }
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as AddressInfo;
    fake = new FakeSlackDelivery(server, `http://127.0.0.1:${port}`, token, options);
    return fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private take(queued: Queued | null, target: string): boolean {
    if (!queued || queued.times <= 0 || (queued.target !== undefined && queued.target !== target)) return false;
    queued.times -= 1;
    return true;
  }

  private webhook(path: string, body: Record<string, unknown> | null): Answer {
    const text = (status: number, error: string, headers: Record<string, string> = {}): Answer => ({ status, error: status === 200 ? null : error, headers: { "content-type": "text/html", ...headers }, body: error });
    if (this.rateLimitNext && this.take(this.rateLimitNext, path)) return text(429, "rate_limited", { "retry-after": String(this.rateLimitNext.retryAfter) });
    if (body === null) return text(400, "invalid_payload");
    if (this.archivedHooks.has(path)) return text(410, "channel_is_archived");
    if (!path.startsWith("/services/T")) return text(404, "no_service");
    const blocks = body["blocks"];
    if (typeof body["text"] !== "string" && blocks === undefined) return text(400, "no_text");
    if (blocks !== undefined && (blockProblems(blocks).length > 0 || this.take(this.refuseBlocks, path))) return text(400, "invalid_blocks");
    return text(200, "ok");
  }

  private chat(req: IncomingMessage, args: Record<string, unknown> | null): Answer {
    const json = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Answer => ({
      status,
      error: body["ok"] === true ? null : String(body["error"]),
      headers: { "content-type": "application/json; charset=utf-8", ...headers },
      body: JSON.stringify(body),
    });
    const channel = String(args?.["channel"] ?? "");
    if (this.rateLimitNext && this.take(this.rateLimitNext, channel)) return json(429, { ok: false, error: "ratelimited" }, { "retry-after": String(this.rateLimitNext.retryAfter) });
    if (args === null) return json(200, { ok: false, error: "invalid_form_data" });
    const auth = req.headers.authorization ?? (typeof args["token"] === "string" ? `Bearer ${args["token"]}` : undefined);
    if (!auth) return json(200, { ok: false, error: "not_authed" });
    if (auth !== `Bearer ${this.token}`) return json(200, { ok: false, error: "invalid_auth" });
    if (!this.scopes.includes("chat:write")) return json(200, { ok: false, error: "missing_scope", needed: "chat:write", provided: this.scopes.join(",") });
    if (!this.channels.has(channel)) return json(200, { ok: false, error: "channel_not_found" });
    if (this.archived.has(channel)) return json(200, { ok: false, error: "is_archived" });
    if (this.notMemberOf.has(channel)) return json(200, { ok: false, error: "not_in_channel" });
    const text = args["text"];
    const rawBlocks = args["blocks"];
    if ((typeof text !== "string" || text.length === 0) && rawBlocks === undefined) return json(200, { ok: false, error: "no_text" });
    if (typeof text === "string" && text.length > 40_000) return json(200, { ok: false, error: "msg_too_long" });
    if (rawBlocks !== undefined) {
      const blocks = typeof rawBlocks === "string" ? parseJsonArray(rawBlocks) : rawBlocks;
      const problems = blocks === undefined ? ["blocks are not a JSON array"] : blockProblems(blocks);
      if (problems.length > 0 || this.take(this.refuseBlocks, channel)) {
        const errors = problems.length > 0 ? problems : ["refused by the test"];
        return json(200, { ok: false, error: "invalid_blocks", errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
      }
    }
    const ts = `${1_700_000_000 + this.posts.length}.${String(this.posts.length + 1).padStart(6, "0")}`;
    return json(200, { ok: true, channel, ts, message: { type: "message", subtype: "bot_message", text, ts, bot_id: "B0COMMSIG1" } });
  }
}

interface Answer {
  status: number;
  error: string | null;
  headers: Record<string, string>;
  body: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJson(raw: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function parseJsonArray(raw: string): unknown[] | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Web API arguments: a form (the official client's default; arrays arrive as JSON strings) or JSON. */
function parseArgs(raw: string, contentType: string): Record<string, unknown> | null {
  if (contentType.startsWith("application/json")) return parseJson(raw);
  return Object.fromEntries(new URLSearchParams(raw));
}

const isText = (t: unknown, types: readonly string[], max: number): boolean => {
  const o = t as { type?: unknown; text?: unknown } | null;
  return !!o && types.includes(String(o.type)) && typeof o.text === "string" && o.text.length > 0 && o.text.length <= max;
};

const isButton = (b: unknown): boolean => {
  const o = b as { type?: unknown; text?: unknown; url?: unknown } | null;
  return !!o && o.type === "button" && isText(o.text, ["plain_text"], 75) && (o.url === undefined || (typeof o.url === "string" && o.url.length <= 3000));
};

/** Block Kit's documented limits, as this fake Slack enforces them. */
export function blockProblems(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ["blocks must be an array"];
  const problems: string[] = [];
  if (blocks.length > 50) problems.push(`no more than 50 items allowed [json-pointer:/blocks]`);
  blocks.forEach((block: unknown, i) => {
    const b = block as Record<string, unknown> | null;
    const at = `[json-pointer:/blocks/${i}]`;
    switch (b?.["type"]) {
      case "header":
        if (!isText(b["text"], ["plain_text"], 150)) problems.push(`header text must be plain_text of 1 to 150 characters ${at}`);
        break;
      case "section":
        if (!isText(b["text"], ["plain_text", "mrkdwn"], 3000)) problems.push(`section text must be 1 to 3000 characters ${at}`);
        if (b["accessory"] !== undefined && !isButton(b["accessory"])) problems.push(`invalid accessory ${at}`);
        break;
      case "actions": {
        const elements = b["elements"];
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25 || !elements.every(isButton)) problems.push(`invalid actions elements ${at}`);
        break;
      }
      case "context": {
        const elements = b["elements"];
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10 || !elements.every((e) => isText(e, ["plain_text", "mrkdwn"], 3000))) problems.push(`invalid context elements ${at}`);
        break;
      }
      case "divider":
        break;
      default:
        problems.push(`unsupported type: ${String(b?.["type"])} ${at}`);
    }
  });
  return problems;
}
