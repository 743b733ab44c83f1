import type { AdvocateDigest, AdvocateDigestItem, Nudge } from "./schema.ts";
import {
  actionsOf,
  ageOf,
  askerOf,
  asOf,
  community,
  digestSubject,
  FOOTER,
  metricRows,
  moreLine,
  notesOf,
  NUDGE_INTRO,
  nudgeMeta,
  queueLinkOf,
  quietDay,
  repliesOf,
  slaOf,
  SOURCE_NAMES,
  STATUS_MODEL,
  summaryLine,
  viewOf,
  type Digest,
  type RenderOptions,
} from "./render.ts";
import { oneLine, safeHttpUrl } from "../text/index.ts";
import { plural } from "./format.ts";
import { truncate } from "../text/limits.ts";

/**
 * The digest as a Slack message in Block Kit: the email's content in the email's order (the
 * same view model as render.ts), within Slack's limits. What does not fit is never cut silently:
 * the message says how many questions it leaves out and links to the recipient's queue page,
 * which lists them all.
 */

/**
 * Block Kit's documented limits (docs.slack.dev, "Blocks" and each block's page; @slack/types),
 * and one that is not documented: Slack refuses a message with `msg_blocks_too_long` when its
 * blocks hold much more than about 13,000 characters of text in all (reported in
 * slackapi/bolt-js#2509), so the message keeps its text under 12,000.
 */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  headerText: 150,
  sectionText: 3000,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonUrl: 3000,
  actionId: 255,
  /** `text` of chat.postMessage: "no more than 40,000 characters or risk truncation". */
  messageText: 40_000,
  /** Not documented (see above): our own ceiling on the characters of all block text together. */
  totalBlockText: 12_000,
} as const;

export interface PlainText {
  type: "plain_text";
  text: string;
  emoji?: boolean;
}
export interface MrkdwnText {
  type: "mrkdwn";
  text: string;
}
export interface ButtonElement {
  type: "button";
  text: PlainText;
  url: string;
  action_id: string;
  style?: "primary";
}
export type SlackBlock =
  | { type: "header"; text: PlainText }
  | { type: "section"; text: MrkdwnText; accessory?: ButtonElement }
  | { type: "actions"; elements: ButtonElement[] }
  | { type: "context"; elements: MrkdwnText[] }
  | { type: "divider" };

/** What chat.postMessage or an incoming webhook is sent (besides the channel). */
export interface SlackMessage {
  /** The notification text (and what a client without blocks shows). */
  text: string;
  blocks: SlackBlock[];
}

export interface SlackDigestMessage extends SlackMessage {
  /** Questions listed in the message. */
  shown: number;
  /** Open questions of the digest not in the message (the "N more" line says so and links to the page). */
  hidden: number;
  /** Nudges (answered, no answer marked) not in the message. */
  hiddenNudges: number;
}

// An excerpt is a taste of the question; the page and the thread have the rest.
const EXCERPT_CHARS = 300;
// The nudges are the lowest-priority part: they get at most this much of the text budget.
const NUDGE_TEXT_CHARS = 1500;

/** Text for Slack's mrkdwn: `&`, `<` and `>` are the only characters Slack asks to escape. */
export function mrkdwnEscape(text: string): string {
  return text.replace(/[&<>]/g, (ch) => (ch === "&" ? "&amp;" : ch === "<" ? "&lt;" : "&gt;"));
}

/** A link in mrkdwn, `<url|label>`; the URL is an http(s) one with no character that could end the link early. */
export function mrkdwnLink(url: string, label: string): string {
  const safe = url.replace(/[&<>|]/g, (ch) => (ch === "&" ? "&amp;" : ch === "<" ? "%3C" : ch === ">" ? "%3E" : "%7C"));
  return `<${safe}|${mrkdwnEscape(label)}>`;
}

const plain = (text: string, max: number): PlainText => ({ type: "plain_text", text: truncate(text, max), emoji: true });
const mrkdwn = (text: string): MrkdwnText => ({ type: "mrkdwn", text });
const section = (text: string, accessory?: ButtonElement): SlackBlock =>
  accessory ? { type: "section", text: mrkdwn(text), accessory } : { type: "section", text: mrkdwn(text) };

/** The characters of text a block carries (what Slack's undocumented total seems to count). */
function blockText(block: SlackBlock): number {
  switch (block.type) {
    case "header":
      return block.text.text.length;
    case "section":
      return block.text.text.length + (block.accessory?.text.text.length ?? 0);
    case "actions":
      return block.elements.reduce((n, b) => n + b.text.text.length, 0);
    case "context":
      return block.elements.reduce((n, t) => n + t.text.length, 0);
    case "divider":
      return 0;
  }
}

/** The total text of a message's blocks, as counted against SLACK_LIMITS.totalBlockText. */
export function totalBlockText(blocks: readonly SlackBlock[]): number {
  return blocks.reduce((n, b) => n + blockText(b), 0);
}

function badgesOf(item: AdvocateDigestItem): string {
  const badges = [
    item.overdue ? ":rotating_light: *OVERDUE*" : null,
    item.firstTimeAsker === true ? "*FIRST QUESTION*" : null,
    item.questionStatus === "awaiting-team" ? "*AWAITING TEAM*" : null,
  ].filter((b) => b !== null);
  return badges.length > 0 ? `${badges.join(" · ")}  ` : "";
}

function titleOf(title: string, url: string): string {
  const text = oneLine(title) || "(untitled)";
  const safe = safeHttpUrl(url);
  return safe === null ? `*${mrkdwnEscape(text)}*` : `*${mrkdwnLink(safe, text)}*`;
}

function itemBlocks(item: AdvocateDigestItem, digest: AdvocateDigest, snoozeHours: number, index: number): SlackBlock[] {
  const meta = [oneLine(item.instance), askerOf(item), ageOf(item, slaOf(item, digest)), repliesOf(item), ...notesOf(item)].join(" · ");
  const lines = [`${badgesOf(item)}${titleOf(item.title, item.url)}`, mrkdwnEscape(meta)];
  if (item.excerpt) lines.push(`> ${mrkdwnEscape(truncate(oneLine(item.excerpt), EXCERPT_CHARS))}`);
  const blocks: SlackBlock[] = [section(truncate(lines.join("\n"), SLACK_LIMITS.sectionText))];
  const links = actionsOf(item, snoozeHours).filter((l) => l.url.length <= SLACK_LIMITS.buttonUrl);
  if (links.length > 0) {
    blocks.push({
      type: "actions",
      elements: links.map((l, i) => ({
        type: "button",
        text: plain(l.label, SLACK_LIMITS.buttonText),
        url: l.url,
        action_id: `q${index}-${i}`,
        ...(i === 0 ? { style: "primary" as const } : {}),
      })),
    });
  }
  return blocks;
}

function groupHeading(source: keyof typeof SOURCE_NAMES, channel: string, channelId: string): SlackBlock {
  return section(truncate(`*${SOURCE_NAMES[source]}* › ${mrkdwnEscape(oneLine(channel) || channelId)}`, SLACK_LIMITS.sectionText));
}

function nudgeLine(nudge: Nudge): string {
  return `• ${titleOf(nudge.title, nudge.url)}\n   ${mrkdwnEscape(nudgeMeta(nudge))}`;
}

/** The nudges in as few sections as their text needs, within `budget` characters; the rest are counted. */
function nudgeBlocks(nudges: readonly Nudge[], budget: number): { blocks: SlackBlock[]; hidden: number } {
  if (nudges.length === 0) return { blocks: [], hidden: 0 };
  const head = `*Answered, no answer marked*\n${mrkdwnEscape(NUDGE_INTRO)}`;
  const lines: string[] = [];
  let used = head.length;
  for (const nudge of nudges) {
    const line = nudgeLine(nudge);
    // Room is kept for the "and N more" line.
    if (used + line.length + 1 > Math.min(budget, SLACK_LIMITS.sectionText - 120)) break;
    lines.push(line);
    used += line.length + 1;
  }
  const hidden = nudges.length - lines.length;
  if (hidden > 0) lines.push(`_…and ${plural(hidden, "more answered question", "more answered questions")} with no marked answer (in the email, if you get one, and in \`community-signals digest --json\`)._`);
  return { blocks: [section([head, ...lines].join("\n"))], hidden };
}

function metricsBlock(digest: AdvocateDigest): SlackBlock {
  const { last7Days, previous7Days, topHelpers } = digest.metrics;
  const lines = ["*Last 7 days* (previous 7 days)"];
  for (const row of metricRows(last7Days, previous7Days)) lines.push(`${mrkdwnEscape(row.label)}: *${mrkdwnEscape(row.last)}* (${mrkdwnEscape(row.previous)})`);
  lines.push("");
  if (topHelpers.length === 0) lines.push("*Top community helpers*: nobody outside the team gave a first response this week.");
  else {
    lines.push("*Top community helpers* (first responses, last 7 days)");
    topHelpers.forEach((h, i) => lines.push(`${i + 1}. @${mrkdwnEscape(oneLine(h.login))}: ${h.firstResponses}`));
  }
  return section(truncate(lines.join("\n"), SLACK_LIMITS.sectionText));
}

/**
 * The digest as a Block Kit message: header with the counts, a section per source and channel,
 * each question with its link, age, overdue mark and signed action buttons (oldest first, at
 * most `maxItems`, as in the email), the nudges, the 7-day numbers and the footer. Questions that
 * do not fit in 50 blocks or the text budget are left for the queue page, and the message says
 * how many.
 */
export function renderDigestSlack(input: Digest, opts?: RenderOptions): SlackDigestMessage {
  const { digest, groups, hidden: overMaxItems, snoozeHours } = viewOf(input, opts);
  const queue = queueLinkOf(digest);

  const head: SlackBlock[] = [
    { type: "header", text: plain(`${community(digest)}: unanswered community questions`, SLACK_LIMITS.headerText) },
    section(
      `${mrkdwnEscape(summaryLine(digest))}\n_As of ${asOf(digest)}_`,
      queue !== null && queue.length <= SLACK_LIMITS.buttonUrl
        ? { type: "button", text: plain("Open the whole queue", SLACK_LIMITS.buttonText), url: queue, action_id: "queue" }
        : undefined,
    ),
  ];
  const tail: SlackBlock[] = [];
  const nudges = nudgeBlocks(digest.nudges, NUDGE_TEXT_CHARS);
  tail.push(...nudges.blocks);
  tail.push({ type: "divider" }, metricsBlock(digest));
  tail.push({ type: "context", elements: [mrkdwn(mrkdwnEscape(FOOTER)), mrkdwn(mrkdwnEscape(STATUS_MODEL))] });

  const body: SlackBlock[] = [];
  let shown = 0;
  const total = digest.unanswered.length;
  if (total === 0) {
    body.push(section(mrkdwnEscape(quietDay(digest))));
  } else {
    // One block is always kept for the "…and N more" line.
    const blockRoom = SLACK_LIMITS.blocksPerMessage - head.length - tail.length - 1;
    let textRoom = SLACK_LIMITS.totalBlockText - totalBlockText(head) - totalBlockText(tail) - 400;
    let blocksLeft = blockRoom;
    let index = 0;
    fill: for (const sourceGroup of groups) {
      for (const channelGroup of sourceGroup.channels) {
        let heading: SlackBlock | null = groupHeading(sourceGroup.source, channelGroup.channel, channelGroup.channelId);
        for (const item of channelGroup.items) {
          const blocks = itemBlocks(item, digest, snoozeHours, index);
          const needed = [...(heading ? [heading] : []), ...blocks];
          const text = totalBlockText(needed);
          if (needed.length > blocksLeft || text > textRoom) break fill;
          body.push(...needed);
          blocksLeft -= needed.length;
          textRoom -= text;
          heading = null;
          shown += 1;
          index += 1;
        }
      }
    }
    const hidden = total - shown;
    if (hidden > 0) {
      const words = hidden === 1 ? "question" : "questions";
      body.push(
        section(
          queue !== null
            ? `_…and ${hidden} more ${words} not shown here (the oldest are listed first):_ ${mrkdwnLink(queue, "see them all on your queue page")}`
            : `_${mrkdwnEscape(moreLine(hidden))}_`,
        ),
      );
    }
    void overMaxItems; // counted in `hidden`: the view keeps at most maxItems, as the email does
  }
  return { text: digestSubject(digest), blocks: [...head, ...body, ...tail], shown, hidden: total - shown, hiddenNudges: nudges.hidden };
}

/**
 * The message as plain mrkdwn text, for when Slack refuses the blocks (`invalid_blocks`,
 * `msg_blocks_too_long`): every section's text in order, with the queue page's link, under
 * Slack's 40,000 characters. The action buttons are on the queue page.
 */
export function slackFallbackText(message: SlackMessage, queue: string | null): string {
  const parts: string[] = [];
  for (const block of message.blocks) {
    if (block.type === "header") parts.push(`*${mrkdwnEscape(block.text.text)}*`);
    else if (block.type === "section") parts.push(block.text.text);
    else if (block.type === "context") parts.push(...block.elements.map((e) => `_${e.text}_`));
  }
  if (queue !== null) parts.splice(2, 0, mrkdwnLink(queue, "Open the whole queue (with the action buttons)"));
  return truncate(parts.join("\n\n"), SLACK_LIMITS.messageText);
}

/** Everything in a message that breaks a documented Block Kit limit (empty: Slack should take it). */
export function blockKitProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  const { blocks } = message;
  if (message.text.length === 0 || message.text.length > SLACK_LIMITS.messageText) problems.push(`message text has ${message.text.length} characters`);
  if (blocks.length > SLACK_LIMITS.blocksPerMessage) problems.push(`${blocks.length} blocks (at most ${SLACK_LIMITS.blocksPerMessage})`);
  const total = totalBlockText(blocks);
  if (total > SLACK_LIMITS.totalBlockText) problems.push(`${total} characters of block text (at most ${SLACK_LIMITS.totalBlockText})`);
  const button = (b: ButtonElement, where: string) => {
    if (b.text.text.length === 0 || b.text.text.length > SLACK_LIMITS.buttonText) problems.push(`${where}: button text has ${b.text.text.length} characters`);
    if (b.url.length > SLACK_LIMITS.buttonUrl || safeHttpUrl(b.url) === null) problems.push(`${where}: button url is not an http(s) URL of at most ${SLACK_LIMITS.buttonUrl} characters`);
    if (b.action_id.length === 0 || b.action_id.length > SLACK_LIMITS.actionId) problems.push(`${where}: action_id has ${b.action_id.length} characters`);
  };
  blocks.forEach((block, i) => {
    const where = `block ${i} (${block.type})`;
    switch (block.type) {
      case "header":
        if (block.text.type !== "plain_text") problems.push(`${where}: a header takes plain_text`);
        if (block.text.text.length === 0 || block.text.text.length > SLACK_LIMITS.headerText) problems.push(`${where}: text has ${block.text.text.length} characters`);
        break;
      case "section":
        if (block.text.text.length === 0 || block.text.text.length > SLACK_LIMITS.sectionText) problems.push(`${where}: text has ${block.text.text.length} characters`);
        if (block.accessory) button(block.accessory, where);
        break;
      case "actions": {
        if (block.elements.length === 0 || block.elements.length > SLACK_LIMITS.actionsElements) problems.push(`${where}: ${block.elements.length} elements`);
        block.elements.forEach((b) => button(b, where));
        if (new Set(block.elements.map((b) => b.action_id)).size !== block.elements.length) problems.push(`${where}: action_ids repeat`);
        break;
      }
      case "context":
        if (block.elements.length === 0 || block.elements.length > SLACK_LIMITS.contextElements) problems.push(`${where}: ${block.elements.length} elements`);
        for (const e of block.elements) if (e.text.length === 0 || e.text.length > SLACK_LIMITS.contextText) problems.push(`${where}: element text has ${e.text.length} characters`);
        break;
      case "divider":
        break;
    }
  });
  const ids = blocks.flatMap((b) => (b.type === "actions" ? b.elements : b.type === "section" && b.accessory ? [b.accessory] : [])).map((b) => b.action_id);
  if (new Set(ids).size !== ids.length) problems.push("action_ids repeat across the message");
  return problems;
}
