import { join, resolve } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { InvalidArgumentError, type Command } from "commander";
import { daysBetween, parseDay } from "../../functions/export/app.ts";
import { RawArchive } from "../../shared/blob/raw-archive.ts";
import type { Envelope } from "../../shared/model/envelope.ts";
import { EnvelopeQueue } from "../../shared/queue/envelope-queue.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { readDevLock } from "../local/emulators/lock.ts";
import { QueueJournal } from "../local/journal.ts";
import { JOURNAL_FILE, withLocalServices } from "../local/stack.ts";
import { progressBar } from "./analytics.ts";
import { enqueueViaDev, journalSink } from "./queue-sinks.ts";
import { dayArg } from "./options.ts";

export interface ReprocessResult {
  days: number;
  objects: number;
  envelopes: number;
  /** Lines of the archive that were not envelopes (skipped). */
  unreadable: number;
}

/**
 * Reads the raw archive for the received days `from`..`to` (UTC) and hands every envelope (of
 * `source`, when given) to `queue`, marked as a replay. Processing is idempotent, so running
 * it twice changes nothing the first run did not.
 */
export async function reprocessDays(
  archive: RawArchive,
  range: { from: string; to: string; source?: string },
  queue: (envelopes: Envelope[]) => Promise<void>,
  onProgress?: (done: number, total: number, label: string) => void,
): Promise<ReprocessResult> {
  const days = daysBetween(range.from, range.to);
  const keys = (await Promise.all(days.map((d) => archive.batchKeys(d)))).flat();
  const result: ReprocessResult = { days: days.length, objects: 0, envelopes: 0, unreadable: 0 };
  for (const key of keys) {
    const { envelopes, unreadable } = await archive.readBatch(key);
    const wanted = envelopes.filter((e) => !range.source || e.source === range.source).map((e) => ({ ...e, replay: true }));
    if (wanted.length > 0) await queue(wanted);
    result.objects++;
    result.envelopes += wanted.length;
    result.unreadable += unreadable;
    onProgress?.(result.objects, keys.length, `${result.envelopes} deliveries`);
  }
  return result;
}

/** `community-signals reprocess`: archived deliveries queued again, locally or in the deployed stack. */
export function registerReprocessCommand(program: Command, clock: Clock): void {
  program
    .command("reprocess")
    .description("queue the archived raw deliveries of some received days (UTC) again, e.g. after an adapter fix")
    .requiredOption("--from <day>", "first received day, YYYY-MM-DD (UTC)", dayArg("--from"))
    .requiredOption("--to <day>", "last received day, YYYY-MM-DD (UTC), included", dayArg("--to"))
    .option("--source <name>", "only this source's deliveries")
    .option("--queue-url <url>", "the deployed ingest queue (stack output QueueUrl); needs AWS credentials")
    .option("--bucket <name>", "the deployed raw archive bucket (stack output RawArchiveBucketName)")
    .action(async (opts: { from: string; to: string; source?: string; queueUrl?: string; bucket?: string; dataDir: string }, cmd: Command) => {
      if (opts.from > opts.to) cmd.error(`--from ${opts.from} is after --to ${opts.to}`, { exitCode: 2 });
      if (!!opts.queueUrl !== !!opts.bucket) cmd.error("--queue-url and --bucket go together (both stack outputs)", { exitCode: 2 });
      const range = { from: opts.from, to: opts.to, ...(opts.source ? { source: opts.source } : {}) };
      let bar = false;
      const progress = (done: number, total: number, label: string) => {
        bar = true;
        const text = progressBar(done, total, label).replace(" days ", " archive objects ");
        process.stderr.write(process.stderr.isTTY ? `\r${text}` : `${text}\n`);
      };
      const report = (r: ReprocessResult, where: string) => {
        if (bar && process.stderr.isTTY) process.stderr.write("\n");
        console.log(
          `reprocess ${opts.from}..${opts.to}${opts.source ? ` (${opts.source})` : ""}: ${r.envelopes} deliveries from ${r.objects} archive objects queued ${where}${r.unreadable ? `; ${r.unreadable} unreadable line(s) skipped` : ""}`,
        );
      };

      if (opts.queueUrl && opts.bucket) {
        const queue = new EnvelopeQueue(new SQSClient({}), opts.queueUrl);
        const r = await reprocessDays(new RawArchive(new S3Client({}), opts.bucket), range, async (envelopes) => {
          for (const e of envelopes) await queue.send(e);
        }, progress);
        report(r, "to the deployed queue");
        return;
      }
      const dir = resolve(opts.dataDir);
      const running = readDevLock(dir);
      await withLocalServices(dir, { s3: true, command: "reprocess" }, async ({ rawArchive, viaDev }) => {
        if (!rawArchive) throw new Error("the local S3 server did not start");
        if (viaDev && running?.endpoints.http) {
          const r = await reprocessDays(rawArchive, range, enqueueViaDev(running.endpoints.http), progress);
          report(r, `to the running dev (${running.endpoints.http})`);
          return;
        }
        // No dev: journaled, so the next dev start queues them (this process holds the data dir's lock).
        const journal = await QueueJournal.open(join(dir, JOURNAL_FILE));
        try {
          const r = await reprocessDays(rawArchive, range, journalSink(journal, `replay:${clock().getTime()}`), progress);
          report(r, "for the next dev start");
        } finally {
          await journal.close();
        }
      });
    });
}
