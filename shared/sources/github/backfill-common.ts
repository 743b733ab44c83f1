/**
 * What GitHub's backfill readers share: the run of one repository (its counts, progress and
 * rate-limit readings), the envelopes they build (the exact webhook deliveries GitHub would have
 * sent, checked by the door's shape check before they are queued), and the cursors that record
 * how far each list was sent.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { ScopeBackfillResult, SourceBackfillDeps } from "../../backfill/types.ts";
import { formatTimeIdsCursor, isoSeconds, parseTimeIdsCursor, type TimeIdsCursor } from "../../backfill/cursor.ts";
import { BACKFILL_HEADER, timeFraction } from "../../backfill/types.ts";
import type { Envelope } from "../../model/envelope.ts";
import type { GitHubSupportedEvent } from "./classify.ts";
import { githubShapeProblem } from "./shape.ts";

/** How many times a rate-limited request is retried after GitHub's stated wait. */
export const RATE_LIMIT_RETRIES = 3;

export type Json = Record<string, unknown>;

/** What a repository's backfill counts, by kind (the summary's `detail`). */
export interface GitHubScopeCounts {
  issues: number;
  comments: number;
  /** Pull requests (and comments on them) skipped: not backfilled. */
  skippedPullRequests: number;
  skippedComments: number;
  discussions: number;
  /** Comments and replies on discussions. */
  discussionComments: number;
  /** GraphQL points the discussions cost (`rateLimit.cost`, summed). */
  graphqlPoints: number;
  /** Envelopes the door's shape check refused: logged and not queued. */
  invalidEnvelopes: number;
}

/** The lists a repository is read in, in order; progress gives each an equal share. */
export const GITHUB_LISTS = ["issues", "comments", "discussions"] as const;
export type GitHubList = (typeof GITHUB_LISTS)[number];

/** One repository's backfill as it runs: what it read and sent, and how to report it. */
export class RepoRun {
  readonly counts: GitHubScopeCounts = {
    issues: 0,
    comments: 0,
    skippedPullRequests: 0,
    skippedComments: 0,
    discussions: 0,
    discussionComments: 0,
    graphqlPoints: 0,
    invalidEnvelopes: 0,
  };
  readonly result: ScopeBackfillResult;
  private list: GitHubList = "issues";
  private lastAt: number | null = null;
  /** `x-ratelimit-remaining` of the REST API, and the GraphQL API's `rateLimit.remaining` (points). */
  restRemaining: number | null = null;
  graphqlRemaining: number | null = null;
  private readonly startedAt: number;

  constructor(
    readonly deps: SourceBackfillDeps,
    readonly fullName: string,
    private readonly requestsSoFar: () => number,
  ) {
    this.result = { scope: fullName, items: 0, envelopes: 0, pages: 0, requests: 0, done: false, detail: { ...this.counts } };
    this.startedAt = requestsSoFar();
  }

  /** Starts reading the next list; progress moves to its share. */
  begin(list: GitHubList): void {
    this.list = list;
    this.lastAt = null;
  }

  /** An item read, by the time it was last updated (lists are read oldest update first). */
  read(updatedAt: string): void {
    this.result.items++;
    const at = Date.parse(updatedAt);
    if (!Number.isNaN(at)) this.lastAt = at;
  }

  /**
   * Sends one page's envelopes (those the door would accept; the others are logged and counted),
   * unless this is a dry run, and counts them.
   */
  async deliver(envelopes: Envelope[]): Promise<void> {
    const accepted = envelopes.filter((e) => {
      const problem = githubShapeProblem(e.eventType as GitHubSupportedEvent, JSON.parse(e.body) as Json);
      if (problem === null) return true;
      this.counts.invalidEnvelopes++;
      this.deps.log?.(`github: ${this.fullName}: not queued, the door would refuse it (${e.deliveryId}): ${problem}`);
      return false;
    });
    if (!this.deps.dryRun && accepted.length > 0) await this.deps.send(accepted);
    this.result.envelopes += accepted.length;
  }

  /** Reports progress after a page (or the end of the repository). */
  progress(): void {
    const r = this.result;
    r.requests = this.requestsSoFar() - this.startedAt;
    r.detail = { ...this.counts };
    const share = GITHUB_LISTS.indexOf(this.list);
    const within = timeFraction(this.deps.since, this.deps.now(), this.lastAt) ?? 0;
    this.deps.onProgress?.({
      source: "github",
      scope: this.fullName,
      items: r.items,
      pages: r.pages,
      rateLimitRemaining: this.list === "discussions" ? (this.graphqlRemaining ?? this.restRemaining) : this.restRemaining,
      fraction: r.done ? 1 : (share + within) / GITHUB_LISTS.length,
      done: r.done,
    });
  }

  /** A delivery as GitHub's webhook would have made it, marked as backfilled. */
  envelope(eventType: GitHubSupportedEvent, deliveryId: string, payload: Json): Envelope {
    return {
      v: 1,
      id: randomUUID(),
      source: "github",
      eventType,
      deliveryId: `backfill:${this.fullName}:${deliveryId}`,
      receivedAt: this.deps.now().toISOString(),
      contentType: "application/json",
      headers: { "x-github-event": eventType, [BACKFILL_HEADER]: "1" },
      body: JSON.stringify(payload),
    };
  }

  /** Waits `seconds` of a platform-stated wait (shortened in tests by `retryAfterUnitMs`). */
  wait(seconds: number): Promise<void> {
    return sleep(seconds * (this.deps.retryAfterUnitMs ?? 1000));
  }
}

/** How far a list was sent: the last `updated_at` sent, and the ids sent at that instant. */
export type Cursor = TimeIdsCursor;
export { isoSeconds };
export { formatTimeIdsCursor as formatCursor, parseTimeIdsCursor as parseCursor };

/** Where a list starts: the later of `--since` and the stored cursor (null: at `--since`, nothing to skip). */
export async function startOf(deps: SourceBackfillDeps, key: string): Promise<{ from: number; cursor: Cursor | null }> {
  const cursor = parseTimeIdsCursor(await deps.cursors.get(key));
  const since = deps.since.getTime();
  return cursor && cursor.at > since ? { from: cursor.at, cursor } : { from: since, cursor: null };
}

/** Whether an item was sent by the run that stored the cursor (items at its instant, with its ids). */
export function sentBefore(cursor: Cursor | null, at: number, id: number): boolean {
  return cursor !== null && at === cursor.at && cursor.ids.has(id);
}

/** Moves a cursor forward past `items` (which were just sent). */
export function advance(cursor: Cursor | null, items: Iterable<{ at: number; id: number }>): Cursor | null {
  let last = cursor;
  for (const { at, id } of items) {
    if (!last || at > last.at) last = { at, ids: new Set([id]) };
    else if (at === last.at) last.ids.add(id);
  }
  return last;
}

