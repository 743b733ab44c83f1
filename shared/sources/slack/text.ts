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
    for (const sentence of sentences(flat)) {
      const next = `${whole}${sentence}`;
      if (next.trim().length > max) break;
      whole = next;
    }
    return whole.trim() || `${flat.slice(0, max - 1).trimEnd()}…`;
  }
  return "";
}

const isSentenceEnd = (ch: string | undefined) => ch === "." || ch === "!" || ch === "?";
const isSpace = (ch: string | undefined) => ch !== undefined && /\s/.test(ch);

/**
 * The sentences of one line, lazily, in one left-to-right pass: what
 * `line.match(/.+?[.!?]+(?=\s|$)/g)` gives (each piece runs up to a run of `.`, `!` or `?`
 * followed by a space or the end; a tail without one is not a sentence), without that
 * pattern's quadratic rescans of a long line with no sentence end (2 s for 40,000 characters).
 */
export function* sentences(line: string): Generator<string> {
  let start = 0;
  let i = 1;
  while (i < line.length) {
    if (!isSentenceEnd(line[i])) {
      i += 1;
      continue;
    }
    let end = i;
    while (end < line.length && isSentenceEnd(line[end])) end += 1;
    if (end === line.length || isSpace(line[end])) {
      yield line.slice(start, end);
      start = end;
      i = end + 1;
    } else {
      i = end;
    }
  }
}
