export { actionUrl, actionActivityId, canonicalPayload, signedParams, verifyActionLink, DIGEST_ACTIONS } from "./links.ts";
export type { ActionLink, LinkVerdict } from "./links.ts";
export { actionActivity, advocateActor } from "./activity.ts";
export { confirmPage, donePage, refusedPage, ACTION_LABELS } from "./pages.ts";
