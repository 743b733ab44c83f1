/**
 * Slack `text` is mrkdwn with escapes: `<@U123>` mentions, `<#C123|help>` channels,
 * `<https://x|label>` links, `<!here>`, and `&amp;` `&lt;` `&gt;` for the three characters
 * Slack reserves. Titles, excerpts and the question classifier want what a person reads.
 */
export function slackTextToPlain(text: string): string {
  return text
    .replace(/<([^<>]+)>/g, (_whole, inner: string) => {
      const [target = "", label] = inner.split("|", 2);
      if (target.startsWith("@")) return label ? `@${label}` : target;
      if (target.startsWith("#")) return `#${label ?? target.slice(1)}`;
      if (target.startsWith("!date")) return label ?? "";
      if (target.startsWith("!")) {
        // <!here>, <!channel>, <!subteam^S123|@devs>: a mention of a group of people.
        const name = label ?? target.slice(1);
        return name.startsWith("@") ? name : `@${name}`;
      }
      // A link: the label when there is one, else the URL itself (the classifier recognises URLs).
      return label ?? target;
    })
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/**
 * The first line a person would read as a heading (not a code fence), bounded to `max`
 * characters: whole sentences when they fit, else cut with an ellipsis.
 */
export function titleOf(plain: string, max = 120): string {
  let inFence = false;
  for (const raw of plain.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("```")) {
      // A fence line may carry code after it ("```select 1```"); a title is prose, so skip it.
      const fences = (line.match(/```/g) ?? []).length;
      if (fences % 2 === 1) inFence = !inFence;
      continue;
    }
    if (inFence || line.length === 0) continue;
    const flat = line.replace(/\s+/g, " ");
    if (flat.length <= max) return flat;
    // A long first line keeps its leading whole sentences when they fit, rather than a cut word.
    let whole = "";
    for (const sentence of flat.match(/.+?[.!?]+(?=\s|$)/g) ?? []) {
      const next = `${whole}${sentence}`;
      if (next.trim().length > max) break;
      whole = next;
    }
    return whole.trim() || `${flat.slice(0, max - 1).trimEnd()}…`;
  }
  return "";
}
