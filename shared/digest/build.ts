import { isRosterMember } from "../model/config.ts";
import type { Config, Recipient } from "../model/config.ts";
import type { Digest, DigestItem, PeriodMetrics } from "../model/digest.ts";
import type { Source } from "../model/activity.ts";
import type { Thread } from "../model/thread.ts";
import { percentile, roundToTenth } from "./stats.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const TOP_HELPERS = 5;

export interface BuildDigestInput {
  now: Date;
  config: Config;
  /** Null builds the digest for nobody in particular (e.g. `digest --json`): every source. */
  recipient: Recipient | null;
  /** Threads from the open-question index (status open, isQuestion true). */
  openQuestions: readonly Thread[];
  /** Question threads created in [now - 14 days, now], any status. */
  recentQuestions: readonly Thread[];
}

export type Helper = Digest["metrics"]["topHelpers"][number];

/** The input cannot make a digest (a bad clock value or a thread with an unreadable timestamp). */
export class DigestInputError extends Error {
  override readonly name = "DigestInputError";
}

/** A thread with its instants parsed once, so every window check compares numbers. */
interface TimedThread {
  thread: Thread;
  createdMs: number;
  /** First qualifying response, only if it had happened by `now`. */
  firstResponseMs: number | null;
}

function instantMs(value: string, what: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new DigestInputError(`${what} is not a timestamp: ${JSON.stringify(value)}`);
  return ms;
}

function timed(thread: Thread, nowMs: number): TimedThread {
  const createdMs = instantMs(thread.createdAt, `thread ${thread.id} createdAt`);
  const responseMs =
    thread.firstResponseAt === null ? null : instantMs(thread.firstResponseAt, `thread ${thread.id} firstResponseAt`);
  // A digest built for a past `now` (a re-run) must not count responses from its future.
  return { thread, createdMs, firstResponseMs: responseMs !== null && responseMs <= nowMs ? responseMs : null };
}

/**
 * Index pages can overlap while threads are being rewritten, so the same thread may come twice;
 * keep the freshest snapshot.
 */
function uniqueThreads(threads: readonly Thread[]): Thread[] {
  const byId = new Map<string, Thread>();
  for (const thread of threads) {
    const seen = byId.get(thread.id);
    if (!seen || Date.parse(thread.lastActivityAt) > Date.parse(seen.lastActivityAt)) byId.set(thread.id, thread);
  }
  return [...byId.values()];
}

function withinWindow(ms: number, fromExclusive: number, toInclusive: number): boolean {
  return ms > fromExclusive && ms <= toInclusive;
}

function periodMetrics(
  questions: readonly TimedThread[],
  fromMs: number,
  toMs: number,
  nowMs: number,
  slaHours: number,
): PeriodMetrics {
  const inPeriod = questions.filter((q) => withinWindow(q.createdMs, fromMs, toMs));
  const responseHours: number[] = [];
  let answered = 0;
  let decidable = 0;
  let withinSla = 0;
  for (const q of inPeriod) {
    if (q.thread.status === "answered") answered += 1;
    if (q.firstResponseMs !== null) {
      // Clamped: a createdAt that fell back to the earliest stored activity can trail the reply slightly.
      const hours = Math.max(0, q.firstResponseMs - q.createdMs) / HOUR_MS;
      responseHours.push(hours);
      decidable += 1;
      if (hours <= slaHours) withinSla += 1;
    } else if ((nowMs - q.createdMs) / HOUR_MS > slaHours) {
      // Unresponded and already past the SLA: a miss. Younger ones may still make it, so they do not count yet.
      decidable += 1;
    }
  }
  const median = percentile(responseHours, 50);
  const p90 = percentile(responseHours, 90);
  return {
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    questions: inPeriod.length,
    responded: responseHours.length,
    answered,
    responseRate: inPeriod.length === 0 ? null : responseHours.length / inPeriod.length,
    medianFirstResponseHours: median === null ? null : roundToTenth(median),
    p90FirstResponseHours: p90 === null ? null : roundToTenth(p90),
    withinSlaRate: decidable === 0 ? null : withinSla / decidable,
  };
}

/** Community (non-team, non-bot) people ranked by the questions they were first to respond to. */
function topHelpers(config: Config, questions: readonly TimedThread[]): Helper[] {
  const byActor = new Map<string, Helper>();
  for (const q of questions) {
    const responder = q.thread.firstResponder;
    if (q.firstResponseMs === null || responder === null || responder.isBot || responder.isTeam) continue;
    // The roster may have grown since the thread was folded; today's roster decides who is team.
    if (isRosterMember(config, q.thread.source, responder.login)) continue;
    const helper = byActor.get(responder.id);
    if (helper) helper.firstResponses += 1;
    else byActor.set(responder.id, { actorId: responder.id, login: responder.login, isTeam: false, firstResponses: 1 });
  }
  return [...byActor.values()]
    .sort(
      (a, b) =>
        b.firstResponses - a.firstResponses ||
        compareText(a.login.toLowerCase(), b.login.toLowerCase()) ||
        compareText(a.actorId, b.actorId),
    )
    .slice(0, TOP_HELPERS);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function digestItem(q: TimedThread, nowMs: number, slaHours: number): DigestItem {
  const { thread } = q;
  const ageHours = (nowMs - q.createdMs) / HOUR_MS;
  return {
    threadId: thread.id,
    source: thread.source,
    instance: thread.instance,
    channel: thread.channel.name,
    channelId: thread.channel.id,
    title: thread.title,
    url: thread.url,
    author: thread.author?.login ?? null,
    authorId: thread.author?.id ?? null,
    createdAt: new Date(q.createdMs).toISOString(),
    ageHours: roundToTenth(ageHours),
    overdue: ageHours > slaHours,
    excerpt: thread.excerpt,
    replyCount: thread.replyCount,
  };
}

/**
 * The morning digest for one recipient: every open question nobody has answered yet (oldest
 * first) and the numbers a community team is judged by. Pure: the caller reads the indexes.
 */
export function buildDigest(input: BuildDigestInput): Digest {
  const { now, config, recipient } = input;
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new DigestInputError(`now must be a valid Date, got ${String(now)}`);
  }
  const nowMs = now.getTime();
  const { slaHours, minAgeHours, maxAgeDays } = config.digest;
  const wantedSources: ReadonlySet<Source> | null =
    recipient && recipient.sources.length > 0 ? new Set(recipient.sources) : null;
  const forRecipient = (thread: Thread) => wantedSources === null || wantedSources.has(thread.source);

  const unanswered = uniqueThreads(input.openQuestions)
    .filter((t) => t.status === "open" && t.isQuestion && forRecipient(t))
    .map((t) => timed(t, nowMs))
    .filter((q) => {
      const ageHours = (nowMs - q.createdMs) / HOUR_MS;
      if (ageHours < 0) return false; // created after `now`: not part of this digest's world
      if (ageHours < minAgeHours) return false;
      return maxAgeDays === undefined || ageHours <= maxAgeDays * 24;
    })
    .sort((a, b) => a.createdMs - b.createdMs || compareText(a.thread.id, b.thread.id))
    .map((q) => digestItem(q, nowMs, slaHours));

  // Deleted threads are usually spam or mistakes: counting them would punish the team for cleaning up.
  const recent = uniqueThreads(input.recentQuestions)
    .filter((t) => t.isQuestion && t.status !== "deleted" && forRecipient(t))
    .map((t) => timed(t, nowMs));

  const dayAgo = nowMs - DAY_MS;
  const newLast24h = recent.filter((q) => withinWindow(q.createdMs, dayAgo, nowMs)).length;
  const answeredLast24h = recent.filter((q) => {
    if (q.thread.status !== "answered") return false;
    // Under the `accepted` policy the answer moment is the acceptance, which can come long after the first reply.
    const moments = [q.thread.firstResponseAt, q.thread.acceptedAt].filter((v): v is string => v !== null);
    return moments.some((m) => withinWindow(instantMs(m, `thread ${q.thread.id} answer time`), dayAgo, nowMs));
  }).length;

  const weekAgo = nowMs - 7 * DAY_MS;
  const twoWeeksAgo = nowMs - 14 * DAY_MS;
  const lastWeek = recent.filter((q) => withinWindow(q.createdMs, weekAgo, nowMs));

  return {
    generatedAt: now.toISOString(),
    recipient: recipient?.email ?? null,
    community: config.name,
    slaHours,
    counts: {
      open: unanswered.length,
      overdue: unanswered.filter((item) => item.overdue).length,
      newLast24h,
      answeredLast24h,
    },
    unanswered,
    metrics: {
      last7Days: periodMetrics(recent, weekAgo, nowMs, nowMs, slaHours),
      previous7Days: periodMetrics(recent, twoWeeksAgo, weekAgo, nowMs, slaHours),
      topHelpers: topHelpers(config, lastWeek),
    },
  };
}
