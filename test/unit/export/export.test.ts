import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { daysBetween, ExportInputError, parseExportEvent, partKey } from "../../../functions/export/app.ts";
import { progressBar } from "../../../infra/cli/analytics.ts";
import { activityRow, threadRow } from "../../../shared/export/rows.ts";
import { ACTIVITY_COLUMNS, type ColumnDef } from "../../../shared/export/schema.ts";
import { ExportRowError, openTableWriter } from "../../../shared/export/writers.ts";
import { foldThread } from "../../../shared/threads/index.ts";
import { activity, at, helper, opening } from "../threads/build.ts";

const dir = mkdtempSync(join(tmpdir(), "cs-export-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const longBody = "Why does the widget stop spinning after I upgrade to 2.0? ".repeat(10).trim();
const reply = (n: number) => activity({ id: `reply:${n}`, kind: "reply", actor: helper, occurredAt: at(10 + n), receivedAt: at(11 + n), excerpt: `answer ${n}, with "quotes", commas\nand a newline` });

describe("rows", () => {
  it("bounds excerpts to privacy.excerptLength at export time, and exports none with 0", () => {
    const a = opening({ excerpt: longBody });
    expect(longBody.length).toBeGreaterThan(280);
    expect((activityRow(a, 280).excerpt as string).length).toBe(280);
    const short = activityRow(a, 20).excerpt as string;
    expect(short.length).toBeLessThanOrEqual(20);
    expect(short.endsWith("…")).toBe(true);
    expect(activityRow(a, 0).excerpt).toBeNull();
    const thread = foldThread([opening({ excerpt: longBody })], "any-reply")!;
    expect(threadRow(thread, 3, 0).excerpt).toBeNull();
    expect((threadRow(thread, 3, 12).excerpt as string).length).toBeLessThanOrEqual(12);
  });

  it("flattens an activity into the published columns with real timestamps", () => {
    const row = activityRow(reply(1), 280);
    expect(Object.keys(row)).toEqual(ACTIVITY_COLUMNS.map((c) => c.name));
    expect(row).toMatchObject({ actor_login: "helper", actor_is_bot: false, thread_id: "github:issue:acme/widgets#7", schema_version: 1n });
    expect(row.occurred_at).toEqual(new Date(at(11)));
    expect(row.thread_created_at).toEqual(new Date(at(0)));
  });
});

describe("writers", () => {
  it("writes the same bytes for the same rows, and DuckDB reads them back typed", async () => {
    const rows = [opening(), reply(1), reply(2)].map((a) => activityRow(a, 280));
    const files = [join(dir, "a.parquet"), join(dir, "b.parquet")];
    for (const f of files) {
      const w = openTableWriter("parquet", ACTIVITY_COLUMNS, f);
      await w.append(rows.slice(0, 1));
      await w.append(rows.slice(1));
      expect((await w.finish()).rows).toBe(3);
    }
    expect(readFileSync(files[0]!).equals(readFileSync(files[1]!))).toBe(true);
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const back = (await c.runAndReadAll(`SELECT id, occurred_at, actor_is_team, schema_version, typeof(occurred_at) AS t FROM '${files[0]}' ORDER BY occurred_at`)).getRowObjectsJson();
    expect(back[1]).toEqual({ id: "reply:1", occurred_at: "2024-05-01 10:11:00", actor_is_team: false, schema_version: "1", t: "TIMESTAMP" });
    c.closeSync();
  });

  it("quotes CSV fields and writes JSON lines with ISO timestamps", async () => {
    const rows = [activityRow(reply(1), 280)];
    const csv = openTableWriter("csv", ACTIVITY_COLUMNS, join(dir, "a.csv"));
    await csv.append(rows);
    await csv.finish();
    const text = readFileSync(join(dir, "a.csv"), "utf8");
    expect(text.split("\n")[0]).toBe(ACTIVITY_COLUMNS.map((c) => c.name).join(","));
    expect(text).toContain(`"answer 1, with ""quotes"", commas and a newline"`);
    const jsonl = openTableWriter("jsonl", ACTIVITY_COLUMNS, join(dir, "a.jsonl"));
    await jsonl.append(rows);
    await jsonl.finish();
    const parsed = JSON.parse(readFileSync(join(dir, "a.jsonl"), "utf8").trim()) as Record<string, unknown>;
    expect(parsed).toMatchObject({ id: "reply:1", occurred_at: at(11), schema_version: 1, thread_url: "https://github.com/acme/widgets/issues/7" });
  });

  it("refuses a value that does not fit its column, naming the column", async () => {
    const cols: ColumnDef[] = [{ name: "n", type: "int64", nullable: false, description: "a count" }];
    const w = openTableWriter("parquet", cols, join(dir, "bad.parquet"));
    await expect(w.append([{ n: 3 }])).rejects.toThrow(new ExportRowError("column n (int64) got number"));
    await expect(w.append([{ n: null }])).rejects.toThrow(/column n is not nullable/);
  });
});

describe("export input", () => {
  it("takes {} as the daily run and a range on demand", () => {
    expect(parseExportEvent({})).toEqual({ kind: "daily" });
    expect(parseExportEvent(undefined)).toEqual({ kind: "daily" });
    expect(parseExportEvent({ from: "2026-11-16", to: "2026-11-18" })).toEqual({ kind: "range", from: "2026-11-16", to: "2026-11-18" });
  });

  it("rejects bad input with a clear error", () => {
    expect(() => parseExportEvent({ from: "2026-11-16" })).toThrow(ExportInputError);
    expect(() => parseExportEvent({ from: "2026-11-18", to: "2026-11-16" })).toThrow("from (2026-11-18) is after to (2026-11-16)");
    expect(() => parseExportEvent({ from: "2026-02-30", to: "2026-03-01" })).toThrow(/real UTC day as YYYY-MM-DD, got "2026-02-30"/);
    expect(() => parseExportEvent({ from: "16/11/2026", to: "2026-11-18" })).toThrow(/from: expected a day as YYYY-MM-DD/);
    expect(() => daysBetween("2000-01-01", "2026-01-01")).toThrow(/at most 3660 days/);
  });

  it("lists days across a month end and names the day's single part", () => {
    expect(daysBetween("2026-11-29", "2026-12-02")).toEqual(["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"]);
    expect(partKey("activities", "2026-11-29")).toBe("activities/dt=2026-11-29/part-0000.parquet");
    expect(partKey("threads", "2026-11-29", "csv")).toBe("threads/dt=2026-11-29/part-0000.csv");
  });
});

describe("progress bar", () => {
  it("fills in proportion to the days done", () => {
    expect(progressBar(0, 10, "2026-11-16", 10)).toBe("[----------]  0/10 days  2026-11-16");
    expect(progressBar(5, 10, "2026-11-20", 10)).toBe("[#####-----]  5/10 days  2026-11-20");
    expect(progressBar(10, 10, "2026-11-25", 10)).toBe("[##########] 10/10 days  2026-11-25");
  });
});
