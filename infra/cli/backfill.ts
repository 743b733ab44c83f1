import { join, resolve } from "node:path";
import { Option, type Command } from "commander";
import type { Clock } from "../../shared/runtime/clock.ts";
import { BACKFILL_CURSOR_SOURCE, backfillGitHub, type BackfillProgress, type BackfillResult } from "../../shared/sources/github/backfill.ts";
import { readDevLock } from "../local/emulators/lock.ts";
import { QueueJournal } from "../local/journal.ts";
import { JOURNAL_FILE, localSecrets, withLocalServices } from "../local/stack.ts";
import { configOption, dataDirOption, loadConfigFile } from "./options.ts";
import { enqueueViaDev, journalSink } from "./queue-sinks.ts";

export const BACKFILL_SOURCES = ["github"] as const;
const DAY_MS = 86_400_000;

/** `30d` (days before now) or `YYYY-MM-DD` (UTC midnight); null when it is neither. */
export function parseSince(value: string, now: Date): Date | null {
  const days = /^(\d{1,4})d$/.exec(value);
  if (days) return new Date(now.getTime() - Number(days[1]) * DAY_MS);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const d = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value ? null : d;
}


function progressLine(p: BackfillProgress): string {
  const left = p.rateLimitRemaining === null ? "" : `, ${p.rateLimitRemaining} requests left this hour`;
  return `${p.repo}: ${p.items} items read, ${p.pages} pages${left}${p.done ? ", done" : ""}`;
}

/** `community-signals backfill`: a source's history read through its API and queued like live deliveries. */
export function registerBackfillCommand(program: Command, clock: Clock): void {
  program
    .command("backfill")
    .description("read the configured repositories' recent history (issues and their comments) and queue it like webhooks")
    .addOption(configOption())
    .addOption(dataDirOption())
    .addOption(new Option("--source <name>", "the source to backfill (only github for now)").default("github"))
    .option("--since <when>", "how far back: Nd (days) or YYYY-MM-DD (UTC)", "30d")
    .option("--dry-run", "read and count only: queue nothing, move no cursor")
    .action(async (opts: { config: string; dataDir: string; source: string; since: string; dryRun?: boolean }, cmd: Command) => {
      if (!(BACKFILL_SOURCES as readonly string[]).includes(opts.source)) {
        cmd.error(`backfill --source ${opts.source} is not yet supported (supported: ${BACKFILL_SOURCES.join(", ")})`, { exitCode: 2 });
      }
      const since = parseSince(opts.since, clock());
      if (!since) cmd.error(`--since ${opts.since}: expected a number of days such as 30d, or a day such as 2026-11-01`, { exitCode: 2 });

      // A problem with the setup, not the arguments: the message alone, exit code 1.
      const fail = (message: string) => {
        console.error(`community-signals: ${message}`);
        process.exitCode = 1;
      };
      const config = loadConfigFile(opts.config);
      const github = config.sources?.github;
      if (!github?.enabled || github.repositories.length === 0) {
        return fail(`nothing to backfill: list the repositories in sources.github.repositories of ${opts.config}`);
      }
      const token = await localSecrets(config, opts.dataDir).resolver.get(github.tokenSecretName);
      if (!token) {
        return fail(
          `${github.tokenSecretName} is not set: backfill reads GitHub's API with a token (public repositories: a classic token with no scope, or public_repo; private: repo, or a fine-grained token with Issues: read)`,
        );
      }

      const tty = process.stderr.isTTY;
      let drawing = false;
      const onProgress = (p: BackfillProgress) => {
        if (tty) {
          process.stderr.write(`\r\x1b[K${progressLine(p)}${p.done ? "\n" : ""}`);
          drawing = !p.done;
        } else if (p.done) {
          process.stderr.write(`${progressLine(p)}\n`);
        }
      };
      const log = (line: string) => {
        if (drawing) process.stderr.write("\n");
        drawing = false;
        process.stderr.write(`${line}\n`);
      };
      const report = (r: BackfillResult, where: string) => {
        if (drawing) process.stderr.write("\n");
        const repos = r.repos.filter((x) => x.done).length;
        console.log(
          `backfill github since ${since!.toISOString().slice(0, 10)}: ${r.envelopes} deliveries from ${repos} of ${github.repositories.length} repositories ${opts.dryRun ? "read (dry run: nothing queued)" : `queued ${where}`}; ${r.requests} API requests`,
        );
        if (r.stopped) {
          const last = r.repos.find((x) => x.repo === r.stopped?.repo);
          if (last && !tty) process.stderr.write(`${progressLine({ repo: last.repo, items: last.issues + last.comments + last.skippedPullRequests + last.skippedComments, pages: last.pages, rateLimitRemaining: last.rateLimitRemaining, done: false })}\n`);
          console.error(`community-signals: backfill github stopped at ${r.stopped.repo}: ${r.stopped.reason}`);
          process.exitCode = 1;
        }
      };

      const dir = resolve(opts.dataDir);
      await withLocalServices(dir, {}, async ({ store, viaDev }) => {
        const deps = {
          config,
          token,
          since: since!,
          now: clock,
          cursors: {
            get: (key: string) => store.getCursor(BACKFILL_CURSOR_SOURCE, key),
            set: (key: string, value: string, at: Date) => store.setCursor(BACKFILL_CURSOR_SOURCE, key, value, at),
          },
          onProgress,
          log,
          ...(opts.dryRun ? { dryRun: true } : {}),
        };
        const running = readDevLock(dir);
        if (opts.dryRun) {
          report(await backfillGitHub({ ...deps, send: async () => {} }), "");
          return;
        }
        if (viaDev && running?.endpoints.http) {
          report(await backfillGitHub({ ...deps, send: enqueueViaDev(running.endpoints.http) }), `to the running dev (${running.endpoints.http})`);
          return;
        }
        // No dev: journaled, so the next dev start queues them (this process holds the data dir's lock).
        const journal = await QueueJournal.open(join(dir, JOURNAL_FILE));
        try {
          report(await backfillGitHub({ ...deps, send: journalSink(journal, "backfill") }), "for the next dev start");
        } finally {
          await journal.close();
        }
      });
    });
}
