// `export`, `query` and `forget` as a person runs them, on a data dir the local stack filled
// with the sample week (the stack is stopped first: the commands start their own emulators).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSamples, replaySamples } from "../../../infra/cli/replay.ts";
import { enabledSource } from "../../../shared/sources/index.ts";
import { CLOCK_ENV } from "../../../shared/runtime/clock.ts";
import { startTestStack, TEST_SECRET, testConfig } from "../../support/stack.ts";

const CLI = join(import.meta.dirname, "../../../bin/community-signals.js");
let dataDir: string;
let configFile: string;

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [CLI, ...args, "--config", configFile, "--data-dir", dataDir], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NODE_NO_WARNINGS: "1", [CLOCK_ENV]: "2026-11-25T01:00:00Z" },
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "cs-export-cli-"));
  configFile = join(dataDir, "config.json");
  writeFileSync(configFile, JSON.stringify({ name: "Acme Labs", sources: { github: { enabled: true } }, digest: { from: "signals@acme.example" } }));
  const { stack, cleanup, clock } = await startTestStack({ config: testConfig(), dataDir });
  try {
    await replaySamples(loadSamples(join(import.meta.dirname, "../../../infra/local/samples/github")), {
      url: stack.url,
      now: clock,
      signer: () => ({ secret: TEST_SECRET, replay: enabledSource(testConfig(), "github")!.replay }),
    });
    await stack.drained();
  } finally {
    await cleanup();
  }
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("community-signals export / query / forget", () => {
  it("exports a week to the local bucket with a progress bar, and queries it", () => {
    const exported = run("export", "--from", "2026-11-16", "--to", "2026-11-24");
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stderr).toContain("[########################] 9/9 days  2026-11-24");
    expect(exported.stdout).toMatch(/^exported 2026-11-16\.\.2026-11-24: \d+ activities, \d+ thread snapshots, \d+ bytes \(parquet\) to s3:\/\/community-signals-export\//);
    const query = run("query", "SELECT count(*) AS questions FROM activities WHERE kind = 'thread_opened' AND is_question", "--json");
    expect(query.status).toBe(0);
    expect(JSON.parse(query.stdout.trim())).toEqual({ questions: "8" });
  });

  it("writes CSV a person can open with --out, and refuses CSV for the bucket", () => {
    const out = join(dataDir, "csv-out");
    const res = run("export", "--from", "2026-11-16", "--to", "2026-11-16", "--format", "csv", "--out", out);
    expect(res.status).toBe(0);
    const csv = readFileSync(join(out, "activities/dt=2026-11-16/part-0000.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toMatch(/^id,source,instance,channel_id,/);
    expect(csv.length).toBeGreaterThan(1);
    expect(existsSync(join(out, "threads/dt=2026-11-16/part-0000.csv"))).toBe(true);

    const refused = run("export", "--from", "2026-11-16", "--to", "2026-11-16", "--format", "csv");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("--format csv needs --out DIR");
    const badDay = run("export", "--from", "2026-11-31", "--to", "2026-12-01");
    expect(badDay.status).not.toBe(0);
    expect(badDay.stderr).toContain('--from must be a real UTC day as YYYY-MM-DD, got "2026-11-31"');
  });

  it("forgets a member, and the query no longer finds them", () => {
    const before = run("query", "SELECT DISTINCT actor_id FROM activities WHERE actor_login = 'sam-k'", "--json");
    const samId = (JSON.parse(before.stdout.trim()) as { actor_id: string }).actor_id;
    const res = run("forget", "--member", samId);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^forgot ${samId}: 2 activities deleted`)); // the star and discussion #419
    const after = run("query", `SELECT count(*) AS n FROM activities WHERE actor_id = '${samId}' OR thread_author_id = '${samId}'`, "--json");
    expect(JSON.parse(after.stdout.trim())).toEqual({ n: "0" });
    const bad = run("query", "SELECT nope FROM activities");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/query failed: .*nope/);
  });
});
