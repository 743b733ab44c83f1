/**
 * A fake GitHub REST API on 127.0.0.1 for backfill tests, built from @octokit/fixtures'
 * recorded responses (issue objects and response headers of the `paginate-issues` scenario,
 * the repository of `get-repository`) plus hand-made comments of the documented shape.
 * Serves GET /repos/{o}/{r}, /repos/{o}/{r}/issues (state, since, sort=updated asc, per_page,
 * page, Link headers), /repos/{o}/{r}/issues/comments (same) and /repos/{o}/{r}/issues/{n};
 * answers 401 to a wrong token, and can inject a secondary rate limit (403, retry-after) or a
 * 500 for chosen requests.
 */
import { createRequire } from "node:module";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const require = createRequire(import.meta.url);

interface FixtureResponse {
  method: string;
  path: string;
  status: number;
  response: unknown;
  headers: Record<string, string | number>;
}
const paginateIssues = require("@octokit/fixtures/scenarios/api.github.com/paginate-issues/normalized-fixture.json") as FixtureResponse[];
const getRepository = require("@octokit/fixtures/scenarios/api.github.com/get-repository/normalized-fixture.json") as FixtureResponse[];

type Json = Record<string, any>;

/** The recorded issue objects (13 real REST issues), as templates. */
export const recordedIssues: Json[] = paginateIssues.flatMap((r) => r.response as Json[]);
/** Headers GitHub sent with those responses (rate limit, media type...), minus the ones we recompute. */
const recordedHeaders: Record<string, string> = Object.fromEntries(
  Object.entries(paginateIssues[0]!.headers)
    .filter(([k]) => !["link", "content-length", "connection", "date"].includes(k))
    .map(([k, v]) => [k, String(v)]),
);
const recordedRepository = getRepository.find((r) => r.status === 200 && typeof r.response === "object")!.response as Json;
const recordedUser = recordedIssues[0]!.user as Json;

export function user(login: string, id: number): Json {
  return {
    ...recordedUser,
    login,
    id,
    url: `https://api.github.com/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: login.endsWith("[bot]") ? "Bot" : "User",
  };
}

export function repositoryObject(fullName: string, id: number): Json {
  const [owner, name] = fullName.split("/") as [string, string];
  return {
    ...recordedRepository,
    id,
    name,
    full_name: fullName,
    owner: { ...(recordedRepository.owner as Json), login: owner },
    html_url: `https://github.com/${fullName}`,
    url: `https://api.github.com/repos/${fullName}`,
    private: false,
  };
}

let nextId = 5000;

/** An issue shaped like the recorded ones. */
export function issueObject(
  fullName: string,
  n: number,
  opts: { title?: string; author?: Json; association?: string; createdAt: string; updatedAt?: string; closedAt?: string | null; pullRequest?: boolean; body?: string },
): Json {
  const template = recordedIssues[n % recordedIssues.length]!;
  const api = `https://api.github.com/repos/${fullName}/issues/${n}`;
  return {
    ...template,
    id: ++nextId,
    node_id: `I_${nextId}`,
    number: n,
    title: opts.title ?? `Question ${n}?`,
    url: api,
    repository_url: `https://api.github.com/repos/${fullName}`,
    comments_url: `${api}/comments`,
    html_url: `https://github.com/${fullName}/${opts.pullRequest ? "pull" : "issues"}/${n}`,
    user: opts.author ?? user("asker", 9001),
    author_association: opts.association ?? "NONE",
    state: opts.closedAt ? "closed" : "open",
    state_reason: opts.closedAt ? "completed" : null,
    created_at: opts.createdAt,
    updated_at: opts.updatedAt ?? opts.createdAt,
    closed_at: opts.closedAt ?? null,
    body: opts.body ?? `How do I do thing ${n}?`,
    ...(opts.pullRequest
      ? { pull_request: { url: `https://api.github.com/repos/${fullName}/pulls/${n}`, html_url: `https://github.com/${fullName}/pull/${n}`, merged_at: null } }
      : {}),
  };
}

/** A comment of the documented shape (GET /repos/{o}/{r}/issues/comments). */
export function commentObject(fullName: string, issueNumber: number, opts: { author: Json; association?: string; createdAt: string; updatedAt?: string; body?: string }): Json {
  const id = ++nextId;
  return {
    url: `https://api.github.com/repos/${fullName}/issues/comments/${id}`,
    html_url: `https://github.com/${fullName}/issues/${issueNumber}#issuecomment-${id}`,
    issue_url: `https://api.github.com/repos/${fullName}/issues/${issueNumber}`,
    id,
    node_id: `IC_${id}`,
    user: opts.author,
    created_at: opts.createdAt,
    updated_at: opts.updatedAt ?? opts.createdAt,
    author_association: opts.association ?? "NONE",
    body: opts.body ?? "Here is how.",
    reactions: { total_count: 0 },
    performed_via_github_app: null,
  };
}

export interface FakeRepo {
  repository: Json;
  issues: Json[];
  comments: Json[];
}

export interface FakeGitHub {
  url: string;
  repos: Map<string, FakeRepo>;
  /** Every request served, as `GET /path?query`. */
  requests: string[];
  /**
   * Fail the next request whose path+query matches: `secondary` answers 403 with retry-after 1,
   * `500` an internal error. Each fault fires once.
   */
  failNext(match: RegExp, kind: "secondary" | "500"): void;
  stop(): Promise<void>;
}

export async function startFakeGitHub(opts: { token: string }): Promise<FakeGitHub> {
  const repos = new Map<string, FakeRepo>();
  const requests: string[] = [];
  const faults: { match: RegExp; kind: "secondary" | "500" }[] = [];
  let remaining = 5000;
  let base = "";

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...recordedHeaders, "x-ratelimit-remaining": String(remaining), "content-length": String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  };

  const list = (res: ServerResponse, url: URL, items: Json[]) => {
    const since = url.searchParams.get("since");
    const perPage = Math.min(Number(url.searchParams.get("per_page") ?? 30), 100);
    const page = Math.max(Number(url.searchParams.get("page") ?? 1), 1);
    let wanted = since ? items.filter((i) => Date.parse(i.updated_at) >= Date.parse(since)) : [...items];
    wanted.sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id - b.id);
    if (url.searchParams.get("direction") === "desc") wanted = wanted.reverse();
    const last = Math.max(Math.ceil(wanted.length / perPage), 1);
    const link = (p: number) => {
      const u = new URL(url.pathname + url.search, base);
      u.searchParams.set("page", String(p));
      return u.toString();
    };
    // The recorded Link header's form: next, last (and prev, first past page 1).
    const rels: string[] = [];
    if (page > 1) rels.push(`<${link(page - 1)}>; rel="prev"`);
    if (page < last) rels.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
    if (page > 1) rels.push(`<${link(1)}>; rel="first"`);
    send(res, 200, wanted.slice((page - 1) * perPage, page * perPage), rels.length ? { link: rels.join(", ") } : {});
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", base);
    const line = `${req.method} ${url.pathname}${url.search}`;
    requests.push(line);
    const auth = req.headers.authorization ?? "";
    if (auth !== `token ${opts.token}` && auth !== `Bearer ${opts.token}` && auth !== `bearer ${opts.token}`) {
      return send(res, 401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
    }
    const fault = faults.findIndex((f) => f.match.test(`${url.pathname}${url.search}`));
    if (fault >= 0) {
      const [f] = faults.splice(fault, 1);
      if (f!.kind === "secondary") {
        return send(res, 403, { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits" }, { "retry-after": "1" });
      }
      return send(res, 500, { message: "Server Error" });
    }
    remaining--;
    const m = /^\/repos\/([^/]+\/[^/]+)(\/issues(?:\/(comments|\d+))?)?$/.exec(url.pathname);
    const repo = m ? repos.get(m[1]!) : undefined;
    if (req.method !== "GET" || !m || !repo) return send(res, 404, { message: "Not Found" });
    if (!m[2]) return send(res, 200, repo.repository);
    if (m[3] === "comments") return list(res, url, repo.comments);
    if (m[3]) {
      const issue = repo.issues.find((i) => i.number === Number(m[3]));
      return issue ? send(res, 200, issue) : send(res, 404, { message: "Not Found" });
    }
    return list(res, url, repo.issues);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    repos,
    requests,
    failNext(match, kind) {
      faults.push({ match, kind });
    },
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
