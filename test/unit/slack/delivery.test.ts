// Posting a digest to Slack through the official clients, against a fake Slack built from the
// documented answers (test/support/fake-slack-delivery.ts).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SlackDelivery, SlackDeliveryError } from "../../../shared/sources/slack/delivery.ts";
import { EnvSecretResolver } from "../../../shared/secrets/resolver.ts";
import { FakeSlackDelivery } from "../../support/fake-slack-delivery.ts";

const BLOCKS = [
  { type: "header", text: { type: "plain_text", text: "Acme: unanswered community questions" } },
  { type: "section", text: { type: "mrkdwn", text: "*<https://github.com/acme/widgets/issues/1|How do I &lt;configure&gt; it?>*" } },
];
const MESSAGE = { text: "[Acme] 1 unanswered question", blocks: BLOCKS };
const FALLBACK = "*Acme: unanswered community questions*\n\n<https://front.test/actions/queue?r=x|Open the whole queue>";

let fake: FakeSlackDelivery;
beforeAll(async () => {
  fake = await FakeSlackDelivery.start();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.posts.length = 0;
  fake.requests.length = 0;
  fake.rateLimitNext = null;
  fake.refuseBlocks = null;
  fake.dropNext = null;
});

function delivery(env: Record<string, string> = {}, extra: Partial<ConstructorParameters<typeof SlackDelivery>[0]> = {}) {
  const waits: number[] = [];
  const slack = new SlackDelivery({
    secrets: new EnvSecretResolver({ SLACK_BOT_TOKEN: fake.token, SLACK_WEBHOOK_DANA: fake.webhookUrl(), ...env }),
    slack: { botTokenSecretName: "SLACK_BOT_TOKEN", apiBaseUrl: fake.apiBaseUrl },
    retryAfterUnitMs: 1,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...extra,
  });
  return { slack, waits };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected the post to fail");
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(SlackDeliveryError);
      return err as SlackDeliveryError;
    },
  );

describe("posting through an incoming webhook", () => {
  it("posts the text and blocks once, with link previews off", async () => {
    const { slack } = delivery();
    const result = await slack.post({ webhookSecretName: "SLACK_WEBHOOK_DANA" }, MESSAGE, FALLBACK);
    expect(result).toEqual({ id: "ok", rateLimited: 0 });
    expect(fake.posts).toHaveLength(1);
    expect(fake.posts[0]).toMatchObject({ via: "webhook", text: MESSAGE.text, blocks: BLOCKS, body: { unfurl_links: false, unfurl_media: false } });
  });

  it("waits out a 429 as its Retry-After says, then posts once", async () => {
    const { slack, waits } = delivery();
    fake.rateLimitNext = { times: 2, retryAfter: 3 };
    const result = await slack.post({ webhookSecretName: "SLACK_WEBHOOK_DANA" }, MESSAGE, FALLBACK);
    expect(result.rateLimited).toBe(2);
    expect(waits).toEqual([3, 3]);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(fake.posts).toHaveLength(1);
  });

  it("gives up on a Retry-After longer than it may wait, saying nothing was posted", async () => {
    const { slack, waits } = delivery({}, { maxRetryAfterSeconds: 30 });
    fake.rateLimitNext = { times: 1, retryAfter: 120 };
    const err = await failure(slack.post({ webhookSecretName: "SLACK_WEBHOOK_DANA" }, MESSAGE, FALLBACK));
    expect(err).toMatchObject({ code: "ratelimited", delivered: "no" });
    expect(waits).toEqual([]);
    expect(fake.posts).toHaveLength(0);
  });

  it("posts the plain-text version once when Slack refuses the blocks (invalid_blocks)", async () => {
    const { slack } = delivery();
    fake.refuseBlocks = { times: 1 };
    const result = await slack.post({ webhookSecretName: "SLACK_WEBHOOK_DANA" }, MESSAGE, FALLBACK);
    expect(result.fellBackToText).toBe("invalid_blocks");
    expect(fake.requests.map((r) => [r.status, r.error])).toEqual([
      [400, "invalid_blocks"],
      [200, null],
    ]);
    expect(fake.posts).toHaveLength(1);
    expect(fake.posts[0]).toMatchObject({ text: FALLBACK, blocks: undefined });
  });

  it("reports Slack's plain-text errors by name: an archived channel, a revoked hook", async () => {
    const { slack } = delivery({ SLACK_WEBHOOK_GONE: `${fake.url}/services/X0REVOKED/B0/xyz` });
    fake.archivedHooks.add(new URL(fake.webhookUrl()).pathname);
    try {
      const archived = await failure(slack.post({ webhookSecretName: "SLACK_WEBHOOK_DANA" }, MESSAGE, FALLBACK));
      expect(archived).toMatchObject({ code: "channel_is_archived", delivered: "no" });
      const revoked = await failure(slack.post({ webhookSecretName: "SLACK_WEBHOOK_GONE" }, MESSAGE, FALLBACK));
      expect(revoked).toMatchObject({ code: "no_service", delivered: "no" });
      expect(revoked.message).toContain("create a new one");
    } finally {
      fake.archivedHooks.clear();
    }
    expect(fake.posts).toHaveLength(0);
  });

  it("names the secret when the webhook URL is missing or not http(s)", async () => {
    const { slack } = delivery({ SLACK_WEBHOOK_BAD: "javascript:alert(1)" });
    const missing = await failure(slack.post({ webhookSecretName: "SLACK_WEBHOOK_NOBODY" }, MESSAGE, FALLBACK));
    expect(missing).toMatchObject({ code: "missing_secret", delivered: "no" });
    expect(missing.message).toContain("SLACK_WEBHOOK_NOBODY is not set");
    const bad = await failure(slack.post({ webhookSecretName: "SLACK_WEBHOOK_BAD" }, MESSAGE, FALLBACK));
    expect(bad.message).toContain("SLACK_WEBHOOK_BAD is not an http(s) URL");
  });

  it("says the message may have been posted when the connection drops after the request went out", async () => {
    const { slack } = delivery();
    fake.dropNext = { times: 1 };
    const err = await failure(slack.post({ webhookSecretName: "SLACK_WEBHOOK_DANA" }, MESSAGE, FALLBACK));
    expect(err.delivered).toBe("unknown");
    expect(err.message).toContain("may have been posted");
    expect(fake.requests).toHaveLength(1);
  });

  it("knows nothing was posted when nothing listens at the URL", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { slack } = delivery({ SLACK_WEBHOOK_DEAD: `http://127.0.0.1:${port}/services/T0/B0/x` });
    const err = await failure(slack.post({ webhookSecretName: "SLACK_WEBHOOK_DEAD" }, MESSAGE, FALLBACK));
    expect(err).toMatchObject({ code: "econnrefused", delivered: "no" });
  });
});

describe("posting with chat.postMessage and the bot token", () => {
  it("posts to a channel id with the bot token, blocks as Slack's client sends them, and returns the ts", async () => {
    const { slack } = delivery();
    const result = await slack.post({ channel: "C0DIGEST01" }, MESSAGE, FALLBACK);
    expect(result.id).toMatch(/^\d+\.\d{6}$/);
    expect(fake.posts).toHaveLength(1);
    expect(fake.posts[0]).toMatchObject({ via: "chat.postMessage", target: "C0DIGEST01", text: MESSAGE.text, blocks: BLOCKS });
    expect(fake.posts[0]?.body).toMatchObject({ unfurl_links: "false", unfurl_media: "false" });
  });

  it("posts to a user id (the app's DM with that person)", async () => {
    const { slack } = delivery();
    await slack.post({ channel: "U0DANA0001" }, MESSAGE, FALLBACK);
    expect(fake.posts.map((p) => p.target)).toEqual(["U0DANA0001"]);
  });

  it("waits out a 429 (ratelimited, Retry-After) and posts once", async () => {
    const { slack, waits } = delivery();
    fake.rateLimitNext = { times: 1, retryAfter: 2 };
    const result = await slack.post({ channel: "C0DIGEST01" }, MESSAGE, FALLBACK);
    expect(result.rateLimited).toBe(1);
    expect(waits).toEqual([2]);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(fake.posts).toHaveLength(1);
  });

  it("stops after three 429s in a row: the next run posts it", async () => {
    const { slack, waits } = delivery();
    fake.rateLimitNext = { times: 10, retryAfter: 1 };
    const err = await failure(slack.post({ channel: "C0DIGEST01" }, MESSAGE, FALLBACK));
    expect(err).toMatchObject({ code: "ratelimited", delivered: "no" });
    expect(waits).toEqual([1, 1, 1]);
    expect(fake.posts).toHaveLength(0);
  });

  it("on invalid_blocks posts the text version once", async () => {
    const { slack } = delivery();
    fake.refuseBlocks = { times: 1 };
    const result = await slack.post({ channel: "C0DIGEST01" }, MESSAGE, FALLBACK);
    expect(result.fellBackToText).toBe("invalid_blocks");
    expect(fake.posts.map((p) => [p.text, p.blocks])).toEqual([[FALLBACK, undefined]]);
  });

  it("blocks over Block Kit's limits are refused by the fake, and the text goes instead", async () => {
    const { slack } = delivery();
    const tooMany = { text: "many", blocks: Array.from({ length: 51 }, () => ({ type: "divider" })) };
    const result = await slack.post({ channel: "C0DIGEST01" }, tooMany, FALLBACK);
    expect(result.fellBackToText).toBe("invalid_blocks");
    expect(fake.posts).toHaveLength(1);
  });

  it("explains channel_not_found, not_in_channel, a missing scope and a bad token", async () => {
    const { slack } = delivery();
    expect((await failure(slack.post({ channel: "C0UNKNOWN1" }, MESSAGE, FALLBACK))).message).toContain("check the id");
    expect((await failure(slack.post({ channel: "C0NOTMEMB1" }, MESSAGE, FALLBACK))).message).toContain("invite it");
    fake.scopes = ["channels:read"];
    try {
      expect((await failure(slack.post({ channel: "C0DIGEST01" }, MESSAGE, FALLBACK))).message).toContain("SLACK_BOT_TOKEN needs the chat:write scope");
    } finally {
      fake.scopes = ["chat:write"];
    }
    const wrongToken = delivery({ SLACK_BOT_TOKEN: "xoxb-wrong" }).slack;
    const auth = await failure(wrongToken.post({ channel: "C0DIGEST01" }, MESSAGE, FALLBACK));
    expect(auth).toMatchObject({ code: "invalid_auth", delivered: "no" });
    expect(fake.posts).toHaveLength(0);
  });

  it("needs the Slack source and its token", async () => {
    const noSource = new SlackDelivery({ secrets: new EnvSecretResolver({}), slack: null });
    expect((await failure(noSource.post({ channel: "C0DIGEST01" }, MESSAGE, FALLBACK))).code).toBe("no_slack_source");
    const noToken = new SlackDelivery({ secrets: new EnvSecretResolver({}), slack: { botTokenSecretName: "SLACK_BOT_TOKEN", apiBaseUrl: fake.apiBaseUrl } });
    const err = await failure(noToken.post({ channel: "C0DIGEST01" }, MESSAGE, FALLBACK));
    expect(err.message).toContain("SLACK_BOT_TOKEN is not set");
  });

  it("a connection dropped after sending means: maybe posted", async () => {
    const { slack } = delivery();
    fake.dropNext = { times: 1 };
    const err = await failure(slack.post({ channel: "C0DIGEST01" }, MESSAGE, FALLBACK));
    expect(err.delivered).toBe("unknown");
  });
});
