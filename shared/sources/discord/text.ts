/**
 * Discord `content` is markdown with tokens: `<@123>` user mentions, `<@&123>` roles, `<#123>`
 * channels, `<:name:123>` custom emoji, `<t:1700000000:R>` timestamps, `<https://x>` links without
 * a preview. Titles, excerpts and the question classifier want what a person reads.
 */
export function discordContentToPlain(
  content: string,
  users: ReadonlyMap<string, string> = new Map(),
  channels: ReadonlyMap<string, string> = new Map(),
): string {
  return content.replace(/<(@!?|@&|#|a?:[A-Za-z0-9_~-]+:|t:|\/[^:<>]+:)?([^<>\s]+)>/g, (whole, kind: string | undefined, rest: string) => {
    if (kind === "@" || kind === "@!") return `@${users.get(rest) ?? "user"}`;
    if (kind === "@&") return "@role";
    if (kind === "#") return `#${channels.get(rest) ?? "channel"}`;
    if (kind === "t:") {
      const seconds = Number(rest.split(":")[0]);
      return Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ") : whole;
    }
    if (kind?.startsWith("/")) return kind.slice(0, -1);
    if (kind !== undefined) return `:${kind.replace(/^a?:/, "").replace(/:$/, "")}:`;
    // `<https://...>` is a link whose preview was suppressed.
    return /^https?:\/\//.test(rest) ? rest : whole;
  });
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
