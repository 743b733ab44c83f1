/**
 * History backfill for GitHub (the `SourceBackfill` contract, shared/backfill/types.ts): for
 * each configured repository, its issues and their comments through the REST API, then its
 * discussions with their comments, replies and answers through the GraphQL API
 * (backfill-discussions.ts), queued as the webhook deliveries GitHub would have sent (`issues`
 * opened/closed, `issue_comment` created, `discussion` created/answered/closed,
 * `discussion_comment` created), so the normaliser folds them exactly like live ones.
 * Normalisation is idempotent by natural ids (issue, comment and discussion ids, versions by
 * `updated_at`), so a rerun, or a backfill overlapping live webhooks, changes nothing that is
 * already there.
 *
 * Not backfilled: pull requests (the issues list returns them too; they are activity, not
 * questions, and are skipped along with the comments on them, counted in the summary's detail).
 *
 * Resumable: after each page is sent, a cursor per repository and list (`backfill-github` /
 * `owner/repo#issues`, `owner/repo#comments`, `owner/repo#discussions`) records the last
 * `updated_at` sent (and the ids sent at that instant); a rerun starts from max(since, cursor)
 * and skips those ids.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { throttling, type ThrottlingOptions } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { backfillCursorSource, type SourceBackfill, type SourceBackfillResult } from "../../backfill/types.ts";
import { GitHubSourceConfigSchema } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import { trimTrailingSlashes } from "../../text/index.ts";
import { advance, formatCursor, RATE_LIMIT_RETRIES, RepoRun, sentBefore, startOf, isoSeconds, type Json } from "./backfill-common.ts";
import { backfillDiscussions, isGraphQLRateLimit } from "./backfill-discussions.ts";

export { RATE_LIMIT_RETRIES, parseCursor } from "./backfill-common.ts";

/** The store's cursor source for GitHub's backfill positions (`backfillCursorSource("github")`). */
export const BACKFILL_CURSOR_SOURCE = backfillCursorSource("github");

interface RestIssue extends Json {
  id: number;
  number: number;
  updated_at: string;
  state?: string;
  closed_at?: string | null;
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
type GitHubClient = InstanceType<typeof ThrottledOctokit>;
type PacerGroup = NonNullable<Extract<ThrottlingOptions, { onSecondaryRateLimit: unknown }>["write"]>;

/** Reads every configured repository's issues, comments and discussions since `deps.since` into envelopes. */
export const backfillGitHub: SourceBackfill = async (deps) => {
  const github = deps.config.sources?.github ?? GitHubSourceConfigSchema.parse({});
  const result: SourceBackfillResult = { source: "github", scopes: [], envelopes: 0, requests: 0, stopped: null };
  let requests = 0;
  let current: RepoRun | null = null;

  const retry = (kind: string) => (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
    const again = retryCount < RATE_LIMIT_RETRIES;
    deps.log?.(`github: ${kind} on ${options.method ?? "GET"} ${options.url ?? ""}; ${again ? `retrying in ${retryAfter}s` : "giving up"}`);
    return again;
  };
  const unitMs = deps.retryAfterUnitMs ?? 1000;
  const octokit = new ThrottledOctokit({
    auth: deps.token,
    baseUrl: trimTrailingSlashes(github.apiBaseUrl),
    userAgent: "community-signals-backfill",
    log: { debug: () => {}, info: () => {}, warn: (m: string) => deps.log?.(m), error: (m: string) => deps.log?.(m) },
    throttle: {
      onRateLimit: retry("rate limit"),
      onSecondaryRateLimit: retry("secondary rate limit"),
      retryAfterBaseValue: unitMs,
      // The plugin spaces GraphQL requests a second apart, as GitHub asks for writes; its own
      // pacer is shared by the whole process, this one is the run's and scales like its waits.
      write: pacer(unitMs),
    },
  });
  octokit.hook.before("request", () => {
    requests++;
  });
  octokit.hook.after("request", (response) => {
    const run = current;
    const remaining = Number(response.headers["x-ratelimit-remaining"]);
    if (run && Number.isFinite(remaining) && response.headers["x-ratelimit-resource"] !== "graphql") run.restRemaining = remaining;
  });

  for (const repo of github.repositories) {
    const run = new RepoRun(deps, repo, () => requests);
    current = run;
    result.scopes.push(run.result);
    try {
      await backfillRepo(octokit, run);
      run.result.done = true;
      run.progress();
    } catch (err) {
      run.progress();
      result.stopped = { scope: repo, reason: describeFailure(err, github.tokenSecretName, repo) };
      break;
    } finally {
      result.envelopes += run.result.envelopes;
    }
  }
  result.requests = requests;
  return result;
};

async function backfillRepo(octokit: GitHubClient, run: RepoRun): Promise<void> {
  const deps = run.deps;
  const fullName = run.fullName;
  const [owner = "", repo = ""] = fullName.split("/");
  const repository = (await octokit.rest.repos.get({ owner, repo })).data as unknown as Json;

  // Issues, oldest update first, so the cursor only ever moves forward.
  run.begin("issues");
  const issues = new Map<number, RestIssue>();
  const pullRequests = new Set<number>();
  await readList<RestIssue>(run, `${fullName}#issues`, (since) =>
    octokit.paginate.iterator(octokit.rest.issues.listForRepo, { owner, repo, state: "all", since, per_page: 100, sort: "updated", direction: "asc" }) as AsyncIterable<{ data: RestIssue[] }>,
    (page) => {
      const out: Envelope[] = [];
      for (const issue of page) {
        if (issue.pull_request) {
          run.counts.skippedPullRequests++;
          pullRequests.add(issue.number);
          continue;
        }
        run.counts.issues++;
        issues.set(issue.number, issue);
        const closed = issue.state === "closed";
        // A snapshot of a closed issue records its close, credited to the sender: the closer.
        const closer = issue.closed_by ?? issue.user;
        out.push(run.envelope("issues", `issue:${issue.id}:${issue.updated_at}`, { action: "opened", issue, repository, sender: closed ? closer : issue.user }));
        if (closed) {
          out.push(run.envelope("issues", `issue-close:${issue.id}:${issue.closed_at ?? issue.updated_at}`, { action: "closed", issue, repository, sender: closer }));
        }
      }
      return out;
    },
  );

  // Comments repo-wide; each needs its issue, from the list above or fetched once.
  run.begin("comments");
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
  await readList<RestComment>(run, `${fullName}#comments`, (since) =>
    octokit.paginate.iterator(octokit.rest.issues.listCommentsForRepo, { owner, repo, since, per_page: 100, sort: "updated", direction: "asc" }) as AsyncIterable<{ data: RestComment[] }>,
    async (page) => {
      const out: Envelope[] = [];
      for (const comment of page) {
        const n = issueNumberOf(comment.issue_url);
        if (n === null || pullRequests.has(n)) {
          run.counts.skippedComments++;
          continue;
        }
        const issue = await issueOf(n);
        if (issue.pull_request) {
          pullRequests.add(n);
          run.counts.skippedComments++;
          continue;
        }
        run.counts.comments++;
        out.push(run.envelope("issue_comment", `comment:${comment.id}:${comment.updated_at}`, { action: "created", issue, comment, repository, sender: comment.user }));
      }
      return out;
    },
  );

  // Discussions through GraphQL; a repository without them is not asked.
  run.begin("discussions");
  if (repository["has_discussions"] === false) {
    deps.log?.(`github: ${fullName} has discussions turned off; none to read`);
    return;
  }
  await backfillDiscussions(octokit, run, repository);
}

/** `https://api.github.com/repos/o/r/issues/12` → 12. */
function issueNumberOf(issueUrl: string): number | null {
  const tail = issueUrl.slice(issueUrl.lastIndexOf("/") + 1);
  const n = Number(tail);
  return tail !== "" && Number.isInteger(n) && n > 0 && issueUrl.slice(0, -tail.length).endsWith("/issues/") ? n : null;
}

/**
 * One REST list, page by page: each page's envelopes sent, then the cursor moved to the page's
 * last `updated_at` (with the ids read at that instant, so a rerun that starts there skips them).
 */
async function readList<T extends { id: number; updated_at: string }>(
  run: RepoRun,
  key: string,
  list: (since: string) => AsyncIterable<{ data: T[] }>,
  toEnvelopes: (page: T[]) => Envelope[] | Promise<Envelope[]>,
): Promise<void> {
  const deps = run.deps;
  const { from, cursor } = await startOf(deps, key);
  let last = cursor;
  for await (const res of list(isoSeconds(from))) {
    if (res.data.length > 0) run.result.pages++;
    // Items at the cursor's instant were sent by the run that stored it.
    const page = res.data.filter((item) => !sentBefore(cursor, Date.parse(item.updated_at), item.id));
    for (const item of page) run.read(item.updated_at);
    await run.deliver(await toEnvelopes(page));
    last = advance(last, page.map((item) => ({ at: Date.parse(item.updated_at), id: item.id })));
    if (!deps.dryRun && last && page.length > 0) await deps.cursors.set(key, formatCursor(last), deps.now());
    run.progress();
  }
}

/**
 * A stand-in for the plugin's pacer of writes, which it applies to GraphQL queries too: at least
 * `gapMs` between the starts of two of them.
 */
function pacer(gapMs: number): PacerGroup {
  let next = 0;
  const limiter = {
    async schedule<R>(_options: unknown, task: () => Promise<R>): Promise<R> {
      // wall-clock: spacing requests out, as GitHub asks; no date is read
      const now = Date.now();
      const start = Math.max(now, next);
      next = start + gapMs;
      if (start > now) await sleep(start - now);
      return task();
    },
  };
  return { key: () => limiter } as unknown as PacerGroup;
}

/** What a token needs for what backfill reads, for the messages that name it. */
function scopesFor(repo: string): string {
  return (
    `public repositories need a classic token with no scope (or public_repo; GitHub's discussions guide asks for public_repo), ` +
    `private ones the repo scope, or a fine-grained token with Issues: read and Discussions: read on ${repo}`
  );
}

/** Why the source stopped, in words a person can act on. */
export function describeFailure(err: unknown, tokenName: string, repo: string): string {
  const e = err as {
    name?: string;
    status?: number;
    message?: string;
    errors?: { type?: string; message?: string }[];
    data?: { errors?: { type?: string; message?: string }[] };
    response?: { headers?: Record<string, string | undefined> };
  };
  const scopes = scopesFor(repo);
  const message = e.message ?? String(err);
  const graphqlErrors = e.errors ?? e.data?.errors ?? [];
  const graphqlRateLimited = isGraphQLRateLimit(graphqlErrors);
  const rateLimited = e.response?.headers?.["x-ratelimit-remaining"] === "0" || /rate limit/i.test(message);
  if (e.status === 401) return `GitHub refused ${tokenName} (401 ${message}): set ${tokenName} to a valid token; ${scopes}`;
  if (graphqlRateLimited || ((e.status === 403 || e.status === 429) && rateLimited)) {
    const what = graphqlRateLimited ? "GraphQL rate limit" : "rate limit";
    return `GitHub's ${what} for ${tokenName} is spent and did not recover after ${RATE_LIMIT_RETRIES} retries (${e.status ?? "GraphQL"} ${message}); run backfill again later, it resumes where it stopped`;
  }
  if (e.status === 403) return `${tokenName} may not read ${repo} (403 ${message}): ${scopes}`;
  if (e.status === 404) return `${repo} was not found, or ${tokenName} cannot see it (404): ${scopes}`;
  const first = graphqlErrors[0];
  if (first?.type === "FORBIDDEN") {
    return `${tokenName} may not read the discussions of ${repo} (GraphQL FORBIDDEN: ${first.message ?? message}): ${scopes}`;
  }
  if (first?.type === "NOT_FOUND") {
    return `${repo} was not found through GitHub's GraphQL API, or ${tokenName} cannot see it (NOT_FOUND: ${first.message ?? message}): ${scopes}`;
  }
  if (first) return `GitHub's GraphQL API answered ${first.type ?? "an error"} (${first.message ?? message}); run backfill again, it resumes where it stopped`;
  if (e.status) return `GitHub answered ${e.status} (${message}); run backfill again, it resumes where it stopped`;
  return `${message}; run backfill again, it resumes where it stopped`;
}
