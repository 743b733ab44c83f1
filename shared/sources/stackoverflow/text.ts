import { stripTags } from "../../text/index.ts";

/** The named entities Stack Exchange's HTML (titles, names, bodies) uses; anything else stays as written. */
const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  rsquo: "’",
  lsquo: "‘",
  rdquo: "”",
  ldquo: "“",
};

/**
 * HTML entities decoded: the API sends titles, display names and even tags HTML-encoded
 * (`I can&#39;t`, `mem&#243;ria`). One linear pass: an entity is `&`, up to 10 name or number
 * characters, `;`. A number outside Unicode, or a name we do not know, stays as written.
 */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g, (whole, name: string) => {
    if (name.startsWith("#")) {
      const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      if (!Number.isInteger(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return whole;
      return String.fromCodePoint(code);
    }
    return Object.hasOwn(NAMED, name) ? NAMED[name]! : whole;
  });
}

/** A post's HTML body as the words a person reads: tags become spaces, entities are decoded. */
export function bodyToPlain(html: string): string {
  return decodeEntities(stripTags(html, " "));
}
