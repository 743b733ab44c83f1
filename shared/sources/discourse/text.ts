import { stripTags } from "../../text/index.ts";

/**
 * A post's `cooked` HTML as text, for an excerpt when the payload has no `raw`: every tag
 * becomes a space. Linear in the length of the HTML (the old `/<[^>]*>/g` took quadratic
 * time on many `<` without a `>`, 6 s for 80,000 of them).
 */
export function cookedToPlain(cooked: string): string {
  return stripTags(cooked, " ");
}
