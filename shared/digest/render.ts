import type * as z from "../model/zod.ts";
import type { Source } from "../model/activity.ts";
import type { DigestAction } from "../model/thread.ts";
import { DigestInputError } from "./build.ts";
import { AdvocateDigestSchema, type AdvocateDigest, type AdvocateDigestItem, type AdvocatePeriodMetrics, type Nudge } from "./schema.ts";
import { escapeHtml, oneLine, safeHttpUrl } from "./escape.ts";
import { formatAge, formatHours, formatRate, plural } from "./format.ts";

export interface RenderOptions {
  /** At most this many questions in the email; the rest are summed up as "and N more". Default 50. */
  maxItems?: number;
  /** How long the snooze link hides a question (its label). Default 24. */
  snoozeHours?: number;
}

/** Any digest JSON, the foundation's or the advocate one (added fields take their defaults). */
export type Digest = z.input<typeof AdvocateDigestSchema>;
type DigestItem = AdvocateDigestItem;
type PeriodMetrics = AdvocatePeriodMetrics;

const DEFAULT_MAX_ITEMS = 50;

export const SOURCE_NAMES: Record<Source, string> = {
  github: "GitHub",
  discourse: "Discourse",
  slack: "Slack",
  discord: "Discord",
  stackoverflow: "Stack Overflow",
};

export const FOOTER =
  "Unanswered means: an open question thread in which nobody but its author (and no bot) has replied yet, " +
  "or, where a source is set to need it, no team member has replied or no answer has been accepted. " +
  "Closed, locked and deleted threads are not listed. Overdue means waiting longer than the first-response SLA.";

/** The status model, the same for every platform (README, "The status model"). */
export const STATUS_MODEL =
  "Statuses: needs first response (no reply from anyone but the asker or a bot); awaiting team (only community replies, " +
  "where a team reply is required); answered, no answer marked (replied to where an answer can be marked: please mark it); " +
  "answered; resolved (closed, locked or deleted without an answer, or marked resolved here); snoozed (hidden until the " +
  "snooze ends); not a question (by rule, or marked here).";

export interface ChannelGroup {
  channelId: string;
  channel: string;
  items: DigestItem[];
}

export interface SourceGroup {
  source: Source;
  channels: ChannelGroup[];
}

/** What both renderers show, worked out once so the text and HTML mail cannot disagree. */
export interface View {
  digest: AdvocateDigest;
  groups: SourceGroup[];
  hidden: number;
  snoozeHours: number;
}

/** A digest may come from a JSON file (`digest --html`), so it is checked before it is trusted. */
export function checkedDigest(digest: Digest): AdvocateDigest {
  const result = AdvocateDigestSchema.safeParse(digest);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.map(String).join(".") || "(top level)"}: ${i.message}`);
  throw new DigestInputError(`not a valid digest:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

function maxItemsOf(opts: RenderOptions | undefined): number {
  const maxItems = opts?.maxItems ?? DEFAULT_MAX_ITEMS;
  if (!Number.isInteger(maxItems) || maxItems < 1) {
    throw new RangeError(`maxItems must be a positive integer, got ${String(maxItems)}`);
  }
  return maxItems;
}

export function viewOf(input: Digest, opts: RenderOptions | undefined): View {
  const digest = checkedDigest(input);
  const maxItems = maxItemsOf(opts);
  // The oldest questions are the most urgent, so they are the ones that make the cut.
  const oldestFirst = [...digest.unanswered].sort(
    (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.threadId < b.threadId ? -1 : a.threadId > b.threadId ? 1 : 0),
  );
  const shown = oldestFirst.slice(0, maxItems);
  // Groups appear in order of their oldest question because items are visited oldest first.
  const groups: SourceGroup[] = [];
  for (const item of shown) {
    let sourceGroup = groups.find((g) => g.source === item.source);
    if (!sourceGroup) {
      sourceGroup = { source: item.source, channels: [] };
      groups.push(sourceGroup);
    }
    let channelGroup = sourceGroup.channels.find((c) => c.channelId === item.channelId);
    if (!channelGroup) {
      channelGroup = { channelId: item.channelId, channel: item.channel, items: [] };
      sourceGroup.channels.push(channelGroup);
    }
    channelGroup.items.push(item);
  }
  const snoozeHours = opts?.snoozeHours ?? 24;
  if (!Number.isFinite(snoozeHours) || snoozeHours <= 0) throw new RangeError(`snoozeHours must be a positive number, got ${String(snoozeHours)}`);
  return { digest, groups, hidden: oldestFirst.length - shown.length, snoozeHours };
}

export function community(digest: AdvocateDigest): string {
  return oneLine(digest.community) || "Community";
}

/** E.g. `[Acme] 3 unanswered questions (1 overdue)`; a quiet day: `[Acme] No unanswered questions`. */
export function digestSubject(input: Digest): string {
  const digest = checkedDigest(input);
  const { open, overdue } = digest.counts;
  const prefix = `[${community(digest)}]`;
  if (open === 0) return `${prefix} No unanswered questions`;
  const overdueNote = overdue > 0 ? ` (${overdue} overdue)` : "";
  return `${prefix} ${plural(open, "unanswered question", "unanswered questions")}${overdueNote}`;
}

export function asOf(digest: AdvocateDigest): string {
  return `${digest.generatedAt.slice(0, 16).replace("T", " ")} UTC`;
}

export function summaryLine(digest: AdvocateDigest): string {
  const { open, overdue, newLast24h, answeredLast24h, snoozed } = digest.counts;
  const head =
    open === 0
      ? "No unanswered questions"
      : `${plural(open, "unanswered question", "unanswered questions")}, ${overdue} overdue (SLA ${formatAge(digest.slaHours)})`;
  const snoozedNote = snoozed > 0 ? ` ${snoozed} snoozed.` : "";
  return `${head}. In the last 24 h: ${newLast24h} new, ${answeredLast24h} answered.${snoozedNote}`;
}

const QUIET_DAY = "Nothing is waiting: every open question has been answered.";

export function quietDay(digest: AdvocateDigest): string {
  const { snoozed } = digest.counts;
  return snoozed > 0 ? `${QUIET_DAY} (${plural(snoozed, "question is", "questions are")} snoozed.)` : QUIET_DAY;
}

export function askerOf(item: DigestItem): string {
  if (item.author === null) return "asker unknown";
  const marks = [item.firstTimeAsker === true ? "first question" : null, item.askerIsTeam ? "team" : null].filter((m) => m !== null);
  return `asked by @${oneLine(item.author)}${marks.length > 0 ? ` (${marks.join(", ")})` : ""}`;
}

export function slaOf(item: DigestItem, digest: AdvocateDigest): number {
  return item.slaHours ?? digest.slaHours;
}

/** Status and ownership notes after the replies, when there is something to say. */
export function notesOf(item: DigestItem): string[] {
  const notes: string[] = [];
  if (item.questionStatus === "awaiting-team") notes.push("community replied, awaiting the team");
  if (item.assignee !== null) notes.push(`taken by ${oneLine(item.assignee)}`);
  return notes;
}

export const ACTION_ORDER: readonly DigestAction[] = ["take", "snooze", "resolved", "not-a-question"];

export function actionLabel(action: DigestAction, snoozeHours: number): string {
  switch (action) {
    case "take":
      return "I'll take it";
    case "snooze":
      return `Snooze ${formatAge(snoozeHours)}`;
    case "resolved":
      return "Resolved";
    case "not-a-question":
      return "Not a question";
  }
}

/** The item's action links that are safe to show (http(s) only), in display order. */
export function actionsOf(item: DigestItem, snoozeHours: number): { label: string; url: string }[] {
  const links = item.actions;
  if (links === null) return [];
  return ACTION_ORDER.flatMap((action) => {
    const url = safeHttpUrl(links[action]);
    return url === null ? [] : [{ label: actionLabel(action, snoozeHours), url }];
  });
}

export function nudgeMeta(nudge: Nudge): string {
  const by = nudge.answeredBy === null ? "replied to" : `replied to by @${oneLine(nudge.answeredBy)}${nudge.answeredByTeam ? " (team)" : ""}`;
  return [oneLine(nudge.instance), oneLine(nudge.channel) || nudge.channelId, by, `${formatAge(nudge.ageHours)} old`].join(" | ");
}

export const NUDGE_INTRO = "Answered, but no answer is marked: marking the one that helped lets the next person find it.";

export function ageOf(item: DigestItem, slaHours: number): string {
  const age = `${formatAge(item.ageHours)} old`;
  return item.overdue
    ? `${age}, over the ${formatAge(slaHours)} SLA by ${formatAge(Math.max(0, item.ageHours - slaHours))}`
    : `${age} (SLA ${formatAge(slaHours)})`;
}

export function repliesOf(item: DigestItem): string {
  return plural(item.replyCount, "reply", "replies");
}

/** The label of the link to the recipient's page of every open question. */
export const QUEUE_LINK_LABEL = "Every open question, sortable, with the same buttons";

/** The digest's queue page link, if it has a safe one. */
export function queueLinkOf(digest: AdvocateDigest): string | null {
  return digest.queueUrl === null ? null : safeHttpUrl(digest.queueUrl);
}

export function moreLine(hidden: number): string {
  return `...and ${hidden} more ${hidden === 1 ? "question" : "questions"} not shown here (oldest are listed first).`;
}

export interface MetricRow {
  label: string;
  last: string;
  previous: string;
}

export function metricRows(last: PeriodMetrics, previous: PeriodMetrics): MetricRow[] {
  const row = (label: string, show: (m: PeriodMetrics) => string): MetricRow => ({
    label,
    last: show(last),
    previous: show(previous),
  });
  return [
    row("Questions asked", (m) => String(m.questions)),
    row("Response rate", (m) => `${formatRate(m.responseRate)} (${m.responded} of ${m.questions})`),
    row("Answered", (m) => String(m.answered)),
    row("Answered by the community / the team", (m) => `${m.answeredByCommunity} / ${m.answeredByTeam}`),
    row("Median time to first response", (m) => formatHours(m.medianFirstResponseHours)),
    row("90th percentile time to first response", (m) => formatHours(m.p90FirstResponseHours)),
    row("First response within SLA", (m) => formatRate(m.withinSlaRate)),
    row(
      "Digest actions (taken, snoozed, resolved, not a question)",
      (m) => `${m.actions.take}, ${m.actions.snooze}, ${m.actions.resolved}, ${m.actions["not-a-question"]}`,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Plain text

export function renderDigestText(input: Digest, opts?: RenderOptions): string {
  const { digest, groups, hidden, snoozeHours } = viewOf(input, opts);
  const lines: string[] = [];
  lines.push(`${community(digest)}: unanswered community questions`, `As of ${asOf(digest)}`, "", summaryLine(digest), "");
  const queue = queueLinkOf(digest);
  if (queue !== null) lines.push(`${QUEUE_LINK_LABEL}: ${queue}`, "");

  if (digest.unanswered.length === 0) {
    lines.push(quietDay(digest), "");
  } else {
    for (const sourceGroup of groups) {
      lines.push(`== ${SOURCE_NAMES[sourceGroup.source]} ==`, "");
      for (const channelGroup of sourceGroup.channels) {
        lines.push(`-- ${oneLine(channelGroup.channel) || channelGroup.channelId} --`, "");
        for (const item of channelGroup.items) {
          lines.push(`* ${item.overdue ? "[OVERDUE] " : ""}${oneLine(item.title)}`);
          const url = safeHttpUrl(item.url);
          if (url !== null) lines.push(`  ${url}`);
          lines.push(`  ${[oneLine(item.instance), askerOf(item), ageOf(item, slaOf(item, digest)), repliesOf(item), ...notesOf(item)].join(" | ")}`);
          if (item.excerpt) lines.push(`  > ${oneLine(item.excerpt)}`);
          for (const link of actionsOf(item, snoozeHours)) lines.push(`  ${link.label}: ${link.url}`);
          lines.push("");
        }
      }
    }
    if (hidden > 0) lines.push(moreLine(hidden), "");
  }

  if (digest.nudges.length > 0) {
    lines.push("== Answered, no answer marked ==", "", NUDGE_INTRO, "");
    for (const nudge of digest.nudges) {
      lines.push(`* ${oneLine(nudge.title)}`);
      const url = safeHttpUrl(nudge.url);
      if (url !== null) lines.push(`  ${url}`);
      lines.push(`  ${nudgeMeta(nudge)}`, "");
    }
  }

  const { last7Days, previous7Days, topHelpers } = digest.metrics;
  lines.push("== Last 7 days (previous 7 days) ==", "");
  for (const row of metricRows(last7Days, previous7Days)) lines.push(`${row.label}: ${row.last} (${row.previous})`);
  lines.push("");
  if (topHelpers.length === 0) {
    lines.push("Top community helpers: nobody outside the team gave a first response this week.");
  } else {
    lines.push("Top community helpers (first responses, last 7 days):");
    topHelpers.forEach((h, i) => lines.push(`  ${i + 1}. @${oneLine(h.login)}: ${h.firstResponses}`));
  }
  lines.push("", "--", FOOTER, STATUS_MODEL, "");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// HTML (mail clients: tables, inline styles only, nothing a client strips or blocks)

// Mid-tone colours on white: legible as they are and still legible when a client inverts them.
const COLOR = {
  page: "#f2f3f5",
  card: "#ffffff",
  text: "#1f2328",
  muted: "#57606a",
  rule: "#d0d7de",
  link: "#0b57d0",
  overdue: "#b3261e",
  onOverdue: "#ffffff",
  tile: "#f6f8fa",
  first: "#1a7f37",
  awaiting: "#8250df",
};
const FONT = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;";
const e = escapeHtml;

function linkedTitle(item: DigestItem): string {
  const title = e(oneLine(item.title) || "(untitled)");
  const url = safeHttpUrl(item.url);
  const style = `color:${COLOR.link};font-weight:bold;text-decoration:underline;`;
  return url === null ? `<strong style="color:${COLOR.text};">${title}</strong>` : `<a href="${e(url)}" style="${style}">${title}</a>`;
}

function overdueBadge(): string {
  return (
    `<span style="display:inline-block;padding:1px 6px;border-radius:9px;background-color:${COLOR.overdue};` +
    `color:${COLOR.onOverdue};font-size:11px;font-weight:bold;letter-spacing:0.5px;">OVERDUE</span>`
  );
}

function badge(text: string, background: string): string {
  return (
    `<span style="display:inline-block;padding:1px 6px;border-radius:9px;background-color:${background};` +
    `color:${COLOR.onOverdue};font-size:11px;font-weight:bold;letter-spacing:0.5px;">${e(text)}</span>`
  );
}

function actionsRow(item: DigestItem, snoozeHours: number): string {
  const links = actionsOf(item, snoozeHours);
  if (links.length === 0) return "";
  const style = `color:${COLOR.link};text-decoration:underline;`;
  const html = links.map((l) => `<a href="${e(l.url)}" style="${style}">${e(l.label)}</a>`).join(" &middot; ");
  return `<div style="margin-top:6px;font-size:13px;line-height:19px;">${html}</div>`;
}

function itemRow(item: DigestItem, slaHours: number, snoozeHours: number): string {
  const age = item.overdue
    ? `<span style="color:${COLOR.overdue};font-weight:bold;">${e(ageOf(item, slaHours))}</span>`
    : e(ageOf(item, slaHours));
  const meta = [e(oneLine(item.instance)), e(askerOf(item)), age, e(repliesOf(item)), ...notesOf(item).map((n) => e(n))].join(" &middot; ");
  const excerpt = item.excerpt
    ? `<div style="margin-top:6px;padding-left:8px;border-left:3px solid ${COLOR.rule};color:${COLOR.muted};">${e(oneLine(item.excerpt))}</div>`
    : "";
  const badges = [
    item.overdue ? overdueBadge() : null,
    item.firstTimeAsker === true ? badge("FIRST QUESTION", COLOR.first) : null,
    item.questionStatus === "awaiting-team" ? badge("AWAITING TEAM", COLOR.awaiting) : null,
  ].filter((b) => b !== null);
  return (
    `<tr><td style="padding:8px 24px 12px 24px;border-top:1px solid ${COLOR.rule};overflow-wrap:anywhere;word-break:break-word;">` +
    `<div style="font-size:15px;line-height:21px;">${badges.map((b) => `${b} `).join("")}${linkedTitle(item)}</div>` +
    `<div style="margin-top:4px;font-size:13px;line-height:19px;color:${COLOR.muted};">${meta}</div>` +
    `${excerpt}${actionsRow(item, snoozeHours)}</td></tr>`
  );
}

function nudgeRow(nudge: Nudge): string {
  const title = e(oneLine(nudge.title) || "(untitled)");
  const url = safeHttpUrl(nudge.url);
  const linked = url === null ? `<strong>${title}</strong>` : `<a href="${e(url)}" style="color:${COLOR.link};text-decoration:underline;">${title}</a>`;
  return (
    `<tr><td style="padding:6px 24px 8px 24px;border-top:1px solid ${COLOR.rule};overflow-wrap:anywhere;word-break:break-word;font-size:14px;line-height:20px;">` +
    `${linked}<div style="font-size:12px;line-height:17px;color:${COLOR.muted};">${e(nudgeMeta(nudge))}</div></td></tr>`
  );
}

function countTile(value: number, label: string, alert: boolean): string {
  const color = alert ? COLOR.overdue : COLOR.text;
  return (
    `<td width="25%" valign="top" style="width:25%;padding:10px 4px;text-align:center;background-color:${COLOR.tile};border:1px solid ${COLOR.rule};">` +
    `<div style="font-size:24px;line-height:28px;font-weight:bold;color:${color};">${e(String(value))}</div>` +
    `<div style="font-size:12px;line-height:16px;color:${COLOR.muted};">${e(label)}</div></td>`
  );
}

function sectionHeading(text: string, size: number): string {
  return `<tr><td style="padding:18px 24px 6px 24px;font-size:${size}px;line-height:${size + 6}px;font-weight:bold;color:${COLOR.text};">${e(text)}</td></tr>`;
}

function paragraphRow(html: string, color: string = COLOR.text): string {
  return `<tr><td style="padding:8px 24px;font-size:14px;line-height:20px;color:${color};">${html}</td></tr>`;
}

function metricsTable(last: PeriodMetrics, previous: PeriodMetrics): string {
  const cell = (html: string, extra = "") =>
    `<td style="padding:6px 8px;border-top:1px solid ${COLOR.rule};font-size:13px;line-height:18px;${extra}">${html}</td>`;
  const head = (text: string, align: string) =>
    `<th align="${align}" style="padding:6px 8px;font-size:12px;line-height:16px;color:${COLOR.muted};text-align:${align};">${e(text)}</th>`;
  const rows = metricRows(last, previous)
    .map(
      (r) =>
        `<tr>${cell(e(r.label))}${cell(`<strong>${e(r.last)}</strong>`, "text-align:right;")}` +
        `${cell(e(r.previous), `text-align:right;color:${COLOR.muted};`)}</tr>`,
    )
    .join("");
  return (
    `<tr><td style="padding:0 16px;">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;border-collapse:collapse;color:${COLOR.text};">` +
    `<tr>${head("", "left")}${head("Last 7 days", "right")}${head("Previous 7 days", "right")}</tr>${rows}</table></td></tr>`
  );
}

function helpersBlock(digest: AdvocateDigest): string {
  const helpers = digest.metrics.topHelpers;
  if (helpers.length === 0) {
    return paragraphRow(e("Nobody outside the team gave a first response this week."), COLOR.muted);
  }
  const items = helpers
    .map((h) => `<li style="margin:2px 0;">@${e(oneLine(h.login))}: ${e(plural(h.firstResponses, "first response", "first responses"))}</li>`)
    .join("");
  return paragraphRow(`<ol style="margin:0;padding-left:20px;">${items}</ol>`);
}

export function renderDigestHtml(input: Digest, opts?: RenderOptions): string {
  const { digest, groups, hidden, snoozeHours } = viewOf(input, opts);
  const { counts, metrics } = digest;
  const name = community(digest);
  const rows: string[] = [];

  rows.push(
    `<tr><td style="padding:20px 24px 4px 24px;font-size:20px;line-height:26px;font-weight:bold;color:${COLOR.text};">${e(name)}: unanswered community questions</td></tr>`,
    `<tr><td style="padding:0 24px 12px 24px;font-size:12px;line-height:16px;color:${COLOR.muted};">As of ${e(asOf(digest))}, first-response SLA ${e(formatAge(digest.slaHours))}</td></tr>`,
    `<tr><td style="padding:0 20px 8px 20px;"><table role="presentation" width="100%" cellpadding="0" cellspacing="4" border="0" style="width:100%;"><tr>` +
      countTile(counts.open, "unanswered", false) +
      countTile(counts.overdue, "overdue", counts.overdue > 0) +
      countTile(counts.newLast24h, "new in 24 h", false) +
      countTile(counts.answeredLast24h, "answered in 24 h", false) +
      `</tr></table></td></tr>`,
  );

  const queue = queueLinkOf(digest);
  if (queue !== null) {
    rows.push(paragraphRow(`<a href="${e(queue)}" style="color:${COLOR.link};font-weight:bold;text-decoration:underline;">${e(QUEUE_LINK_LABEL)}</a>`));
  }
  if (digest.unanswered.length === 0) {
    rows.push(paragraphRow(e(quietDay(digest))));
  } else {
    for (const sourceGroup of groups) {
      rows.push(sectionHeading(SOURCE_NAMES[sourceGroup.source], 18));
      for (const channelGroup of sourceGroup.channels) {
        rows.push(sectionHeading(oneLine(channelGroup.channel) || channelGroup.channelId, 14));
        for (const item of channelGroup.items) rows.push(itemRow(item, slaOf(item, digest), snoozeHours));
      }
    }
    if (hidden > 0) rows.push(paragraphRow(e(moreLine(hidden)), COLOR.muted));
  }

  if (digest.nudges.length > 0) {
    rows.push(sectionHeading("Answered, no answer marked", 16), paragraphRow(e(NUDGE_INTRO), COLOR.muted));
    for (const nudge of digest.nudges) rows.push(nudgeRow(nudge));
  }

  rows.push(sectionHeading("Last 7 days", 18), metricsTable(metrics.last7Days, metrics.previous7Days));
  rows.push(sectionHeading("Top community helpers", 14), helpersBlock(digest));
  rows.push(
    `<tr><td style="padding:16px 24px 20px 24px;border-top:1px solid ${COLOR.rule};font-size:12px;line-height:17px;color:${COLOR.muted};">${e(FOOTER)}<div style="margin-top:8px;">${e(STATUS_MODEL)}</div></td></tr>`,
  );

  // Padding after the preheader keeps clients from pulling body text into the inbox preview.
  const preheaderPad = "&#8199;&#847; ".repeat(40);
  return [
    "<!DOCTYPE html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="color-scheme" content="light dark">`,
    `<meta name="supported-color-schemes" content="light dark">`,
    `<title>${e(digestSubject(digest))}</title>`,
    "</head>",
    `<body style="margin:0;padding:0;background-color:${COLOR.page};">`,
    `<div style="display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all;font-size:1px;line-height:1px;">${e(summaryLine(digest))}${preheaderPad}</div>`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${COLOR.page}" style="width:100%;background-color:${COLOR.page};">`,
    `<tr><td align="center" style="padding:16px 8px;">`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${COLOR.card}" style="width:100%;max-width:640px;background-color:${COLOR.card};border:1px solid ${COLOR.rule};border-radius:8px;${FONT}color:${COLOR.text};">`,
    ...rows,
    "</table>",
    "</td></tr>",
    "</table>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
