export { actionUrl, actionActivityId, canonicalPayload, signedParams, verifyActionLink, DIGEST_ACTIONS, QUEUE_ORDERS, queueUrl, signedQueueParams, verifyQueueLink } from "./links.ts";
export type { ActionLink, LinkVerdict, QueueLink, QueueLinkVerdict, QueueOrder } from "./links.ts";
export { actionActivity, advocateActor } from "./activity.ts";
export { confirmPage, donePage, refusedPage, ACTION_LABELS } from "./pages.ts";
