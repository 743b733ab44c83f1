import type { SourceAdapter } from "../types.ts";
import { classifyGitHubRequest } from "./classify.ts";
import { normalizeGitHubEnvelope } from "./normalize.ts";
import { verifyGitHubSignature } from "./verify.ts";

export { GITHUB_SUPPORTED_EVENTS, isSupportedGitHubEvent, classifyGitHubRequest } from "./classify.ts";
export type { GitHubSupportedEvent } from "./classify.ts";
export { verifyGitHubSignature, signGitHubBody, GITHUB_SIGNATURE_HEADER } from "./verify.ts";
export { normalizeGitHubEnvelope } from "./normalize.ts";
export { parseGitHubBody } from "./body.ts";
export { replayRequest } from "./replay.ts";

/** The adapter's three steps under the names the SourceAdapter interface gives them. */
export const verify = verifyGitHubSignature;
export const classify = classifyGitHubRequest;
export const normalize = normalizeGitHubEnvelope;

export const githubAdapter: SourceAdapter = {
  source: "github",
  verify: verifyGitHubSignature,
  classify: classifyGitHubRequest,
  normalize: normalizeGitHubEnvelope,
};
