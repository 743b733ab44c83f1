// Digest actions end to end through the local stack: webhooks in, a digest with signed links,
// the links followed with fetch (GET asks, POST acts), the digest rebuilt with the change.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestAt, type DigestDeps } from "../../functions/digest/app.ts";
import { startLocalStack, type LocalStack } from "../../infra/local/stack.ts";
import type { AdvocateDigest } from "../../shared/digest/index.ts";
import { issueCommentEvent, issuesEvent, type IssueSpec, type Person } from "../support/github-payloads.ts";
import { clockStartingAt } from "../../shared/runtime/clock.ts";
import { postGitHub, TEST_SECRET, testConfig } from "../support/stack.ts";

const ACTIONS_SECRET = "integration-actions-secret-0123456789";
const casey: Person = { id: 601, login: "casey-community" };
const robin: Person = { id: 602, login: "robin-newcomer" };
const helper: Person = { id: 603, login: "helpful-hana" };
const kai: Person = { id: 604, login: "kai-regular" };

// The route checks expiry against the stack's clock, which starts at NOW and runs.
const NOW = new Date("2026-03-27T09:30:00Z");
const clock = clockStartingAt(NOW);
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
const issue = (id: number, title: string, author: Person, createdHoursAgo: number): IssueSpec => ({ id, number: id - 8000, title, author, createdAt: hoursAgo(createdHoursAgo) });

const config = testConfig({
  digest: { from: "signals@acme.example", slaHours: 24, recipients: [{ email: "dana@acme.example", name: "Dana" }] },
});
const dana = config.digest.recipients[0]!;

describe("digest actions through the local stack", () => {
  let stack: LocalStack;
  let dataDir: string;
  let deps: DigestDeps;
  const firstAsk = issue(8001, "How do I enable TLS between nodes?", casey, 50);
  const secondAsk = issue(8002, "Can I resize a cluster online?", casey, 30);
  const newcomerAsk = issue(8003, "Where are the logs on macOS?", robin, 20);
  const answeredAsk = issue(8004, "Is there a Helm chart?", kai, 60);
  const idOf = (spec: IssueSpec) => `github:issue:${spec.id}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "cs-actions-"));
    stack = await startLocalStack({
      clock,
      config,
      dataDir,
      port: 0,
      retryDelaySeconds: 1,
      schedule: false,
      env: { GITHUB_WEBHOOK_SECRET: TEST_SECRET, ACTIONS_SIGNING_SECRET: ACTIONS_SECRET },
    });
    deps = { config, store: stack.store, links: { baseUrl: stack.url, secret: ACTIONS_SECRET } };
    for (const spec of [answeredAsk, firstAsk, secondAsk, newcomerAsk]) {
      expect((await postGitHub(stack, "issues", issuesEvent("opened", spec))).status).toBe(202);
    }
    await postGitHub(stack, "issue_comment", issueCommentEvent("created", answeredAsk, { id: 98001, author: helper, createdAt: hoursAgo(59) }));
    await stack.drained();
  });
  afterAll(async () => {
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const digest = (at = clock()) => digestAt(deps, at, dana);
  const item = (d: AdvocateDigest, spec: IssueSpec) => d.unanswered.find((i) => i.threadId === idOf(spec));

  it("builds the recipient's digest with first-time askers marked and signed links to this stack", async () => {
    const d = await digest(NOW);
    expect(d.unanswered.map((i) => i.title)).toEqual([firstAsk.title, secondAsk.title, newcomerAsk.title]);
    // Casey's second question is not a first one.
    expect(d.unanswered.map((i) => i.firstTimeAsker)).toEqual([true, false, true]);
    for (const i of d.unanswered) {
      for (const href of Object.values(i.actions ?? {})) expect(href.startsWith(`${stack.url}/actions/`)).toBe(true);
    }
    expect(d.metrics.last7Days.answeredByCommunity).toBe(1);
  });

  it("GET only shows a confirmation; POST of its form takes the question; a second POST changes nothing", async () => {
    const link = item(await digest(NOW), firstAsk)!.actions!.take;
    const before = await stack.store.getThread(idOf(firstAsk));

    const get = await fetch(link);
    expect(get.status).toBe(200);
    const page = await get.text();
    expect(page).toContain(`<form method="post" action="take">`);
    expect((await stack.store.getThread(idOf(firstAsk)))?.rev).toBe(before?.rev);

    // Post exactly what the confirmation page's form holds, as a browser would.
    const fields = new URLSearchParams([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m): [string, string] => [m[1]!, decodeEntities(m[2]!)]));
    const post = () => fetch(new URL("take", link).href, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: fields.toString() });
    const done = await post();
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("It is yours");
    const taken = await stack.store.getThread(idOf(firstAsk));
    expect(taken?.thread.assignee).toMatchObject({ id: "advocate:dana@acme.example", name: "Dana" });

    const again = await post();
    expect(again.status).toBe(200);
    expect(await again.text()).toContain("already been used");
    expect((await stack.store.getThread(idOf(firstAsk)))?.rev).toBe(taken?.rev);

    const rebuilt = await digest();
    expect(item(rebuilt, firstAsk)).toMatchObject({ assignee: "Dana", assigneeId: "advocate:dana@acme.example" });
    expect(rebuilt.metrics.last7Days.actions.take).toBe(1);
  });

  it("snooze hides a question from the next digest; resolved takes one off for good", async () => {
    const links = (await digest(NOW)).unanswered;
    const snooze = links.find((i) => i.threadId === idOf(secondAsk))!.actions!.snooze;
    const resolved = links.find((i) => i.threadId === idOf(newcomerAsk))!.actions!.resolved;
    for (const href of [snooze, resolved]) expect((await fetch(href, { method: "POST" })).status).toBe(200);

    const rebuilt = await digest();
    expect(rebuilt.unanswered.map((i) => i.title)).toEqual([firstAsk.title]);
    expect(rebuilt.counts).toMatchObject({ open: 1, snoozed: 1 });
    expect((await stack.store.getThread(idOf(newcomerAsk)))?.thread).toMatchObject({ status: "closed", questionStatus: "resolved" });
    // After the snooze (24 h) it is back.
    const dayLater = await digest(new Date(clock().getTime() + 24 * 3_600_000 + 60_000));
    expect(dayLater.unanswered.map((i) => i.title)).toEqual([firstAsk.title, secondAsk.title]);
    expect(rebuilt.metrics.last7Days.actions).toMatchObject({ take: 1, snooze: 1, resolved: 1, "not-a-question": 0 });
  });

  it("answers 403 to a forged or altered link and changes nothing", async () => {
    const link = new URL(item(await digest(NOW), firstAsk)!.actions!["not-a-question"]);
    const before = await stack.store.getThread(idOf(firstAsk));
    const altered = new URL(link);
    altered.searchParams.set("t", idOf(secondAsk));
    const otherAction = new URL(link.href.replace("/actions/not-a-question", "/actions/resolved"));
    const forged = new URL(link);
    forged.searchParams.set("s", "A".repeat(43));
    for (const url of [altered, otherAction, forged]) {
      expect((await fetch(url, { method: "POST" })).status).toBe(403);
      expect((await fetch(url)).status).toBe(403);
    }
    expect((await stack.store.getThread(idOf(firstAsk)))?.rev).toBe(before?.rev);
    expect((await stack.store.getThread(idOf(secondAsk)))?.thread.isQuestion).toBe(true);
  });
});

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_m, name: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#96": "`" })[name] ?? "");
}
