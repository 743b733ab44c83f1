export { buildDigest, DigestInputError } from "./build.ts";
export type { BuildDigestInput, Helper } from "./build.ts";
export { renderDigestText, renderDigestHtml, digestSubject } from "./render.ts";
export type { RenderOptions } from "./render.ts";
export { percentile, roundToTenth } from "./stats.ts";
export { formatAge, formatHours, formatRate, plural } from "./format.ts";
export { escapeHtml, safeHttpUrl, oneLine } from "./escape.ts";
