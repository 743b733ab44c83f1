import type { Activity } from "../../model/activity.ts";
import type { Config } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import type { Classification, SkippedItem, SourceAdapter, VerifyResult } from "../types.ts";
import { normalizeStackOverflowPage, type StackOverflowPageResult } from "./normalize.ts";

export {
  StackExchangeClient,
  StackExchangeApiError,
  StackExchangeKeyError,
  StackExchangeQuotaError,
  DEFAULT_FILTER,
  MAX_IDS,
  PAGE_SIZE,
  STACKEXCHANGE_USER_AGENT,
  defaultQuotaReserve,
  secondsIn,
  stackExchangeKeyFrom,
} from "./client.ts";
export { backfillStackOverflow, describeFailure as describeStackOverflowBackfillFailure } from "./backfill.ts";
export type { StackExchangeClientOptions, StackExchangeClientStats } from "./client.ts";
export { pollStackOverflow, channelTag, StackOverflowPollAbortedError, WATCH_DAYS, WATCH_MAX } from "./poller.ts";
export type { EnvelopeSink, PollReport, PollStackOverflowDeps, StackOverflowCursors, TagPollReport } from "./poller.ts";
export { normalizeStackOverflowPage, COMMUNITY_USER_ID, MAX_SKIP_REASON } from "./normalize.ts";
export type { StackOverflowPageResult } from "./normalize.ts";
export { questionEnvelopes, deletionsEnvelope, MAX_BODY_CHARS, QuestionTooLargeError } from "./envelopes.ts";
export { QUESTIONS_EVENT, DELETIONS_EVENT, questionThreadId, answerActivityId, commentActivityId } from "./payload.ts";
export { decodeEntities, bodyToPlain } from "./text.ts";

/** Why the webhook front door refuses Stack Overflow: Stack Exchange has no push API. */
export const STACKOVERFLOW_NOT_PUSHED = "Stack Overflow is polled, not pushed";

export async function verifyStackOverflowRequest(): Promise<VerifyResult> {
  return { ok: false, reason: STACKOVERFLOW_NOT_PUSHED };
}

export function classifyStackOverflowRequest(): Classification {
  return { action: "malformed", reason: STACKOVERFLOW_NOT_PUSHED };
}

/** One JSON line on stderr per question left out of a page: its index, id and why, never its text. */
export function logSkippedQuestion(envelope: Envelope, skipped: SkippedItem): void {
  console.warn(
    JSON.stringify({
      level: "WARN",
      message: "stackoverflow question skipped",
      envelopeId: envelope.id,
      deliveryId: envelope.deliveryId,
      index: skipped.index,
      questionId: skipped.messageId,
      reason: skipped.reason,
    }),
  );
}

/** Normalise a `questions` or `deletions` envelope; questions left out are reported to `onSkipped`. */
export function normalizeStackOverflowEnvelope(
  envelope: Envelope,
  config: Config,
  onSkipped: (envelope: Envelope, skipped: SkippedItem) => void = logSkippedQuestion,
): Activity[] {
  const { activities, skipped } = normalizeStackOverflowPage(envelope, config);
  for (const s of skipped) onSkipped(envelope, s);
  return activities;
}

export interface StackOverflowAdapter extends SourceAdapter {
  normalizeWithSkips(envelope: Envelope, config: Config): StackOverflowPageResult;
}

export const stackOverflowAdapter: StackOverflowAdapter = {
  source: "stackoverflow",
  verify: verifyStackOverflowRequest,
  classify: classifyStackOverflowRequest,
  normalize: (envelope, config) => normalizeStackOverflowEnvelope(envelope, config),
  normalizeWithSkips: normalizeStackOverflowPage,
};

export const verify = verifyStackOverflowRequest;
export const classify = classifyStackOverflowRequest;
export const normalize = normalizeStackOverflowEnvelope;
