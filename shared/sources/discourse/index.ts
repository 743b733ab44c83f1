import type { SourceAdapter } from "../types.ts";
import { classifyDiscourseRequest } from "./classify.ts";
import { normalizeDiscourseEnvelope } from "./normalize.ts";
import { verifyDiscourseSignature } from "./verify.ts";

export {
  DISCOURSE_SUPPORTED_EVENTS,
  isSupportedDiscourseEvent,
  discourseEventType,
  classifyDiscourseRequest,
} from "./classify.ts";
export type { DiscourseSupportedEvent } from "./classify.ts";
export { verifyDiscourseSignature, signDiscourseBody, DISCOURSE_SIGNATURE_HEADER } from "./verify.ts";
export { normalizeDiscourseEnvelope, baseUrl } from "./normalize.ts";
export { parseDiscourseBody } from "./body.ts";
export { replayRequest, DEFAULT_SAMPLE_INSTANCE } from "./replay.ts";
export type { DiscourseSample } from "./replay.ts";

/** The adapter's three steps under the names the SourceAdapter interface gives them. */
export const verify = verifyDiscourseSignature;
export const classify = classifyDiscourseRequest;
export const normalize = normalizeDiscourseEnvelope;

export const discourseAdapter: SourceAdapter = {
  source: "discourse",
  verify: verifyDiscourseSignature,
  classify: classifyDiscourseRequest,
  normalize: normalizeDiscourseEnvelope,
};
