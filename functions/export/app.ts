import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as z from "../../shared/model/zod.ts";
import type { Config } from "../../shared/model/config.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { SourceSchema } from "../../shared/model/activity.ts";
import { activityRow, threadRow } from "../../shared/export/rows.ts";
import { EXPORT_TABLES, PARTITION_KEY, SCHEMA_VERSION, type ExportTableName } from "../../shared/export/schema.ts";
import type { ExportSink } from "../../shared/export/sink.ts";
import { openTableWriter, type ExportFormat } from "../../shared/export/writers.ts";
import { answerPolicyFor } from "../../shared/model/config-values.ts";
import type { ExportRecord, SignalStore } from "../../shared/store/store.ts";

const DAY_MS = 86_400_000;
/** A range longer than this is almost certainly a typo (and would run for hours). */
export const MAX_RANGE_DAYS = 3660;

export interface ExportLog {
  info(message: string, fields: Record<string, unknown>): void;
}

export interface ExportDeps {
  config: Config;
  store: SignalStore;
  sink: ExportSink;
  /** The one clock: the time export records are stamped with. */
  now: Clock;
  /** Where files are staged before upload (default: the OS temp dir; /tmp in Lambda). */
  tmpDir?: string;
  log?: ExportLog;
}

export interface ExportOptions {
  /** parquet (default; what Athena and `query` read), csv or jsonl (for `export --out`). */
  format?: ExportFormat;
  /** Write the `EXPORT#<table>` / `DAY#<date>` records (default true; false for ad-hoc folder exports). */
  record?: boolean;
  /** Overrides the deps' clock for the records of this call. */
  now?: Clock;
}

export interface DayExport {
  day: string;
  activities: ExportRecord;
  threads: ExportRecord;
}

export class ExportInputError extends Error {
  override readonly name = "ExportInputError";
}

const DayString = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, "expected a day as YYYY-MM-DD"));

export function parseDay(value: string, what = "day"): string {
  const parsed = DayString.safeParse(value);
  const d = new Date(`${value}T00:00:00Z`);
  if (!parsed.success || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) {
    throw new ExportInputError(`${what} must be a real UTC day as YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Every UTC day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  parseDay(from, "from");
  parseDay(to, "to");
  if (from > to) throw new ExportInputError(`from (${from}) is after to (${to})`);
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
    if (days.length > MAX_RANGE_DAYS) throw new ExportInputError(`a range may cover at most ${MAX_RANGE_DAYS} days`);
  }
  return days;
}

export const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/** `<prefix>dt=YYYY-MM-DD/part-0000.<ext>`: one file per table and day, so a re-export replaces it. */
export function partKey(table: ExportTableName, day: string, format: ExportFormat = "parquet"): string {
  return `${dayPrefix(table, day)}part-0000.${format}`;
}

export function dayPrefix(table: ExportTableName, day: string): string {
  return `${EXPORT_TABLES[table].prefix}${PARTITION_KEY}=${day}/`;
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  parquet: "application/vnd.apache.parquet",
  csv: "text/csv; charset=utf-8",
  jsonl: "application/x-ndjson",
};

/**
 * Export one UTC day: its activities (by occurredAt, through the day's markers and the by-day
 * index, page by page; at most one row group of rows in memory) and the current state of every
 * thread that had activity that day. Rows come in a stable order (activities: occurredAt then
 * id; threads: id), so the same table gives byte-identical files. The day's file replaces
 * the old one; any other object under the day's prefix is deleted afterwards, and a day with
 * no rows keeps no file.
 */
export async function exportDay(deps: ExportDeps, day: string, options: ExportOptions = {}): Promise<DayExport> {
  parseDay(day);
  const format = options.format ?? "parquet";
  const excerptLength = deps.config.privacy.excerptLength;
  const staging = mkdtempSync(join(deps.tmpDir ?? tmpdir(), "cs-export-"));
  try {
    const threadIds = new Set<string>();
    const activitiesFile = join(staging, `activities.${format}`);
    const activities = openTableWriter(format, EXPORT_TABLES.activities.columns, activitiesFile);
    for await (const page of deps.store.activitiesOfDay(day)) {
      for (const a of page) if (a.thread) threadIds.add(a.thread.id);
      await activities.append(page.map((a) => activityRow(a, excerptLength)));
    }
    const activitiesWritten = await activities.finish();

    const threadsFile = join(staging, `threads.${format}`);
    const threads = openTableWriter(format, EXPORT_TABLES.threads.columns, threadsFile);
    const ids = [...threadIds].sort();
    const BATCH = 25;
    for (let i = 0; i < ids.length; i += BATCH) {
      const found = await Promise.all(ids.slice(i, i + BATCH).map((id) => deps.store.getThread(id)));
      await threads.append(found.flatMap((f) => (f ? [threadRow(f.thread, f.rev, excerptLength)] : [])));
    }
    const threadsWritten = await threads.finish();

    const now = options.now ?? deps.now;
    const result: DayExport = {
      day,
      activities: await publish(deps, "activities", day, format, activitiesFile, activitiesWritten, now()),
      threads: await publish(deps, "threads", day, format, threadsFile, threadsWritten, now()),
    };
    if (options.record ?? true) {
      await deps.store.recordExport(result.activities);
      await deps.store.recordExport(result.threads);
    }
    deps.log?.info("exported day", { day, format, activities: result.activities.rows, threads: result.threads.rows, bytes: result.activities.bytes + result.threads.bytes });
    return result;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function publish(
  deps: ExportDeps,
  table: ExportTableName,
  day: string,
  format: ExportFormat,
  file: string,
  written: { rows: number; bytes: number },
  at: Date,
): Promise<ExportRecord> {
  const key = written.rows > 0 ? partKey(table, day, format) : null;
  // New file first, then remove the rest: a reader sees the old day or the new one, never none.
  if (key) await deps.sink.putFile(key, file, CONTENT_TYPES[format]);
  const stale = (await deps.sink.list(dayPrefix(table, day))).filter((k) => k !== key);
  if (stale.length > 0) await deps.sink.delete(stale);
  return { table, day, rows: written.rows, bytes: key ? written.bytes : 0, key, schemaVersion: SCHEMA_VERSION, exportedAt: at.toISOString() };
}

export async function exportRange(
  deps: ExportDeps,
  from: string,
  to: string,
  options: ExportOptions & { onDay?: (done: number, total: number, result: DayExport) => void } = {},
): Promise<DayExport[]> {
  const days = daysBetween(from, to);
  const results: DayExport[] = [];
  for (const day of days) {
    const result = await exportDay(deps, day, options);
    results.push(result);
    options.onDay?.(results.length, days.length, result);
  }
  return results;
}

/**
 * Which days the daily run exports at `now`: yesterday (UTC; today is still filling and is
 * exported by tomorrow's run) and any earlier day no run has covered since the last one, plus
 * every day marked touched by a late arrival received on any day from the last run's day
 * through today. The last run's day is read again because markers can land on it after that run.
 */
export async function daysForDailyRun(store: SignalStore, now: Date): Promise<{ days: string[]; scannedReceivedDays: string[] }> {
  const today = utcDay(now);
  const yesterday = utcDay(new Date(now.getTime() - DAY_MS));
  const last = await store.lastExportRun();
  // First run, or a last run in the future (clock trouble): look at today's markers only.
  const since = last && last.receivedDay <= today ? last.receivedDay : today;
  // A long outage: markers expire after 35 days anyway, so looking further back finds nothing.
  const floor = utcDay(new Date(now.getTime() - 35 * DAY_MS));
  const scanned = daysBetween(since < floor ? floor : since, today);
  // Every day since the last run's day, not just yesterday: a failed or missed run (dev not
  // running at export time, a Lambda that failed its retries) leaves no gap behind.
  const days = new Set<string>(last && last.receivedDay <= yesterday ? daysBetween(last.receivedDay < floor ? floor : last.receivedDay, yesterday) : [yesterday]);
  for (const received of scanned) for (const d of await store.touchedDays(received)) if (d <= today) days.add(d);
  return { days: [...days].sort(), scannedReceivedDays: scanned };
}

export async function runDailyExport(deps: ExportDeps, now: Date = deps.now()): Promise<DayExport[]> {
  const { days, scannedReceivedDays } = await daysForDailyRun(deps.store, now);
  deps.log?.info("daily export", { days, scannedReceivedDays });
  const results: DayExport[] = [];
  for (const day of days) results.push(await exportDay(deps, day, { now: () => now }));
  // Only after every day succeeded: a failed run is retried from the same markers.
  await deps.store.recordExportRun(utcDay(now), now);
  return results;
}

/** EventBridge Scheduler sends `{}` for the daily run; an on-demand run names a range. */
const ExportRangeSchema = z.strictObject({ from: DayString, to: DayString });
export const ExportEventSchema = z.union([ExportRangeSchema, z.strictObject({})]);
export type ExportEvent = { kind: "daily" } | { kind: "range"; from: string; to: string };

export function parseExportEvent(event: unknown): ExportEvent {
  const raw = event ?? {};
  // A range-looking input is checked as a range, so the message names the bad field.
  const looksLikeRange = typeof raw === "object" && raw !== null && ("from" in raw || "to" in raw);
  const parsed = (looksLikeRange ? ExportRangeSchema : ExportEventSchema).safeParse(raw);
  if (!parsed.success) {
    throw new ExportInputError(`export input must be {} (the daily run) or {"from":"YYYY-MM-DD","to":"YYYY-MM-DD"}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  if ("from" in parsed.data) {
    daysBetween(parsed.data.from, parsed.data.to); // validates order, real days and length
    return { kind: "range", from: parsed.data.from, to: parsed.data.to };
  }
  return { kind: "daily" };
}

export interface ForgetResult {
  member: string;
  deletedActivities: number;
  /** Threads refolded without the member (or removed when nothing of them was left). */
  threads: { refolded: string[]; removed: string[] };
  /** Other people's activities whose thread ref named the member as the thread's author. */
  redactedRefs: number;
  reexportedDays: string[];
}

/**
 * Forget a person: delete every activity they did (found through their member markers and the
 * member index) and then those markers, blank them out of the thread refs of others' replies,
 * refold each affected thread (a thread with nothing left loses its summary), then re-export
 * every day those activities or threads touched, so the exported files no longer hold them.
 */
export async function forgetMember(deps: ExportDeps, memberId: string, options: { reexport?: boolean } = {}): Promise<ForgetResult> {
  if (!memberId.trim()) throw new ExportInputError("member id must not be empty (e.g. github:user:583231)");
  const keys = await deps.store.memberActivityKeys(memberId);
  const days = new Set(keys.map((k) => k.day));
  const threadIds = [...new Set(keys.flatMap((k) => (k.threadId ? [k.threadId] : [])))].sort();
  // Their thread's source, read before the summary may go away.
  const sources = new Map<string, string>();
  for (const id of threadIds) {
    const stored = await deps.store.getThread(id);
    if (stored) sources.set(id, stored.thread.source);
  }
  for (const key of keys) await deps.store.deleteActivity(key);
  await deps.store.deleteAskerIndex(memberId);
  // Last: until their activities are gone, the markers are how a rerun finds them.
  await deps.store.deleteMemberMarkers(memberId);

  const refolded: string[] = [];
  const removed: string[] = [];
  let redactedRefs = 0;
  for (const id of threadIds) {
    redactedRefs += await deps.store.redactThreadAuthor(id, memberId);
    // Thread snapshots of days where others were active in the thread named the member too.
    const remaining = await deps.store.threadActivities(id);
    for (const a of remaining) days.add(a.occurredAt.slice(0, 10));
    const source = SourceSchema.safeParse(sources.get(id) ?? remaining[0]?.source ?? id.split(":")[0]);
    const update = await deps.store.refreshThread(id, answerPolicyFor(deps.config, source.success ? source.data : "github"));
    if (update.thread) refolded.push(id);
    else {
      await deps.store.deleteThreadSummary(id);
      removed.push(id);
    }
  }
  const reexportedDays = [...days].sort();
  if (options.reexport ?? true) for (const day of reexportedDays) await exportDay(deps, day);
  deps.log?.info("forgot member", { member: memberId, deletedActivities: keys.length, threads: threadIds.length, days: reexportedDays.length });
  return { member: memberId, deletedActivities: keys.length, threads: { refolded, removed }, redactedRefs, reexportedDays };
}
