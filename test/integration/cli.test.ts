// The CLI as a person runs it: `dev` in one process, `replay` and `digest` in others.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../infra/local/emulators/ports.ts";
import { DigestSchema } from "../../shared/model/digest.ts";
import { CLOCK_ENV } from "../../shared/runtime/clock.ts";
import { waitFor } from "../support/wait.ts";

const CLI = join(import.meta.dirname, "../../bin/community-signals.js");
const SECRET = "cli-test-secret-0123456789";
// Every process of this test lives in the morning after the sample week, whatever the real date.
const env = { ...process.env, [CLOCK_ENV]: "2026-11-25T01:00:00Z", GITHUB_WEBHOOK_SECRET: SECRET, DISCOURSE_WEBHOOK_SECRET: `${SECRET}-discourse`, SLACK_SIGNING_SECRET: `${SECRET}-slack` };

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [CLI, ...args], { env, encoding: "utf8", timeout: 120_000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}


const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));

describe("community-signals CLI", () => {
  let dataDir: string;
  let configFile: string;
  let dev: ChildProcess;
  let url: string;
  let devOutput = "";

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "cs-cli-"));
    configFile = join(dataDir, "config.json");
    const example = JSON.parse(readFileSync(join(import.meta.dirname, "../../community-signals.config.json"), "utf8"));
    writeFileSync(configFile, JSON.stringify({ ...example, $schema: undefined }));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    dev = spawn(process.execPath, [CLI, "dev", "--config", configFile, "--data-dir", dataDir, "--port", String(port)], { env, stdio: ["ignore", "pipe", "pipe"] });
    dev.stdout?.on("data", (d: Buffer) => (devOutput += d.toString()));
    dev.stderr?.on("data", (d: Buffer) => (devOutput += d.toString()));
    await waitFor("dev to answer /health", async () => ((await fetch(`${url}/health`)).ok ? true : null), 90_000);
  });

  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      dev.kill("SIGTERM");
      await exited(dev);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints where everything is", () => {
    expect(devOutput).toContain(`POST ${url}/webhooks/github`);
    expect(devOutput).toContain(`GET  ${url}/health`);
    expect(devOutput).toMatch(/mail viewer: +http:\/\/127\.0\.0\.1:\d+/);
  });

  it("refuses a second dev on the same data dir", () => {
    const second = run(["dev", "--config", configFile, "--data-dir", dataDir, "--port", "0"]);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/already running on .*stop it first or use another --data-dir/);
  });

  it("refuses digest --send without a running dev: the mail would go where no one sees it", () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "cs-cli-nodev-"));
    try {
      const res = run(["digest", "--send", "--config", configFile, "--data-dir", elsewhere]);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain(`digest --send delivers through a running dev's mail server: start dev on ${elsewhere} first`);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("names the bad field of a broken config", () => {
    const bad = join(dataDir, "bad.json");
    writeFileSync(bad, JSON.stringify({ digest: { slaHours: -1, time: "25:00" } }));
    const res = run(["digest", "--json", "--config", bad, "--data-dir", dataDir]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain("digest.slaHours");
    expect(res.stderr).toContain("digest.time");
  });

  it("refuses a clock setting it cannot read, naming it", () => {
    const res = spawnSync(process.execPath, [CLI, "digest", "--json", "--config", configFile, "--data-dir", dataDir], {
      env: { ...env, [CLOCK_ENV]: "next tuesday" },
      encoding: "utf8",
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`${CLOCK_ENV}=next tuesday is not an ISO time`);
  });

  it("replays the bundled samples and lists the unanswered ones", async () => {
    for (const source of ["github", "discourse", "slack"]) {
      const replay = run(["replay", join(import.meta.dirname, `../../infra/local/samples/${source}`), "--url", url, "--config", configFile, "--data-dir", dataDir]);
      expect(replay.stderr).toBe("");
      expect(replay.status).toBe(0);
      expect(replay.stdout).toMatch(/(\d+) of \1 accepted/);
    }

    await waitFor("the queue to drain", async () => {
      const health = (await (await fetch(`${url}/health`)).json()) as { drained: boolean; processed: { succeeded: number } };
      return health.drained && health.processed.succeeded > 0 ? health : null;
    });

    // Without --at the digest is built at the clock's now: the morning after the sample week.
    const now = run(["digest", "--json", "--config", configFile, "--data-dir", dataDir]);
    expect(now.status).toBe(0);
    const generatedAt = Date.parse(DigestSchema.parse(JSON.parse(now.stdout)).generatedAt);
    expect(generatedAt).toBeGreaterThanOrEqual(Date.parse("2026-11-25T01:00:00Z"));
    expect(generatedAt).toBeLessThan(Date.parse("2026-11-25T02:00:00Z"));

    const res = run(["digest", "--json", "--at", "2026-11-25T08:00:00Z", "--config", configFile, "--data-dir", dataDir]);
    expect(res.status).toBe(0);
    const digest = DigestSchema.parse(JSON.parse(res.stdout));
    expect(digest.generatedAt).toBe("2026-11-25T08:00:00.000Z");
    expectUnanswered(digest);
    for (const item of digest.unanswered) {
      const link = {
        github: /^https:\/\/github\.com\/acme-labs\/rocketdb\/(issues|discussions)\/\d+$/,
        discourse: /^https:\/\/forum\.rocketdb\.example\/t\/[a-z0-9-]+\/\d+$/,
        slack: /^https:\/\/rocketdb-community\.slack\.com\/archives\/C0[A-Z0-9]+\/p\d{16}$/,
      }[item.source as string];
      expect(item.url).toMatch(link ?? /^never$/);
      expect(item.ageHours).toBeGreaterThan(0);
    }
  });

  it("stops everything on SIGTERM and keeps the data for the next run", async () => {
    dev.kill("SIGTERM");
    expect(await exited(dev)).toBe(0);
    const java = spawnSync("pgrep", ["-f", `${dataDir}.*DynamoDBLocal|DynamoDBLocal.*${dataDir}`], { encoding: "utf8" });
    expect(java.stdout.trim()).toBe("");

    // No dev running now: digest starts DynamoDB Local on the same data dir by itself.
    const res = run(["digest", "--json", "--at", "2026-11-25T08:00:00Z", "--config", configFile, "--data-dir", dataDir]);
    expect(res.status).toBe(0);
    expectUnanswered(DigestSchema.parse(JSON.parse(res.stdout)));
  });
});

// What samples/<source>/README.md says is still unanswered at the end of the sample week
// (Discourse under the example config: every topic a question, Announcements excluded).
const EXPECTED_UNANSWERED: Record<string, string[]> = {
  github: [
    "Build fails on Alpine 3.20: undefined reference to __atomic_load_8",
    "Does RocketDB support point-in-time restore from S3 backups?",
    "Memory usage keeps growing after upgrading to 3.2",
    "Recommended fsync settings on ZFS?",
  ],
  discourse: [
    "Build fails on Alpine 3.20: undefined reference to __atomic_load_8",
    "Does RocketDB support point-in-time restore from S3 backups?",
    "Recommended fsync settings on ZFS?",
  ],
  slack: [
    "Build fails on Alpine 3.20 when compiling from source:",
    "Anyone else seeing memory climb on the coordinator after upgrading to 3.2?",
    "Does the Spark connector support predicate pushdown?",
    "Recommended fsync settings on ZFS? We're on 3.2 with a mirrored pool, sync=standard and a SLOG device.",
  ],
};

function expectUnanswered(digest: ReturnType<typeof DigestSchema.parse>): void {
  const created = digest.unanswered.map((u) => u.createdAt);
  expect(created).toEqual([...created].sort());
  for (const [source, titles] of Object.entries(EXPECTED_UNANSWERED)) {
    expect(digest.unanswered.filter((u) => u.source === source).map((u) => u.title)).toEqual(titles);
  }
  expect(digest.unanswered).toHaveLength(Object.values(EXPECTED_UNANSWERED).flat().length);
}
