/**
 * The digest's escaping helpers now live in shared/text (a lower layer, so model, sources and
 * action pages can use them without importing the digest); re-exported here for existing imports.
 */
export { escapeHtml, oneLine, safeHttpUrl } from "../text/index.ts";
