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
import { digestSchedules, localDay, sendDigests } from "../../functions/digest/app.ts";
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
import { startFrontDoor } from "./http.ts";
import { SqsEventSourcePoller } from "./poller.ts";

export const LOCAL_TABLE = "community-signals";
const QUEUE_NAME = "community-signals-ingest";
const DLQ_NAME = "community-signals-ingest-dlq";

export type LogLine = (line: string) => void;

export interface LocalStackOptions {
  config: Config;
  dataDir: string;
  /** HTTP port of the front door; 0 picks a free one. */
  port: number;
  log?: LogLine;
  /** Failed records become visible again after this many seconds (default 2). */
  retryDelaySeconds?: number;
  /** Run the daily digest timer (default true). */
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
  const names = enabledWebhookSources(config).map((s) => s.secretName);
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

async function depth(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; notVisible: number }> {
  const res = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(res.Attributes?.ApproximateNumberOfMessages ?? 0),
    notVisible: Number(res.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
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
    endpoints: { dynamodb: "", sqs: "", ses: "", queueUrl: "", dlqUrl: "", http: "" },
  });

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: Error) => log(`stop: ${err.message}`));
    stops.length = 0;
  };
  try {
    const { resolver, generated } = localSecrets(config, dataDir, options.env ?? process.env, true);
    for (const name of generated) log(`${name} is not set: generated one and stored it in ${join(dataDir, "secrets.json")}`);

    const [dynamo, sqsServer, ses] = await Promise.all([
      startDynamoDbLocal({ dataDir: join(dataDir, "dynamodb") }),
      startSqs(),
      startSes(),
    ]);
    stops.push(() => dynamo.stop(), () => sqsServer.stop(), () => ses.stop());

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
    const ingest = createIngest({
      config,
      secrets: resolver,
      queue: new EnvelopeQueue(sqs, queueUrl, config.queue.maxMessageBytes),
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
        drained: q.visible === 0 && q.notVisible === 0 && poller.inFlight === 0,
        queue: { url: queueUrl, depth: q.visible, inFlight: q.notVisible },
        dlq: { url: dlqUrl, depth: d.visible + d.notVisible },
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
      const timer = startDigestTimer(config, async (timeZone, at) => {
        const results = await sendDigests({ config, store, mailer }, { at, timeZone });
        for (const r of results) log(`digest for ${r.recipient} (${r.day}): ${r.outcome}, ${r.openQuestions} open question(s)`);
      }, log);
      stops.push(async () => clearInterval(timer));
    }

    const endpoints = { dynamodb: dynamo.endpoint, sqs: sqsServer.endpoint, ses: ses.endpoint, queueUrl, dlqUrl, http: front.url };
    lock.update({ pid: process.pid, startedAt: new Date(startedAt).toISOString(), port: Number(new URL(front.url).port), endpoints });
    stops.unshift(async () => lock.release());

    return {
      url: front.url,
      webhookUrls: Object.fromEntries(sources.map((s) => [s, `${front.url}/webhooks/${s}`])),
      mailViewerUrl: ses.viewerUrl,
      endpoints,
      outbox: () => ses.outbox(),
      store,
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
function startDigestTimer(config: Config, send: (timeZone: string, at: Date) => Promise<void>, log: LogLine): NodeJS.Timeout {
  const fired = new Set<string>();
  const tick = () => {
    const now = new Date();
    for (const { time, timeZone } of digestSchedules(config)) {
      const local = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(now);
      const key = `${timeZone}@${localDay(now, timeZone)}`;
      if (local === time && !fired.has(key)) {
        fired.add(key);
        send(timeZone, now).catch((err: Error) => log(`digest (${timeZone}) failed: ${err.message}`));
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
export async function withLocalServices<T>(
  dataDir: string,
  needs: { ses?: boolean },
  fn: (services: { store: SignalStore; mailer: Mailer | null; viaDev: boolean; mailViewerUrl: string | null }) => Promise<T>,
): Promise<T> {
  const dir = resolve(dataDir);
  const running = readDevLock(dir);
  if (running && running.endpoints.dynamodb) {
    const store = new SignalStore(createDocumentClient(localClientConfig(running.endpoints.dynamodb)), LOCAL_TABLE);
    const mailer = needs.ses ? new Mailer(new SESv2Client(localClientConfig(running.endpoints.ses))) : null;
    return fn({ store, mailer, viaDev: true, mailViewerUrl: running.endpoints.ses || null });
  }
  // Hold the data dir while our own DynamoDB Local uses it, so no dev can start on it meanwhile.
  const lock = acquireDevLock(dir, { pid: process.pid, startedAt: new Date().toISOString(), port: 0 });
  let dynamo: DynamoDbLocal | null = null;
  let ses: Awaited<ReturnType<typeof startSes>> | null = null;
  try {
    [dynamo, ses] = await Promise.all([startDynamoDbLocal({ dataDir: join(dir, "dynamodb") }), needs.ses ? startSes() : Promise.resolve(null)]);
    await ensureTable(new DynamoDBClient(localClientConfig(dynamo.endpoint)), LOCAL_TABLE);
    const store = new SignalStore(createDocumentClient(localClientConfig(dynamo.endpoint)), LOCAL_TABLE);
    const mailer = ses ? new Mailer(new SESv2Client(localClientConfig(ses.endpoint))) : null;
    return await fn({ store, mailer, viaDev: false, mailViewerUrl: ses?.viewerUrl ?? null });
  } finally {
    await ses?.stop();
    await dynamo?.stop();
    lock.release();
  }
}
