export { foldThread, isQualifyingResponse, questionStatusOf, isActionActivity, ACTION_KINDS } from "./fold.ts";
export { dedupeActivities } from "./dedupe.ts";
export { foldedQuestionStatus, questionStatusAt } from "./status.ts";
