/**
 * The contract every source's history backfill implements, so `community-signals backfill` (and
 * its AWS form) can run any of them the same way: read the platform's API oldest-first where it
 * can, turn what it reads into the envelopes the platform's webhooks (or the poller) would have
 * produced, hand them to `send`, and move a cursor in the store only after they were sent.
 *
 * Normalisation is idempotent by natural ids, so a rerun, or a backfill overlapping live
 * deliveries, changes nothing already stored.
 */
import type { Config } from "../model/config.ts";
import type { Envelope } from "../model/envelope.ts";
import type { Clock } from "../runtime/clock.ts";

/** Marks an envelope read by backfill (never set by a platform, never copied from a request). */
export const BACKFILL_HEADER = "x-community-signals-backfill";

/** Sources `backfill` can read, in the order it runs them. */
export const BACKFILL_SOURCE_NAMES = ["github", "discourse", "slack", "discord", "stackoverflow"] as const;
export type BackfillSourceName = (typeof BACKFILL_SOURCE_NAMES)[number];

/** The store's cursor namespace for a source's backfill positions (`CURSOR#backfill-<source>#<key>`). */
export function backfillCursorSource(source: BackfillSourceName): string {
  return `backfill-${source}`;
}

export interface BackfillProgress {
  source: BackfillSourceName;
  /** What is being read: `owner/repo`, a forum and category, a channel, a tag. */
  scope: string;
  /** Platform objects read so far in this scope (questions, topics, posts, messages, comments). */
  items: number;
  /** API pages (responses with items) read so far in this scope. */
  pages: number;
  /** Requests left in the platform's current rate-limit window, when it says (GitHub, Stack Exchange). */
  rateLimitRemaining: number | null;
  /**
   * How far through the scope, 0..1, when it can be told (by the time of the last item read
   * between `since` and now, or by a count the API gives); null when it cannot.
   */
  fraction: number | null;
  done: boolean;
}

export interface BackfillCursors {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, at: Date): Promise<void>;
}

export interface SourceBackfillDeps {
  config: Config;
  /** The source's API credential (token, API key); "" for a source that can read anonymously. */
  token: string;
  since: Date;
  now: Clock;
  /** Resolves once the envelopes are durably queued. */
  send(envelopes: Envelope[]): Promise<void>;
  /** This source's own cursors (already namespaced by `backfillCursorSource`). */
  cursors: BackfillCursors;
  /** Read and count only: nothing is sent and no cursor moves. */
  dryRun?: boolean;
  onProgress?(p: BackfillProgress): void;
  log?(line: string): void;
  /** Milliseconds per second of a platform's stated wait (`Retry-After`, `backoff`); tests shorten it. Default 1000. */
  retryAfterUnitMs?: number;
}

export interface ScopeBackfillResult {
  scope: string;
  items: number;
  envelopes: number;
  pages: number;
  requests: number;
  done: boolean;
  /** Source-specific counts worth a line in the summary (`skippedPullRequests`, `threads`, ...). */
  detail?: Record<string, number>;
}

export interface SourceBackfillResult {
  source: BackfillSourceName;
  scopes: ScopeBackfillResult[];
  envelopes: number;
  requests: number;
  /**
   * Set when the source stopped before finishing: which scope, and why, in words a person can
   * act on (for 401/403: the secret's name and the scope or permission the token needs).
   */
  stopped: { scope: string; reason: string } | null;
}

/** One source's backfill. Never throws for platform errors: they end in `stopped`. */
export type SourceBackfill = (deps: SourceBackfillDeps) => Promise<SourceBackfillResult>;

/** Fraction of [since, now] covered by an item at `at` (reading oldest first); clamped to 0..1. */
export function timeFraction(since: Date, now: Date, at: Date | number | null): number | null {
  if (at === null) return null;
  const span = now.getTime() - since.getTime();
  if (span <= 0) return 1;
  const t = typeof at === "number" ? at : at.getTime();
  return Math.min(1, Math.max(0, (t - since.getTime()) / span));
}
