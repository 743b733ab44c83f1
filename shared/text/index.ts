/**
 * Text helpers every layer may use (model, sources, digest, actions): HTML escaping and tag
 * stripping, http(s)-only URLs, and the length limits on untrusted fields (see limits.ts).
 * Imports nothing from the rest of shared/, so nothing here pulls a higher layer in.
 */
export { escapeHtml, stripTags } from "./html.ts";
export { boundedHttpUrl, safeHttpUrl, trimTrailingSlashes } from "./url.ts";
export {
  MAX_EXCERPT_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TITLE_LENGTH,
  MAX_URL_LENGTH,
  boundName,
  boundTitle,
  oneLine,
  truncate,
} from "./limits.ts";
