import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the three Slack Web API methods the digest uses to show names
 * (users.info, conversations.info, team.info), shaped as Slack documents them: form or JSON
 * arguments, `Authorization: Bearer xoxb-…`, `{ ok: true, … }` or `{ ok: false, error }` with
 * HTTP 200, and 429 with `Retry-After` when rate limited. Requests are logged.
 */
export interface FakeSlackOptions {
  token?: string;
  users?: Record<string, { name: string; real_name?: string; display_name?: string }>;
  channels?: Record<string, string>;
  teams?: Record<string, string>;
}

export class FakeSlack {
  readonly requests: { method: string; args: Record<string, string>; status: number }[] = [];
  /** The next N calls answer 429 with this Retry-After (seconds). */
  rateLimitNext: { times: number; retryAfter: number } | null = null;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly token: string,
  ) {}

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
        if (fake.rateLimitNext && fake.rateLimitNext.times > 0) {
          fake.rateLimitNext.times--;
          return reply(429, { ok: false, error: "ratelimited" }, { "retry-after": String(fake.rateLimitNext.retryAfter) });
        }
        const auth = req.headers.authorization ?? args["token"];
        if (!auth) return reply(200, { ok: false, error: "not_authed" });
        if (auth !== `Bearer ${token}` && auth !== token) return reply(200, { ok: false, error: "invalid_auth" });
        if (method === "users.info") {
          const user = options.users?.[args["user"] ?? ""];
          if (!user) return reply(200, { ok: false, error: "user_not_found" });
          return reply(200, {
            ok: true,
            user: { id: args["user"], team_id: "T0ROCKETDB", name: user.name, real_name: user.real_name ?? user.name, profile: { display_name: user.display_name ?? "", real_name: user.real_name ?? user.name } },
          });
        }
        if (method === "conversations.info") {
          const name = options.channels?.[args["channel"] ?? ""];
          if (!name) return reply(200, { ok: false, error: "channel_not_found" });
          return reply(200, { ok: true, channel: { id: args["channel"], name, is_channel: true, is_private: false } });
        }
        if (method === "team.info") {
          const name = options.teams?.[args["team"] ?? ""];
          if (!name) return reply(200, { ok: false, error: "team_not_found" });
          return reply(200, { ok: true, team: { id: args["team"], name, domain: name.toLowerCase().replace(/[^a-z0-9]+/g, "-") } });
        }
        return reply(200, { ok: false, error: "unknown_method" });
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as AddressInfo;
    fake = new FakeSlack(server, `http://127.0.0.1:${port}/api`, token);
    return fake;
  }

  calls(method: string): number {
    return this.requests.filter((r) => r.method === method && r.status === 200).length;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
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
