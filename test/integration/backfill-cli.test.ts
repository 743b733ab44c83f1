// `community-signals backfill` for several sources at once, through a running local stack and
// through a deployed stack's queue and table (here: the same emulators, reached the way an
// operator's machine reaches AWS). What it reads shows up in the digest; its exit codes and
// messages say which source stopped and why.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { digestAt } from "../../functions/digest/app.ts";
import { buildCli } from "../../infra/cli/main.ts";
import { LOCAL_TABLE } from "../../infra/local/stack.ts";
import { parseConfig } from "../../shared/model/config.ts";
import { FakeDiscord } from "../support/fake-discord.ts";
import { FakeStackExchange } from "../support/fake-stackexchange.ts";
import { issueObject, repositoryObject, startFakeGitHub, user, type FakeGitHub } from "../support/fake-github.ts";
import { startTestStack, testConfig } from "../support/stack.ts";

const SAMPLES = new URL("../../infra/local/samples/discord/", import.meta.url);
const GITHUB_TOKEN = "ghp_backfill_cli_token_0123456789";
const REPO = "acme/widgets";
const DIGEST_AT = new Date("2026-11-25T08:00:00Z");

describe("backfill: every enabled source, side by side", () => {
  let gh: FakeGitHub;
  let discord: FakeDiscord;
  let t: Awaited<ReturnType<typeof startTestStack>>;
  let config: ReturnType<typeof parseConfig>;
  let configFile: string;
  const saved = { ...process.env };
  let out: string[] = [];
  let err: string[] = [];

  beforeAll(async () => {
    gh = await startFakeGitHub({ token: GITHUB_TOKEN });
    gh.repos.set(REPO, {
      repository: repositoryObject(REPO, 77),
      issues: [issueObject(REPO, 1, { title: "How do I configure widgets?", author: user("asker", 9001), createdAt: "2026-11-10T10:00:00Z" })],
      comments: [],
    });
    discord = (await FakeDiscord.start()).loadFolder(SAMPLES);
    const sample = JSON.parse(readFileSync(new URL("config.json", SAMPLES), "utf8")) as { sources: { discord: Record<string, unknown> }; team: unknown[] };
    // The live poller looks back its default 7 days: the samples reach back about nine.
    config = testConfig({
      team: sample.team,
      sources: {
        github: { enabled: true, repositories: [REPO], apiBaseUrl: gh.url },
        discord: { ...sample.sources.discord, apiBaseUrl: discord.url, pollIntervalSeconds: 3600 },
      },
    } as Parameters<typeof testConfig>[0]);
    t = await startTestStack({ config, env: { DISCORD_BOT_TOKEN: discord.token } });
    configFile = join(t.dataDir, "backfill.config.json");
    writeFileSync(configFile, JSON.stringify(config));
  }, 120_000);

  afterAll(async () => {
    process.env = saved;
    await t?.cleanup();
    await gh?.stop();
    await discord?.close();
  });

  afterEach(() => {
    vi.restoreAllMocks();
    process.env = { ...saved };
  });

  /** Runs the CLI in-process; its exit code (commander's for bad arguments) and what it printed. */
  const cli = async (...args: string[]) => {
    out = [];
    err = [];
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
    const program = buildCli(t.clock);
    for (const c of [program, ...program.commands]) c.exitOverride().configureOutput({ writeErr: (s) => void err.push(s), writeOut: (s) => void out.push(s) });
    process.exitCode = undefined;
    let code: number | undefined;
    try {
      await program.parseAsync(["backfill", "--config", configFile, "--data-dir", t.dataDir, ...args], { from: "user" });
      code = typeof process.exitCode === "number" ? process.exitCode : 0;
    } catch (e) {
      code = (e as { exitCode?: number }).exitCode ?? 99;
    } finally {
      process.exitCode = undefined;
      vi.restoreAllMocks();
    }
    return code;
  };

  const discordTitles = async () =>
    (await digestAt({ config, store: t.stack.store }, DIGEST_AT, null)).unanswered.filter((u) => u.source === "discord").map((u) => u.title);

  it("bad arguments exit 2 with a message, before anything is read", async () => {
    const requestsBefore = gh.requests.length + discord.requests.length;
    expect(await cli("--source", "myspace"), err.join("")).toBe(2);
    expect(err.join("")).toMatch(/--source myspace: not a source \(choose from github, discourse, slack, discord, stackoverflow\)/);
    expect(await cli("--since", "yesterday")).toBe(2);
    expect(err.join("")).toMatch(/--since yesterday: expected a number of days/);
    expect(await cli("--queue-url", "https://sqs.eu-west-1.amazonaws.com/1/q")).toBe(2);
    expect(err.join("")).toMatch(/--queue-url and --table go together/);
    expect(gh.requests.length + discord.requests.length).toBe(requestsBefore);
  });

  it("a source without its token stops with the secret's name and what it needs; exit 1", async () => {
    delete process.env.GITHUB_TOKEN;
    process.env.DISCORD_BOT_TOKEN = discord.token;
    expect(await cli("--source", "github", "--dry-run")).toBe(1);
    expect(err.join("")).toMatch(/backfill github stopped: GITHUB_TOKEN is not set; it holds a GitHub token/);
  });

  it("reads every enabled source side by side: the older Discord questions and the GitHub issue appear in the digest", async () => {
    await t.stack.drained();
    const live = await discordTitles();
    process.env.GITHUB_TOKEN = GITHUB_TOKEN;
    process.env.DISCORD_BOT_TOKEN = discord.token;

    expect(await cli("--since", "30d")).toBe(0);
    const summary = out.join("\n");
    expect(summary).toMatch(/backfill github since 2026-10-26: 1 items, 1 deliveries from 1 of 1 scope queued to the running dev/);
    expect(summary, `${summary}\n${err.join("")}`).toMatch(/backfill discord since 2026-10-26: \d+ items, \d+ deliveries from 3 of 3 scopes queued to the running dev/);

    await t.stack.drained();
    const after = await discordTitles();
    // The live poll missed what is older than its 7-day look-back; the backfill found it.
    expect(after.length).toBeGreaterThan(live.length);
    expect(after).toEqual(expect.arrayContaining(live));
    expect(after).toContain("Does the Go client support context cancellation for long scans?");
    const github = (await digestAt({ config, store: t.stack.store }, DIGEST_AT, null)).unanswered.filter((u) => u.source === "github");
    expect(github.map((u) => u.title)).toEqual(["How do I configure widgets?"]);

    // The cursors are the backfill's own: the live poller's are where its poll left them.
    expect(await t.stack.store.getCursor("backfill-github", `${REPO}#issues`)).not.toBeNull();
    expect(await t.stack.store.getCursor("backfill-discord", String(config.sources.discord!.channels[0]!.id))).not.toBeNull();
  }, 120_000);

  it("one source stopped does not stop the others: exit 1, the message names it, the other finishes", async () => {
    process.env.GITHUB_TOKEN = "ghp_revoked_token";
    process.env.DISCORD_BOT_TOKEN = discord.token;
    expect(await cli("--source", "github,discord", "--since", "2026-11-01", "--dry-run")).toBe(1);
    expect(err.join("")).toMatch(/backfill github stopped at acme\/widgets: GitHub refused GITHUB_TOKEN \(401/);
    expect(out.join("\n"), `${out.join("\n")}\n${err.join("")}`).toMatch(/backfill discord since 2026-11-01: \d+ items, \d+ deliveries from 3 of 3 scopes read \(dry run: nothing queued\)/);
  });

  it("reads Stack Overflow without a key, on the anonymous quota", async () => {
    const so = (await FakeStackExchange.start()).loadFile(new URL("../../infra/local/samples/stackoverflow/site.json", import.meta.url));
    try {
      const sample = JSON.parse(readFileSync(new URL("../../infra/local/samples/stackoverflow/config.json", import.meta.url), "utf8")) as { sources: { stackoverflow: Record<string, unknown> } };
      const soConfig = { ...config, sources: { ...config.sources, stackoverflow: { ...sample.sources.stackoverflow, apiBaseUrl: so.url } } };
      const soFile = join(t.dataDir, "backfill-so.config.json");
      writeFileSync(soFile, JSON.stringify(soConfig));
      delete process.env.STACKEXCHANGE_KEY;
      expect(await cli("--source", "stackoverflow", "--config", soFile, "--since", "2026-11-01")).toBe(0);
      expect(out.join("\n"), `${out.join("\n")}\n${err.join("")}`).toMatch(/backfill stackoverflow since 2026-11-01: \d+ items, \d+ deliveries from 2 of 2 scopes queued to the running dev/);
      expect(so.requests.length).toBeGreaterThan(0);
      expect(so.requests.every((r) => r.query["key"] === undefined)).toBe(true);
      await t.stack.drained();
      const titles = (await digestAt({ config: parseConfig(soConfig), store: t.stack.store }, DIGEST_AT, null)).unanswered.filter((u) => u.source === "stackoverflow");
      expect(titles.length).toBeGreaterThan(0);
    } finally {
      await so.close();
    }
  }, 120_000);

  it("backfills a deployed stack from an operator's machine: its queue and its table, with the credentials of the environment", async () => {
    await t.stack.drained();
    process.env.GITHUB_TOKEN = GITHUB_TOKEN;
    // The emulators stand in for AWS: the SDK reads the endpoints and credentials from the environment.
    Object.assign(process.env, {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "operator",
      AWS_SECRET_ACCESS_KEY: "operator",
      AWS_ENDPOINT_URL_SQS: t.stack.endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: t.stack.endpoints.dynamodb,
    });
    gh.repos.get(REPO)!.issues.push(issueObject(REPO, 2, { title: "Is there a dark mode?", author: user("asker2", 9002), createdAt: "2026-11-12T10:00:00Z" }));
    const cursorKey = `${REPO}#issues`;
    const before = await t.stack.store.getCursor("backfill-github", cursorKey);

    expect(await cli("--source", "github", "--queue-url", t.stack.endpoints.queueUrl, "--table", LOCAL_TABLE)).toBe(0);
    expect(out.join("\n"), `${out.join("\n")}\n${err.join("")}`).toMatch(/backfill github since 2026-10-26: \d+ items, 1 deliveries from 1 of 1 scope queued on the deployed queue/);

    await t.stack.drained();
    const github = (await digestAt({ config, store: t.stack.store }, DIGEST_AT, null)).unanswered.filter((u) => u.source === "github");
    expect(github.map((u) => u.title).sort()).toEqual(["How do I configure widgets?", "Is there a dark mode?"]);
    expect(await t.stack.store.getCursor("backfill-github", cursorKey)).not.toBe(before);
  }, 120_000);
});
