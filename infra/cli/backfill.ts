import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Command } from "commander";
import { RawArchive } from "../../shared/blob/raw-archive.ts";
import { BACKFILL_SPECS, backfillSpec, type BackfillSourceSpec } from "../../shared/backfill/registry.ts";
import { claimChecked, runBackfill, storeCursors, type BodyClaims, type CursorBackend } from "../../shared/backfill/run.ts";
import { BACKFILL_SOURCE_NAMES, type BackfillSourceName, type SourceBackfillResult } from "../../shared/backfill/types.ts";
import type { Config } from "../../shared/model/config.ts";
import type { Envelope } from "../../shared/model/envelope.ts";
import { EnvelopeQueue } from "../../shared/queue/envelope-queue.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { readDevLock } from "../local/emulators/lock.ts";
import { QueueJournal } from "../local/journal.ts";
import { JOURNAL_FILE, localSecrets, withLocalServices } from "../local/stack.ts";
import { configOption, dataDirOption, loadConfigFile } from "./options.ts";
import { ProgressBoard } from "./progress.ts";
import { enqueueViaDev, journalSink } from "./queue-sinks.ts";

const DAY_MS = 86_400_000;

/** `30d` (days before now) or `YYYY-MM-DD` (UTC midnight); null when it is neither. */
export function parseSince(value: string, now: Date): Date | null {
  const days = /^(\d{1,4})d$/.exec(value);
  if (days) return new Date(now.getTime() - Number(days[1]) * DAY_MS);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const d = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value ? null : d;
}

/** `--source github --source slack` and `--source github,slack` alike. */
function collectSources(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(",").map((s) => s.trim()).filter(Boolean)];
}

interface BackfillOptions {
  config: string;
  dataDir: string;
  source?: string[];
  since: string;
  dryRun?: boolean;
  queueUrl?: string;
  table?: string;
  rawBucket?: string;
}

/** Where the envelopes go and where the cursors live: a running dev, the journal, or a deployed stack. */
interface Target {
  where: string;
  send(envelopes: Envelope[]): Promise<void>;
  cursors: CursorBackend;
}

/** `community-signals backfill`: each source's history read through its API and queued like live deliveries. */
export function registerBackfillCommand(program: Command, clock: Clock): void {
  program
    .command("backfill")
    .description("read the sources' recent history through their APIs and queue it like live deliveries (resumable, idempotent)")
    .addOption(configOption())
    .addOption(dataDirOption())
    .option("--source <name>", `a source to backfill, repeatable or comma-separated (${BACKFILL_SOURCE_NAMES.join(", ")}); default: every enabled source`, collectSources)
    .option("--since <when>", "how far back: Nd (days) or YYYY-MM-DD (UTC)", "30d")
    .option("--dry-run", "read and count only: queue nothing, move no cursor")
    .option("--queue-url <url>", "backfill the deployed stack: its ingest queue (stack output QueueUrl); needs AWS credentials and --table")
    .option("--table <name>", "the deployed stack's table (stack output TableName), where backfill keeps its cursors")
    .option("--raw-bucket <name>", "the deployed stack's raw archive bucket (stack output RawArchiveBucketName), for items too large for a queue message")
    .action(async (opts: BackfillOptions, cmd: Command) => {
      const requested = opts.source ?? [];
      const unknown = requested.filter((s) => !(BACKFILL_SOURCE_NAMES as readonly string[]).includes(s));
      if (unknown.length > 0) cmd.error(`backfill --source ${unknown.join(",")}: not a source (choose from ${BACKFILL_SOURCE_NAMES.join(", ")})`, { exitCode: 2 });
      const unsupported = requested.filter((s) => !backfillSpec(s));
      if (unsupported.length > 0) {
        cmd.error(`backfill --source ${unsupported.join(",")} is not supported yet (supported: ${BACKFILL_SPECS.map((s) => s.name).join(", ")})`, { exitCode: 2 });
      }
      const since = parseSince(opts.since, clock());
      if (!since) return cmd.error(`--since ${opts.since}: expected a number of days such as 30d, or a day such as 2026-11-01`, { exitCode: 2 });
      if (!!opts.queueUrl !== !!opts.table) cmd.error("--queue-url and --table go together (both stack outputs)", { exitCode: 2 });
      if (opts.rawBucket && !opts.queueUrl) cmd.error("--raw-bucket is for a deployed stack, with --queue-url and --table", { exitCode: 2 });

      const config = loadConfigFile(opts.config);
      const code = await backfill(config, opts, requested as BackfillSourceName[], since, clock);
      process.exitCode = code;
    });
}

/** Runs the backfill and prints what each source did; the exit code (0 all finished, 1 one stopped). */
async function backfill(config: Config, opts: BackfillOptions, requested: BackfillSourceName[], since: Date, clock: Clock): Promise<number> {
  const fail = (message: string) => {
    console.error(`community-signals: ${message}`);
    return 1;
  };
  // Requested by name: each must be configured. By default: every source with something to read.
  const candidates = requested.length > 0 ? requested.map((n) => backfillSpec(n)!) : BACKFILL_SPECS.filter((s) => s.scopes(config).length > 0);
  if (candidates.length === 0) {
    return fail(`nothing to backfill: no source in ${opts.config} lists what to read (${BACKFILL_SPECS.map((s) => `${s.name}: ${s.configureHint}`).join("; ")})`);
  }
  const problems: string[] = [];
  const specs: BackfillSourceSpec[] = [];
  const tokens = new Map<BackfillSourceName, string>();
  const secrets = localSecrets(config, opts.dataDir).resolver;
  for (const spec of candidates) {
    if (spec.scopes(config).length === 0) {
      problems.push(`backfill ${spec.name} stopped: nothing to read (${spec.configureHint} of ${opts.config}, and enable the source)`);
      continue;
    }
    const name = spec.secretName(config);
    const token = (await secrets.get(name)) ?? "";
    if (!token && spec.secretRequired) {
      problems.push(`backfill ${spec.name} stopped: ${name} is not set; it holds ${spec.credentialHint(config)}`);
      continue;
    }
    tokens.set(spec.name, token);
    specs.push(spec);
  }
  for (const p of problems) console.error(`community-signals: ${p}`);
  if (specs.length === 0) return 1;

  const board = new ProgressBoard(
    { write: (t) => process.stderr.write(t), isTTY: process.stderr.isTTY === true, columns: process.stderr.columns ?? 120 },
    specs.map((s) => ({ name: s.name, scopeCount: s.scopes(config).length })),
    () => performance.now(),
  );
  const run = async (target: Target): Promise<SourceBackfillResult[]> => {
    const results = await runBackfill({
      config,
      sources: specs,
      tokens,
      since,
      now: clock,
      send: target.send,
      cursors: (source) => storeCursors(target.cursors, source),
      ...(opts.dryRun ? { dryRun: true } : {}),
      onProgress: (p) => board.update(p),
      log: (line) => board.log(line),
    });
    for (const r of results) board.finish(r.source, r.stopped ? r.stopped.reason : null);
    board.close();
    for (const r of results) {
      const configured = specs.find((s) => s.name === r.source)?.scopes(config).length ?? r.scopes.length;
      console.log(summary(r, configured, since, opts.dryRun ? "read (dry run: nothing queued)" : `queued ${target.where}`));
    }
    return results;
  };
  const report = (results: SourceBackfillResult[]) => {
    let code = problems.length > 0 ? 1 : 0;
    for (const r of results.filter((x) => x.stopped)) code = fail(`backfill ${r.source} stopped at ${r.stopped!.scope}: ${r.stopped!.reason}`);
    return code;
  };

  if (opts.queueUrl && opts.table) {
    // A deployed stack, from an operator's machine: the credentials of the environment (docs/backfill.md lists the policy).
    const store = new SignalStore(createDocumentClient({}), opts.table);
    const queue = new EnvelopeQueue(new SQSClient({}), opts.queueUrl, config.queue.maxMessageBytes);
    const claims = opts.rawBucket ? new RawArchive(new S3Client({}), opts.rawBucket) : null;
    const send = claimChecked(async (envelopes) => void (await Promise.all(envelopes.map((e) => queue.send(e)))), claims, config.queue.maxMessageBytes);
    return report(await run({ where: "on the deployed queue", send, cursors: store }));
  }

  const dir = resolve(opts.dataDir);
  return withLocalServices(dir, { s3: true, command: "backfill" }, async ({ store, viaDev, rawArchive }) => {
    const claims: BodyClaims | null = rawArchive;
    const running = readDevLock(dir);
    if (opts.dryRun) return report(await run({ where: "", send: async () => {}, cursors: store }));
    if (viaDev && running?.endpoints.http) {
      const send = claimChecked(enqueueViaDev(running.endpoints.http), claims, config.queue.maxMessageBytes);
      return report(await run({ where: `to the running dev (${running.endpoints.http})`, send, cursors: store }));
    }
    // No dev: journaled, so the next dev start queues them (this process holds the data dir's lock).
    const journal = await QueueJournal.open(join(dir, JOURNAL_FILE));
    try {
      const send = claimChecked(journalSink(journal, "backfill"), claims, config.queue.maxMessageBytes);
      return report(await run({ where: "for the next dev start", send, cursors: store }));
    } finally {
      await journal.close();
    }
  });
}

function summary(r: SourceBackfillResult, configured: number, since: Date, outcome: string): string {
  const done = r.scopes.filter((s) => s.done).length;
  const items = r.scopes.reduce((n, s) => n + s.items, 0);
  const of = Math.max(configured, r.scopes.length);
  // What a source counts besides items (pull requests skipped, threads, rate-limit waits), summed over its scopes.
  const detail = new Map<string, number>();
  for (const scope of r.scopes) for (const [k, v] of Object.entries(scope.detail ?? {})) detail.set(k, (detail.get(k) ?? 0) + v);
  const details = [...detail].filter(([, v]) => v > 0).map(([k, v]) => `${v} ${k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`);
  return (
    `backfill ${r.source} since ${since.toISOString().slice(0, 10)}: ${items} items, ${r.envelopes} deliveries from ${done} of ${of} ${of === 1 ? "scope" : "scopes"} ${outcome}; ${r.requests} API requests` +
    `${details.length > 0 ? ` (${details.join(", ")})` : ""}${r.stopped ? " (stopped)" : ""}`
  );
}
