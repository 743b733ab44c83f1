// The dev stack's Slack: answers as Slack's two doors do, and shows what arrived without letting
// any of it become markup.
import { describe, expect, it } from "vitest";
import { DevSlackSink, mrkdwnHtml, withDevSlackWebhooks } from "../../../infra/local/slack-sink.ts";
import { parseConfig } from "../../../shared/model/config.ts";
import { EnvSecretResolver } from "../../../shared/secrets/resolver.ts";

const NOW = new Date("2026-01-05T08:00:00.000Z");
const post = (sink: DevSlackSink, path: string, body: unknown, contentType = "application/json") =>
  sink.handle("POST", path, contentType, Buffer.from(typeof body === "string" ? body : JSON.stringify(body)));

describe("the dev Slack sink", () => {
  it("takes incoming-webhook posts and answers Slack's plain-text errors", () => {
    const sink = new DevSlackSink(() => NOW);
    expect(post(sink, "/dev/slack/webhook/dana", { text: "hi", blocks: [{ type: "divider" }] })).toMatchObject({ status: 200, body: "ok" });
    expect(post(sink, "/dev/slack/webhook/dana", "{not json")).toMatchObject({ status: 400, body: "invalid_payload" });
    expect(post(sink, "/dev/slack/webhook/dana", {})).toMatchObject({ status: 400, body: "no_text" });
    expect(post(sink, "/dev/slack/webhook/dana", { text: "x", blocks: Array.from({ length: 51 }, () => ({ type: "divider" })) })).toMatchObject({ status: 400, body: "invalid_blocks" });
    expect(sink.inbox()).toEqual([{ via: "webhook", target: "/dev/slack/webhook/dana", text: "hi", blocks: [{ type: "divider" }], at: NOW.toISOString() }]);
  });

  it("takes chat.postMessage as the official client sends it (a form, blocks as JSON) and knows no other method", () => {
    const sink = new DevSlackSink(() => NOW);
    const form = new URLSearchParams({ channel: "C0SUPPORT1", text: "hi", blocks: JSON.stringify([{ type: "divider" }]) }).toString();
    const answer = post(sink, "/dev/slack/api/chat.postMessage", form, "application/x-www-form-urlencoded");
    expect(JSON.parse(answer!.body)).toMatchObject({ ok: true, channel: "C0SUPPORT1" });
    expect(JSON.parse(post(sink, "/dev/slack/api/users.info", "user=U1", "application/x-www-form-urlencoded")!.body)).toEqual({ ok: false, error: "unknown_method" });
    expect(sink.inbox()[0]).toMatchObject({ via: "chat.postMessage", target: "C0SUPPORT1", blocks: [{ type: "divider" }] });
    expect(sink.handle("GET", "/elsewhere", "", Buffer.alloc(0))).toBeNull();
  });

  it("shows the messages with http(s) links only and everything else escaped", () => {
    expect(mrkdwnHtml("*<https://x.example/a?b=1&amp;c=2|Title &lt;b&gt;>*\n&gt; <javascript:alert(1)|click> <script>")).toBe(
      '<b><a href="https://x.example/a?b=1&amp;c=2">Title &lt;b&gt;</a></b><br><blockquote>&lt;javascript:alert(1)|click&gt; &lt;script&gt;</blockquote>',
    );
    const sink = new DevSlackSink(() => NOW);
    post(sink, "/dev/slack/webhook/x", { text: "<img src=x onerror=alert(1)>", blocks: [{ type: "section", text: { type: "mrkdwn", text: '"><script>alert(1)</script>' } }] });
    const page = sink.handle("GET", "/dev/slack", "", Buffer.alloc(0))!;
    expect(page.status).toBe(200);
    expect(page.body).not.toMatch(/<script|<img/);
  });
});

describe("a Slack recipient's webhook locally", () => {
  it("posts to the dev stack's own Slack while its variable is unset, to the real URL once it is set", async () => {
    const config = parseConfig({ digest: { recipients: [{ email: "maria@acme.example", slack: { webhookSecretName: "SLACK_WEBHOOK_MARIA" } }] } });
    const env: Record<string, string> = { ACTIONS_SIGNING_SECRET: "x".repeat(20) };
    const secrets = withDevSlackWebhooks(new EnvSecretResolver(env), config, "http://127.0.0.1:8787");
    expect(await secrets.get("SLACK_WEBHOOK_MARIA")).toBe("http://127.0.0.1:8787/dev/slack/webhook/slack_webhook_maria");
    expect(await secrets.get("ACTIONS_SIGNING_SECRET")).toBe("x".repeat(20));
    expect(await secrets.get("SLACK_BOT_TOKEN")).toBeNull();
    env.SLACK_WEBHOOK_MARIA = "https://hooks.slack.com/services/T0/B0/abc";
    expect(await secrets.get("SLACK_WEBHOOK_MARIA")).toBe("https://hooks.slack.com/services/T0/B0/abc");
  });

  it("shows the digest's emoji as Slack does", () => {
    expect(mrkdwnHtml(":rotating_light: *OVERDUE*")).toBe("🚨 <b>OVERDUE</b>");
  });
});
