// Export throughput: one day of generated activities read from DynamoDB Local through the
// by-day index and written as Parquet, against the same read written as JSON lines (the
// baseline, same run, same machine), plus the file size per million activities, extrapolated
// from the measured batch.
import { systemClock } from "../shared/runtime/clock.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { exportDay } from "../functions/export/app.ts";
import { localClientConfig } from "../infra/local/emulators/clients.ts";
import { startDynamoDbLocal } from "../infra/local/emulators/dynamodb-local.ts";
import { DirectoryExportSink } from "../shared/export/sink.ts";
import { ActivitySchema, type Activity } from "../shared/model/activity.ts";
import { parseConfig } from "../shared/model/config.ts";
import { createDocumentClient } from "../shared/store/client.ts";
import { ensureTable } from "../shared/store/create-table.ts";
import { SignalStore } from "../shared/store/store.ts";

const DAY = "2026-11-18";
const WORDS = "replication compaction the a of replica snapshot restore fails when after upgrade memory leak config index query latency shard tenant backup retention".split(" ");

/** A plausible day: threads of about ten activities, 2,000 people, bodies of 40 to 280 characters. */
export function generateActivities(count: number, seed = 42): Activity[] {
  let state = seed;
  const rand = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const start = Date.parse(`${DAY}T00:00:00.000Z`);
  return Array.from({ length: count }, (_, i) => {
    const threadNo = Math.floor(i / 10);
    const person = Math.floor(rand() * 2000);
    const occurred = new Date(start + Math.floor(rand() * 86_399_000)).toISOString();
    const body = Array.from({ length: 6 + Math.floor(rand() * 40) }, () => pick(WORDS)).join(" ").slice(0, 280);
    return ActivitySchema.parse({
      id: `github:issue_comment:${1_000_000 + i}`,
      source: "github",
      instance: "acme-labs/rocketdb",
      channel: { id: "acme-labs/rocketdb/issues", name: "Issues" },
      kind: i % 10 === 0 ? "thread_opened" : "reply",
      thread: { id: `github:issue:${threadNo}`, title: `How do I ${pick(WORDS)} ${pick(WORDS)}?`, url: `https://github.com/acme-labs/rocketdb/issues/${threadNo}`, author: null, createdAt: null, isQuestion: true, version: "" },
      actor: { id: `github:user:${person}`, login: `user-${person}`, name: null, isBot: person % 97 === 0, isTeam: person < 20 },
      occurredAt: occurred,
      receivedAt: occurred,
      url: `https://github.com/acme-labs/rocketdb/issues/${threadNo}#issuecomment-${i}`,
      excerpt: body,
      isQuestion: i % 10 === 0,
      version: occurred,
      target: null,
      reason: null,
    });
  });
}

export async function runExportBench(count = Number(process.env.EXPORT_BENCH_ACTIVITIES ?? 20_000)): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "cs-export-bench-"));
  const dynamo = await startDynamoDbLocal({});
  try {
    const table = "export-bench";
    await ensureTable(new DynamoDBClient(localClientConfig(dynamo.endpoint)), table);
    const store = new SignalStore(createDocumentClient(localClientConfig(dynamo.endpoint)), table);
    const activities = generateActivities(count);
    const loadStart = performance.now();
    for (let i = 0; i < activities.length; i += 64) await Promise.all(activities.slice(i, i + 64).map((a) => store.putActivity(a)));
    const loadMs = performance.now() - loadStart;

    const config = parseConfig({});
    const readStart = performance.now();
    let read = 0;
    for await (const page of store.activitiesOfDay(DAY)) read += page.length;
    const readMs = performance.now() - readStart;
    if (read !== count) throw new Error(`read ${read} of ${count} activities back from the index`);

    const measure = async (format: "parquet" | "jsonl") => {
      const t0 = performance.now();
      const r = await exportDay({ config, store, sink: new DirectoryExportSink(join(dir, format)), tmpDir: dir, now: systemClock }, DAY, { format, record: false });
      return { ms: performance.now() - t0, bytes: r.activities.bytes, rows: r.activities.rows };
    };
    // JSON lines first and Parquet second, then again in the other order: the better of two runs each.
    const jsonl1 = await measure("jsonl");
    const parquet1 = await measure("parquet");
    const parquet2 = await measure("parquet");
    const jsonl2 = await measure("jsonl");
    const jsonl = jsonl1.ms < jsonl2.ms ? jsonl1 : jsonl2;
    const parquet = parquet1.ms < parquet2.ms ? parquet1 : parquet2;
    const perSecond = (ms: number) => Math.round((count / ms) * 1000).toLocaleString("en");
    const perMillion = (bytes: number) => `${((bytes / count) * 1_000_000 / 1_048_576).toFixed(1)} MiB`;

    console.log(`Export of one day, ${count.toLocaleString("en")} generated activities in DynamoDB Local (loaded in ${(loadMs / 1000).toFixed(1)} s)`);
    console.log(`  index read only (floor):    ${perSecond(readMs)} activities/s  (${(readMs / 1000).toFixed(2)} s)`);
    console.log(`  read + JSON lines (base):   ${perSecond(jsonl.ms)} activities/s  (${(jsonl.ms / 1000).toFixed(2)} s)`);
    console.log(`  read + Parquet:             ${perSecond(parquet.ms)} activities/s  (${(parquet.ms / 1000).toFixed(2)} s)`);
    console.log(`  ratio Parquet / JSON lines: ${(parquet.ms / jsonl.ms).toFixed(2)}x the time`);
    console.log(`  file size per million activities: Parquet ${perMillion(parquet.bytes)}, JSON lines ${perMillion(jsonl.bytes)} (${(jsonl.bytes / parquet.bytes).toFixed(1)}x smaller as Parquet)`);
    console.log("  (both include the thread snapshot lookups: one GetItem per thread of the day, 1 in 10 activities here)");
  } finally {
    await dynamo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
