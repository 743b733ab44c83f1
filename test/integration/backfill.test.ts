// `community-signals backfill` through the local stack: the CLI (in-process) reads a fake GitHub
// and queues through the running stack's /admin/enqueue; the pipeline folds the backfilled
// issues into threads like live webhooks, and running it again changes no thread.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../infra/cli/main.ts";
import { enqueueViaDev } from "../../infra/cli/queue-sinks.ts";
import { backfillGitHub } from "../../shared/sources/github/backfill.ts";
import { commentObject, issueObject, repositoryObject, startFakeGitHub, user, type FakeGitHub } from "../support/fake-github.ts";
import { startTestStack, testConfig } from "../support/stack.ts";

const TOKEN = "ghp_integration_token_0123456789";
const REPO = "acme/widgets";

describe("backfill through the local stack", () => {
  let gh: FakeGitHub;
  let t: Awaited<ReturnType<typeof startTestStack>>;
  let configFile: string;
  let config: ReturnType<typeof testConfig>;
  const savedToken = process.env.GITHUB_TOKEN;

  beforeAll(async () => {
    gh = await startFakeGitHub({ token: TOKEN });
    const asker = user("asker", 9001);
    const dana = user("dana-okafor", 9003);
    const issues = [
      issueObject(REPO, 1, { title: "How do I configure widgets?", createdAt: "2026-11-20T10:00:00Z" }),
      issueObject(REPO, 2, { title: "Why does it spin?", createdAt: "2026-11-21T10:00:00Z", updatedAt: "2026-11-21T12:00:00Z" }),
      issueObject(REPO, 3, { title: "Never mind?", createdAt: "2026-11-22T10:00:00Z", closedAt: "2026-11-22T11:00:00Z" }),
      issueObject(REPO, 4, { title: "Another question?", author: user("someone", 9004), createdAt: "2026-11-23T10:00:00Z" }),
      issueObject(REPO, 5, { title: "Fix it", createdAt: "2026-11-23T11:00:00Z", pullRequest: true, author: asker }),
    ];
    const comments = [commentObject(REPO, 2, { author: dana, association: "MEMBER", createdAt: "2026-11-21T12:00:00Z" })];
    gh.repos.set(REPO, { repository: repositoryObject(REPO, 77), issues, comments });
    config = testConfig({ sources: { github: { enabled: true, repositories: [REPO], apiBaseUrl: gh.url } } });
    t = await startTestStack({ config });
    configFile = join(t.dataDir, "backfill.config.json");
    writeFileSync(configFile, JSON.stringify(config));
    process.env.GITHUB_TOKEN = TOKEN;
  }, 120_000);

  afterAll(async () => {
    if (savedToken === undefined) delete process.env.GITHUB_TOKEN;
    else process.env.GITHUB_TOKEN = savedToken;
    await t?.cleanup();
    await gh?.stop();
  });

  const cli = async (...args: string[]) => {
    const program = buildCli(t.clock).exitOverride();
    process.exitCode = undefined;
    await program.parseAsync(["backfill", "--config", configFile, "--data-dir", t.dataDir, ...args], { from: "user" });
    const code = process.exitCode;
    process.exitCode = undefined;
    return code ?? 0;
  };

  it("lists the backfilled unanswered issues as open questions; running it again changes no thread", async () => {
    expect(await cli("--since", "30d")).toBe(0);
    await t.stack.drained();
    const open = await t.stack.store.openQuestions({});
    expect(open.map((q) => q.title).sort()).toEqual(["Another question?", "How do I configure widgets?"]);

    const ids = (await Promise.all(issueIds().map((id) => t.stack.store.getThread(id)))).map((x) => x?.rev);
    expect(ids.every((rev) => typeof rev === "number")).toBe(true);

    // Again through the CLI: the cursors say everything was sent, so nothing is.
    expect(await cli()).toBe(0);
    // And again without cursors: everything sent a second time, nothing changes.
    const second = await backfillGitHub({
      config,
      token: TOKEN,
      since: new Date("2026-10-01T00:00:00Z"),
      now: t.clock,
      send: enqueueViaDev(t.stack.url),
      cursors: { get: async () => null, set: async () => {} },
    });
    expect(second.stopped).toBeNull();
    expect(second.envelopes).toBe(6); // 4 issues opened, 1 closed, 1 comment
    await t.stack.drained();
    const after = (await Promise.all(issueIds().map((id) => t.stack.store.getThread(id)))).map((x) => x?.rev);
    expect(after).toEqual(ids);
    expect((await t.stack.store.openQuestions({})).length).toBe(2);
  }, 120_000);

  function issueIds(): string[] {
    return gh.repos
      .get(REPO)!
      .issues.filter((i) => !i.pull_request)
      .map((i) => `github:issue:${i.id}`);
  }
});
