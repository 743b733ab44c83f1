import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError, Option } from "commander";
import { clockFromEnv, ClockSettingError, parseIsoInstant, systemClock, type Clock } from "../../shared/runtime/clock.ts";
import { digestAt, renderDigest, resolveActionLinks, resolveSlackDelivery, resolveSlackNames, sendDigests } from "../../functions/digest/app.ts";
import { ConfigError, findRecipient } from "../../shared/model/config.ts";
import { enabledSource } from "../../shared/sources/index.ts";
import type { ReplayRequestBuilder } from "../../shared/sources/types.ts";
import { SQSClient } from "@aws-sdk/client-sqs";
import { acquireDevLock, readDevLock } from "../local/emulators/lock.ts";
import { redriveInJournal } from "../local/journal.ts";
import { redriveDeadLetters } from "../local/queue.ts";
import { JOURNAL_FILE, localSecrets, startLocalStack, withLocalServices } from "../local/stack.ts";
import { withDevSlackWebhooks } from "../local/slack-sink.ts";
import { loadSamples, rebaseSamples, replaySamples } from "./replay.ts";
import { registerAnalyticsCommands } from "./analytics.ts";
import { registerReprocessCommand } from "./reprocess.ts";
import { registerBackfillCommand } from "./backfill.ts";
import { configOption, dataDirOption, loadConfigFile, UsageError, withCommonOptions } from "./options.ts";


function parseInstant(value: string): Date {
  const d = parseIsoInstant(value);
  if (!d) throw new InvalidArgumentError("expected an ISO time such as 2026-11-25T08:00:00Z");
  return d;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number (0 picks a free one)");
  return n;
}

/**
 * The CLI; `clock` is the one notion of "now" for every command (the entry point passes the
 * system clock, or the one COMMUNITY_SIGNALS_CLOCK starts).
 */
export function buildCli(clock: Clock = systemClock): Command {
  const program = new Command("community-signals")
    .description("Community signals: webhooks from community platforms to a daily digest of unanswered questions.")
    .showHelpAfterError();

  program
    .command("dev")
    .description("run the local stack: emulators, webhook front door, queue consumer and daily digest")
    .addOption(configOption())
    .addOption(dataDirOption())
    .addOption(new Option("-p, --port <port>", "HTTP port of the webhook front door (0 picks a free one)").default(8787).argParser(parsePort))
    .option("-q, --quiet", "print only the banner and errors")
    .action(async (opts: { config: string; dataDir: string; port: number; quiet?: boolean }) => {
      const config = loadConfigFile(opts.config);
      const stamp = () => clock().toISOString().slice(11, 19);
      const stack = await startLocalStack({
        config,
        clock,
        dataDir: opts.dataDir,
        port: opts.port,
        log: (line) => {
          if (!opts.quiet || /fail|error|generated/i.test(line)) console.log(`${stamp()} ${line}`);
        },
      });
      const lines = [
        "",
        `community-signals dev is running (data in ${resolve(opts.dataDir)})`,
        ...Object.entries(stack.webhookUrls).map(([source, url]) => `  ${`webhook (${source}):`.padEnd(20)}POST ${url}`),
        `  health:             GET  ${stack.url}/health`,
        `  mail viewer:        ${stack.mailViewerUrl}`,
        `  slack viewer:       ${stack.slackViewerUrl}`,
        `  digest:             ${config.digest.time} ${config.digest.timeZone} to ${config.digest.recipients.length} recipient(s)`,
        `  try:                community-signals replay infra/local/samples/github --url ${stack.url} --rebase`,
        "Ctrl-C stops everything.",
        "",
      ];
      console.log(lines.join("\n"));
      await new Promise<void>((done) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          console.log(`\n${signal}: stopping…`);
          stack.stop().then(done, (err: Error) => {
            console.error(err.message);
            done();
          });
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
    });

  program
    .command("replay")
    .description("sign and post sample webhooks (a file or a folder of them) to a running stack")
    .argument("<path>", "a sample file or a folder of them (played in name order)")
    .requiredOption("-u, --url <url>", "the stack's base URL (http://127.0.0.1:8787) or a full webhook URL")
    .addOption(configOption())
    .addOption(dataDirOption())
    .option("--rebase [time]", "shift all sample timestamps so the latest is now (or the given ISO time)")
    .action(async (path: string, opts: { url: string; config: string; dataDir: string; rebase?: string | boolean }) => {
      const config = loadConfigFile(opts.config);
      let samples = loadSamples(path);
      if (opts.rebase) samples = rebaseSamples(samples, opts.rebase === true ? clock() : parseInstant(opts.rebase));
      // Resolve every source's secret before sending anything, so a missing one fails up front.
      const { resolver } = localSecrets(config, opts.dataDir);
      const signers = new Map<string, { secret: string; replay: ReplayRequestBuilder }>();
      for (const name of new Set(samples.map((s) => s.source))) {
        const source = enabledSource(config, name);
        if (!source) throw new UsageError(`the samples are for ${name}, which is not an enabled webhook source in ${opts.config}`);
        const secret = await resolver.get(source.secretName);
        if (!secret) throw new UsageError(`${source.secretName} is not set (and no dev stack has generated one in ${opts.dataDir})`);
        signers.set(name, { secret, replay: source.replay });
      }
      let failed = 0;
      await replaySamples(samples, {
        url: opts.url,
        now: clock,
        signer: (source) => signers.get(source)!,
        onResult: (r) => {
          if (r.status >= 300) failed++;
          console.log(`${r.status} ${r.event.padEnd(28)} ${r.file}${r.status >= 300 ? `  ${r.body}` : ""}`);
        },
      });
      console.log(`${samples.length - failed} of ${samples.length} accepted`);
      if (failed > 0) process.exitCode = 1;
    });

  program
    .command("digest")
    .description("build the digest now (or as of --at) and print, save or send it")
    .addOption(configOption())
    .addOption(dataDirOption())
    .option("--json", "print the digest as JSON")
    .option("--text", "print the plain-text email")
    .option("--html <file>", "write the HTML email to a file")
    .option("--send", "send it to the configured recipients by email and/or Slack (at most once per recipient and channel per day)")
    .option("--recipient <id>", "as this recipient gets it (their email, or slack:<channel id> for a Slack-only one): their filters, SLA and links (with --send: only them)")
    .addOption(new Option("--at <time>", "take ages, SLAs and the 7-day windows at this ISO time (over the threads as they are now)").argParser(parseInstant))
    .action(async (opts: { config: string; dataDir: string; json?: boolean; text?: boolean; html?: string; send?: boolean; recipient?: string; at?: Date }) => {
      const config = loadConfigFile(opts.config);
      const at = opts.at ?? clock();
      const recipient = opts.recipient ? findRecipient(config, opts.recipient) : null;
      if (opts.recipient && !recipient) throw new UsageError(`${opts.recipient} is not a recipient in ${opts.config}`);
      // Links point where the recipient can click them: actions.baseUrl, else the running dev stack.
      const devUrl = readDevLock(resolve(opts.dataDir))?.endpoints.http || null;
      // Sent mail is only visible in a running dev's mail viewer: without one it would vanish with
      // a short-lived emulator, and the recipient's day would be claimed for nothing.
      if (opts.send && !devUrl) {
        throw new UsageError(`digest --send delivers through a running dev's mail server: start dev on ${opts.dataDir} first (npm start), then see the mail in its mail viewer`);
      }
      const secrets = localSecrets(config, opts.dataDir).resolver;
      const links = await resolveActionLinks(config, secrets, devUrl);
      if (config.actions.enabled && !links && (recipient || opts.send)) {
        console.error(
          `note: no action links (${config.actions.baseUrl || devUrl ? `${config.actions.secretName} is not set` : "no actions.baseUrl and no running dev stack"})`,
        );
      }
      await withLocalServices(opts.dataDir, { ses: !!opts.send, command: "digest" }, async ({ store, mailer, mailViewerUrl }) => {
        const slackNames = await resolveSlackNames(config, secrets, { cache: store.names, now: clock, log: (line) => console.error(line) });
        // A Slack webhook whose variable is not set posts to the running dev's slack viewer.
        const slack = resolveSlackDelivery(config, devUrl ? withDevSlackWebhooks(secrets, config, devUrl) : secrets);
        const deps = { config, store, links, slackNames, slack, now: clock, ...(mailer ? { mailer } : {}) };
        const digest = await digestAt(deps, at, recipient ?? null);
        const rendered = renderDigest(digest, config);
        if (opts.html) {
          writeFileSync(opts.html, rendered.html);
          console.error(`wrote ${opts.html}`);
        }
        if (opts.json) console.log(JSON.stringify(digest, null, 2));
        if (opts.text || (!opts.json && !opts.html && !opts.send)) console.log(`Subject: ${rendered.subject}\n\n${rendered.text}`);
        if (opts.send) {
          if (config.digest.recipients.length === 0) throw new UsageError(`no digest recipients in ${opts.config} (digest.recipients)`);
          const results = await sendDigests(deps, { at, ...(opts.recipient ? { recipient: opts.recipient } : {}) });
          for (const r of results) console.error(`${r.recipient} by ${r.channel}: ${r.outcome} (${r.day}, ${r.openQuestions} open)${r.error ? `: ${r.error}` : ""}${r.warning ? ` (${r.warning})` : ""}`);
          if (mailViewerUrl && results.some((r) => r.channel === "email")) console.error(`mail viewer: ${mailViewerUrl}`);
          if (devUrl && results.some((r) => r.channel === "slack")) console.error(`slack viewer (for webhook URLs or an apiBaseUrl pointing at the dev): ${devUrl}/dev/slack`);
          const failed = results.filter((r) => r.outcome === "failed");
          if (failed.length > 0) {
            console.error(`community-signals: ${failed.length} of ${results.length} digest(s) failed; run the same command again to retry only those`);
            process.exitCode = 1;
          }
        }
      });
    });

  program
    .command("redrive")
    .description("move dead letters back to the queue: the local stack's, or the deployed stack's with --queue-url and --dlq-url")
    .option("--source <name>", "only the dead letters of this source (github, discourse, slack, discord, stackoverflow)")
    .option("--queue-url <url>", "the deployed ingest queue (stack output IngestQueueUrl); needs AWS credentials")
    .option("--dlq-url <url>", "the deployed dead-letter queue (stack output DeadLetterQueueUrl)")
    .action(async (opts: { source?: string; queueUrl?: string; dlqUrl?: string; dataDir: string }) => {
      if (!!opts.queueUrl !== !!opts.dlqUrl) throw new UsageError("--queue-url and --dlq-url go together (both stack outputs)");
      const filter = opts.source ? { source: opts.source } : {};
      let result: { moved: number; kept: number };
      let where: string;
      if (opts.queueUrl && opts.dlqUrl) {
        const sqs = new SQSClient({});
        result = await redriveDeadLetters(sqs, { queueUrl: opts.queueUrl, dlqUrl: opts.dlqUrl }, { ...filter, waitSeconds: 2 });
        where = "the deployed queue";
      } else {
        const dir = resolve(opts.dataDir);
        const running = readDevLock(dir);
        if (running?.endpoints.http) {
          const res = await fetch(`${running.endpoints.http}/admin/redrive${opts.source ? `?source=${encodeURIComponent(opts.source)}` : ""}`, { method: "POST" });
          if (!res.ok) throw new UsageError(`the running dev answered ${res.status} to the redrive`);
          result = (await res.json()) as typeof result;
          where = `the running dev's queue (${running.endpoints.http})`;
        } else {
          const lock = acquireDevLock(dir, { pid: process.pid, startedAt: clock().toISOString(), port: 0, command: "redrive" });
          try {
            result = redriveInJournal(join(dir, JOURNAL_FILE), opts.source);
          } finally {
            lock.release();
          }
          where = "the queue; the next dev start processes them";
        }
      }
      console.log(`${result.moved} dead letter(s)${opts.source ? ` of ${opts.source}` : ""} moved back to ${where}${result.kept ? `; ${result.kept} of other sources kept` : ""}`);
    });

  registerReprocessCommand(program, clock);
  registerBackfillCommand(program, clock);
  registerAnalyticsCommands(program, clock);

  for (const [name, description] of [
    ["synth", "synthesise the AWS CloudFormation template (offline, no credentials needed)"],
    ["deploy", "deploy the stack to AWS with the CDK (needs credentials and a bootstrapped account)"],
  ] as const) {
    program
      .command(name)
      .description(description)
      .addOption(configOption())
      .argument("[cdkArgs...]", "more arguments for the CDK CLI (after --)")
      .action((cdkArgs: string[], opts: { config: string }) => {
        loadConfigFile(opts.config); // a bad config fails here, with the field named
        process.exitCode = runCdk([name, "-c", `config=${resolve(opts.config)}`, ...cdkArgs]);
      });
  }

  return withCommonOptions(program);
}

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The project's own pinned CDK CLI, silent and offline-safe (no version check). */
function runCdk(args: string[]): number {
  const res = spawnSync(resolve(PROJECT_ROOT, "node_modules/.bin/cdk"), args, {
    cwd: PROJECT_ROOT,
    stdio: "inherit",
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" },
  });
  if (res.error) throw new UsageError(`could not run the CDK CLI: ${res.error.message} (run npm ci)`);
  return res.status ?? 1;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli(clockFromEnv()).parseAsync(argv);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof ClockSettingError || (err as Error).name === "DevAlreadyRunningError") {
      console.error(`community-signals: ${(err as Error).message}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
