import { escapeHtml as e } from "../text/index.ts";
import type { DigestAction } from "../model/thread.ts";

/** Small self-contained pages for the action links: no scripts, no external resources. */

export const ACTION_LABELS: Record<DigestAction, { button: string; done: string }> = {
  snooze: { button: "Snooze this question", done: "Snoozed: it is left out of the digest until" },
  "not-a-question": { button: "Mark as not a question", done: "Marked as not a question: it is no longer listed." },
  resolved: { button: "Mark as resolved", done: "Marked as resolved: it is no longer listed." },
  take: { button: "I'll take it", done: "It is yours: the next digests show you as taking it." },
};

function page(title: string, body: string): string {
  return [
    "<!DOCTYPE html>",
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="color-scheme" content="light dark"><meta name="referrer" content="no-referrer">`,
    `<title>${e(title)}</title></head>`,
    `<body style="margin:0;padding:24px;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:16px;line-height:22px;">`,
    `<div style="max-width:520px;margin:0 auto;">${body}</div>`,
    "</body></html>",
    "",
  ].join("\n");
}

export interface ThreadSummaryForPage {
  title: string;
  url: string | null;
}

function threadLine(thread: ThreadSummaryForPage): string {
  const title = e(thread.title || "(untitled)");
  return thread.url ? `<p><a href="${e(thread.url)}">${title}</a></p>` : `<p><strong>${title}</strong></p>`;
}

/**
 * The answer to GET: mail scanners fetch every link, so opening one only asks; the button
 * POSTs the same signed parameters, and that is what acts.
 */
export function confirmPage(action: DigestAction, thread: ThreadSummaryForPage, params: Record<string, string>): string {
  const fields = Object.entries(params)
    .map(([name, value]) => `<input type="hidden" name="${e(name)}" value="${e(value)}">`)
    .join("");
  const label = ACTION_LABELS[action].button;
  return page(
    label,
    `<h1 style="font-size:20px;">${e(label)}?</h1>${threadLine(thread)}` +
      `<form method="post" action="${e(action)}">${fields}` +
      `<button type="submit" style="font-size:16px;padding:10px 18px;border-radius:6px;border:1px solid #0b57d0;background:#0b57d0;color:#ffffff;">${e(label)}</button></form>`,
  );
}

export function donePage(action: DigestAction, thread: ThreadSummaryForPage, detail: { until?: string | null; already: boolean }): string {
  const done = ACTION_LABELS[action].done;
  const text = action === "snooze" ? `${done} ${detail.until ? `${detail.until.slice(0, 16).replace("T", " ")} UTC` : "later"}.` : done;
  const note = detail.already ? `<p style="color:#57606a;">This link had already been used; nothing more changed.</p>` : "";
  return page("Done", `<h1 style="font-size:20px;">Done</h1>${threadLine(thread)}<p>${e(text)}</p>${note}`);
}

export function refusedPage(message: string): string {
  return page("Link not valid", `<h1 style="font-size:20px;">This link does not work</h1><p>${e(message)}</p>`);
}
