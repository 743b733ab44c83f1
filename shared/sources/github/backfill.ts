/**
 * History backfill for GitHub: a repository's issues and their comments read through the REST
 * API and queued as the webhook deliveries GitHub would have sent (`issues` opened/closed,
 * `issue_comment` created), so the normaliser folds them exactly like live ones. Normalisation
 * is idempotent by natural ids (issue and comment ids, versions by `updated_at`), so a rerun, or
 * a backfill overlapping live webhooks, changes nothing that is already there.
 *
 * Not backfilled yet: pull requests (the issues list returns them too; they are activity, not
 * questions, and are skipped along with comments on them) and discussions (GraphQL only).
 *
 * Resumable: after each page is sent, a cursor per repository and list (`backfill-github` /
 * `owner/repo#issues`, `owner/repo#comments`) records the last `updated_at` sent (and the ids
 * sent at that instant); a rerun starts from max(since, cursor) and skips those ids.
 */
import { randomUUID } from "node:crypto";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import type { Config } from "../../model/config.ts";
import { GitHubSourceConfigSchema } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import type { Clock } from "../../runtime/clock.ts";
import { trimTrailingSlashes } from "../../text/index.ts";

/** The store's cursor source for backfill positions. */
export const BACKFILL_CURSOR_SOURCE = "backfill-github";
/** How many times a rate-limited request is retried after GitHub's stated wait. */
export const RATE_LIMIT_RETRIES = 3;

export interface BackfillProgress {
  repo: string;
  /** Issues (pull requests included) and comments read so far. */
  items: number;
  pages: number;
  /** `x-ratelimit-remaining` of the latest response, when GitHub sent one. */
  rateLimitRemaining: number | null;
  done: boolean;
}

export interface BackfillCursors {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, at: Date): Promise<void>;
}

export interface BackfillDeps {
  config: Config;
  token: string;
  since: Date;
  now: Clock;
  send(envelopes: Envelope[]): Promise<void>;
  cursors: BackfillCursors;
  /** Read and count only: nothing is sent and no cursor moves. */
  dryRun?: boolean;
  onProgress?(p: BackfillProgress): void;
  log?(line: string): void;
  /** Milliseconds per second of GitHub's stated wait (tests shorten it); default 1000. */
  retryAfterUnitMs?: number;
}

export interface RepoBackfillResult {
  repo: string;
  issues: number;
  comments: number;
  /** Pull requests (and comments on them) skipped: not backfilled yet. */
  skippedPullRequests: number;
  skippedComments: number;
  envelopes: number;
  pages: number;
  requests: number;
  rateLimitRemaining: number | null;
  done: boolean;
}

export interface BackfillResult {
  repos: RepoBackfillResult[];
  envelopes: number;
  requests: number;
  /** Set when the source stopped before finishing: which repository, and why. */
  stopped: { repo: string; reason: string } | null;
}

type Json = Record<string, unknown>;
interface RestIssue extends Json {
  id: number;
  number: number;
  updated_at: string;
  state?: string;
  user?: Json | null;
  closed_by?: Json | null;
  pull_request?: unknown;
}
interface RestComment extends Json {
  id: number;
  issue_url: string;
  updated_at: string;
  user?: Json | null;
}

const ThrottledOctokit = Octokit.plugin(throttling);

/** Reads every configured repository's issues and comments since `deps.since` into envelopes. */
export async function backfillGitHub(deps: BackfillDeps): Promise<BackfillResult> {
  const github = deps.config.sources?.github ?? GitHubSourceConfigSchema.parse({});
  const result: BackfillResult = { repos: [], envelopes: 0, requests: 0, stopped: null };
  let requests = 0;
  let rateLimitRemaining: number | null = null;

  const retry = (kind: string) => (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
    const again = retryCount < RATE_LIMIT_RETRIES;
    deps.log?.(`github: ${kind} on ${options.method ?? "GET"} ${options.url ?? ""}; ${again ? `retrying in ${retryAfter}s` : "giving up"}`);
    return again;
  };
  const octokit = new ThrottledOctokit({
    auth: deps.token,
    baseUrl: trimTrailingSlashes(github.apiBaseUrl),
    userAgent: "community-signals-backfill",
    log: { debug: () => {}, info: () => {}, warn: (m: string) => deps.log?.(m), error: (m: string) => deps.log?.(m) },
    throttle: {
      onRateLimit: retry("rate limit"),
      onSecondaryRateLimit: retry("secondary rate limit"),
      retryAfterBaseValue: deps.retryAfterUnitMs ?? 1000,
    },
  });
  octokit.hook.before("request", () => {
    requests++;
  });
  octokit.hook.after("request", (response) => {
    const remaining = Number(response.headers["x-ratelimit-remaining"]);
    if (Number.isFinite(remaining)) rateLimitRemaining = remaining;
  });

  for (const repo of github.repositories) {
    const before = requests;
    const r: RepoBackfillResult = {
      repo,
      issues: 0,
      comments: 0,
      skippedPullRequests: 0,
      skippedComments: 0,
      envelopes: 0,
      pages: 0,
      requests: 0,
      rateLimitRemaining: null,
      done: false,
    };
    result.repos.push(r);
    const progress = () => {
      r.requests = requests - before;
      r.rateLimitRemaining = rateLimitRemaining;
      deps.onProgress?.({ repo, items: r.issues + r.skippedPullRequests + r.comments + r.skippedComments, pages: r.pages, rateLimitRemaining, done: r.done });
    };
    try {
      await backfillRepo(octokit, deps, repo, r, progress);
      r.done = true;
      progress();
    } catch (err) {
      progress();
      result.stopped = { repo, reason: describeFailure(err, github.tokenSecretName, repo) };
      break;
    } finally {
      result.envelopes += r.envelopes;
    }
  }
  result.requests = requests;
  return result;
}

async function backfillRepo(
  octokit: InstanceType<typeof ThrottledOctokit>,
  deps: BackfillDeps,
  fullName: string,
  r: RepoBackfillResult,
  progress: () => void,
): Promise<void> {
  const [owner = "", repo = ""] = fullName.split("/");
  const repository = (await octokit.rest.repos.get({ owner, repo })).data as unknown as Json;
  const now = () => deps.now().toISOString();
  const envelope = (eventType: "issues" | "issue_comment", kind: "issue" | "comment", item: { id: number; updated_at: string }, payload: Json): Envelope => ({
    v: 1,
    id: randomUUID(),
    source: "github",
    eventType,
    deliveryId: `backfill:${fullName}:${kind}:${item.id}:${item.updated_at}`,
    receivedAt: now(),
    contentType: "application/json",
    headers: { "x-github-event": eventType, "x-community-signals-backfill": "1" },
    body: JSON.stringify(payload),
  });

  // Issues, oldest update first, so the cursor only ever moves forward.
  const issues = new Map<number, RestIssue>();
  const pullRequests = new Set<number>();
  await readList<RestIssue>(deps, `${fullName}#issues`, (since) =>
    octokit.paginate.iterator(octokit.rest.issues.listForRepo, { owner, repo, state: "all", since, per_page: 100, sort: "updated", direction: "asc" }) as AsyncIterable<{ data: RestIssue[] }>,
    (page) => {
      const out: Envelope[] = [];
      for (const issue of page) {
        if (issue.pull_request) {
          r.skippedPullRequests++;
          pullRequests.add(issue.number);
          continue;
        }
        r.issues++;
        issues.set(issue.number, issue);
        const closed = issue.state === "closed";
        // A snapshot of a closed issue records its close, credited to the sender: the closer.
        const closer = issue.closed_by ?? issue.user;
        out.push(envelope("issues", "issue", issue, { action: "opened", issue, repository, sender: closed ? closer : issue.user }));
        if (closed) out.push(envelope("issues", "issue", issue, { action: "closed", issue, repository, sender: closer }));
      }
      return out;
    },
    r,
    progress,
  );

  // Comments repo-wide; each needs its issue, from the list above or fetched once.
  const fetched = new Map<number, Promise<RestIssue>>();
  const issueOf = async (n: number): Promise<RestIssue> => {
    const known = issues.get(n);
    if (known) return known;
    let p = fetched.get(n);
    if (!p) {
      p = octokit.rest.issues.get({ owner, repo, issue_number: n }).then((res) => res.data as unknown as RestIssue);
      fetched.set(n, p);
    }
    return p;
  };
  await readList<RestComment>(deps, `${fullName}#comments`, (since) =>
    octokit.paginate.iterator(octokit.rest.issues.listCommentsForRepo, { owner, repo, since, per_page: 100, sort: "updated", direction: "asc" }) as AsyncIterable<{ data: RestComment[] }>,
    async (page) => {
      const out: Envelope[] = [];
      for (const comment of page) {
        const n = Number(/\/issues\/(\d+)$/.exec(comment.issue_url)?.[1]);
        if (!Number.isInteger(n) || pullRequests.has(n)) {
          r.skippedComments++;
          continue;
        }
        const issue = await issueOf(n);
        if (issue.pull_request) {
          pullRequests.add(n);
          r.skippedComments++;
          continue;
        }
        r.comments++;
        out.push(envelope("issue_comment", "comment", comment, { action: "created", issue, comment, repository, sender: comment.user }));
      }
      return out;
    },
    r,
    progress,
  );
}

/**
 * One list, page by page: each page's envelopes sent, then the cursor moved to the page's last
 * `updated_at` (with the ids read at that instant, so a rerun that starts there skips them).
 */
async function readList<T extends { id: number; updated_at: string }>(
  deps: BackfillDeps,
  key: string,
  list: (since: string) => AsyncIterable<{ data: T[] }>,
  toEnvelopes: (page: T[]) => Envelope[] | Promise<Envelope[]>,
  r: RepoBackfillResult,
  progress: () => void,
): Promise<void> {
  const cursor = parseCursor(await deps.cursors.get(key));
  const since = cursor && cursor.at > deps.since.getTime() ? cursor : null;
  let last = since;
  for await (const res of list(new Date(since?.at ?? deps.since.getTime()).toISOString().replace(/\.000Z$/, "Z"))) {
    r.pages++;
    // Items at the cursor's instant were sent by the run that stored it.
    const page = since ? res.data.filter((item) => !(Date.parse(item.updated_at) === since.at && since.ids.has(item.id))) : res.data;
    const envelopes = await toEnvelopes(page);
    if (!deps.dryRun && envelopes.length > 0) await deps.send(envelopes);
    r.envelopes += envelopes.length;
    for (const item of page) {
      const at = Date.parse(item.updated_at);
      if (!last || at > last.at) last = { at, ids: new Set([item.id]) };
      else if (at === last.at) last.ids.add(item.id);
    }
    if (!deps.dryRun && last && page.length > 0) await deps.cursors.set(key, formatCursor(last), deps.now());
    progress();
  }
}

interface Cursor {
  at: number;
  ids: Set<number>;
}

/** `2026-11-20T10:00:00Z 123,456`: the last `updated_at` sent, then the ids sent at that instant. */
export function parseCursor(value: string | null): Cursor | null {
  if (!value) return null;
  const [when = "", ids = ""] = value.split(" ");
  const at = Date.parse(when);
  if (Number.isNaN(at)) return null;
  return { at, ids: new Set(ids.split(",").filter(Boolean).map(Number)) };
}

function formatCursor(c: Cursor): string {
  return `${new Date(c.at).toISOString().replace(/\.000Z$/, "Z")} ${[...c.ids].join(",")}`;
}

/** Why the source stopped, in words a person can act on. */
export function describeFailure(err: unknown, tokenName: string, repo: string): string {
  const e = err as { status?: number; message?: string; response?: { headers?: Record<string, string | undefined> } };
  const scopes =
    `public repositories need a classic token with no scope (or public_repo), private ones the repo scope, ` +
    `or a fine-grained token with Issues: read on ${repo}`;
  const message = e.message ?? String(err);
  const rateLimited = e.response?.headers?.["x-ratelimit-remaining"] === "0" || /rate limit/i.test(message);
  if (e.status === 401) return `GitHub refused ${tokenName} (401 ${message}): set ${tokenName} to a valid token; ${scopes}`;
  if ((e.status === 403 || e.status === 429) && rateLimited) {
    return `GitHub's rate limit for ${tokenName} is spent and did not recover after ${RATE_LIMIT_RETRIES} retries (${e.status} ${message}); run backfill again later, it resumes where it stopped`;
  }
  if (e.status === 403) return `${tokenName} may not read ${repo} (403 ${message}): ${scopes}`;
  if (e.status === 404) return `${repo} was not found, or ${tokenName} cannot see it (404): ${scopes}`;
  if (e.status) return `GitHub answered ${e.status} (${message}); run backfill again, it resumes where it stopped`;
  return `${message}; run backfill again, it resumes where it stopped`;
}
