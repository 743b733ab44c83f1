import { ACCEPTED_AT_UNKNOWN_TIME, type Activity, type Actor, type ThreadRef } from "../model/activity.ts";
import type { AnswerPolicy, DigestAction, QuestionStatus, Thread, ThreadAction, ThreadStatus } from "../model/thread.ts";
import { dedupeActivities } from "./dedupe.ts";
import { assertInstant, compareInstants, compareStrings, maxBy, minBy } from "./order.ts";

const POLICIES: readonly AnswerPolicy[] = ["any-reply", "team-reply", "accepted"];

function assertPolicy(policy: AnswerPolicy): void {
  // Policies come from a config file; a typo there must fail loudly, not count as "any-reply".
  if (!POLICIES.includes(policy)) throw new RangeError(`unknown answer policy: ${JSON.stringify(policy)}`);
}

/** Platform time first; the activity id breaks ties so equal timestamps still order the same way. */
function byTimeThenId(a: Activity, b: Activity): number {
  return compareInstants(a.occurredAt, b.occurredAt) || compareStrings(a.id, b.id);
}

/** Activity kinds of digest actions, and the action each records. */
export const ACTION_KINDS = {
  action_snooze: "snooze",
  action_not_a_question: "not-a-question",
  action_resolved: "resolved",
  action_take: "take",
} as const satisfies Partial<Record<Activity["kind"], DigestAction>>;

export function isActionActivity(activity: Activity): activity is Activity & { kind: keyof typeof ACTION_KINDS } {
  return activity.kind in ACTION_KINDS;
}

function copyActor(actor: Actor | null): Actor | null {
  return actor === null ? null : { ...actor };
}

/**
 * Whether `activity` is a response that can answer a thread by `author`: a reply or review by
 * someone who is not a bot and not the author (any non-bot when the author is unknown), and a
 * team member under `team-reply`.
 */
export function isQualifyingResponse(activity: Activity, author: Actor | null, policy: AnswerPolicy): boolean {
  assertPolicy(policy);
  if (activity.kind !== "reply" && activity.kind !== "review") return false;
  return isQualifyingResponder(activity.actor, author, policy);
}

/** Not a bot, not the asker, and under `team-reply` a team member. */
function isQualifyingResponder(actor: Actor, author: Actor | null, policy: AnswerPolicy): boolean {
  if (actor.isBot) return false;
  if (author !== null && actor.id === author.id) return false;
  return policy !== "team-reply" || actor.isTeam;
}

/** The one thread id all given activities carry; a second id means the caller mixed threads. */
function threadIdOf(activities: readonly Activity[]): string | null {
  const ids = new Set<string>();
  for (const activity of activities) if (activity.thread !== null) ids.add(activity.thread.id);
  const sorted = [...ids].sort(compareStrings);
  if (sorted.length > 1) {
    throw new RangeError(`activities of different threads folded together: ${sorted[0]} and ${sorted[1]}`);
  }
  return sorted[0] ?? null;
}

/**
 * Folds the stored activities of one thread into its state. The result depends only on the set
 * of activities: any order, with any repeats, gives a deep-equal thread. Returns null when no
 * activity says which thread it belongs to. Activities without a thread ref are taken as part of
 * the thread (the caller read them from its partition) but say nothing about its facts.
 */
export function foldThread(activities: readonly Activity[], policy: AnswerPolicy): Thread | null {
  assertPolicy(policy);
  const threadId = threadIdOf(activities);
  if (threadId === null) return null;
  for (const activity of activities) assertInstant(activity.occurredAt, activity.id, "occurredAt");

  const stored = dedupeActivities(activities);

  // Tombstones are never removed themselves: deletion is final, whichever copy arrived first.
  const tombstones = stored.filter((a) => a.kind === "deleted");
  const removedIds = new Set<string>();
  for (const tombstone of tombstones) if (tombstone.target !== null) removedIds.add(tombstone.target);
  const surviving = stored.filter((a) => a.kind === "deleted" || !removedIds.has(a.id));
  // Digest actions are about the thread, not on the platform: they never set its facts or its last activity.
  const actions = surviving.filter(isActionActivity);
  const platform = surviving.filter((a) => !isActionActivity(a));
  const platformStored = stored.filter((a) => !isActionActivity(a));

  // Thread facts may come from removed activities too: a deleted thread keeps its title.
  const carrier = maxBy(
    stored.filter((a): a is Activity & { thread: ThreadRef } => a.thread !== null),
    (a, b) => compareStrings(a.thread.version, b.thread.version) || compareStrings(a.id, b.id),
  );
  if (carrier === undefined) return null; // unreachable: threadIdOf found a ref
  const ref = carrier.thread;
  const earliest = minBy(platformStored.length > 0 ? platformStored : stored, byTimeThenId);
  const createdAt = ref.createdAt ?? earliest?.occurredAt ?? carrier.occurredAt;

  const opening = surviving.find((a) => a.id === threadId && a.kind !== "deleted") ?? null;
  const deleted = removedIds.has(threadId);

  // "Resolved" from the digest closes the thread like a platform close; a later reopen still wins.
  const lastCloseOrReopen = maxBy(
    surviving.filter((a) => a.kind === "thread_closed" || a.kind === "thread_reopened" || a.kind === "action_resolved"),
    byTimeThenId,
  );
  const closedAt = lastCloseOrReopen !== undefined && lastCloseOrReopen.kind !== "thread_reopened" ? lastCloseOrReopen.occurredAt : null;

  const firstReply = minBy(
    surviving.filter((a) => isQualifyingResponse(a, ref.author, policy)),
    byTimeThenId,
  );
  const replyCount = surviving.filter((a) => a.kind === "reply").length;

  const unaccepts = surviving.filter((a) => a.kind === "answer_unaccepted");
  const standingAcceptances = surviving.filter(
    (accept) =>
      accept.kind === "answer_accepted" &&
      !(accept.target !== null && removedIds.has(accept.target)) &&
      !unaccepts.some((un) => un.target === accept.target && compareInstants(un.occurredAt, accept.occurredAt) >= 0),
  );
  // An acceptance at an unknown moment (a Slack ✅ read by backfill) answers, but gives no time.
  const timedAcceptances = standingAcceptances.filter((a) => a.reason !== ACCEPTED_AT_UNKNOWN_TIME);
  const acceptance = maxBy(timedAcceptances, byTimeThenId) ?? maxBy(standingAcceptances, byTimeThenId);
  const acceptedAtKnown = acceptance !== undefined && acceptance.reason !== ACCEPTED_AT_UNKNOWN_TIME;
  // One rule for every signal that answers a question: a qualifying reply, or an accepted answer
  // (which answers under every policy) credited to someone other than the asker (a Slack ✅ with
  // no reply at all), is a response; the first of them is the first response, for the time to
  // first response, the SLA and the answered counts alike. An asker's own accepted answer is none.
  const firstResponse = minBy(
    [firstReply, ...timedAcceptances.filter((a) => isQualifyingResponder(a.actor, ref.author, "any-reply"))].filter((a): a is Activity => a !== undefined),
    byTimeThenId,
  );

  const answered = policy === "accepted" ? acceptance !== undefined : firstResponse !== undefined || acceptance !== undefined;
  const closed = closedAt !== null;
  const status: ThreadStatus = deleted ? "deleted" : answered ? "answered" : closed ? "closed" : "open";

  // People correct the classifier: a team member's question mark makes it a question, the
  // digest's "not a question" takes one out; whichever came last wins (a tie: not a question).
  const unmarks = surviving.filter((a) => a.kind === "question_unmarked");
  const lastMark = maxBy(
    surviving.filter(
      (mark) =>
        mark.kind === "question_marked" &&
        !unmarks.some((un) => un.target === mark.target && compareInstants(un.occurredAt, mark.occurredAt) >= 0),
    ),
    byTimeThenId,
  );
  const lastNotAQuestion = maxBy(
    actions.filter((a) => a.kind === "action_not_a_question"),
    byTimeThenId,
  );
  const isQuestion =
    lastNotAQuestion !== undefined && (lastMark === undefined || compareInstants(lastNotAQuestion.occurredAt, lastMark.occurredAt) >= 0)
      ? false
      : lastMark !== undefined || ref.isQuestion;
  // Under `accepted` a marked answer is the whole point, so every such thread accepts answers.
  const acceptsAnswers = policy === "accepted" || ref.acceptsAnswers === true;
  const questionStatus = questionStatusOf({
    isQuestion,
    answered,
    replied: firstReply !== undefined,
    marked: acceptance !== undefined,
    acceptsAnswers,
    ended: closed || deleted,
    communityReplied: surviving.some((a) => isQualifyingResponse(a, ref.author, "any-reply")),
    policy,
  });

  const snoozeEnds = actions
    .filter((a) => a.kind === "action_snooze" && a.until !== null && a.until !== undefined)
    .map((a) => a.until as string);
  const snoozedUntil = maxBy(snoozeEnds, compareInstants) ?? null;
  const take = maxBy(
    actions.filter((a) => a.kind === "action_take"),
    byTimeThenId,
  );
  const actionLog: ThreadAction[] = [...actions]
    .sort(byTimeThenId)
    .map((a) => ({ action: ACTION_KINDS[a.kind], at: a.occurredAt, by: a.actor.id }));

  const last = maxBy(platform, byTimeThenId);

  return {
    id: threadId,
    source: carrier.source,
    instance: carrier.instance,
    channel: { ...carrier.channel },
    title: ref.title,
    url: ref.url,
    author: copyActor(ref.author),
    isQuestion,
    questionScore: ref.questionScore ?? null,
    status,
    createdAt,
    firstResponseAt: firstResponse?.occurredAt ?? null,
    firstResponder: copyActor(firstResponse?.actor ?? null),
    acceptedAt: acceptedAtKnown ? acceptance.occurredAt : null,
    acceptedAnswerBy: copyActor(acceptance?.actor ?? null),
    replyCount,
    lastActivityAt: (last ?? carrier).occurredAt,
    closedAt,
    excerpt: opening?.excerpt ?? null,
    hasOpening: opening !== null,
    questionStatus,
    acceptsAnswers,
    snoozedUntil,
    assignee: copyActor(take?.actor ?? null),
    assignedAt: take?.occurredAt ?? null,
    actions: actionLog,
  };
}

interface StatusFacts {
  isQuestion: boolean;
  /** Answered under the policy. */
  answered: boolean;
  /** A qualifying reply exists (under the policy). */
  replied: boolean;
  /** An accepted answer stands. */
  marked: boolean;
  acceptsAnswers: boolean;
  /** Closed, locked, deleted or marked resolved (and not reopened since). */
  ended: boolean;
  /** Someone other than the asker, and no bot, replied (team or not). */
  communityReplied: boolean;
  policy: AnswerPolicy;
}

/** The status model (docs/digest.md) from the facts the fold worked out; time-independent, so never `snoozed`. */
export function questionStatusOf(f: StatusFacts): Exclude<QuestionStatus, "snoozed"> {
  if (!f.isQuestion) return "not-a-question";
  // Replied to, where an answer can be marked but none is: a nudge, unless the thread is over.
  // Under the `accepted` policy a reply does not answer, so the question is still waiting.
  if (f.replied && !f.marked && f.acceptsAnswers && !f.ended && f.policy !== "accepted") return "answered-unmarked";
  if (f.answered) return "answered";
  if (f.ended) return "resolved";
  if (f.policy === "team-reply" && f.communityReplied) return "awaiting-team";
  return "needs-first-response";
}
