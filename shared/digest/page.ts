import type { DigestAction } from "../model/thread.ts";
import type { QueueOrder } from "../actions/links.ts";
import { escapeHtml as e, oneLine, safeHttpUrl } from "../text/index.ts";
import type { AdvocateDigest, AdvocateDigestItem } from "./schema.ts";
import { ACTION_ORDER, actionLabel, ageOf, askerOf, community, notesOf, repliesOf, slaOf, SOURCE_NAMES } from "./render.ts";
import { formatAge, plural } from "./format.ts";

/**
 * The page with a recipient's whole queue: every open question the digest's filters let through
 * (no `maxItems`), sortable, each with the digest's action buttons. Server-rendered HTML with one
 * inline style sheet and no script, readable on a phone; the buttons are forms that post the
 * signed fields to the action route, exactly as the confirmation page's button does.
 */

export interface QueuePageOptions {
  order: QueueOrder;
  /** The page's own URL (relative, signed) for each order. */
  orderLinks: Record<QueueOrder, string>;
  /** The signed form fields of a question's action (null: no buttons). */
  actionFields: (threadId: string, action: DigestAction) => Record<string, string> | null;
  /** When this page's link stops working. */
  expiresAt: Date;
  snoozeHours: number;
}

/**
 * The most questions one page lists (about 1.9 MB of HTML): a Lambda behind the HTTP API can answer
 * at most 6 MB. Past it the page says how many more there are and where they all are.
 */
export const MAX_PAGE_ITEMS = 1000;

const ORDER_LABELS: Record<QueueOrder, string> = { oldest: "Oldest first", newest: "Newest first", source: "By source" };

const STYLE = `
:root{color-scheme:light dark;--bg:#f6f8fa;--card:#fff;--text:#1f2328;--muted:#57606a;--rule:#d0d7de;--link:#0b57d0;--over:#b3261e;--first:#1a7f37;--wait:#8250df}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9198a1;--rule:#30363d;--link:#6cb6ff;--over:#ff7b72;--first:#56d364;--wait:#d2a8ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
main{max-width:760px;margin:0 auto;padding:16px 12px 40px}
h1{font-size:22px;line-height:1.25;margin:4px 0 6px}
h2{font-size:17px;margin:22px 0 8px}
a{color:var(--link)}
.muted{color:var(--muted);font-size:14px}
nav{display:flex;flex-wrap:wrap;gap:8px;margin:14px 0}
nav a,nav span{padding:6px 12px;border:1px solid var(--rule);border-radius:16px;font-size:14px;text-decoration:none}
nav span{background:var(--text);color:var(--bg);border-color:var(--text)}
ol{list-style:none;margin:0;padding:0}
li{background:var(--card);border:1px solid var(--rule);border-radius:8px;padding:12px;margin:0 0 10px;overflow-wrap:anywhere;word-break:break-word}
.t{font-size:16px;font-weight:600}
.where{font-size:13px;color:var(--muted);margin-bottom:2px}
.meta{font-size:14px;color:var(--muted);margin-top:4px}
.over .meta .age{color:var(--over);font-weight:600}
q{display:block;margin:8px 0 0;padding-left:8px;border-left:3px solid var(--rule);color:var(--muted);font-size:14px;quotes:none}
.b{display:inline-block;padding:1px 7px;margin-right:4px;border-radius:9px;color:#fff;font-size:11px;font-weight:700;letter-spacing:.4px;vertical-align:2px}
.b.o{background:var(--over)}.b.f{background:var(--first)}.b.w{background:var(--wait)}
.acts{display:flex;flex-wrap:wrap;gap:6px;margin-top:10px}
.acts form{margin:0}
button{font:inherit;font-size:14px;min-height:36px;padding:6px 12px;border-radius:6px;border:1px solid var(--rule);background:var(--card);color:var(--text);cursor:pointer}
button.p{background:#0b57d0;border-color:#0b57d0;color:#fff}
footer{margin-top:24px}
`;

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The questions in the asked order; `source` groups by platform, then channel, oldest first in each. */
export function orderQueue(items: readonly AdvocateDigestItem[], order: QueueOrder): AdvocateDigestItem[] {
  const byAge = (a: AdvocateDigestItem, b: AdvocateDigestItem) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || compareText(a.threadId, b.threadId);
  const sorted = [...items];
  if (order === "oldest") return sorted.sort(byAge);
  if (order === "newest") return sorted.sort((a, b) => byAge(b, a));
  return sorted.sort(
    (a, b) =>
      compareText(SOURCE_NAMES[a.source], SOURCE_NAMES[b.source]) ||
      compareText((oneLine(a.channel) || a.channelId).toLowerCase(), (oneLine(b.channel) || b.channelId).toLowerCase()) ||
      byAge(a, b),
  );
}

function whereOf(item: AdvocateDigestItem): string {
  return `${SOURCE_NAMES[item.source]} › ${oneLine(item.channel) || item.channelId}`;
}

function card(item: AdvocateDigestItem, digest: AdvocateDigest, options: QueuePageOptions): string {
  const url = safeHttpUrl(item.url);
  const title = e(oneLine(item.title) || "(untitled)");
  const badges = [
    item.overdue ? `<span class="b o">OVERDUE</span>` : "",
    item.firstTimeAsker === true ? `<span class="b f">FIRST QUESTION</span>` : "",
    item.questionStatus === "awaiting-team" ? `<span class="b w">AWAITING TEAM</span>` : "",
  ].join("");
  const meta = [e(oneLine(item.instance)), e(askerOf(item)), `<span class="age">${e(ageOf(item, slaOf(item, digest)))}</span>`, e(repliesOf(item)), ...notesOf(item).map((n) => e(n))].join(" · ");
  const forms = ACTION_ORDER.flatMap((action) => {
    const fields = options.actionFields(item.threadId, action);
    if (fields === null) return [];
    const hidden = Object.entries(fields)
      .map(([name, value]) => `<input type="hidden" name="${e(name)}" value="${e(value)}">`)
      .join("");
    return [`<form method="post" action="${e(action)}">${hidden}<button type="submit"${action === "take" ? ` class="p"` : ""}>${e(actionLabel(action, options.snoozeHours))}</button></form>`];
  });
  return (
    `<li class="${item.overdue ? "over" : ""}" data-thread="${e(item.threadId)}">` +
    `<div class="where">${e(whereOf(item))}</div>` +
    `<div class="t">${badges}${url === null ? title : `<a href="${e(url)}" rel="noopener noreferrer">${title}</a>`}</div>` +
    `<div class="meta">${meta}</div>` +
    (item.excerpt ? `<q>${e(oneLine(item.excerpt))}</q>` : "") +
    (forms.length > 0 ? `<div class="acts">${forms.join("")}</div>` : "") +
    `</li>`
  );
}

/** The whole page (a string of HTML, no script, no external resource). */
export function renderQueuePage(digest: AdvocateDigest, options: QueuePageOptions): string {
  const ordered = orderQueue(digest.unanswered, options.order);
  const items = ordered.slice(0, MAX_PAGE_ITEMS);
  const over = ordered.length - items.length;
  const { open, overdue, snoozed } = digest.counts;
  const nav = (Object.keys(ORDER_LABELS) as QueueOrder[])
    .map((order) => (order === options.order ? `<span aria-current="true">${e(ORDER_LABELS[order])}</span>` : `<a href="${e(options.orderLinks[order])}">${e(ORDER_LABELS[order])}</a>`))
    .join("");
  const parts: string[] = [];
  if (items.length === 0) {
    parts.push(`<p>Nothing is waiting: every open question has been answered.${snoozed > 0 ? ` (${e(plural(snoozed, "question is", "questions are"))} snoozed.)` : ""}</p>`);
  } else if (options.order === "source") {
    let current = "";
    let list: string[] = [];
    const flush = () => {
      if (list.length > 0) parts.push(`<h2>${e(current)}</h2><ol>${list.join("")}</ol>`);
      list = [];
    };
    for (const item of items) {
      const where = whereOf(item);
      if (where !== current) {
        flush();
        current = where;
      }
      list.push(card(item, digest, options));
    }
    flush();
  } else {
    parts.push(`<ol>${items.map((item) => card(item, digest, options)).join("")}</ol>`);
  }
  if (over > 0) {
    parts.push(
      `<p class="muted">…and ${e(plural(over, "more question", "more questions"))} not listed: one page holds ${MAX_PAGE_ITEMS} at most. ` +
        `Sort the other way to see the other end, or list them all with <code>community-signals digest --json --recipient …</code>.</p>`,
    );
  }
  const head =
    open === 0
      ? "No unanswered questions"
      : `${plural(open, "unanswered question", "unanswered questions")}, ${overdue} overdue (SLA ${formatAge(digest.slaHours)})${snoozed > 0 ? `, ${snoozed} snoozed` : ""}`;
  const name = community(digest);
  return [
    "<!DOCTYPE html>",
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="color-scheme" content="light dark"><meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">`,
    `<title>${e(name)}: every open question</title><style>${STYLE}</style></head>`,
    `<body><main>`,
    `<h1>${e(name)}: every open question</h1>`,
    `<div class="muted">${e(head)}. As of ${e(digest.generatedAt.slice(0, 16).replace("T", " "))} UTC.</div>`,
    `<nav aria-label="Sort">${nav}</nav>`,
    ...parts,
    `<footer class="muted">This page is yours alone: its link is signed for you and works until ${e(options.expiresAt.toISOString().slice(0, 16).replace("T", " "))} UTC. ` +
      `A button acts at once, with no second confirmation.</footer>`,
    `</main></body></html>`,
    "",
  ].join("\n");
}
