import { MESSAGE_ATTRIBUTE_HEADROOM_BYTES } from "../../queue/envelope-queue.ts";
import type { Config, StackOverflowSourceConfig } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import type { Clock } from "../../runtime/clock.ts";
import { MAX_IDS, StackExchangeApiError, StackExchangeClient, StackExchangeKeyError, StackExchangeQuotaError } from "./client.ts";
import { deletionsEnvelope, questionEnvelopes } from "./envelopes.ts";
import type { SeQuestion } from "./payload.ts";
import { readQuestionDetails, readQuestions } from "./read.ts";
import { decodeEntities } from "./text.ts";

/** The poller's positions and memory, by key (already namespaced to the source). */
export interface StackOverflowCursors {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

/** The ingest queue; resolves only once the envelope is durably queued. */
export interface EnvelopeSink {
  send(envelope: Envelope): Promise<string>;
}

export interface PollStackOverflowDeps {
  config: Config;
  /** The app key, or null for the anonymous quota. */
  key: string | null;
  /** Defaults to a client for `apiBaseUrl`, the site and the key. */
  client?: StackExchangeClient;
  cursors: StackOverflowCursors;
  sink: EnvelopeSink;
  now: Clock;
  newId: () => string;
  log?: (line: string) => void;
  /** How far back a tag read for the first time starts (default 7 days; `backfill` reads further). */
  lookbackDays?: number;
  /** Listing pages (100 questions each) read per tag and run at most; the rest waits for the next run. */
  maxPagesPerTag?: number;
}

export interface TagPollReport {
  tag: string;
  pages: number;
  /** Questions listed with activity since the cursor. */
  questions: number;
  /** Of those, the ones new or changed since the poller last saw them (queued with their answers and comments). */
  changed: number;
  morePending: boolean;
  error: string | null;
}

export interface PollReport {
  startedAt: string;
  finishedAt: string;
  site: string | null;
  tags: TagPollReport[];
  /** Watched questions looked up by id for closes, deletions and lost acceptances. */
  rechecked: number;
  questionsQueued: number;
  answersRead: number;
  commentsRead: number;
  deletedQuestions: number;
  deletedAnswers: number;
  envelopesSent: number;
  requests: number;
  backoffWaits: number;
  backoffWaitedMs: number;
  largestBackoffSeconds: number;
  quotaRemaining: number | null;
  quotaMax: number | null;
  /** Why the run stopped for the quota (reserve reached, or throttled), or null. */
  quotaStop: { reason: "reserve" | "throttle" | "paused"; message: string; resumeAt: string | null } | null;
  /** Questions per tag still being watched after this run. */
  watched: number;
}

/** The key refused, or another error that every further request would repeat: the run stops. */
export class StackOverflowPollAbortedError extends Error {
  override readonly name = "StackOverflowPollAbortedError";
  constructor(
    override readonly cause: StackExchangeApiError,
    readonly report: PollReport,
  ) {
    super(`Stack Overflow poll stopped: ${cause.message}`);
  }
}

/** Questions active within this many days are re-checked by id every run (closes, deletions, un-acceptances). */
export const WATCH_DAYS = 14;
/** At most this many questions are watched (the most recently active): 3 requests a run. */
export const WATCH_MAX = 300;

/** What the poller remembers of a question it queued, to see what the API only shows by absence. */
interface Watched {
  /** The channel (tag) it was filed under. */
  t: string;
  /** last_activity_date */
  la: number;
  /** answer_count */
  n: number;
  /** accepted_answer_id, 0 when none */
  acc: number;
  /** closed (1) or not (0) */
  cl: number;
  /** Answer ids seen. */
  a: number[];
}

type Watch = Map<number, Watched>;

const watchKey = (site: string) => `${site}:watch`;
const quotaKey = (site: string) => `${site}:quota`;
const tagKey = (site: string, tag: string) => `${site}:tag:${tag}`;

function parseWatch(value: string | null): Watch {
  const watch: Watch = new Map();
  if (!value) return watch;
  try {
    const parsed = JSON.parse(value) as { v?: number; q?: Record<string, Watched> };
    for (const [id, w] of Object.entries(parsed.q ?? {})) {
      if (Number.isSafeInteger(Number(id)) && Array.isArray(w.a)) watch.set(Number(id), w);
    }
  } catch {
    // A damaged memory costs one run of deletion checks, not the run.
  }
  return watch;
}

function formatWatch(watch: Watch): string {
  return JSON.stringify({ v: 1, q: Object.fromEntries(watch) });
}

/** The first watched tag in the question's own list: its channel. */
export function channelTag(so: Pick<StackOverflowSourceConfig, "tags">, tags: readonly string[]): string {
  const decoded = tags.map(decodeEntities);
  return decoded.find((t) => so.tags.includes(t)) ?? decoded[0] ?? "untagged";
}

/** Whether the API shows anything about `q` that the poller has not queued yet. */
function changedSince(q: SeQuestion, w: Watched | undefined): boolean {
  if (!w) return true;
  return (
    q.last_activity_date !== w.la ||
    (q.answer_count ?? 0) !== w.n ||
    (q.accepted_answer_id ?? 0) !== w.acc ||
    (q.closed_date !== undefined ? 1 : 0) !== w.cl
  );
}

/**
 * The UTC midnight after `at`: when the poller tries again after Stack Exchange said the quota is
 * spent without saying for how long (the quota is daily; its exact reset time is not documented).
 */
function nextUtcMidnight(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));
}

/**
 * One polling run of the configured site and tags:
 * 1. per tag, `/questions?tagged=<tag>&sort=activity&order=asc&min=<cursor>` page by page
 *    (keyset paging: `min` moves to the last activity read), so the oldest changes go first;
 * 2. for the questions that are new or changed since last seen, their answers
 *    (`/questions/{ids}/answers`) and comments (`/posts/{ids}/comments`), 100 ids a request;
 * 3. the watched questions not listed (active in the last WATCH_DAYS) looked up by id
 *    (`/questions/{ids}`): one missing is deleted, a changed one is read as in 2.
 * Each page is queued (a `questions` envelope, plus `deletions` when posts disappeared) and only
 * then does its cursor move. A run never spends the quota reserve; when Stack Exchange throttles
 * or the reserve is reached, the run stops, says so in `quotaStop`, and later runs rest until the
 * stated time (or the next UTC day).
 */
export async function pollStackOverflow(deps: PollStackOverflowDeps): Promise<PollReport> {
  const started = deps.now();
  const report: PollReport = {
    startedAt: started.toISOString(),
    finishedAt: started.toISOString(),
    site: null,
    tags: [],
    rechecked: 0,
    questionsQueued: 0,
    answersRead: 0,
    commentsRead: 0,
    deletedQuestions: 0,
    deletedAnswers: 0,
    envelopesSent: 0,
    requests: 0,
    backoffWaits: 0,
    backoffWaitedMs: 0,
    largestBackoffSeconds: 0,
    quotaRemaining: null,
    quotaMax: null,
    quotaStop: null,
    watched: 0,
  };
  const so = deps.config.sources.stackoverflow;
  if (!so?.enabled) {
    deps.log?.("stackoverflow: source not configured or disabled; nothing to poll");
    return report;
  }
  report.site = so.site;

  const paused = await deps.cursors.get(quotaKey(so.site));
  const resumeAt = paused ? Date.parse(paused) : Number.NaN;
  if (Number.isFinite(resumeAt) && resumeAt > started.getTime()) {
    const at = new Date(resumeAt).toISOString();
    report.quotaStop = { reason: "paused", message: `the quota was spent; polling rests until ${at}`, resumeAt: at };
    deps.log?.(`stackoverflow: quota spent earlier; resting until ${at} (no request made)`);
    return report;
  }

  const client =
    deps.client ??
    new StackExchangeClient({ baseUrl: so.apiBaseUrl, site: so.site, key: deps.key, now: () => deps.now().getTime() });
  const before = client.stats;
  const run = new Run(deps, so, client, report, await readWatch(deps, so.site));
  const finish = () => {
    const stats = client.stats;
    report.finishedAt = deps.now().toISOString();
    report.requests = stats.requests - before.requests;
    report.backoffWaits = stats.backoffWaits - before.backoffWaits;
    report.backoffWaitedMs = stats.backoffWaitedMs - before.backoffWaitedMs;
    report.largestBackoffSeconds = stats.largestBackoffSeconds;
    report.quotaRemaining = stats.quotaRemaining;
    report.quotaMax = stats.quotaMax;
    report.watched = run.watch.size;
  };

  try {
    for (const tag of so.tags) {
      const tagReport: TagPollReport = { tag, pages: 0, questions: 0, changed: 0, morePending: false, error: null };
      report.tags.push(tagReport);
      try {
        await run.pollTag(tag, tagReport);
      } catch (err) {
        tagReport.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw err;
      }
    }
    await run.recheckWatched();
  } catch (err) {
    await run.saveWatch().catch(() => undefined);
    finish();
    if (err instanceof StackExchangeQuotaError) {
      // Not a failure of the run: log it, mark it (the alarm counts these), rest until the quota is back.
      const resume = err.retryAfterSeconds !== null ? new Date(deps.now().getTime() + err.retryAfterSeconds * 1000) : nextUtcMidnight(deps.now());
      await deps.cursors.set(quotaKey(so.site), resume.toISOString());
      report.quotaStop = { reason: err.reason, message: err.message, resumeAt: resume.toISOString() };
      deps.log?.(
        `stackoverflow: stopping for the quota (${err.reason}): ${err.message}; ` +
          `${report.quotaRemaining ?? "?"} of ${report.quotaMax ?? "?"} requests left; next poll after ${resume.toISOString()}` +
          (deps.key ? "" : " (no key: register one for 10,000 requests a day, see docs/stackoverflow.md)"),
      );
      return report;
    }
    if (err instanceof StackExchangeApiError) {
      const hint = err instanceof StackExchangeKeyError ? `; check ${so.keySecretName} (a Stack Apps key) and sources.stackoverflow.site` : "";
      deps.log?.(`stackoverflow: poll stopped: ${err.message}${hint}`);
      throw new StackOverflowPollAbortedError(err, report);
    }
    throw err;
  }
  await run.saveWatch();
  finish();
  deps.log?.(
    `stackoverflow: ${so.site} [${so.tags.join(", ")}]: ${report.requests} requests, ${report.questionsQueued} question(s) queued, ` +
      `${report.deletedQuestions + report.deletedAnswers} deletion(s), ${report.envelopesSent} envelope(s); quota ${report.quotaRemaining ?? "?"}/${report.quotaMax ?? "?"}`,
  );
  return report;
}

async function readWatch(deps: PollStackOverflowDeps, site: string): Promise<Watch> {
  return parseWatch(await deps.cursors.get(watchKey(site)));
}

class Run {
  /** Questions read fresh in this run (listed or looked up): not looked up again. */
  private readonly seen = new Set<number>();
  private readonly maxEnvelopeBytes: number;

  constructor(
    private readonly deps: PollStackOverflowDeps,
    private readonly so: StackOverflowSourceConfig,
    private readonly client: StackExchangeClient,
    private readonly report: PollReport,
    readonly watch: Watch,
  ) {
    this.maxEnvelopeBytes = deps.config.queue.maxMessageBytes - MESSAGE_ATTRIBUTE_HEADROOM_BYTES;
  }

  async pollTag(tag: string, r: TagPollReport): Promise<void> {
    const key = tagKey(this.so.site, tag);
    const stored = Number(await this.deps.cursors.get(key));
    const lookback = Math.floor(this.deps.now().getTime() / 1000) - (this.deps.lookbackDays ?? 7) * 86_400;
    let min = Number.isSafeInteger(stored) && stored > 0 ? stored : lookback;
    let page = 1;
    const maxPages = this.deps.maxPagesPerTag ?? 10;
    for (let n = 0; n < maxPages; n++) {
      const res = await this.client.questionsByActivity(tag, min, page);
      r.pages++;
      const { ok, bad } = readQuestions(res.items);
      if (bad > 0) this.deps.log?.(`stackoverflow: ${bad} listed item(s) in [${tag}] are not questions; left out`);
      r.questions += ok.filter((q) => !this.seen.has(q.question_id)).length;
      const changed = ok.filter((q) => !this.seen.has(q.question_id) && changedSince(q, this.watch.get(q.question_id)));
      for (const q of ok) this.seen.add(q.question_id);
      r.changed += changed.length;
      await this.queue(changed);
      // What was queued is remembered before the cursor passes it: a crash in between re-reads, never forgets.
      if (changed.length > 0) await this.saveWatch();
      const last = ok.reduce((m, q) => Math.max(m, q.last_activity_date), min);
      if (last > min) await this.deps.cursors.set(key, String(last));
      if (!res.has_more) return;
      // Keyset paging: the next page starts at the last activity read (inclusive: ties are re-read, not lost).
      if (last > min) {
        min = last;
        page = 1;
      } else {
        page++;
      }
    }
    r.morePending = true;
    this.deps.log?.(`stackoverflow: [${tag}] has more than ${maxPages} pages of activity; the next run carries on`);
  }

  /** Watched questions not listed this run, looked up by id: closes, deletions and lost acceptances show here. */
  async recheckWatched(): Promise<void> {
    this.prune();
    const ids = [...this.watch.keys()].filter((id) => !this.seen.has(id));
    for (let i = 0; i < ids.length; i += MAX_IDS) {
      const batch = ids.slice(i, i + MAX_IDS);
      const res = await this.client.questionsByIds(batch);
      this.report.rechecked += batch.length;
      const { ok } = readQuestions(res.items);
      for (const q of ok) this.seen.add(q.question_id);
      await this.queue(ok.filter((q) => changedSince(q, this.watch.get(q.question_id))));
      // Only a complete answer can prove an absence.
      if (res.has_more) continue;
      const present = new Set(ok.map((q) => q.question_id));
      const gone = batch.filter((id) => !present.has(id));
      if (gone.length > 0) {
        await this.sendDeletions(gone.map((id) => ({ question_id: id, tag: this.watch.get(id)!.t })), []);
        for (const id of gone) this.watch.delete(id);
        this.report.deletedQuestions += gone.length;
      }
    }
  }

  /** Reads the answers and comments of `questions` and queues them; remembers what it queued. */
  private async queue(questions: SeQuestion[]): Promise<void> {
    if (questions.length === 0) return;
    const fetchedAt = Math.floor(this.deps.now().getTime() / 1000);
    const details = await readQuestionDetails(this.client, questions, (q) => (q.answer_count ?? 1) > 0 || (this.watch.get(q.question_id)?.a.length ?? 0) > 0);
    this.report.answersRead += details.answersRead;
    this.report.commentsRead += details.commentsRead;

    const goneAnswers: { answer_id: number; question_id: number; tag: string }[] = [];
    const annotated = details.questions.map((q) => {
      const before = this.watch.get(q.question_id);
      const out: Record<string, unknown> = { ...q };
      if (before) {
        const now = new Set(details.answerIds.get(q.question_id) ?? []);
        for (const id of before.a) if (!now.has(id)) goneAnswers.push({ answer_id: id, question_id: q.question_id, tag: before.t });
        if (before.acc !== 0 && q.accepted_answer_id === undefined) out["community_signals_unaccepted"] = before.acc;
        if (before.cl === 1 && q.closed_date === undefined) out["community_signals_reopened"] = true;
      }
      return out;
    });

    const frame = {
      site: this.so.site,
      fetchedAt,
      receivedAt: this.deps.now().toISOString(),
      newId: this.deps.newId,
      maxBytes: this.maxEnvelopeBytes,
    };
    const envelopes = questionEnvelopes(
      { ...frame, deliveryId: (qs) => `stackoverflow:${this.so.site}:questions:${qs.map((q) => q["question_id"]).join(",").slice(0, 60)}:${fetchedAt}` },
      annotated,
    );
    for (const envelope of envelopes) {
      await this.deps.sink.send(envelope);
      this.report.envelopesSent++;
    }
    if (goneAnswers.length > 0) {
      await this.sendDeletions([], goneAnswers);
      this.report.deletedAnswers += goneAnswers.length;
    }
    this.report.questionsQueued += questions.length;
    for (const q of details.questions) {
      this.watch.set(q.question_id, {
        t: channelTag(this.so, q.tags),
        la: q.last_activity_date,
        n: q.answer_count ?? 0,
        acc: q.accepted_answer_id ?? 0,
        cl: q.closed_date !== undefined ? 1 : 0,
        a: details.answerIds.get(q.question_id) ?? [],
      });
    }
  }

  private async sendDeletions(questions: { question_id: number; tag: string }[], answers: { answer_id: number; question_id: number; tag: string }[]): Promise<void> {
    const fetchedAt = Math.floor(this.deps.now().getTime() / 1000);
    const ids = [...questions.map((q) => `q${q.question_id}`), ...answers.map((a) => `a${a.answer_id}`)].join(",").slice(0, 80);
    const envelope = deletionsEnvelope(
      { site: this.so.site, fetchedAt, receivedAt: this.deps.now().toISOString(), newId: this.deps.newId, maxBytes: this.maxEnvelopeBytes },
      `stackoverflow:${this.so.site}:deletions:${ids}:${fetchedAt}`,
      { questions, answers },
    );
    await this.deps.sink.send(envelope);
    this.report.envelopesSent++;
  }

  /** Forget questions inactive for WATCH_DAYS, and all but the WATCH_MAX most recently active. */
  private prune(): void {
    const horizon = Math.floor(this.deps.now().getTime() / 1000) - WATCH_DAYS * 86_400;
    const kept = [...this.watch.entries()].filter(([, w]) => w.la >= horizon).sort((a, b) => b[1].la - a[1].la || b[0] - a[0]);
    this.watch.clear();
    for (const [id, w] of kept.slice(0, WATCH_MAX)) this.watch.set(id, w);
  }

  async saveWatch(): Promise<void> {
    this.prune();
    await this.deps.cursors.set(watchKey(this.so.site), formatWatch(this.watch));
  }
}
