// Names instead of ids: the digest asks a fake Slack Web API (users.info, conversations.info,
// team.info) through the official client, caches the answers in the table, honours a 429's
// Retry-After, refreshes after a day, and keeps the ids when the token is refused.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestAt, resolveSlackNames } from "../../functions/digest/app.ts";
import { loadSamples, replaySamples } from "../../infra/cli/replay.ts";
import type { LocalStack } from "../../infra/local/stack.ts";
import { EnvSecretResolver } from "../../shared/secrets/resolver.ts";
import { clockStartingAt, fixedClock } from "../../shared/runtime/clock.ts";
import { enabledSource } from "../../shared/sources/index.ts";
import { SlackDirectory } from "../../shared/sources/slack/directory.ts";
import { FakeSlack } from "../support/fake-slack.ts";
import { startTestStack, testConfig } from "../support/stack.ts";

const SIGNING = "slack-signing-secret-0123456789";
const REPLAYED_AT = new Date("2026-11-25T01:00:00Z");
const AT = new Date("2026-11-25T08:00:00Z");

describe("Slack names in the digest", () => {
  let fake: FakeSlack;
  let stack: LocalStack;
  let cleanup: () => Promise<void>;
  let config: ReturnType<typeof testConfig>;

  beforeAll(async () => {
    fake = await FakeSlack.start({
      users: {
        U0PRIYA001: { name: "priya", real_name: "Priya Raman", display_name: "priya.r" },
        U0JLOPEZ01: { name: "jlopez", real_name: "Javier López" },
        U0NOORH001: { name: "noor", real_name: "Noor Haddad", display_name: "noor" },
        U0SAMK0001: { name: "sam", real_name: "Sam Kim" },
        U0MAREKP01: { name: "marek", real_name: "Marek Pawlak" },
        U0CHENW001: { name: "chen", real_name: "Chen Wei" },
      },
      channels: { C0HELP0001: "help", C0GENERAL1: "general" },
      teams: { T0ROCKETDB: "RocketDB Community" },
    });
    // No channelNames in the config: the channel names come from Slack.
    config = testConfig({
      sources: { slack: { enabled: true, channels: ["C0HELP0001", "C0GENERAL1"], apiBaseUrl: fake.url } },
      team: [{ name: "Maria", identities: { slack: ["U0MARIA001"] } }, { name: "Tomasz", identities: { slack: ["U0TOMASZ01"] } }],
    });
    ({ stack, cleanup } = await startTestStack({ config, clock: clockStartingAt(REPLAYED_AT), env: { SLACK_SIGNING_SECRET: SIGNING } }));
    const slack = enabledSource(config, "slack")!;
    const results = await replaySamples(loadSamples(join(import.meta.dirname, "../../infra/local/samples/slack")), {
      url: stack.url,
      now: () => REPLAYED_AT,
      signer: () => ({ secret: SIGNING, replay: slack.replay }),
    });
    expect(results.filter((r) => r.status >= 300)).toEqual([]);
    await stack.drained();
  });
  afterAll(async () => {
    await cleanup?.();
    await fake?.close();
  });

  it("shows display names, #channels and the workspace, looked up once and then read from the cache", async () => {
    const secrets = new EnvSecretResolver({ SLACK_BOT_TOKEN: fake.token });
    const slackNames = await resolveSlackNames(config, secrets, { cache: stack.store.names, now: fixedClock(AT) });
    expect(slackNames).toBeInstanceOf(SlackDirectory);
    const withIds = await digestAt({ config, store: stack.store }, AT, null);
    const slackIds = withIds.unanswered.filter((i) => i.source === "slack");
    expect(slackIds.length).toBeGreaterThan(0);
    expect(slackIds.every((i) => i.instance === "T0ROCKETDB" && /^U0/.test(i.author ?? ""))).toBe(true);

    // A 429 first: the client waits Slack's Retry-After and asks again.
    fake.rateLimitNext = { times: 1, retryAfter: 1 };
    const named = await digestAt({ config, store: stack.store, slackNames }, AT, null);
    const items = named.unanswered.filter((i) => i.source === "slack");
    expect(items.map((i) => i.instance)).toEqual(items.map(() => "RocketDB Community"));
    expect(new Set(items.map((i) => i.channel))).toEqual(new Set(["#help"]));
    expect(items.map((i) => i.author)).not.toContainEqual(expect.stringMatching(/^U0/));
    expect(items.find((i) => i.authorId === "slack:user:U0NOORH001")?.author).toBe("noor");
    // The ids are still there for machines.
    expect(items.every((i) => i.authorId?.startsWith("slack:user:U0") && i.channelId === "C0HELP0001")).toBe(true);
    expect(fake.requests.filter((r) => r.status === 429)).toHaveLength(1);
    const calls = fake.requests.length;

    // Another digest the same day: every name from the cache, no call to Slack.
    const again = await resolveSlackNames(config, secrets, { cache: stack.store.names, now: fixedClock(new Date(AT.getTime() + 3_600_000)) });
    await digestAt({ config, store: stack.store, slackNames: again }, AT, null);
    expect(fake.requests.length).toBe(calls);
    expect((again as SlackDirectory).apiCalls).toBe(0);

    // A day later the cached names are read again (people rename themselves).
    const nextDay = await resolveSlackNames(config, secrets, { cache: stack.store.names, now: fixedClock(new Date(AT.getTime() + 25 * 3_600_000)) });
    await digestAt({ config, store: stack.store, slackNames: nextDay }, AT, null);
    expect(fake.requests.length).toBeGreaterThan(calls);
  });

  it("without a token, or with one Slack refuses, the digest shows ids and says which token and scopes are needed", async () => {
    expect(await resolveSlackNames(config, new EnvSecretResolver({}), { cache: stack.store.names, now: fixedClock(AT) })).toBeNull();
    const lines: string[] = [];
    const refused = new SlackDirectory({ token: "xoxb-wrong", apiBaseUrl: fake.url, cache: stack.store.names, now: fixedClock(new Date(AT.getTime() + 30 * 86_400_000)), tokenName: "SLACK_BOT_TOKEN", log: (l) => lines.push(l) });
    const digest = await digestAt({ config, store: stack.store, slackNames: refused }, AT, null);
    // Stale names from the cache are better than ids; what was never cached stays an id.
    expect(digest.unanswered.filter((i) => i.source === "slack").length).toBeGreaterThan(0);
    expect(refused.apiCalls).toBe(1);
    expect(lines).toEqual([expect.stringContaining("Slack refused team.info (invalid_auth)")]);
    expect(lines[0]).toContain("SLACK_BOT_TOKEN must be a bot token with the scopes users:read, channels:read, team:read");
  });
});
