import type { SourceAdapter } from "../types.ts";
import { classifySlackRequest } from "./classify.ts";
import { normalizeSlackEnvelope } from "./normalize.ts";
import { DEFAULT_MAX_CLOCK_SKEW_SECONDS, verifySlackRequest } from "./verify.ts";

export { SLACK_SUPPORTED_EVENTS, isSupportedSlackEvent, classifySlackRequest, parseSlackBody } from "./classify.ts";
export type { SlackSupportedEvent, ParsedSlackBody } from "./classify.ts";
export {
  verifySlackRequest,
  signSlackRequest,
  SLACK_SIGNATURE_HEADER,
  SLACK_TIMESTAMP_HEADER,
  DEFAULT_MAX_CLOCK_SKEW_SECONDS,
} from "./verify.ts";
export { normalizeSlackEnvelope, SLACK_POSTED_SUBTYPES } from "./normalize.ts";
export { scoreQuestion, QUESTION_WEIGHTS } from "./question-classifier.ts";
export type { QuestionScore } from "./question-classifier.ts";
export { replayRequest, shiftSlackTimes, latestSlackTime, SLACK_USER_AGENT } from "./replay.ts";
export type { SlackSample } from "./replay.ts";
export { slackTextToPlain, titleOf } from "./text.ts";
export { slackTsToInstant, slackTsVersion } from "./timestamps.ts";

/**
 * The adapter with a replay window of `maxClockSkewSeconds` (the config's value): `verify`
 * receives no config, so the window is bound here when the source is wired up.
 */
export function createSlackAdapter(maxClockSkewSeconds: number = DEFAULT_MAX_CLOCK_SKEW_SECONDS): SourceAdapter {
  if (!Number.isFinite(maxClockSkewSeconds) || maxClockSkewSeconds <= 0) {
    throw new RangeError(`maxClockSkewSeconds must be a positive number, got ${maxClockSkewSeconds}`);
  }
  return {
    source: "slack",
    verify: (request, secret, now) => verifySlackRequest(request, secret, now, maxClockSkewSeconds),
    classify: classifySlackRequest,
    normalize: normalizeSlackEnvelope,
  };
}

/** The adapter with Slack's recommended 5-minute window (the config default). */
export const slackAdapter: SourceAdapter = createSlackAdapter();

/** The adapter's three steps under the names the SourceAdapter interface gives them. */
export const verify = slackAdapter.verify;
export const classify = classifySlackRequest;
export const normalize = normalizeSlackEnvelope;
