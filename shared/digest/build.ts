import { isRosterMember, recipientId } from "../model/config-values.ts";
import type { Config, Recipient } from "../model/config.ts";
import type { Digest } from "../model/digest.ts";
import type { Actor, Source } from "../model/activity.ts";
import type { DigestAction, Thread } from "../model/thread.ts";
import { actionUrl, queueUrl } from "../actions/links.ts";
import { boundExcerpt } from "../model/activity.ts";
import { boundName, boundTitle, boundedHttpUrl } from "../text/index.ts";
import { questionStatusAt } from "../threads/status.ts";
import type { ActionCounts, AdvocateDigest, AdvocateDigestItem, AdvocatePeriodMetrics, Nudge } from "./schema.ts";
import { percentile, roundToTenth } from "./stats.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const TOP_HELPERS = 5;

/** One digest action, wherever it was read from (the thread's log or the action activities). */
export interface ActionRecord {
  action: DigestAction;
  at: string;
  threadId: string;
  source: Source;
  channelId: string;
}

/** An earlier question of an asker (for the first-time asker mark). */
export interface AskedQuestion {
  threadId: string;
  createdAt: string;
}

export interface BuildDigestInput {
  now: Date;
  config: Config;
  /** Null builds the digest for nobody in particular (e.g. `digest --json`): every source, no action links. */
  recipient: Recipient | null;
  /** Threads from the open-question index (status open, isQuestion true). */
  openQuestions: readonly Thread[];
  /** Question threads created in [now - 14 days, now], any status. */
  recentQuestions: readonly Thread[];
  /**
   * Every question each asker of an open question opened (by actor id), for the first-time
   * asker mark; an asker missing here is "not known" (no mark either way).
   */
  askerHistory?: ReadonlyMap<string, readonly AskedQuestion[]>;
  /**
   * Digest actions of the last 14 days, all threads. Without it they are counted from the
   * logs of the threads this digest reads (which misses threads no index holds any more).
   */
  recentActions?: readonly ActionRecord[];
  /** Sign action links with this key, pointing at this front door (needs a recipient). */
  links?: { baseUrl: string; secret: string };
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
  /** The SLA this thread is held to (channel, recipient, digest). */
  slaHours: number;
}

function instantMs(value: string, what: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new DigestInputError(`${what} is not a timestamp: ${JSON.stringify(value)}`);
  return ms;
}

/** The first-response SLA of a channel for a recipient: the channel's own wins, then the recipient's, then the digest's. */
export function slaHoursFor(config: Config, recipient: Recipient | null, channelId: string): number {
  return config.digest.channelSlaHours[channelId] ?? recipient?.slaHours ?? config.digest.slaHours;
}

function timed(thread: Thread, nowMs: number, slaHours: number): TimedThread {
  const createdMs = instantMs(thread.createdAt, `thread ${thread.id} createdAt`);
  const responseMs =
    thread.firstResponseAt === null ? null : instantMs(thread.firstResponseAt, `thread ${thread.id} firstResponseAt`);
  // A digest built for a past `now` (a re-run) must not count responses from its future.
  return { thread, createdMs, firstResponseMs: responseMs !== null && responseMs <= nowMs ? responseMs : null, slaHours };
}

/**
 * Index pages can overlap while threads are being rewritten, so the same thread may come twice;
 * keep the freshest snapshot.
 */
function uniqueThreads(threads: readonly Thread[]): Thread[] {
  const byId = new Map<string, Thread>();
  for (const thread of threads) {
    const seen = byId.get(thread.id);
    if (!seen || Date.parse(thread.lastActivityAt) > Date.parse(seen.lastActivityAt) || (thread.actions.length > seen.actions.length && thread.lastActivityAt === seen.lastActivityAt)) {
      byId.set(thread.id, thread);
    }
  }
  return [...byId.values()];
}

function withinWindow(ms: number, fromExclusive: number, toInclusive: number): boolean {
  return ms > fromExclusive && ms <= toInclusive;
}

/** Team by the flag the adapter set when it saw them, or by today's roster (which may have grown since). */
function isTeamActor(config: Config, source: Source, actor: Actor | null): boolean {
  return actor !== null && (actor.isTeam || isRosterMember(config, source, actor.login));
}

/** Who gave the answer: the marked answer's author, else the first qualifying responder. */
function answerer(thread: Thread): Actor | null {
  return thread.acceptedAnswerBy ?? thread.firstResponder;
}

function isAnsweredNow(thread: Thread, now: Date): boolean {
  const status = questionStatusAt(thread, now);
  return thread.status === "answered" || status === "answered" || status === "answered-unmarked";
}

function countActions(records: readonly ActionRecord[], fromMs: number, toMs: number): ActionCounts {
  const counts: ActionCounts = { snooze: 0, "not-a-question": 0, resolved: 0, take: 0 };
  for (const r of records) if (withinWindow(instantMs(r.at, `action on ${r.threadId}`), fromMs, toMs)) counts[r.action] += 1;
  return counts;
}

function periodMetrics(
  config: Config,
  questions: readonly TimedThread[],
  teamQuestions: readonly TimedThread[],
  actions: readonly ActionRecord[],
  fromMs: number,
  toMs: number,
  now: Date,
): AdvocatePeriodMetrics {
  const nowMs = now.getTime();
  const inPeriod = questions.filter((q) => withinWindow(q.createdMs, fromMs, toMs));
  const responseHours: number[] = [];
  let answered = 0;
  let answeredByTeam = 0;
  let answeredByCommunity = 0;
  let decidable = 0;
  let withinSla = 0;
  for (const q of inPeriod) {
    if (q.thread.status === "answered") answered += 1;
    if (isAnsweredNow(q.thread, now)) {
      const by = answerer(q.thread);
      if (by !== null) {
        if (isTeamActor(config, q.thread.source, by)) answeredByTeam += 1;
        else answeredByCommunity += 1;
      }
    }
    if (q.firstResponseMs !== null) {
      // Clamped: a createdAt that fell back to the earliest stored activity can trail the reply slightly.
      const hours = Math.max(0, q.firstResponseMs - q.createdMs) / HOUR_MS;
      responseHours.push(hours);
      decidable += 1;
      if (hours <= q.slaHours) withinSla += 1;
    } else if (q.thread.status === "answered" && q.thread.firstResponseAt === null) {
      // Answered with no response time (the asker's own accepted answer, a ✅ whose moment
      // backfill could not learn): neither a response time nor an SLA miss.
    } else if ((nowMs - q.createdMs) / HOUR_MS > q.slaHours) {
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
    answeredByTeam,
    answeredByCommunity,
    teamQuestions: teamQuestions.filter((q) => withinWindow(q.createdMs, fromMs, toMs)).length,
    actions: countActions(actions, fromMs, toMs),
  };
}

/** Community (non-team, non-bot) people ranked by the questions they were first to respond to. */
function topHelpers(config: Config, questions: readonly TimedThread[]): Helper[] {
  const byActor = new Map<string, Helper>();
  for (const q of questions) {
    const responder = q.thread.firstResponder;
    if (q.firstResponseMs === null || responder === null || responder.isBot || isTeamActor(config, q.thread.source, responder)) continue;
    const helper = byActor.get(responder.id);
    if (helper) helper.firstResponses += 1;
    else byActor.set(responder.id, { actorId: responder.id, login: boundName(responder.login), isTeam: false, firstResponses: 1 });
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

/** True when the asker has no question created before this one; null when their history is not known. */
function isFirstTimeAsker(thread: Thread, createdMs: number, history: ReadonlyMap<string, readonly AskedQuestion[]> | undefined): boolean | null {
  const author = thread.author;
  if (author === null || history === undefined) return null;
  const asked = history.get(author.id);
  if (asked === undefined) return null;
  return !asked.some((q) => {
    if (q.threadId === thread.id) return false;
    const ms = Date.parse(q.createdAt);
    // Same instant: the thread id decides, so of two simultaneous first questions exactly one is marked.
    return ms < createdMs || (ms === createdMs && q.threadId < thread.id);
  });
}

function actionLinks(input: BuildDigestInput, threadId: string): AdvocateDigestItem["actions"] {
  const { links, recipient, config, now } = input;
  if (!links || !recipient || !config.actions.enabled) return null;
  const expiresAt = new Date(now.getTime() + config.actions.linkTtlHours * HOUR_MS);
  const url = (action: DigestAction) => actionUrl(links.baseUrl, links.secret, { action, threadId, recipient: recipientId(recipient), expiresAt });
  return { snooze: url("snooze"), "not-a-question": url("not-a-question"), resolved: url("resolved"), take: url("take") };
}

/** The signed link to the recipient's whole queue (every open question, their filters); null without links. */
function queueLink(input: BuildDigestInput): string | null {
  const { links, recipient, config, now } = input;
  if (!links || !recipient || !config.actions.enabled) return null;
  const expiresAt = new Date(now.getTime() + config.actions.queuePageTtlHours * HOUR_MS);
  return queueUrl(links.baseUrl, links.secret, { recipient: recipientId(recipient), expiresAt, order: "oldest" });
}

/**
 * Which thread, where, by whom: the fields a listed question and a nudge share. Stored threads
 * may predate the bounds on untrusted text (shared/text/limits.ts), so they are applied again
 * here: the digest JSON never carries an over-long title or name, nor a URL that is not http(s)
 * ("" then: the renderers show the title without a link).
 */
function whereAndWhat(thread: Thread) {
  return {
    threadId: thread.id,
    source: thread.source,
    instance: thread.instance,
    channel: boundName(thread.channel.name),
    channelId: thread.channel.id,
    title: boundTitle(thread.title),
    url: boundedHttpUrl(thread.url) ?? "",
    author: thread.author === null ? null : boundName(thread.author.login),
  };
}

function digestItem(input: BuildDigestInput, q: TimedThread, status: "needs-first-response" | "awaiting-team"): AdvocateDigestItem {
  const { thread } = q;
  const ageHours = (input.now.getTime() - q.createdMs) / HOUR_MS;
  const assignee = thread.assignee;
  return {
    ...whereAndWhat(thread),
    authorId: thread.author?.id ?? null,
    createdAt: new Date(q.createdMs).toISOString(),
    ageHours: roundToTenth(ageHours),
    overdue: ageHours > q.slaHours,
    excerpt: boundExcerpt(thread.excerpt, input.config.privacy.excerptLength),
    replyCount: thread.replyCount,
    questionStatus: status,
    slaHours: q.slaHours,
    firstTimeAsker: isTeamActor(input.config, thread.source, thread.author) ? false : isFirstTimeAsker(thread, q.createdMs, input.askerHistory),
    askerIsTeam: isTeamActor(input.config, thread.source, thread.author),
    assignee: assignee === null ? null : boundName(assignee.name ?? assignee.login),
    assigneeId: assignee?.id ?? null,
    actions: actionLinks(input, thread.id),
  };
}

function nudgeOf(config: Config, q: TimedThread, nowMs: number): Nudge {
  const { thread } = q;
  const by = answerer(thread);
  return {
    ...whereAndWhat(thread),
    createdAt: new Date(q.createdMs).toISOString(),
    ageHours: roundToTenth((nowMs - q.createdMs) / HOUR_MS),
    answeredBy: by === null ? null : boundName(by.login),
    answeredByTeam: isTeamActor(config, thread.source, by),
    firstResponseAt: thread.firstResponseAt,
  };
}

/** The digest actions recorded in the threads' own logs (the fallback when no action list is given). */
function actionsFromThreads(threads: readonly Thread[]): ActionRecord[] {
  return threads.flatMap((t) => t.actions.map((a) => ({ action: a.action, at: a.at, threadId: t.id, source: t.source, channelId: t.channel.id })));
}

/**
 * The morning digest for one recipient: every open question that still needs a response
 * (oldest first), the answered-but-unmarked nudges, and the numbers a community team is judged
 * by. Pure: the caller reads the indexes (and, for the first-time mark, the askers' history).
 */
export function buildDigest(input: BuildDigestInput): AdvocateDigest {
  const { now, config, recipient } = input;
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new DigestInputError(`now must be a valid Date, got ${String(now)}`);
  }
  const nowMs = now.getTime();
  const { minAgeHours, maxAgeDays } = config.digest;
  const slaHours = recipient?.slaHours ?? config.digest.slaHours;
  const wantedSources: ReadonlySet<Source> | null =
    recipient && recipient.sources.length > 0 ? new Set(recipient.sources) : null;
  const wantedChannels: ReadonlySet<string> | null =
    recipient && recipient.channels.length > 0 ? new Set(recipient.channels) : null;
  const wanted = (source: Source, channelId: string) =>
    (wantedSources === null || wantedSources.has(source)) && (wantedChannels === null || wantedChannels.has(channelId));
  const forRecipient = (thread: Thread) => wanted(thread.source, thread.channel.id);
  const timedFor = (t: Thread) => timed(t, nowMs, slaHoursFor(config, recipient, t.channel.id));
  const inAgeRange = (q: TimedThread) => {
    const ageHours = (nowMs - q.createdMs) / HOUR_MS;
    if (ageHours < 0) return false; // created after `now`: not part of this digest's world
    if (ageHours < minAgeHours) return false;
    return maxAgeDays === undefined || ageHours <= maxAgeDays * 24;
  };
  const oldestFirst = (a: TimedThread, b: TimedThread) => a.createdMs - b.createdMs || compareText(a.thread.id, b.thread.id);

  const openThreads = uniqueThreads(input.openQuestions).filter((t) => t.status === "open" && t.isQuestion && forRecipient(t));
  const waiting = openThreads
    .map(timedFor)
    .filter(inAgeRange)
    .sort(oldestFirst);
  const unanswered: AdvocateDigestItem[] = [];
  let snoozed = 0;
  for (const q of waiting) {
    const status = questionStatusAt(q.thread, now);
    if (status === "needs-first-response" || status === "awaiting-team") unanswered.push(digestItem(input, q, status));
    else if (status === "snoozed") snoozed += 1;
  }

  // Deleted threads are usually spam or mistakes: counting them would punish the team for cleaning up.
  const recentAll = uniqueThreads(input.recentQuestions)
    .filter((t) => t.isQuestion && t.status !== "deleted" && forRecipient(t))
    .map(timedFor);
  // Questions the team asks are team-internal: they stay out of the community numbers.
  const recent = recentAll.filter((q) => !isTeamActor(config, q.thread.source, q.thread.author));
  const teamAsked = recentAll.filter((q) => isTeamActor(config, q.thread.source, q.thread.author));

  // Answered-unmarked threads leave the open index under any-reply, so they come from the recent ones too.
  const nudgeCandidates = uniqueThreads([...input.recentQuestions, ...input.openQuestions])
    .filter((t) => t.isQuestion && forRecipient(t) && questionStatusAt(t, now) === "answered-unmarked")
    .map(timedFor)
    .filter(inAgeRange)
    .sort(oldestFirst);
  const nudges = nudgeCandidates.map((q) => nudgeOf(config, q, nowMs));

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
  const actions = (input.recentActions ?? actionsFromThreads(uniqueThreads([...input.openQuestions, ...input.recentQuestions]))).filter((a) =>
    wanted(a.source, a.channelId),
  );

  return {
    generatedAt: now.toISOString(),
    recipient: recipient === null ? null : (recipient.email ?? recipientId(recipient)),
    community: config.name,
    slaHours,
    counts: {
      open: unanswered.length,
      overdue: unanswered.filter((item) => item.overdue).length,
      newLast24h,
      answeredLast24h,
      snoozed,
      nudges: nudges.length,
    },
    unanswered,
    nudges,
    queueUrl: queueLink(input),
    metrics: {
      last7Days: periodMetrics(config, recent, teamAsked, actions, weekAgo, nowMs, now),
      previous7Days: periodMetrics(config, recent, teamAsked, actions, twoWeeksAgo, weekAgo, now),
      topHelpers: topHelpers(config, lastWeek),
    },
  };
}
