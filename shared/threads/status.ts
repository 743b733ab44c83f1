import type { QuestionStatus, Thread } from "../model/thread.ts";

/** Statuses that still want something from the team, and so can be snoozed. */
const SNOOZABLE: ReadonlySet<QuestionStatus> = new Set(["needs-first-response", "awaiting-team", "answered-unmarked"]);

/**
 * The folded status of a thread; for a summary stored before `questionStatus` existed, the
 * closest reading of its old fields (it is refolded with the next activity anyway).
 */
export function foldedQuestionStatus(thread: Thread): QuestionStatus {
  if (thread.questionStatus !== undefined) return thread.questionStatus;
  if (!thread.isQuestion) return "not-a-question";
  if (thread.status === "answered") return "answered";
  if (thread.status === "closed" || thread.status === "deleted") return "resolved";
  return "needs-first-response";
}

/**
 * The status as of `now`: `snoozed` while a snooze from the digest runs (the fold cannot
 * decide that, it does not know the time), else the folded status.
 */
export function questionStatusAt(thread: Thread, now: Date): QuestionStatus {
  const folded = foldedQuestionStatus(thread);
  if (thread.snoozedUntil !== null && SNOOZABLE.has(folded) && Date.parse(thread.snoozedUntil) > now.getTime()) return "snoozed";
  return folded;
}
