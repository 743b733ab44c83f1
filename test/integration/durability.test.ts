// "Nothing lost", caused for real: `dev` killed with SIGKILL after it acknowledged webhooks and
// after it dead-lettered one, DynamoDB Local killed mid-stream. Counts reconciled at the end.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../infra/local/emulators/ports.ts";
import { pendingMessages, readJournal } from "../../infra/local/journal.ts";
import { JOURNAL_FILE, type LocalStack } from "../../infra/local/stack.ts";
import { CLOCK_ENV } from "../../shared/runtime/clock.ts";
import { signGitHubBody } from "../../shared/sources/github/index.ts";
import { issuesEvent, type IssueSpec } from "../support/github-payloads.ts";
import { postGitHub, startTestStack } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";

const CLI = join(import.meta.dirname, "../../bin/community-signals.js");
const SECRET = "durability-test-secret-0123456789";
const env = { ...process.env, [CLOCK_ENV]: "2026-11-25T01:00:00Z", GITHUB_WEBHOOK_SECRET: SECRET };

const spec = (n: number, title: string): IssueSpec => ({
  id: 70_000 + n,
  number: n,
  title,
  author: { id: 5000 + n, login: `asker-${n}` },
  createdAt: "2026-11-24T10:00:00Z",
});


interface Dev {
  child: ChildProcess;
  url: string;
  output: () => string;
}

async function startDev(dataDir: string, configFile: string): Promise<Dev> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, "dev", "--config", configFile, "--data-dir", dataDir, "--port", String(port)], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor("dev to answer /health", async () => ((await fetch(`${url}/health`)).ok ? true : null), 90_000);
  return { child, url, output: () => output };
}

const health = async (dev: Dev) => (await (await fetch(`${dev.url}/health`)).json()) as Awaited<ReturnType<LocalStack["health"]>>;
const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));

async function post(dev: Dev, s: IssueSpec): Promise<number> {
  const body = JSON.stringify(issuesEvent("opened", s));
  const res = await fetch(`${dev.url}/webhooks/github`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": `d-${s.id}`, "x-hub-signature-256": signGitHubBody(SECRET, body) },
    body,
  });
  return res.status;
}

const digestTitles = (dataDir: string, configFile: string): string[] => {
  const res = spawnSync(process.execPath, [CLI, "digest", "--json", "--at", "2026-11-25T08:00:00Z", "--config", configFile, "--data-dir", dataDir], { env, encoding: "utf8" });
  if (res.status !== 0) throw new Error(res.stderr);
  return (JSON.parse(res.stdout) as { unanswered: { title: string }[] }).unanswered.map((u) => u.title);
};

const javaOn = (dataDir: string) => spawnSync("pgrep", ["-f", `DynamoDBLocal.*${dataDir}`], { encoding: "utf8" }).stdout.trim();

// Each test starts `dev` two or three times (a JVM each): more time than the default on a busy machine.
describe("community-signals dev killed with SIGKILL", { timeout: 240_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "cs-durable-"));
  const configFile = join(dataDir, "config.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      name: "Acme Labs",
      sources: { github: { enabled: true } },
      digest: { from: "signals@acme.example", minAgeHours: 0, recipients: [{ email: "dana@acme.example" }] },
      queue: { maxReceiveCount: 2 },
    }),
  );
  const children: ChildProcess[] = [];
  // A test that fails half-way must not leave a dev holding the data dir for the next one.
  const killLeftovers = async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      await exited(c);
    }
  };
  afterEach(killLeftovers);
  afterAll(async () => {
    await killLeftovers();
    spawnSync("pkill", ["-KILL", "-f", `DynamoDBLocal.*${dataDir}`]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("loses no acknowledged webhook, and the next start stops the orphaned DynamoDB Local", async () => {
    const first = await startDev(dataDir, configFile);
    children.push(first.child);
    // DynamoDB Local is killed first, so what is acknowledged next cannot all be processed before the kill.
    spawnSync("pkill", ["-KILL", "-f", `DynamoDBLocal.*${dataDir}`]);
    const specs = Array.from({ length: 30 }, (_, i) => spec(i + 1, `Durable question ${i + 1}`));
    const statuses = await Promise.all(specs.map((s) => post(first, s)));
    expect(statuses).toEqual(specs.map(() => 202));
    first.child.kill("SIGKILL");
    await exited(first.child);

    // Every acknowledged webhook is in the journal, whatever was processed before the kill.
    const journaled = new Set(readJournal(join(dataDir, JOURNAL_FILE)).flatMap((e) => (e.op === "queued" ? [e.id] : [])));
    expect(journaled.size).toBeGreaterThanOrEqual(30);
    const second = await startDev(dataDir, configFile);
    children.push(second.child);
    expect(second.output()).toContain("re-queued");
    const report = await waitFor("the journal's webhooks to be processed", async () => {
      const h = await health(second);
      return h.drained && h.dlq.depth === 0 ? h : null;
    });
    expect(report.status).toBe("ok");

    // SIGKILL of a healthy dev leaves its DynamoDB Local running on the data dir: the next start stops it.
    second.child.kill("SIGKILL");
    await exited(second.child);
    const orphan = javaOn(dataDir);
    expect(orphan).not.toBe("");
    const third = await startDev(dataDir, configFile);
    children.push(third.child);
    expect(third.output()).toContain(`stopping an orphaned DynamoDB Local (pid ${orphan})`);
    expect(javaOn(dataDir).split("\n")).toHaveLength(1);
    await waitFor("the third dev to be drained", async () => ((await health(third)).drained ? true : null));
    third.child.kill("SIGTERM");
    await exited(third.child);
    expect(javaOn(dataDir)).toBe("");

    const titles = digestTitles(dataDir, configFile);
    expect(titles.filter((t) => t.startsWith("Durable question")).sort()).toEqual(specs.map((s) => s.title).sort());
    // Nothing left to do in the journal after a clean stop with everything processed.
    expect(pendingMessages(readJournal(join(dataDir, JOURNAL_FILE)))).toEqual([]);
  });

  it("keeps a dead letter across SIGKILL and restarts, and redrive moves it back", async () => {
    // A delivery acknowledged by an earlier run whose body no adapter can read (an adapter bug, say).
    const poison = {
      v: 1,
      id: "poison-1",
      source: "github",
      eventType: "issues",
      deliveryId: "d-poison",
      receivedAt: "2026-11-25T00:30:00.000Z",
      contentType: "application/json",
      headers: {},
      body: "this is not JSON",
    };
    appendFileSync(join(dataDir, JOURNAL_FILE), `${JSON.stringify({ op: "queued", id: poison.id, body: JSON.stringify(poison), source: "github", eventType: "issues" })}\n`);

    const first = await startDev(dataDir, configFile);
    children.push(first.child);
    const dead = await waitFor("the poison to reach the dead-letter queue", async () => {
      const h = await health(first);
      return h.dlq.depth === 1 && h.drained ? h : null;
    });
    expect(dead.status).toBe("degraded");
    first.child.kill("SIGKILL");
    await exited(first.child);
    spawnSync("pkill", ["-KILL", "-f", `DynamoDBLocal.*${dataDir}`]);

    const second = await startDev(dataDir, configFile);
    children.push(second.child);
    expect(second.output()).toContain("1 message(s) are still in the dead-letter queue");
    expect((await health(second)).dlq.depth).toBe(1);

    // Through the running dev: moved back, and (still unreadable) dead-lettered again, with its reason.
    const redrive = spawnSync(process.execPath, [CLI, "redrive", "--source", "github", "--config", configFile, "--data-dir", dataDir], { env, encoding: "utf8" });
    expect(redrive.stdout).toContain("1 dead letter(s) of github moved back to the running dev's queue");
    await waitFor("the poison to be dead-lettered again", async () => {
      const h = await health(second);
      return h.dlq.depth === 1 && h.drained && second.output().includes("failed for good") ? h : null;
    });
    second.child.kill("SIGTERM");
    await exited(second.child);

    // Without a dev: the journal marks it, and the next start queues it instead of dead-lettering it.
    const offline = spawnSync(process.execPath, [CLI, "redrive", "--config", configFile, "--data-dir", dataDir], { env, encoding: "utf8" });
    expect(offline.status).toBe(0);
    expect(offline.stdout).toContain("1 dead letter(s) moved back to the queue; the next dev start processes them");
    const dead2 = pendingMessages(readJournal(join(dataDir, JOURNAL_FILE)));
    expect(dead2.map((m) => [m.id, !!m.dead])).toEqual([["poison-1", false]]);
    expect(readFileSync(join(dataDir, JOURNAL_FILE), "utf8")).toContain('"op":"redriven"');
  });
});

describe("DynamoDB Local killed mid-stream", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await cleanup?.();
  });

  it("is restarted by the stack, and no record that would succeed is dead-lettered", async () => {
    const started = await startTestStack();
    cleanup = started.cleanup;
    const { stack, dataDir } = started;
    const specs = Array.from({ length: 40 }, (_, i) => spec(i + 101, `Outage question ${i + 1}`));
    for (const s of specs.slice(0, 20)) expect((await postGitHub(stack, "issues", issuesEvent("opened", s))).status).toBe(202);
    expect(spawnSync("pkill", ["-KILL", "-f", `DynamoDBLocal.*${dataDir}`]).status).toBe(0);
    // The door does not need the table: acknowledged while it is down.
    for (const s of specs.slice(20)) expect((await postGitHub(stack, "issues", issuesEvent("opened", s))).status).toBe(202);
    const report = await stack.drained(60_000);
    expect(report.dlq.depth).toBe(0);
    const open = (await stack.store.openQuestions({})).map((t) => t.title).filter((t) => t.startsWith("Outage question"));
    expect(open.sort()).toEqual(specs.map((s) => s.title).sort());
    expect((await stack.health()).status).toBe("ok");
  });
});

describe("the queue server stopped", () => {
  it("makes the door answer 503 (the platform redelivers), and the journaled copy is still processed at the next start, once", async () => {
    const first = await startTestStack();
    const { stack, dataDir } = first;
    await stack.faults.stopQueueServer();
    const s = spec(301, "Asked while the queue was down");
    const answer = await postGitHub(stack, "issues", issuesEvent("opened", s));
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({ error: "could not queue the webhook; please redeliver" });
    await stack.stop();
    // Refused at the door, yet journaled before the send failed: nothing depends on the redelivery.
    expect(pendingMessages(readJournal(join(dataDir, JOURNAL_FILE))).map((m) => m.source)).toEqual(["github"]);

    const second = await startTestStack({ dataDir });
    try {
      // The platform redelivers the same delivery: stored once, with the journal's copy.
      expect((await postGitHub(second.stack, "issues", issuesEvent("opened", s))).status).toBe(202);
      const report = await second.stack.drained(60_000);
      expect(report.dlq.depth).toBe(0);
      const open = (await second.stack.store.openQuestions({})).filter((t) => t.title === s.title);
      expect(open).toHaveLength(1);
    } finally {
      await second.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
