import { escapeHtml as e, safeHttpUrl } from "../../shared/text/index.ts";
import type { Config } from "../../shared/model/config.ts";
import type { SecretResolver } from "../../shared/secrets/resolver.ts";
import type { HttpAnswer } from "../../shared/sources/types.ts";

/**
 * The dev stack's Slack: what a Slack recipient's digest would post, kept in memory and shown on a
 * page (`GET /dev/slack`), as the mail viewer shows the mail. Two doors, answered as Slack answers:
 *
 * - `POST /dev/slack/webhook[/name]`: an incoming webhook. Point a recipient's webhook secret (an
 *   environment variable locally) at it: `SLACK_WEBHOOK_DANA=http://127.0.0.1:8787/dev/slack/webhook/dana`.
 * - `POST /dev/slack/api/chat.postMessage`: the Web API method the bot token posts with. Point
 *   `sources.slack.apiBaseUrl` at `http://127.0.0.1:8787/dev/slack/api`; other methods answer
 *   `unknown_method` (the digest then shows Slack ids instead of names).
 *
 * The front door listens on 127.0.0.1 only; none of this exists in AWS.
 */

/**
 * Locally, a Slack recipient's incoming webhook whose secret (an environment variable) is not set
 * posts to the running dev's own Slack, `<dev>/dev/slack/webhook/<secret name in lower case>`, so
 * `npm start` shows the Slack digest with nothing to set up; setting the variable to a real
 * webhook URL posts to Slack instead. Other secrets are the inner resolver's.
 */
export function withDevSlackWebhooks(inner: SecretResolver, config: Pick<Config, "digest">, devUrl: string): SecretResolver {
  const names = new Set(config.digest.recipients.flatMap((r) => (r.slack && "webhookSecretName" in r.slack ? [r.slack.webhookSecretName] : [])));
  return {
    async get(name) {
      const value = await inner.get(name);
      if (value || !names.has(name)) return value;
      return `${devUrl}/dev/slack/webhook/${name.toLowerCase()}`;
    },
  };
}

export interface DevSlackMessage {
  via: "webhook" | "chat.postMessage";
  /** The webhook path or the channel posted to. */
  target: string;
  text: string;
  blocks: unknown[];
  /** When it arrived, by the stack's clock. */
  at: string;
}

/** Messages kept (the oldest are forgotten past this). */
const KEEP = 200;

const json = (status: number, body: unknown): HttpAnswer => ({ status, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(body) });
const plainText = (status: number, body: string): HttpAnswer => ({ status, headers: { "content-type": "text/plain; charset=utf-8" }, body });

function parseObject(raw: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Block Kit's outer limit (50 blocks, an array); the digest checks every other one before posting. */
function blocksOf(value: unknown): unknown[] | null {
  const parsed = typeof value === "string" ? (() => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return null;
    }
  })() : value;
  return Array.isArray(parsed) && parsed.length <= 50 ? parsed : null;
}

export class DevSlackSink {
  private readonly messages: DevSlackMessage[] = [];

  constructor(private readonly now: () => Date) {}

  /** Every message received, oldest first. */
  inbox(): DevSlackMessage[] {
    return [...this.messages];
  }

  private keep(message: DevSlackMessage): void {
    this.messages.push(message);
    if (this.messages.length > KEEP) this.messages.splice(0, this.messages.length - KEEP);
  }

  /** Answers `/dev/slack…` requests; null for any other path. */
  handle(method: string, path: string, contentType: string, body: Buffer): HttpAnswer | null {
    if (path === "/dev/slack" || path === "/dev/slack/") {
      return method === "GET" || method === "HEAD" ? { status: 200, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'" }, body: this.page() } : plainText(405, "method_not_allowed");
    }
    if (path === "/dev/slack/messages.json") return json(200, this.inbox());
    if (path === "/dev/slack/webhook" || path.startsWith("/dev/slack/webhook/")) {
      if (method !== "POST") return plainText(405, "method_not_allowed");
      const payload = parseObject(body.toString("utf8"));
      if (payload === null) return plainText(400, "invalid_payload");
      const blocks = payload["blocks"] === undefined ? [] : blocksOf(payload["blocks"]);
      if (blocks === null) return plainText(400, "invalid_blocks");
      if (typeof payload["text"] !== "string" && blocks.length === 0) return plainText(400, "no_text");
      this.keep({ via: "webhook", target: path, text: String(payload["text"] ?? ""), blocks, at: this.now().toISOString() });
      return { status: 200, headers: { "content-type": "text/html" }, body: "ok" };
    }
    if (path.startsWith("/dev/slack/api/")) {
      if (method !== "POST") return json(200, { ok: false, error: "invalid_request" });
      if (path !== "/dev/slack/api/chat.postMessage") return json(200, { ok: false, error: "unknown_method" });
      const raw = body.toString("utf8");
      const args = contentType.startsWith("application/json") ? parseObject(raw) : Object.fromEntries(new URLSearchParams(raw));
      if (args === null) return json(200, { ok: false, error: "invalid_form_data" });
      const channel = typeof args["channel"] === "string" ? args["channel"] : "";
      if (!channel) return json(200, { ok: false, error: "channel_not_found" });
      const blocks = args["blocks"] === undefined ? [] : blocksOf(args["blocks"]);
      if (blocks === null) return json(200, { ok: false, error: "invalid_blocks" });
      if (typeof args["text"] !== "string" && blocks.length === 0) return json(200, { ok: false, error: "no_text" });
      const at = this.now();
      this.keep({ via: "chat.postMessage", target: channel, text: String(args["text"] ?? ""), blocks, at: at.toISOString() });
      const ts = `${Math.floor(at.getTime() / 1000)}.${String(this.messages.length).padStart(6, "0")}`;
      return json(200, { ok: true, channel, ts, message: { type: "message", text: args["text"], ts } });
    }
    return null;
  }

  private page(): string {
    const items = [...this.messages].reverse().map((m) => {
      const blocks = m.blocks.length > 0 ? m.blocks.map(blockHtml).join("") : `<p>${mrkdwnHtml(m.text)}</p>`;
      return `<article><div class="meta">${e(m.at.slice(0, 19).replace("T", " "))} UTC · ${e(m.via)} · ${e(m.target)}</div><div class="note">Notification: ${e(m.text)}</div>${blocks}</article>`;
    });
    return [
      "<!DOCTYPE html>",
      `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Slack messages (dev)</title>`,
      `<style>body{margin:0;padding:16px;font:15px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;background:#f4f4f6;color:#1d1c1d}main{max-width:760px;margin:0 auto}` +
        `article{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 16px;margin:0 0 16px;overflow-wrap:anywhere}.meta,.note,.ctx{color:#616061;font-size:13px}` +
        `h2{font-size:18px;margin:8px 0}blockquote{margin:4px 0;padding-left:8px;border-left:3px solid #ddd;color:#616061}.btns a{display:inline-block;margin:4px 6px 4px 0;padding:4px 10px;border:1px solid #bbb;border-radius:4px;text-decoration:none;color:#1d1c1d}</style></head>`,
      `<body><main><h1>Slack messages sent by this dev stack</h1>`,
      items.length > 0 ? items.join("") : `<p>Nothing yet. A Slack recipient's digest lands here when its webhook URL (or sources.slack.apiBaseUrl) points at this stack.</p>`,
      "</main></body></html>",
      "",
    ].join("\n");
  }
}

/** Slack's escapes undone, for text that is then escaped for HTML. */
function unslack(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** mrkdwn as HTML: `<url|label>` links (http(s) only), *bold*, and `> ` quote lines; everything else escaped. */
export function mrkdwnHtml(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const quoted = line.startsWith("> ") || line.startsWith("&gt; ");
      const body = quoted ? line.slice(line.startsWith("> ") ? 2 : 5) : line;
      // Text pieces (escaped, stars kept) and links (finished HTML), in order.
      const pieces: ({ text: string } | { html: string })[] = [];
      let from = 0;
      for (;;) {
        const open = body.indexOf("<", from);
        const close = open < 0 ? -1 : body.indexOf(">", open + 1);
        if (open < 0 || close < 0) break;
        pieces.push({ text: e(unslack(body.slice(from, open))) });
        const inner = body.slice(open + 1, close);
        const bar = inner.indexOf("|");
        const url = safeHttpUrl(unslack(bar < 0 ? inner : inner.slice(0, bar)));
        const label = unslack(bar < 0 ? inner : inner.slice(bar + 1));
        pieces.push(url === null ? { text: e(`<${unslack(inner)}>`) } : { html: `<a href="${e(url)}">${e(label)}</a>` });
        from = close + 1;
      }
      pieces.push({ text: e(unslack(body.slice(from))) });
      for (const p of pieces) if ("text" in p) p.text = emoji(p.text);
      const html = bold(pieces);
      return quoted ? `<blockquote>${html}</blockquote>` : html;
    })
    .join("<br>");
}

/** The few emoji codes the digest uses, as Slack shows them. */
const EMOJI: Record<string, string> = { ":rotating_light:": "🚨", ":white_check_mark:": "✅", ":question:": "❓" };

function emoji(text: string): string {
  let out = text;
  for (const [code, char] of Object.entries(EMOJI)) out = out.split(code).join(char);
  return out;
}

/** Pairs of `*` in a line's text pieces become bold (across a link too); an unpaired last star stays. */
function bold(pieces: ({ text: string } | { html: string })[]): string {
  let stars = 0;
  for (const p of pieces) if ("text" in p) for (const ch of p.text) if (ch === "*") stars += 1;
  const paired = stars - (stars % 2);
  let seen = 0;
  let out = "";
  for (const p of pieces) {
    if ("html" in p) {
      out += p.html;
      continue;
    }
    for (const ch of p.text) {
      if (ch === "*" && seen < paired) {
        out += seen % 2 === 0 ? "<b>" : "</b>";
        seen += 1;
      } else out += ch;
    }
  }
  return out;
}

function textOf(value: unknown): string {
  return typeof value === "object" && value !== null && typeof (value as { text?: unknown }).text === "string" ? (value as { text: string }).text : "";
}

function buttonHtml(b: unknown): string {
  const url = safeHttpUrl(String((b as { url?: unknown }).url ?? ""));
  const label = textOf((b as { text?: unknown }).text);
  return url === null ? `<span>${e(label)}</span>` : `<a href="${e(url)}">${e(label)}</a>`;
}

function blockHtml(block: unknown): string {
  const b = block as { type?: unknown; text?: unknown; elements?: unknown; accessory?: unknown };
  switch (b.type) {
    case "header":
      return `<h2>${e(textOf(b.text))}</h2>`;
    case "section":
      return `<p>${mrkdwnHtml(textOf(b.text))}</p>${b.accessory ? `<div class="btns">${buttonHtml(b.accessory)}</div>` : ""}`;
    case "actions":
      return `<div class="btns">${(Array.isArray(b.elements) ? b.elements : []).map(buttonHtml).join("")}</div>`;
    case "context":
      return `<p class="ctx">${(Array.isArray(b.elements) ? b.elements : []).map((x) => mrkdwnHtml(textOf(x))).join(" ")}</p>`;
    case "divider":
      return "<hr>";
    default:
      return "";
  }
}
