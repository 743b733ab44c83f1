// The analytics export end to end: the bundled GitHub sample week goes through the local
// stack (signed webhooks, queue, normaliser, DynamoDB Local), is exported to the local S3
// server as Parquet, and is queried with DuckDB through the same views `query` creates.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daysForDailyRun, exportDay, exportRange, forgetMember, partKey, runDailyExport } from "../../../functions/export/app.ts";
import { localExportLocation, openAnalyticsDb, runQuery } from "../../../infra/cli/analytics.ts";
import { loadSamples, replaySamples } from "../../../infra/cli/replay.ts";
import type { LocalStack } from "../../../infra/local/stack.ts";
import { EXAMPLE_ANALYSES } from "../../../shared/export/analyses.ts";
import { ACTIVITY_COLUMNS, THREAD_COLUMNS } from "../../../shared/export/schema.ts";
import { enabledSource } from "../../../shared/sources/index.ts";
import { clockStartingAt } from "../../../shared/runtime/clock.ts";
import { startTestStack, TEST_SECRET, testConfig } from "../../support/stack.ts";

const SAMPLE_DAYS = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"];
const REPLAYED_AT = new Date("2026-11-25T01:00:00Z");
const config = testConfig();

let stack: LocalStack;
let dataDir: string;
let cleanup: () => Promise<void>;
const deps = () => ({ config, store: stack.store, sink: stack.exportSink, now: () => REPLAYED_AT });
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const objectFile = (key: string) => join(stack.s3Directory, stack.exportSink.bucket, ...key.split("/")) + "._S3rver_object";

async function sql(query: string): Promise<Record<string, unknown>[]> {
  const db = await openAnalyticsDb(localExportLocation(dataDir));
  try {
    const { columns, rows } = await runQuery(db.connection, query);
    return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  ({ stack, dataDir, cleanup } = await startTestStack({ config, clock: clockStartingAt(REPLAYED_AT) }));
  const github = enabledSource(config, "github")!;
  const results = await replaySamples(loadSamples(join(import.meta.dirname, "../../../infra/local/samples/github")), {
    url: stack.url,
    signer: () => ({ secret: TEST_SECRET, replay: github.replay }),
    now: () => REPLAYED_AT,
  });
  expect(results.filter((r) => r.status >= 300)).toEqual([]);
  await stack.drained();
  await exportRange(deps(), SAMPLE_DAYS[0]!, SAMPLE_DAYS.at(-1)!, { now: () => REPLAYED_AT });
});
afterAll(async () => {
  await cleanup?.();
});

describe("export of the sample week", () => {
  it("writes one Parquet file per table and day holding exactly that day's stored activities", async () => {
    let total = 0;
    for (const day of SAMPLE_DAYS) {
      const stored: string[] = [];
      for await (const page of stack.store.activitiesOfDay(day)) stored.push(...page.map((a) => a.id));
      const record = await stack.store.getExport("activities", day);
      expect(record).toMatchObject({ rows: stored.length, schemaVersion: 1, key: stored.length ? partKey("activities", day) : null });
      if (stored.length) expect(record?.bytes).toBe(readFileSync(objectFile(partKey("activities", day))).length);
      const exported = await sql(`SELECT id FROM activities WHERE dt = '${day}' ORDER BY occurred_at, id`);
      expect(exported.map((r) => r.id)).toEqual(stored);
      total += stored.length;
    }
    // 24 deliveries; the review of PR #417 and the answer acceptance each give one activity, like every other.
    expect(total).toBeGreaterThanOrEqual(24);
    const columns = await sql("DESCRIBE activities");
    expect(columns.map((c) => `${c.column_name}:${c.column_type}`)).toEqual([
      ...ACTIVITY_COLUMNS.map((c) => `${c.name}:${{ string: "VARCHAR", boolean: "BOOLEAN", int64: "BIGINT", double: "DOUBLE", timestamp: "TIMESTAMP", "list<string>": "VARCHAR[]" }[c.type]}`),
      "dt:VARCHAR",
    ]);
  });

  it("snapshots the threads that had activity that day", async () => {
    const rows = await sql(`SELECT id, status, dt FROM threads WHERE dt = '2026-11-17' ORDER BY id`);
    const threadsThatDay = await sql(`SELECT DISTINCT thread_id FROM activities WHERE dt = '2026-11-17' AND thread_id IS NOT NULL ORDER BY thread_id`);
    expect(rows.map((r) => r.id)).toEqual(threadsThatDay.map((r) => r.thread_id));
    const stored = await stack.store.getThread(String(rows[0]!.id));
    expect(rows[0]!.status).toBe(stored?.thread.status);
    expect((await sql("DESCRIBE threads")).map((c) => c.column_name)).toEqual([...THREAD_COLUMNS.map((c) => c.name), "dt"]);
  });

  it("re-exporting a day gives byte-identical files, never duplicate rows, and removes stale parts", async () => {
    const day = "2026-11-17";
    const before = sha(objectFile(partKey("activities", day)));
    const threadsBefore = sha(objectFile(partKey("threads", day)));
    const count = async () => (await sql(`SELECT count(*) AS n FROM activities WHERE dt = '${day}'`))[0]!.n;
    const n = await count();
    // A leftover from an older writer (or a hand upload) in the day's partition.
    const stray = join(stack.s3Directory, "stray.parquet");
    writeFileSync(stray, readFileSync(objectFile(partKey("activities", day))));
    await stack.exportSink.putFile(`activities/dt=${day}/part-0001.parquet`, stray, "application/vnd.apache.parquet");
    expect(await count()).toBe(String(BigInt(String(n)) * 2n));

    await exportDay(deps(), day, { now: () => new Date("2026-11-26T00:00:00Z") });
    expect(sha(objectFile(partKey("activities", day)))).toBe(before);
    expect(sha(objectFile(partKey("threads", day)))).toBe(threadsBefore);
    expect(await stack.exportSink.list(`activities/dt=${day}/`)).toEqual([partKey("activities", day)]);
    expect(await count()).toBe(n);
    expect((await stack.store.getExport("activities", day))?.exportedAt).toBe("2026-11-26T00:00:00.000Z");
  });

  it("the daily run exports yesterday plus every day a late arrival touched", async () => {
    // Every sample was received on 2026-11-25, days after it happened: each day is marked.
    expect(await stack.store.touchedDays("2026-11-25")).toEqual(SAMPLE_DAYS);
    const planned = await daysForDailyRun(stack.store, new Date("2026-11-25T02:00:00Z"));
    expect(planned.days).toEqual(SAMPLE_DAYS); // yesterday (11-24) is among them
    const results = await runDailyExport(deps(), new Date("2026-11-25T02:00:00Z"));
    expect(results.map((r) => r.day)).toEqual(SAMPLE_DAYS);
    // The next run starts from the last run's received day, not from the beginning of time.
    const next = await daysForDailyRun(stack.store, new Date("2026-11-27T02:00:00Z"));
    expect(next.scannedReceivedDays).toEqual(["2026-11-25", "2026-11-26", "2026-11-27"]);
    // Runs on the 26th and 27th never happened: both days are exported, none is skipped.
    expect(next.days).toEqual([...SAMPLE_DAYS, "2026-11-25", "2026-11-26"]);
    // The run on the 26th: only the 25th (its yesterday) and the late-touched sample days.
    expect((await daysForDailyRun(stack.store, new Date("2026-11-26T02:00:00Z"))).days).toEqual([...SAMPLE_DAYS, "2026-11-25"]);
  });
});

describe("example analyses (README), on the exported sample week", () => {
  it("questions per platform per week", async () => {
    const rows = await sql(EXAMPLE_ANALYSES.questionsPerPlatformPerWeek);
    // README of infra/local/samples/github: #412 #413 #414 #416 #418 #419 #421 in the week of Mon 16, #422 on Tue 24.
    expect(rows).toEqual([
      { source: "github", week: "2026-11-16 00:00:00", questions: "7" },
      { source: "github", week: "2026-11-23 00:00:00", questions: "1" },
    ]);
  });

  it("median time to first response per week and channel", async () => {
    const rows = await sql(EXAMPLE_ANALYSES.medianFirstResponsePerWeekAndChannel);
    // Issues: #412 09:02:xx -> 10:40 (team), #413 Mon 14:25:33 -> Tue 13:30:02; Q&A: #414 Tue 07:50:09 -> Wed 08:20:37.
    const byChannel = Object.fromEntries(rows.map((r) => [String(r.channel_name), r]));
    expect(Object.keys(byChannel).sort()).toEqual(["Discussions / Q&A", "Issues"]);
    expect(byChannel["Issues"]!.responded).toBe("2");
    const h412 = await hoursToFirstResponse("412");
    const h413 = (Date.parse("2026-11-17T13:30:02Z") - Date.parse("2026-11-16T14:25:33Z")) / 3_600_000;
    expect(Number(byChannel["Issues"]!.median_hours)).toBeCloseTo((h412 + h413) / 2, 6);
    expect(h412).toBeGreaterThan(1.5);
    expect(h412).toBeLessThan(1.7);
    expect(Number(byChannel["Discussions / Q&A"]!.median_hours)).toBeCloseTo((Date.parse("2026-11-18T08:20:37Z") - Date.parse("2026-11-17T07:50:09Z")) / 3_600_000, 6);
  });

  it("answer rate within the SLA", async () => {
    const rows = await sql(EXAMPLE_ANALYSES.answerRateWithinSla);
    // Week of 16: 7 questions; #412 (1.6 h) and #413 (23.1 h) within 24 h, #414 (24.5 h) not.
    expect(rows[0]).toMatchObject({ week: "2026-11-16 00:00:00", questions: "7", within_sla: "2" });
    expect(Number(rows[0]!.rate)).toBeCloseTo(2 / 7, 6);
    expect(rows[1]).toMatchObject({ week: "2026-11-23 00:00:00", questions: "1", within_sla: "0" });
  });

  it("top helpers", async () => {
    // chen-wei answered #413, felixr's reply in #414 was first (and accepted); maria-acme is team.
    expect(await sql(EXAMPLE_ANALYSES.topHelpers)).toEqual([
      { helper: "chen-wei", first_responses: "1" },
      { helper: "felixr", first_responses: "1" },
    ]);
  });

  it("first-time askers who got no answer", async () => {
    const rows = await sql(EXAMPLE_ANALYSES.firstTimeAskersWithoutAnswer);
    // ottoblau's first question (#414) was answered, so his #422 is not a first question.
    expect(rows.map((r) => [r.asker, r.status])).toEqual([
      ["noor-h", "open"],
      ["marek-p", "open"],
      ["sam-k", "open"],
      ["felixr", "closed"],
    ]);
  });
});

async function hoursToFirstResponse(issueNumber: string): Promise<number> {
  const rows = await sql(`SELECT created_at, first_response_at FROM threads WHERE url LIKE '%/issues/${issueNumber}' ORDER BY state_revision DESC LIMIT 1`);
  return (Date.parse(`${String(rows[0]!.first_response_at).replace(" ", "T")}Z`) - Date.parse(`${String(rows[0]!.created_at).replace(" ", "T")}Z`)) / 3_600_000;
}

describe("forget --member", () => {
  it("removes a person from the table and from every exported file, and refolds their threads", async () => {
    const felixr = (await sql("SELECT DISTINCT actor_id FROM activities WHERE actor_login = 'felixr'"))[0]!.actor_id as string;
    const daysBefore = (await sql(`SELECT DISTINCT dt FROM activities WHERE actor_id = '${felixr}' ORDER BY dt`)).map((r) => r.dt);
    expect(daysBefore.length).toBeGreaterThan(0);

    const result = await forgetMember(deps(), felixr);
    expect(result.deletedActivities).toBeGreaterThanOrEqual(3); // reply in #414, the credited acceptance, #421
    for (const d of daysBefore) expect(result.reexportedDays).toContain(d);

    expect(await stack.store.memberActivityKeys(felixr)).toEqual([]);
    const anywhere = await sql(`
      SELECT count(*) AS n FROM activities
      WHERE actor_id = '${felixr}' OR thread_author_id = '${felixr}' OR actor_login = 'felixr'`);
    expect(anywhere[0]!.n).toBe("0");
    const inThreads = await sql(`
      SELECT count(*) AS n FROM threads
      WHERE author_id = '${felixr}' OR first_responder_id = '${felixr}' OR accepted_answer_by_id = '${felixr}'`);
    expect(inThreads[0]!.n).toBe("0");
    // #414 lost its only reply and its accepted answer: it is an open question again.
    const q414 = (await sql(`SELECT status, first_response_at FROM threads WHERE url LIKE '%/discussions/414' ORDER BY state_revision DESC LIMIT 1`))[0];
    expect(q414).toEqual({ status: "open", first_response_at: null });
    expect(await sql(EXAMPLE_ANALYSES.topHelpers)).toEqual([{ helper: "chen-wei", first_responses: "1" }]);
    expect(existsSync(objectFile(partKey("activities", "2026-11-18")))).toBe(true);
  });
});
