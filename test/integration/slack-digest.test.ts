// A Slack recipient's digest through the local stack: a GitHub question in, the digest posted by
// incoming webhook and by chat.postMessage into the dev stack's own Slack (/dev/slack), claimed once
// per day in DynamoDB Local, and its queue link opening the page on the dev front door.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveActionLinks, resolveSlackDelivery, sendDigests } from "../../functions/digest/app.ts";
import { freePort } from "../../infra/local/emulators/ports.ts";
import { startLocalStack, type LocalStack } from "../../infra/local/stack.ts";
import { clockStartingAt } from "../../shared/runtime/clock.ts";
import { EnvSecretResolver } from "../../shared/secrets/resolver.ts";
import { issuesEvent, type Person } from "../support/github-payloads.ts";
import { postGitHub, TEST_SECRET, testConfig } from "../support/stack.ts";

const ACTIONS_SECRET = "slack-digest-actions-secret-0123456789";
const NOW = new Date("2026-06-03T07:30:00Z");
const casey: Person = { id: 701, login: "casey-community" };

describe("Slack recipients through the local stack", () => {
  let stack: LocalStack;
  let dataDir: string;
  let env: Record<string, string>;
  let config: ReturnType<typeof testConfig>;
  const clock = clockStartingAt(NOW);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "cs-slack-digest-"));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    config = testConfig({
      sources: { github: { enabled: true }, slack: { apiBaseUrl: `${base}/dev/slack/api` } },
      digest: {
        from: "signals@acme.example",
        minAgeHours: 0,
        slaHours: 24,
        recipients: [
          { email: "dana@acme.example", slack: { webhookSecretName: "SLACK_WEBHOOK_DANA" } },
          { slack: { channel: "C0SUPPORT1" }, name: "Support channel" },
        ],
      },
    });
    env = {
      GITHUB_WEBHOOK_SECRET: TEST_SECRET,
      ACTIONS_SIGNING_SECRET: ACTIONS_SECRET,
      SLACK_BOT_TOKEN: "xoxb-dev-0000",
      SLACK_WEBHOOK_DANA: `${base}/dev/slack/webhook/dana`,
    };
    stack = await startLocalStack({ clock, config, dataDir, port, retryDelaySeconds: 1, schedule: false, env });
    const opened = new Date(NOW.getTime() - 30 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    expect((await postGitHub(stack, "issues", issuesEvent("opened", { id: 9101, number: 1101, title: "How do I rotate <TLS> certs?", author: casey, createdAt: opened }))).status).toBe(202);
    await stack.drained();
  });
  afterAll(async () => {
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("posts each Slack recipient's digest once a day into the dev stack's Slack, and shows it on /dev/slack", async () => {
    const secrets = new EnvSecretResolver(env);
    const deps = {
      config,
      store: stack.store,
      mailer: { send: async () => "mail-1" } as never,
      links: await resolveActionLinks(config, secrets, stack.url),
      slack: resolveSlackDelivery(config, secrets),
      now: clock,
    };
    const first = await sendDigests(deps, { at: clock() });
    expect(first.map((r) => [r.recipient, r.channel, r.outcome])).toEqual([
      ["dana@acme.example", "email", "sent"],
      ["dana@acme.example", "slack", "sent"],
      ["slack:c0support1", "slack", "sent"],
    ]);
    const again = await sendDigests(deps, { at: clock() });
    expect(again.map((r) => r.outcome)).toEqual(["already-sent", "already-sent", "already-sent"]);

    const inbox = stack.slackInbox();
    expect(inbox.map((m) => [m.via, m.target])).toEqual([
      ["webhook", "/dev/slack/webhook/dana"],
      ["chat.postMessage", "C0SUPPORT1"],
    ]);
    expect(inbox[0]!.text).toBe("[Acme Labs] 1 unanswered question (1 overdue)");
    const page = await (await fetch(stack.slackViewerUrl)).text();
    expect(page).toContain("How do I rotate &lt;TLS&gt; certs?");
    expect(page).toContain(`${stack.url}/actions/take?`.replace(/&/g, "&amp;"));
    expect(page).not.toContain("<TLS>");
  });

  it("the Slack message's queue link opens the page with the question and its buttons on the dev front door", async () => {
    const summary = stack.slackInbox()[1]!.blocks[1] as { accessory?: { url: string } };
    const url = summary.accessory!.url;
    expect(url.startsWith(`${stack.url}/actions/queue?r=slack%3Ac0support1&`)).toBe(true);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("How do I rotate &lt;TLS&gt; certs?");
    expect(html.match(/<form method="post"/g)).toHaveLength(4);
    const forged = await fetch(url.replace(/s=[^&]+/, "s=forged"));
    expect(forged.status).toBe(403);
  });
});
