export { foldThread, isQualifyingResponse } from "./fold.ts";
export { dedupeActivities } from "./dedupe.ts";
