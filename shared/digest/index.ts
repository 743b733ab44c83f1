export { buildDigest, DigestInputError, slaHoursFor } from "./build.ts";
export type { ActionRecord, AskedQuestion, BuildDigestInput, Helper } from "./build.ts";
export { renderDigestText, renderDigestHtml, digestSubject } from "./render.ts";
export type { RenderOptions } from "./render.ts";
export { AdvocateDigestSchema, AdvocateDigestItemSchema, AdvocatePeriodMetricsSchema, NudgeSchema, ActionCountsSchema } from "./schema.ts";
export type { AdvocateDigest, AdvocateDigestItem, AdvocatePeriodMetrics, Nudge, ActionCounts } from "./schema.ts";
export { percentile, roundToTenth } from "./stats.ts";
export { formatAge, formatHours, formatRate, plural } from "./format.ts";
export { escapeHtml, safeHttpUrl, oneLine } from "./escape.ts";
