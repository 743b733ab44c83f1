/**
 * Discord `content` is markdown with tokens: `<@123>` user mentions, `<@&123>` roles, `<#123>`
 * channels, `<:name:123>` custom emoji, `<t:1700000000:R>` timestamps, `<https://x>` links without
 * a preview. Titles, excerpts and the question classifier want what a person reads.
 *
 * Total: anyone can type any token, so one that does not read as what it claims to be (a
 * timestamp outside the years 0000-9999, `<t:soon>`) stays as typed; it never throws.
 */
export function discordContentToPlain(
  content: string,
  users: ReadonlyMap<string, string> = new Map(),
  channels: ReadonlyMap<string, string> = new Map(),
): string {
  return content.replace(/<(@&|@!?|#|a?:[A-Za-z0-9_~-]+:|t:|\/[^:<>]+:)?([^<>\s]+)>/g, (whole, kind: string | undefined, rest: string) => {
    if (kind === "@" || kind === "@!") return `@${users.get(rest) ?? "user"}`;
    // `@&` is tried before `@`: a role mention is not a user called `&123`.
    if (kind === "@&") return "@role";
    if (kind === "#") return `#${channels.get(rest) ?? "channel"}`;
    if (kind === "t:") return timestampText(rest) ?? whole;
    if (kind?.startsWith("/")) return kind.slice(0, -1);
    if (kind !== undefined) return `:${kind.replace(/^a?:/, "").replace(/:$/, "")}:`;
    // `<https://...>` is a link whose preview was suppressed.
    return /^https?:\/\//.test(rest) ? rest : whole;
  });
}

/**
 * `1700000000` or `1700000000:R` (Unix seconds, an optional style letter) as `2023-11-14 22:13`
 * UTC; null when it is not one, or when its time is outside what `Date` holds (±8.64e15 ms) or
 * outside four-digit years.
 */
function timestampText(rest: string): string | null {
  if (!/^-?\d+(?::[tTdDfFR])?$/.test(rest)) return null;
  const seconds = Number(rest.split(":")[0]);
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return null;
  const iso = date.toISOString();
  // Years past 9999 (or before 0) come as `+010000-…`/`-000001-…`: not a time a person reads.
  if (iso.length !== 24) return null;
  return iso.slice(0, 16).replace("T", " ");
}

/** The first line a person reads as a heading: not inside a code block, bounded to `max` characters. */
export function titleOf(plain: string, max = 120): string {
  let inFence = false;
  for (const raw of plain.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("```")) {
      const fences = (line.match(/```/g) ?? []).length;
      if (fences % 2 === 1) inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    // Markdown headings, quotes and list bullets are decoration, not words.
    const flat = line.replace(/^(#{1,3}\s+|>\s*|[-*]\s+)/, "").replace(/\s+/g, " ").trim();
    if (flat.length === 0) continue;
    return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
  }
  return "";
}
