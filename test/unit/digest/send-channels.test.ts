// Each recipient gets the digest on each of their channels (email, Slack) at most once per local
// day; a failed channel is retried alone. The store's contract in memory, the mailer recorded, and
// Slack through the real client against the fake Slack (test/support/fake-slack-delivery.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { claimKey, resolveSlackDelivery, sendDigests, throwIfAnyFailed, type DigestStore } from "../../../functions/digest/app.ts";
import type { Mailer, OutgoingMail } from "../../../shared/mail/ses.ts";
import { parseConfig, recipientId, type Config } from "../../../shared/model/config.ts";
import type { Thread } from "../../../shared/model/thread.ts";
import { EnvSecretResolver } from "../../../shared/secrets/resolver.ts";
import { FakeSlackDelivery } from "../../support/fake-slack-delivery.ts";
import { hoursAgo, NOW, thread } from "./fixtures.ts";

const SECRET = "send-channels-secret-0123456789";

class MemoryDigestStore implements DigestStore {
  readonly claims = new Map<string, Record<string, unknown>>();
  constructor(private readonly threads: Thread[]) {}
  async openQuestions() {
    return this.threads;
  }
  async questionsCreatedBetween() {
    return this.threads;
  }
  async claimDigestSend(recipient: string, day: string, details: Record<string, unknown>) {
    const key = `DIGEST#${recipient.toLowerCase()}|DAY#${day}`;
    if (this.claims.has(key)) return false;
    this.claims.set(key, details);
    return true;
  }
  async releaseDigestSend(recipient: string, day: string) {
    this.claims.delete(`DIGEST#${recipient.toLowerCase()}|DAY#${day}`);
  }
}

class RecordingMailer {
  readonly sent: OutgoingMail[] = [];
  refuse = new Set<string>();
  async send(mail: OutgoingMail): Promise<string> {
    if (this.refuse.has(mail.to)) throw new Error(`refused ${mail.to}`);
    this.sent.push(mail);
    return `mail-${this.sent.length}`;
  }
}

let fake: FakeSlackDelivery;
beforeAll(async () => {
  fake = await FakeSlackDelivery.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.posts.length = 0;
  fake.requests.length = 0;
  fake.notMemberOf.clear();
  fake.notMemberOf.add("C0NOTMEMB1");
  fake.dropNext = null;
});

function setup(recipients: unknown[], threads: Thread[] = [thread({ createdAt: hoursAgo(30) }), thread({ createdAt: hoursAgo(10) })]) {
  const config: Config = parseConfig({
    name: "Acme",
    sources: { slack: { botTokenSecretName: "SLACK_BOT_TOKEN", apiBaseUrl: fake.apiBaseUrl } },
    digest: { recipients },
  });
  const secrets = new EnvSecretResolver({ SLACK_BOT_TOKEN: fake.token, SLACK_WEBHOOK_DANA: fake.webhookUrl(), ACTIONS_SIGNING_SECRET: SECRET });
  const store = new MemoryDigestStore(threads);
  const mailer = new RecordingMailer();
  const slack = resolveSlackDelivery(config, secrets, { retryAfterUnitMs: 1 });
  let now = NOW;
  const deps = {
    config,
    store,
    mailer: mailer as unknown as Mailer,
    slack,
    links: { baseUrl: "http://front.test", secret: SECRET },
    now: () => now,
  };
  return { config, store, mailer, deps, later: (minutes: number) => (now = new Date(NOW.getTime() + minutes * 60_000)) };
}

describe("digest delivery by channel", () => {
  const dana = { email: "Dana@Acme.example", name: "Dana", slack: { webhookSecretName: "SLACK_WEBHOOK_DANA" } };
  const team = { slack: { channel: "C0DIGEST01" }, name: "Support channel" };

  it("sends by email and by Slack, each once a day, with claims per channel (the email's key unchanged)", async () => {
    const { deps, store, mailer } = setup([dana, team]);
    const first = await sendDigests(deps, { at: NOW });
    expect(first.map((r) => [r.recipient, r.channel, r.outcome])).toEqual([
      ["dana@acme.example", "email", "sent"],
      ["dana@acme.example", "slack", "sent"],
      ["slack:c0digest01", "slack", "sent"],
    ]);
    expect(mailer.sent.map((m) => m.to)).toEqual(["Dana@Acme.example"]);
    expect(fake.posts.map((p) => [p.via, p.via === "webhook" ? "hook" : p.target])).toEqual([
      ["webhook", "hook"],
      ["chat.postMessage", "C0DIGEST01"],
    ]);
    // The email claim is keyed as before this change; Slack's never meet it.
    expect([...store.claims.keys()]).toEqual([
      "DIGEST#dana@acme.example|DAY#2024-05-15",
      "DIGEST#slack#dana@acme.example|DAY#2024-05-15",
      "DIGEST#slack#slack:c0digest01|DAY#2024-05-15",
    ]);
    expect(claimKey(deps.config.digest.recipients[0]!, "email")).toBe("Dana@Acme.example");

    const again = await sendDigests(deps, { at: NOW });
    expect(again.map((r) => r.outcome)).toEqual(["already-sent", "already-sent", "already-sent"]);
    expect(mailer.sent).toHaveLength(1);
    expect(fake.posts).toHaveLength(2);
  });

  it("the Slack message carries the same questions in the same order as the email, with signed buttons and the queue link", async () => {
    const { deps, mailer } = setup([dana]);
    await sendDigests(deps, { at: NOW });
    const blocks = fake.posts[0]!.blocks as { type: string; text?: { text: string }; elements?: { url: string }[]; accessory?: { url: string } }[];
    const titles = blocks.filter((b) => b.type === "section").map((b) => b.text!.text).filter((t) => t.includes("github.com/acme/widgets/issues/"));
    const mailText = mailer.sent[0]!.text;
    const order = (s: string[]) => s.map((t) => /issues\/(\d+)/.exec(t)?.[1]);
    expect(order(titles)).toEqual(order(mailText.split("\n").filter((l) => l.includes("github.com/acme/widgets/issues/"))));
    const buttons = blocks.filter((b) => b.type === "actions").flatMap((b) => b.elements!.map((e) => e.url));
    expect(buttons).toHaveLength(8);
    expect(buttons.every((u) => u.startsWith("http://front.test/actions/") && u.includes("r=dana%40acme.example"))).toBe(true);
    expect(blocks[1]!.accessory!.url).toMatch(/^http:\/\/front\.test\/actions\/queue\?r=dana%40acme\.example&e=\d+&o=oldest&s=/);
    expect(mailText).toContain(blocks[1]!.accessory!.url);
  });

  it("a failed Slack post is released and retried alone: the email is not sent again, the post goes once", async () => {
    const { deps, mailer, later } = setup([{ ...dana, slack: { channel: "C0NOTMEMB1" } }]);
    const first = await sendDigests(deps, { at: NOW });
    expect(first.map((r) => [r.channel, r.outcome])).toEqual([
      ["email", "sent"],
      ["slack", "failed"],
    ]);
    expect(first[1]!.error).toContain("not_in_channel");
    expect(() => throwIfAnyFailed(first)).toThrow(/1 of 2 digest\(s\) failed: dana@acme\.example on Slack \(Slack refused the post \(not_in_channel\)/);

    fake.notMemberOf.delete("C0NOTMEMB1");
    later(10);
    const retry = await sendDigests(deps, { at: NOW });
    expect(retry.map((r) => [r.channel, r.outcome])).toEqual([
      ["email", "already-sent"],
      ["slack", "sent"],
    ]);
    expect(mailer.sent).toHaveLength(1);
    expect(fake.posts).toHaveLength(1);
  });

  it("a refused email does not hold the Slack post back, and its retry does not post again", async () => {
    const { deps, mailer, later } = setup([dana]);
    mailer.refuse.add("Dana@Acme.example");
    const first = await sendDigests(deps, { at: NOW });
    expect(first.map((r) => [r.channel, r.outcome])).toEqual([
      ["email", "failed"],
      ["slack", "sent"],
    ]);
    mailer.refuse.clear();
    later(10);
    const retry = await sendDigests(deps, { at: NOW });
    expect(retry.map((r) => [r.channel, r.outcome])).toEqual([
      ["email", "sent"],
      ["slack", "already-sent"],
    ]);
    expect(fake.posts).toHaveLength(1);
  });

  it("a post that may have gone through keeps its claim: failed now, never posted twice", async () => {
    const { deps, store } = setup([team]);
    fake.dropNext = { times: 1 };
    const first = await sendDigests(deps, { at: NOW });
    expect(first[0]).toMatchObject({ outcome: "failed" });
    expect(first[0]!.error).toContain("not posted twice");
    expect(store.claims.size).toBe(1);
    const retry = await sendDigests(deps, { at: NOW });
    expect(retry[0]!.outcome).toBe("already-sent");
    expect(fake.requests).toHaveLength(1);
  });

  it("Slack refusing the blocks still delivers the digest, as text with the queue link, and says so", async () => {
    const { deps } = setup([team]);
    fake.refuseBlocks = { times: 1 };
    const [result] = await sendDigests(deps, { at: NOW });
    expect(result).toMatchObject({ outcome: "sent" });
    expect(result!.warning).toContain("invalid_blocks");
    expect(fake.posts[0]!.blocks).toBeUndefined();
    expect(fake.posts[0]!.text).toContain("/actions/queue?");
  });

  it("a Slack-only recipient needs no mailer, and --recipient finds them by their slack id", async () => {
    const { deps } = setup([team, { email: "ops@acme.example" }]);
    const { mailer: _unused, ...withoutMailer } = deps;
    const results = await sendDigests(withoutMailer, { at: NOW, recipient: "slack:C0DIGEST01" });
    expect(results.map((r) => [r.recipient, r.outcome])).toEqual([["slack:c0digest01", "sent"]]);
    await expect(sendDigests(withoutMailer, { at: NOW, recipient: "ops@acme.example" })).rejects.toThrow(/needs a mailer/);
    expect(recipientId({ slack: { webhookSecretName: "SLACK_WEBHOOK_DANA" } })).toBe("slack:webhook:slack_webhook_dana");
  });

  it("a missing webhook secret fails that recipient's Slack channel only, naming the secret", async () => {
    const { deps, mailer } = setup([{ email: "eve@acme.example", slack: { webhookSecretName: "SLACK_WEBHOOK_EVE" } }, team]);
    const results = await sendDigests(deps, { at: NOW });
    expect(results.map((r) => [r.recipient, r.channel, r.outcome])).toEqual([
      ["eve@acme.example", "email", "sent"],
      ["eve@acme.example", "slack", "failed"],
      ["slack:c0digest01", "slack", "sent"],
    ]);
    expect(results[1]!.error).toContain("SLACK_WEBHOOK_EVE is not set");
    expect(mailer.sent).toHaveLength(1);
  });
});
