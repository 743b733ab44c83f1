import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { createIngest, type IngestOutcome } from "../../functions/ingest/app.ts";
import { enabledWebhookSources } from "../../shared/sources/index.ts";
import { createNormalizeHandler } from "../../functions/normalize/app.ts";
import { runDiscordPoll } from "../../functions/poll-discord/app.ts";
import { digestSchedules, localDay, resolveActionLinks, sendDigests } from "../../functions/digest/app.ts";
import { runDailyExport } from "../../functions/export/app.ts";
import { S3Client } from "@aws-sdk/client-s3";
import { S3ExportSink } from "../../shared/export/sink.ts";
import type { Config } from "../../shared/model/config.ts";
import { EnvelopeQueue } from "../../shared/queue/envelope-queue.ts";
import { Mailer } from "../../shared/mail/ses.ts";
import { EnvSecretResolver } from "../../shared/secrets/resolver.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { ensureTable } from "../../shared/store/create-table.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { localClientConfig } from "./emulators/clients.ts";
import { startDynamoDbLocal, type DynamoDbLocal } from "./emulators/dynamodb-local.ts";
import { acquireDevLock, readDevLock, type DevLockInfo } from "./emulators/lock.ts";
import { startSes, type SentMail } from "./emulators/ses.ts";
import { startSqs } from "./emulators/sqs.ts";
import { localS3ClientConfig, startS3, type LocalS3 } from "./emulators/s3.ts";
import { localActionsRoute, startFrontDoor } from "./http.ts";
import { SqsEventSourcePoller } from "./poller.ts";

export const LOCAL_TABLE = "community-signals";
const QUEUE_NAME = "community-signals-ingest";
const DLQ_NAME = "community-signals-ingest-dlq";
/** The local export bucket; its objects are files under `<data dir>/s3/<bucket>/`. */
export const LOCAL_EXPORT_BUCKET = "community-signals-export";
export const localS3Directory = (dataDir: string) => join(resolve(dataDir), "s3");

export type LogLine = (line: string) => void;

export interface LocalStackOptions {
  config: Config;
  dataDir: string;
  /** HTTP port of the front door; 0 picks a free one. */
  port: number;
  log?: LogLine;
  /** Failed records become visible again after this many seconds (default 2). */
  retryDelaySeconds?: number;
  /** Run the daily digest and export timers (default true). */
  schedule?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface LocalStack {
  url: string;
  webhookUrls: Record<string, string>;
  mailViewerUrl: string;
  endpoints: DevLockInfo["endpoints"];
  /** Mail the local SES server accepted, oldest first. */
  outbox(): Promise<SentMail[]>;
  store: SignalStore;
  /** The export bucket on the local S3 server (what the export function writes in AWS). */
  exportSink: S3ExportSink;
  /** Folder holding the local S3 server's buckets (`<data dir>/s3`). */
  s3Directory: string;
  health(): Promise<HealthReport>;
  /** Resolves once the queue is empty and nothing is in flight. */
  drained(timeoutMs?: number): Promise<HealthReport>;
  stop(): Promise<void>;
}

export interface HealthReport {
  status: "ok";
  drained: boolean;
  queue: { url: string; depth: number; inFlight: number };
  dlq: { url: string; depth: number };
  inFlight: number;
  processed: { batches: number; succeeded: number; failed: number };
  webhooks: Record<string, Partial<Record<IngestOutcome, number>>>;
  uptimeSeconds: number;
}

/**
 * Local secrets: environment variables first; a missing webhook secret is generated once and
 * kept in the data dir, so `npm start` works on a fresh clone and `replay` can sign with it.
 */
export function localSecrets(config: Config, dataDir: string, env: NodeJS.ProcessEnv = process.env, create = false): {
  resolver: EnvSecretResolver;
  generated: string[];
} {
  const file = join(dataDir, "secrets.json");
  const stored: Record<string, string> = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
  const generated: string[] = [];
  // Webhook secrets, and the key that signs the digest's action links.
  const names = [...enabledWebhookSources(config).map((s) => s.secretName), ...(config.actions.enabled ? [config.actions.secretName] : [])];
  for (const name of names) {
    if (env[name] || stored[name] || !create) continue;
    stored[name] = randomBytes(24).toString("hex");
    generated.push(name);
  }
  if (generated.length > 0) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(stored, null, 2), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
  return { resolver: new EnvSecretResolver(env, stored), generated };
}

async function createQueues(sqs: SQSClient, maxReceiveCount: number, visibilityTimeoutSeconds: number) {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: DLQ_NAME, Attributes: { MessageRetentionPeriod: String(14 * 86400) } }));
  const dlqUrl = dlq.QueueUrl ?? "";
  const dlqAttrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }));
  const dlqArn = dlqAttrs.Attributes?.QueueArn ?? "";
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: QUEUE_NAME,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  const queueUrl = queue.QueueUrl ?? "";
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  return { queueUrl, queueArn: attrs.Attributes?.QueueArn ?? "", dlqUrl };
}

/**
 * A queue's messages by state. A message just sent counts as delayed for an instant (also with
 * no delay set), so "empty" must look at all three, or a health check in that instant would
 * report a drained queue that is not.
 */
async function depth(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; notVisible: number; delayed: number }> {
  const res = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
    }),
  );
  return {
    visible: Number(res.Attributes?.ApproximateNumberOfMessages ?? 0),
    notVisible: Number(res.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(res.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/**
 * The SQS emulator keeps messages in memory; on stop, whatever is still queued is written to
 * the data dir and queued again at the next start, so a restart loses nothing accepted.
 */
const BACKLOG_FILES = { queue: "queue-backlog.jsonl", dlq: "dlq-backlog.jsonl" } as const;

async function saveBacklog(sqs: SQSClient, queueUrl: string, file: string): Promise<number> {
  const bodies: string[] = [];
  for (;;) {
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 600 }));
    const messages = res.Messages ?? [];
    if (messages.length === 0) break;
    bodies.push(...messages.map((m) => m.Body ?? ""));
  }
  if (bodies.length > 0) {
    writeFileSync(`${file}.tmp`, bodies.map((b) => JSON.stringify(b)).join("\n") + "\n");
    renameSync(`${file}.tmp`, file);
  }
  return bodies.length;
}

async function restoreBacklog(sqs: SQSClient, queueUrl: string, file: string): Promise<number> {
  if (!existsSync(file)) return 0;
  const bodies = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as string);
  for (let i = 0; i < bodies.length; i += 10) {
    const chunk = bodies.slice(i, i + 10);
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((body, j) => ({ Id: String(j), MessageBody: body })) }));
  }
  renameSync(file, `${file}.restored`);
  return bodies.length;
}

/** Start the whole local stack: emulators, front door, event-source poller and digest timer. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { config } = options;
  const log = options.log ?? (() => {});
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const startedAt = Date.now();

  // Refuse before starting anything: two stacks on one DynamoDB data dir would corrupt it.
  const lock = acquireDevLock(dataDir, {
    pid: process.pid,
    startedAt: new Date(startedAt).toISOString(),
    port: options.port,
    endpoints: { dynamodb: "", sqs: "", ses: "", queueUrl: "", dlqUrl: "", http: "", s3: "" },
  });

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: Error) => log(`stop: ${err.message}`));
    stops.length = 0;
  };
  try {
    const { resolver, generated } = localSecrets(config, dataDir, options.env ?? process.env, true);
    for (const name of generated) log(`${name} is not set: generated one and stored it in ${join(dataDir, "secrets.json")}`);

    const s3Directory = localS3Directory(dataDir);
    const [dynamo, sqsServer, ses, s3] = await Promise.all([
      startDynamoDbLocal({ dataDir: join(dataDir, "dynamodb") }),
      startSqs(),
      startSes(),
      startS3({ directory: s3Directory, buckets: [LOCAL_EXPORT_BUCKET] }),
    ]);
    stops.push(() => dynamo.stop(), () => sqsServer.stop(), () => ses.stop(), () => s3.stop());
    const exportSink = new S3ExportSink(new S3Client(localS3ClientConfig(s3.endpoint)), LOCAL_EXPORT_BUCKET);

    const ddbClient = new DynamoDBClient(localClientConfig(dynamo.endpoint));
    await ensureTable(ddbClient, LOCAL_TABLE);
    const store = new SignalStore(createDocumentClient(localClientConfig(dynamo.endpoint)), LOCAL_TABLE);
    const sqs = new SQSClient(localClientConfig(sqsServer.endpoint));
    const { queueUrl, queueArn, dlqUrl } = await createQueues(sqs, config.queue.maxReceiveCount, config.queue.visibilityTimeoutSeconds);
    const restored =
      (await restoreBacklog(sqs, queueUrl, join(dataDir, BACKLOG_FILES.queue))) +
      (await restoreBacklog(sqs, dlqUrl, join(dataDir, BACKLOG_FILES.dlq)));
    if (restored > 0) log(`re-queued ${restored} message(s) saved at the last stop`);
    stops.push(async () => {
      const saved = (await saveBacklog(sqs, queueUrl, join(dataDir, BACKLOG_FILES.queue))) + (await saveBacklog(sqs, dlqUrl, join(dataDir, BACKLOG_FILES.dlq)));
      if (saved > 0) log(`saved ${saved} queued message(s) to ${dataDir}; they are queued again at the next start`);
    });

    const webhookCounts: HealthReport["webhooks"] = {};
    const envelopeQueue = new EnvelopeQueue(sqs, queueUrl, config.queue.maxMessageBytes);
    const ingest = createIngest({
      config,
      secrets: resolver,
      queue: envelopeQueue,
      observer: {
        outcome(source, outcome, detail) {
          const counts = (webhookCounts[source] ??= {});
          counts[outcome] = (counts[outcome] ?? 0) + 1;
          log(`webhook ${source}: ${outcome}${detail ? ` (${detail})` : ""}`);
        },
      },
    });

    const normalize = createNormalizeHandler({
      config,
      store,
      observer: {
        processed(envelope, activities, stored) {
          log(`normalized ${envelope.source} ${envelope.eventType}: ${activities} activit${activities === 1 ? "y" : "ies"}, ${stored} new`);
        },
        failed(messageId, error, permanent) {
          log(`record ${messageId} failed${permanent ? " (permanent; it goes to the DLQ after maxReceiveCount)" : ""}: ${error.message}`);
        },
      },
    });
    const poller = new SqsEventSourcePoller({
      sqs,
      queueUrl,
      queueArn,
      batchSize: config.queue.batchSize,
      visibilityTimeoutSeconds: config.queue.visibilityTimeoutSeconds,
      retryDelaySeconds: options.retryDelaySeconds ?? 2,
      handler: normalize,
      onError: (err) => log(`poller: ${err.message}`),
    });
    poller.start();
    stops.push(() => poller.stop());

    const health = async (): Promise<HealthReport> => {
      const [q, d] = await Promise.all([depth(sqs, queueUrl), depth(sqs, dlqUrl)]);
      return {
        status: "ok",
        drained: q.visible === 0 && q.notVisible === 0 && q.delayed === 0 && poller.inFlight === 0,
        queue: { url: queueUrl, depth: q.visible + q.delayed, inFlight: q.notVisible },
        dlq: { url: dlqUrl, depth: d.visible + d.notVisible + d.delayed },
        inFlight: poller.inFlight,
        processed: poller.stats,
        webhooks: webhookCounts,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      };
    };

    const mailer = new Mailer(new SESv2Client(localClientConfig(ses.endpoint)));
    const sources = enabledWebhookSources(config).map((s) => s.source);
    let front!: Awaited<ReturnType<typeof startFrontDoor>>;
    front = await startFrontDoor(
      {
        webhook: ingest,
        actions: localActionsRoute({ config, store, secrets: resolver, log }),
        health,
        index: () =>
          [
            "community-signals local stack",
            "",
            ...sources.map((s) => `POST ${front.url}/webhooks/${s}`),
            `GET  ${front.url}/health`,
            `mail viewer: ${ses.viewerUrl}`,
          ].join("\n"),
      },
      { port: options.port, maxBodyBytes: config.queue.maxMessageBytes },
    );
    stops.push(() => front.close());

    if (options.schedule ?? true) {
      const timer = startDailyTimer(
        digestSchedules(config),
        async ({ time, timeZone }, at) => {
          const links = await resolveActionLinks(config, resolver, front.url);
          const results = await sendDigests({ config, store, mailer, links }, { at, time, timeZone });
          for (const r of results) log(`digest for ${r.recipient} (${r.day}): ${r.outcome}, ${r.openQuestions} open question(s)`);
        },
        ({ time, timeZone }, err) => log(`digest (${time} ${timeZone}) failed: ${err.message}`),
      );
      stops.push(async () => clearInterval(timer));
      const exportTimer = startDailyTimer(
        [{ time: config.analytics.exportTime, timeZone: config.analytics.timeZone }],
        async (_schedule, at) => {
          const results = await runDailyExport({ config, store, sink: exportSink }, at);
          for (const r of results) log(`export ${r.day}: ${r.activities.rows} activities, ${r.threads.rows} threads`);
        },
        (_schedule, err) => log(`export failed: ${err.message}`),
      );
      stops.push(async () => clearInterval(exportTimer));
    }

    const discord = config.sources.discord;
    if (discord?.enabled) {
      const token = await resolver.get(discord.secretName);
      if (!token) {
        log(`${discord.secretName} is not set: Discord polling is off (set it to the bot token to read ${discord.channels.length} channel(s))`);
      } else {
        const stopPolling = startDiscordPolling(discord.pollIntervalSeconds, () =>
          runDiscordPoll({ config, store, queue: envelopeQueue, token, log: (line) => log(line) }).then((report) => {
            if (report.envelopesSent > 0) log(`discord: ${report.messagesRead} message(s) read, ${report.envelopesSent} envelope(s) queued`);
          }),
        (err) => log(`discord poll failed: ${err.message}`));
        stops.push(stopPolling);
      }
    }

    const endpoints = { dynamodb: dynamo.endpoint, sqs: sqsServer.endpoint, ses: ses.endpoint, queueUrl, dlqUrl, http: front.url, s3: s3.endpoint };
    lock.update({ pid: process.pid, startedAt: new Date(startedAt).toISOString(), port: Number(new URL(front.url).port), endpoints });
    stops.unshift(async () => lock.release());

    return {
      url: front.url,
      webhookUrls: Object.fromEntries(sources.map((s) => [s, `${front.url}/webhooks/${s}`])),
      mailViewerUrl: ses.viewerUrl,
      endpoints,
      outbox: () => ses.outbox(),
      store,
      exportSink,
      s3Directory,
      health,
      async drained(timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const report = await health();
          if (report.drained) return report;
          if (Date.now() > deadline) throw new Error(`queue not drained after ${timeoutMs} ms: ${JSON.stringify(report.queue)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    lock.release();
    throw err;
  }
}

/** Fires `send(timeZone)` once per local day when a schedule's local time comes round. */
/**
 * Plays the poller's rate schedule: a run now, then one every interval, never two at once
 * (as reserved concurrency 1 does in AWS). Resolves stop once the run in flight is done.
 */
function startDiscordPolling(intervalSeconds: number, run: () => Promise<void>, onError: (err: Error) => void): () => Promise<void> {
  let current: Promise<void> | null = null;
  const tick = () => {
    if (current) return;
    current = run()
      .catch(onError)
      .finally(() => (current = null));
  };
  tick();
  const timer = setInterval(tick, intervalSeconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await current;
  };
}

interface DailySchedule {
  time: string;
  timeZone: string;
}

/** The local stand-in for EventBridge Scheduler crons: each schedule fires once per local day at its time. */
function startDailyTimer(
  schedules: readonly DailySchedule[],
  send: (schedule: DailySchedule, at: Date) => Promise<void>,
  onError: (schedule: DailySchedule, err: Error) => void,
): NodeJS.Timeout {
  const fired = new Set<string>();
  const tick = () => {
    const now = new Date();
    for (const schedule of schedules) {
      const { time, timeZone } = schedule;
      const local = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(now);
      const key = `${time}@${timeZone}@${localDay(now, timeZone)}`;
      if (local === time && !fired.has(key)) {
        fired.add(key);
        send(schedule, now).catch((err: Error) => onError(schedule, err));
      }
    }
  };
  const timer = setInterval(tick, 20_000);
  timer.unref();
  return timer;
}

/**
 * For CLI commands other than `dev`: use the running dev stack's emulators when there is one
 * on this data dir, else start DynamoDB Local (and the SES emulator if asked) just for `fn`.
 */
export interface LocalServices {
  store: SignalStore;
  mailer: Mailer | null;
  viaDev: boolean;
  mailViewerUrl: string | null;
  /** The export bucket on a local S3 server, when asked for with `needs.s3`. */
  exportSink: S3ExportSink | null;
}

export async function withLocalServices<T>(
  dataDir: string,
  needs: { ses?: boolean; s3?: boolean },
  fn: (services: LocalServices) => Promise<T>,
): Promise<T> {
  const dir = resolve(dataDir);
  const running = readDevLock(dir);
  if (running && running.endpoints.dynamodb) {
    const store = new SignalStore(createDocumentClient(localClientConfig(running.endpoints.dynamodb)), LOCAL_TABLE);
    const mailer = needs.ses ? new Mailer(new SESv2Client(localClientConfig(running.endpoints.ses))) : null;
    // A dev started before the S3 server existed has no s3 endpoint: serve the same folder ourselves.
    const ownS3 = needs.s3 && !running.endpoints.s3 ? await startS3({ directory: localS3Directory(dir), buckets: [LOCAL_EXPORT_BUCKET] }) : null;
    try {
      const s3Endpoint = ownS3?.endpoint ?? running.endpoints.s3;
      const exportSink = needs.s3 && s3Endpoint ? new S3ExportSink(new S3Client(localS3ClientConfig(s3Endpoint)), LOCAL_EXPORT_BUCKET) : null;
      return await fn({ store, mailer, viaDev: true, mailViewerUrl: running.endpoints.ses || null, exportSink });
    } finally {
      await ownS3?.stop();
    }
  }
  // Hold the data dir while our own DynamoDB Local uses it, so no dev can start on it meanwhile.
  const lock = acquireDevLock(dir, { pid: process.pid, startedAt: new Date().toISOString(), port: 0 });
  let dynamo: DynamoDbLocal | null = null;
  let ses: Awaited<ReturnType<typeof startSes>> | null = null;
  let s3: LocalS3 | null = null;
  try {
    [dynamo, ses, s3] = await Promise.all([
      startDynamoDbLocal({ dataDir: join(dir, "dynamodb") }),
      needs.ses ? startSes() : Promise.resolve(null),
      needs.s3 ? startS3({ directory: localS3Directory(dir), buckets: [LOCAL_EXPORT_BUCKET] }) : Promise.resolve(null),
    ]);
    await ensureTable(new DynamoDBClient(localClientConfig(dynamo.endpoint)), LOCAL_TABLE);
    const store = new SignalStore(createDocumentClient(localClientConfig(dynamo.endpoint)), LOCAL_TABLE);
    const mailer = ses ? new Mailer(new SESv2Client(localClientConfig(ses.endpoint))) : null;
    const exportSink = s3 ? new S3ExportSink(new S3Client(localS3ClientConfig(s3.endpoint)), LOCAL_EXPORT_BUCKET) : null;
    return await fn({ store, mailer, viaDev: false, mailViewerUrl: ses?.viewerUrl ?? null, exportSink });
  } finally {
    await s3?.stop();
    await ses?.stop();
    await dynamo?.stop();
    lock.release();
  }
}
