import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { Command, InvalidArgumentError, Option } from "commander";
import type { Clock } from "../../shared/runtime/clock.ts";
import { configOption, dataDirOption, dayArg } from "./options.ts";
import { exportRange, forgetMember, parseDay, ExportInputError } from "../../functions/export/app.ts";
import { parseConfigText, type Config } from "../../shared/model/config.ts";
import { EXPORT_TABLES, PARTITION_KEY, type ColumnDef, type ColumnType } from "../../shared/export/schema.ts";
import { DirectoryExportSink } from "../../shared/export/sink.ts";
import { EXPORT_FORMATS, type ExportFormat } from "../../shared/export/writers.ts";
import { S3RVER_OBJECT_SUFFIX } from "../local/emulators/s3.ts";
import { LOCAL_EXPORT_BUCKET, localS3Directory, withLocalServices } from "../local/stack.ts";

const DUCKDB_TYPES: Record<ColumnType, string> = {
  string: "VARCHAR",
  boolean: "BOOLEAN",
  int64: "BIGINT",
  double: "DOUBLE",
  timestamp: "TIMESTAMP",
  "list<string>": "VARCHAR[]",
};

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Where the local export lives: the local S3 server's folder (`<data dir>/s3/<bucket>/`, each
 * object a file ending in `._S3rver_object`), or a plain folder written by `export --out`.
 */
export type ExportLocation = { kind: "s3rver"; bucketDir: string } | { kind: "folder"; dir: string; format: "parquet" };

export function localExportLocation(dataDir: string): ExportLocation {
  return { kind: "s3rver", bucketDir: join(localS3Directory(dataDir), LOCAL_EXPORT_BUCKET) };
}

function partGlob(location: ExportLocation, prefix: string): { root: string; glob: string } {
  const root = location.kind === "s3rver" ? join(location.bucketDir, prefix) : join(location.dir, prefix);
  const file = location.kind === "s3rver" ? `part-*.parquet${S3RVER_OBJECT_SUFFIX}` : "part-*.parquet";
  return { root, glob: join(root, `${PARTITION_KEY}=*`, file) };
}

function hasParts(root: string, location: ExportLocation): boolean {
  if (!existsSync(root)) return false;
  const suffix = location.kind === "s3rver" ? `.parquet${S3RVER_OBJECT_SUFFIX}` : ".parquet";
  return readdirSync(root, { withFileTypes: true }).some(
    (d) => d.isDirectory() && d.name.startsWith(`${PARTITION_KEY}=`) && readdirSync(join(root, d.name)).some((f) => f.startsWith("part-") && f.endsWith(suffix)),
  );
}

function emptyView(columns: readonly ColumnDef[]): string {
  const cols = [...columns.map((c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${c.name}`), `CAST(NULL AS VARCHAR) AS ${PARTITION_KEY}`];
  return `SELECT ${cols.join(", ")} WHERE false`;
}

/**
 * A DuckDB connection with one view per Glue table (`activities`, `threads`), reading the
 * export with hive partitioning, so SQL written here runs unchanged in Athena. `dt` is a
 * VARCHAR 'YYYY-MM-DD', as the Glue partition column is a string. With no files yet the
 * views exist and are empty, with the published columns.
 */
export async function openAnalyticsDb(location: ExportLocation): Promise<{ connection: DuckDBConnection; close(): void }> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  for (const table of Object.values(EXPORT_TABLES)) {
    const { root, glob } = partGlob(location, table.prefix);
    const source = hasParts(root, location)
      ? `SELECT ${table.columns.map((c) => c.name).join(", ")}, ${PARTITION_KEY} FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, hive_types = {'${PARTITION_KEY}': VARCHAR}, union_by_name = true)`
      : emptyView(table.columns);
    await connection.run(`CREATE VIEW ${table.name} AS ${source}`);
  }
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Run SQL and return column names and rows as JSON-friendly values. */
export async function runQuery(connection: DuckDBConnection, sql: string): Promise<{ columns: string[]; rows: unknown[][] }> {
  const reader = await connection.runAndReadAll(sql);
  return { columns: reader.columnNames(), rows: reader.getRowsJson() as unknown[][] };
}

export function formatTable(result: { columns: string[]; rows: unknown[][] }): string {
  const cell = (v: unknown) => (v === null || v === undefined ? "NULL" : typeof v === "object" ? JSON.stringify(v) : String(v));
  const cells = result.rows.map((r) => r.map(cell));
  const widths = result.columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => (r[i] ?? "").length))));
  const line = (values: string[]) => values.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(result.columns), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line), `(${result.rows.length} row${result.rows.length === 1 ? "" : "s"})`].join("\n");
}

/** `[########------------]  3/10 days  2026-11-18`: a one-line bar, redrawn in place on a terminal. */
export function progressBar(done: number, total: number, label: string, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total} days  ${label}`;
}

/** Ranges at least this long show a progress bar on stderr. */
export const PROGRESS_MIN_DAYS = 7;

function loadConfig(cmd: Command, path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    cmd.error(code === "ENOENT" ? `config file ${path} does not exist (pass --config FILE)` : `cannot read config file ${path}: ${(err as Error).message}`, { exitCode: 1 });
  }
  return parseConfigText(text, path);
}

/** `export`, `query` and `forget`: the analytics commands of `community-signals`. */
export function registerAnalyticsCommands(program: Command, clock: Clock): void {
  program
    .command("export")
    .description("export days of activity (UTC) as the export function does: to the local S3 bucket, or with --out to a folder")
    .requiredOption("--from <day>", "first day, YYYY-MM-DD (UTC)", dayArg("--from"))
    .requiredOption("--to <day>", "last day, YYYY-MM-DD (UTC), included", dayArg("--to"))
    .addOption(new Option("--format <format>", "file format").choices(EXPORT_FORMATS).default("parquet"))
    .option("--out <dir>", "write <dir>/activities/dt=…/part-0000.<format> (and threads/) instead of the local bucket")
    .addOption(configOption())
    .addOption(dataDirOption())
    .action(async (opts: { from: string; to: string; format: ExportFormat; out?: string; config: string; dataDir: string }, cmd: Command) => {
      if (!opts.out && opts.format !== "parquet") {
        cmd.error(`--format ${opts.format} needs --out DIR: the bucket holds only the Parquet that Athena and \`query\` read`, { exitCode: 1 });
      }
      const config = loadConfig(cmd, opts.config);
      await withLocalServices(opts.dataDir, { s3: !opts.out, command: "export" }, async ({ store, exportSink }) => {
        const sink = opts.out ? new DirectoryExportSink(resolve(opts.out)) : exportSink;
        if (!sink) throw new Error("the local S3 server did not start");
        let totals = { activities: 0, threads: 0, bytes: 0 };
        let bar = false;
        try {
          await exportRange({ config, store, sink, now: clock }, opts.from, opts.to, {
            format: opts.format,
            record: !opts.out,
            onDay(done, total, r) {
              totals = { activities: totals.activities + r.activities.rows, threads: totals.threads + r.threads.rows, bytes: totals.bytes + r.activities.bytes + r.threads.bytes };
              if (total < PROGRESS_MIN_DAYS) return;
              bar = true;
              const text = progressBar(done, total, r.day);
              process.stderr.write(process.stderr.isTTY ? `\r${text}` : `${text}\n`);
            },
          });
        } catch (err) {
          if (err instanceof ExportInputError) cmd.error(err.message, { exitCode: 1 });
          throw err;
        } finally {
          if (bar && process.stderr.isTTY) process.stderr.write("\n");
        }
        const where = opts.out ? resolve(opts.out) : sink.locate("");
        console.log(`exported ${opts.from}..${opts.to}: ${totals.activities} activities, ${totals.threads} thread snapshots, ${totals.bytes} bytes (${opts.format}) to ${where}`);
      });
    });

  program
    .command("query")
    .description("run SQL with DuckDB over the local export; views `activities` and `threads` are named like the Glue tables")
    .argument("<sql>", "the query, e.g. \"SELECT source, count(*) FROM activities GROUP BY 1\"")
    .option("--dir <dir>", "query a folder written by `export --out DIR --format parquet` instead of the local bucket")
    .option("--json", "print one JSON object per row")
    .addOption(dataDirOption())
    .action(async (sql: string, opts: { dir?: string; json?: boolean; dataDir: string }, cmd: Command) => {
      const location: ExportLocation = opts.dir ? { kind: "folder", dir: resolve(opts.dir), format: "parquet" } : localExportLocation(opts.dataDir);
      const db = await openAnalyticsDb(location);
      try {
        const result = await runQuery(db.connection, sql).catch((err: Error) => cmd.error(`query failed: ${err.message}`, { exitCode: 1 }));
        if (opts.json) for (const row of result.rows) console.log(JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c, row[i]]))));
        else console.log(formatTable(result));
      } finally {
        db.close();
      }
    });

  program
    .command("forget")
    .description("delete a member's activities, refold their threads and re-export the days they touched")
    .requiredOption("--member <id>", "the member's actor id, e.g. github:user:583231")
    .addOption(configOption())
    .addOption(dataDirOption())
    .action(async (opts: { member: string; config: string; dataDir: string }, cmd: Command) => {
      const config = loadConfig(cmd, opts.config);
      await withLocalServices(opts.dataDir, { s3: true, command: "forget" }, async ({ store, exportSink }) => {
        if (!exportSink) throw new Error("the local S3 server did not start");
        try {
          const r = await forgetMember({ config, store, sink: exportSink, now: clock }, opts.member);
          console.log(
            `forgot ${r.member}: ${r.deletedActivities} activities deleted, ${r.threads.refolded.length} threads refolded, ${r.threads.removed.length} removed, ${r.redactedRefs} thread refs redacted, ${r.reexportedDays.length} days re-exported${r.reexportedDays.length ? ` (${r.reexportedDays.join(", ")})` : ""}`,
          );
        } catch (err) {
          if (err instanceof ExportInputError) cmd.error(err.message, { exitCode: 1 });
          throw err;
        }
      });
    });
}
