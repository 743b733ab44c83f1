/**
 * History backfill for Stack Overflow (any Stack Exchange site): for each watched tag, the
 * questions with activity since `since`, oldest activity first, with their answers and comments,
 * queued as the same `questions` envelopes the poller produces. Normalisation is idempotent by
 * natural ids (question, answer and comment ids; versions by last edit), so a rerun, or a
 * backfill overlapping the poller, changes nothing already stored.
 *
 * Resumable: after each page is sent, the tag's cursor (`backfill-stackoverflow` /
 * `<site>:<tag>`) records the last activity date sent; a rerun starts from max(since, cursor).
 * Requests: one listing per 100 questions, plus one `/questions/{ids}/answers` and one
 * `/posts/{ids}/comments` per 100 ids (and page). The quota reserve is never spent: the run
 * stops with a message and resumes later.
 */
import { randomUUID } from "node:crypto";
import { MESSAGE_ATTRIBUTE_HEADROOM_BYTES } from "../../queue/envelope-queue.ts";
import { BACKFILL_HEADER, timeFraction, type ScopeBackfillResult, type SourceBackfill, type SourceBackfillDeps, type SourceBackfillResult } from "../../backfill/types.ts";
import type { StackOverflowSourceConfig } from "../../model/config.ts";
import { StackExchangeApiError, StackExchangeClient, StackExchangeKeyError, StackExchangeQuotaError, stackExchangeKeyFrom } from "./client.ts";
import { questionEnvelopes } from "./envelopes.ts";
import { readQuestionDetails, readQuestions } from "./read.ts";

export const backfillStackOverflow: SourceBackfill = async (deps) => {
  const result: SourceBackfillResult = { source: "stackoverflow", scopes: [], envelopes: 0, requests: 0, stopped: null };
  const so = deps.config.sources.stackoverflow;
  if (!so?.enabled || so.tags.length === 0) return result;
  const key = stackExchangeKeyFrom(deps.token);
  const client = new StackExchangeClient({
    baseUrl: so.apiBaseUrl,
    site: so.site,
    key,
    now: () => deps.now().getTime(),
    secondMs: deps.retryAfterUnitMs ?? 1000,
  });
  for (const tag of so.tags) {
    const scope = `${so.site}:${tag}`;
    const r: ScopeBackfillResult = { scope, items: 0, envelopes: 0, pages: 0, requests: 0, done: false, detail: { questions: 0, answers: 0, comments: 0 } };
    result.scopes.push(r);
    const before = client.stats.requests;
    try {
      await backfillTag(deps, so, client, tag, r);
      r.done = true;
      progress(deps, client, r, null);
    } catch (err) {
      result.stopped = { scope, reason: describeFailure(err, so, key !== null) };
      deps.log?.(`stackoverflow: backfill of [${tag}] stopped: ${result.stopped.reason}`);
      break;
    } finally {
      r.requests = client.stats.requests - before;
      result.envelopes += r.envelopes;
    }
  }
  result.requests = client.stats.requests;
  return result;
};

function progress(deps: SourceBackfillDeps, client: StackExchangeClient, r: ScopeBackfillResult, lastActivity: number | null): void {
  deps.onProgress?.({
    source: "stackoverflow",
    scope: r.scope,
    items: r.items,
    pages: r.pages,
    rateLimitRemaining: client.stats.quotaRemaining,
    fraction: r.done ? 1 : timeFraction(deps.since, deps.now(), lastActivity === null ? null : lastActivity * 1000),
    done: r.done,
  });
}

async function backfillTag(
  deps: SourceBackfillDeps,
  so: StackOverflowSourceConfig,
  client: StackExchangeClient,
  tag: string,
  r: ScopeBackfillResult,
): Promise<void> {
  const cursorKey = `${so.site}:${tag}`;
  const stored = Number(await deps.cursors.get(cursorKey));
  const since = Math.floor(deps.since.getTime() / 1000);
  let min = Number.isSafeInteger(stored) && stored > since ? stored : since;
  const maxBytes = deps.config.queue.maxMessageBytes - MESSAGE_ATTRIBUTE_HEADROOM_BYTES;
  const sent = new Set<number>();
  for (let page = 1; ; ) {
    const res = await client.questionsByActivity(tag, min, page);
    r.pages++;
    const { ok } = readQuestions(res.items);
    // Keyset paging re-reads the questions at `min`: each is queued once per run.
    const fresh = ok.filter((q) => !sent.has(q.question_id));
    const details = await readQuestionDetails(client, fresh);
    const last = ok.reduce((m, q) => Math.max(m, q.last_activity_date), min);
    const fetchedAt = Math.floor(deps.now().getTime() / 1000);
    const envelopes = questionEnvelopes(
      {
        site: so.site,
        fetchedAt,
        receivedAt: deps.now().toISOString(),
        newId: randomUUID,
        maxBytes,
        headers: { [BACKFILL_HEADER]: "1" },
        deliveryId: (qs) => {
          const ids = qs.map((q) => Number(q["question_id"]));
          const version = Math.max(...qs.map((q) => Number(q["last_activity_date"])));
          return `backfill:stackoverflow:${so.site}:questions:${ids[0]}-${ids.at(-1)}:${version}`;
        },
      },
      details.questions,
    );
    if (!deps.dryRun && envelopes.length > 0) await deps.send(envelopes);
    for (const q of fresh) sent.add(q.question_id);
    r.envelopes += envelopes.length;
    r.items += fresh.length + details.answersRead + details.commentsRead;
    r.detail!["questions"]! += fresh.length;
    r.detail!["answers"]! += details.answersRead;
    r.detail!["comments"]! += details.commentsRead;
    // The cursor moves only once the page is queued.
    if (!deps.dryRun && last > min) await deps.cursors.set(cursorKey, String(last), deps.now());
    progress(deps, client, r, fresh.length > 0 ? last : null);
    if (!res.has_more) return;
    if (last > min) {
      min = last;
      page = 1;
    } else {
      page++;
    }
  }
}

/** Why the backfill stopped, in words a person can act on. */
export function describeFailure(err: unknown, so: StackOverflowSourceConfig, keyed: boolean): string {
  const name = so.keySecretName;
  if (err instanceof StackExchangeQuotaError) {
    const left = err.quotaRemaining !== null ? ` (${err.quotaRemaining} of ${err.quotaMax} requests left)` : "";
    const wait = err.retryAfterSeconds !== null ? `; Stack Exchange allows requests again in ${err.retryAfterSeconds} s` : "";
    const more = keyed ? "" : `; without a key the quota is 300 requests a day: set ${name} to a Stack Apps key for 10,000`;
    return `Stack Exchange's daily quota is spent${left}${wait}${more}; run backfill again later, it resumes where it stopped`;
  }
  if (err instanceof StackExchangeKeyError) {
    return `Stack Exchange refused ${name} or the site "${so.site}" (${err.message}): set ${name} to the key of an app registered on stackapps.com (no scope is needed to read), or unset it to read anonymously`;
  }
  if (err instanceof StackExchangeApiError) return `${err.message}; run backfill again, it resumes where it stopped`;
  const message = err instanceof Error ? err.message : String(err);
  return `${message}; run backfill again, it resumes where it stopped`;
}
