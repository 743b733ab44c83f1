import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { createIngest, type IngestOutcome } from "../../functions/ingest/app.ts";
import { enabledWebhookSources } from "../../shared/sources/index.ts";
import { createNormalizeHandler } from "../../functions/normalize/app.ts";
import { runDiscordPoll } from "../../functions/poll-discord/app.ts";
import { runStackOverflowPoll } from "../../functions/poll-stackoverflow/app.ts";
import { stackExchangeKeyFrom } from "../../shared/sources/stackoverflow/index.ts";
import { digestSchedules, resolveActionLinks, resolveSlackDelivery, resolveSlackNames, sendDigests } from "../../functions/digest/app.ts";
import { runDailyExport } from "../../functions/export/app.ts";
import { S3Client } from "@aws-sdk/client-s3";
import { S3ExportSink } from "../../shared/export/sink.ts";
import { RawArchive } from "../../shared/blob/raw-archive.ts";
import type { Config } from "../../shared/model/config.ts";
import { EnvelopeSchema } from "../../shared/model/envelope.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
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
import { DevSlackSink, withDevSlackWebhooks, type DevSlackMessage } from "./slack-sink.ts";
import { startDailyTimer, startDiscordPolling, startPolling } from "./timers.ts";
import { QueueJournal, type PendingMessage } from "./journal.ts";
import { SqsEventSourcePoller } from "./poller.ts";
import { JOURNAL_ID, JournaledEnvelopeQueue, redriveDeadLetters, restoreFromJournal, sendBatch } from "./queue.ts";
import { sendDeadLetter } from "../../shared/queue/dead-letter.ts";
import type { SQSRecord } from "aws-lambda";
import { supervise } from "./supervisor.ts";

export const LOCAL_TABLE = "community-signals";
/** The local queue's write-ahead journal, in the data dir (see journal.ts). */
export const JOURNAL_FILE = "queue-journal.jsonl";
const QUEUE_NAME = "community-signals-ingest";
const DLQ_NAME = "community-signals-ingest-dlq";
/** The local export bucket; its objects are files under `<data dir>/s3/<bucket>/`. */
export const LOCAL_EXPORT_BUCKET = "community-signals-export";
/** The local raw archive bucket (deliveries for `reprocess`, claim-checked bodies). */
export const LOCAL_RAW_BUCKET = "community-signals-raw";
const LOCAL_BUCKETS = [LOCAL_EXPORT_BUCKET, LOCAL_RAW_BUCKET];
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
  /**
   * The one clock of the stack: received-at stamps, signature windows, link expiry, the
   * Discord look-back and the daily digest and export timers all read it.
   */
  clock: Clock;
}

export interface LocalStack {
  url: string;
  webhookUrls: Record<string, string>;
  mailViewerUrl: string;
  /** The page of Slack messages the stack's own Slack received (`/dev/slack`). */
  slackViewerUrl: string;
  /** Those messages, oldest first. */
  slackInbox(): DevSlackMessage[];
  endpoints: DevLockInfo["endpoints"];
  /** Mail the local SES server accepted, oldest first. */
  outbox(): Promise<SentMail[]>;
  store: SignalStore;
  /** The export bucket on the local S3 server (what the export function writes in AWS). */
  exportSink: S3ExportSink;
  /** Folder holding the local S3 server's buckets (`<data dir>/s3`). */
  s3Directory: string;
  health(): Promise<HealthReport>;
  /**
   * Fault drills: stop the local bucket server (s3rver) and start it again on the same port and
   * folder, to see what the stack does while it is gone (tests use it; nothing else should).
   */
  faults: { stopBucketServer(): Promise<void>; startBucketServer(): Promise<void>; stopQueueServer(): Promise<void> };
  /** Resolves once the queue is empty and nothing is in flight. */
  drained(timeoutMs?: number): Promise<HealthReport>;
  stop(): Promise<void>;
}

export interface HealthReport {
  /** `degraded` when a component does not answer or the dead-letter queue holds anything; `problems` says which. */
  status: "ok" | "degraded";
  problems: string[];
  /** Nothing waiting, retrying or being processed (false when the queue cannot be read). */
  drained: boolean;
  /**
   * Each message counted once: `depth` waits to be received, `retrying` failed and waits for
   * its retry, `inFlight` is in the normaliser now.
   */
  queue: { url: string; depth: number; retrying: number; inFlight: number };
  dlq: { url: string; depth: number };
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
 * Queue backlogs saved at a clean stop by versions before the journal; imported into the
 * journal once (then queued from it like everything else) and renamed, so none is lost.
 */
const LEGACY_BACKLOG_FILES = { queue: "queue-backlog.jsonl", dlq: "dlq-backlog.jsonl" } as const;

async function importLegacyBacklog(file: string, journal: QueueJournal, dead: boolean, at: Date, send: (m: PendingMessage[]) => Promise<void>): Promise<number> {
  if (!existsSync(file)) return 0;
  const imported: PendingMessage[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const body = JSON.parse(line) as string;
    let envelope: { id?: unknown; source?: unknown; eventType?: unknown } = {};
    try {
      envelope = JSON.parse(body) as typeof envelope;
    } catch {
      // not an envelope: still kept, under an id of its own
    }
    const message: PendingMessage = { id: typeof envelope.id === "string" ? envelope.id : randomUUID(), body, source: String(envelope.source ?? "unknown"), eventType: String(envelope.eventType ?? "unknown") };
    await journal.appendDurably({ op: "queued", ...message });
    if (dead) {
      message.dead = { reason: "dead-lettered before reasons were kept", at: at.toISOString() };
      await journal.appendDurably({ op: "dead", id: message.id, ...message.dead });
    }
    imported.push(message);
  }
  await send(imported);
  renameSync(file, `${file}.imported`);
  return imported.length;
}

/** Start the whole local stack: emulators, front door, event-source poller and digest timer. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { config, clock } = options;
  const log = options.log ?? (() => {});
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const startedAt = Date.now(); // wall-clock: uptime of this process, not a business time

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
      startDynamoDbLocal({ dataDir: join(dataDir, "dynamodb"), onNotice: log }),
      startSqs(),
      startSes(),
      startS3({ directory: s3Directory, buckets: LOCAL_BUCKETS }),
    ]);
    // DynamoDB Local is a separate JVM that can die on its own: restarted on the same port and files.
    const dynamoSupervisor = supervise(
      "DynamoDB Local",
      dynamo,
      () => startDynamoDbLocal({ dataDir: join(dataDir, "dynamodb"), port: dynamo.port, onNotice: log }),
      log,
    );
    let bucketServer = s3;
    stops.push(() => dynamoSupervisor.stop(), () => sqsServer.stop(), () => ses.stop(), () => bucketServer.stop());
    const faults: LocalStack["faults"] = {
      stopBucketServer: () => bucketServer.stop(),
      // The queue lives in this process: stopped, it stays stopped until the stack restarts.
      stopQueueServer: () => sqsServer.stop(),
      async startBucketServer() {
        bucketServer = await startS3({ directory: s3Directory, buckets: LOCAL_BUCKETS, port: s3.port });
      },
    };
    const exportSink = new S3ExportSink(new S3Client(localS3ClientConfig(s3.endpoint)), LOCAL_EXPORT_BUCKET);
    const archive = new RawArchive(new S3Client({ ...localS3ClientConfig(s3.endpoint), maxAttempts: 2 }), LOCAL_RAW_BUCKET);

    const ddbClient = new DynamoDBClient(localClientConfig(dynamo.endpoint));
    await ensureTable(ddbClient, LOCAL_TABLE);
    const store = new SignalStore(createDocumentClient(localClientConfig(dynamo.endpoint)), LOCAL_TABLE);
    const sqs = new SQSClient(localClientConfig(sqsServer.endpoint));
    const { queueUrl, queueArn, dlqUrl } = await createQueues(sqs, config.queue.maxReceiveCount, config.queue.visibilityTimeoutSeconds);
    // What the last run acknowledged and did not finish, however it ended, is queued again.
    const journalPath = join(dataDir, JOURNAL_FILE);
    // Compacting replaces the file: it happens before the journal is opened for appending.
    const restored = await restoreFromJournal(journalPath, sqs, queueUrl, dlqUrl);
    const journal = await QueueJournal.open(journalPath);
    await importLegacyBacklog(join(dataDir, LEGACY_BACKLOG_FILES.queue), journal, false, clock(), (m) => sendBatch(sqs, queueUrl, m));
    await importLegacyBacklog(join(dataDir, LEGACY_BACKLOG_FILES.dlq), journal, true, clock(), (m) => sendBatch(sqs, dlqUrl, m));
    if (restored.queued > 0) log(`re-queued ${restored.queued} message(s) acknowledged before the last stop and not yet processed`);
    if (restored.dead > 0) log(`${restored.dead} message(s) are still in the dead-letter queue (community-signals redrive moves them back)`);
    stops.push(() => journal.close());

    // Keyed by source name: no prototype, so no key can ever land on Object's own properties.
    const webhookCounts: HealthReport["webhooks"] = Object.create(null) as HealthReport["webhooks"];
    const envelopeQueue = new JournaledEnvelopeQueue(sqs, queueUrl, journal, config.queue.maxMessageBytes);
    const ingest = createIngest({
      config,
      secrets: resolver,
      queue: envelopeQueue,
      claims: archive,
      now: clock,
      observer: {
        outcome(source, outcome, detail) {
          const counts = (webhookCounts[source] ??= {});
          counts[outcome] = (counts[outcome] ?? 0) + 1;
          log(`webhook ${source}: ${outcome}${detail ? ` (${detail})` : ""}`);
        },
      },
    });

    // Why each record last failed (by message id), for the journal when it is dead-lettered.
    const lastFailure = new Map<string, string>();
    const deadLettered = new Set<string>();
    const journalIdOf = (record: SQSRecord) => record.messageAttributes?.[JOURNAL_ID]?.stringValue;
    const normalize = createNormalizeHandler({
      config,
      store,
      archive,
      async deadLetter(record, reason) {
        const at = clock();
        await sendDeadLetter(sqs, dlqUrl, record, reason, at);
        const id = journalIdOf(record);
        if (id) await journal.appendDurably({ op: "dead", id, reason, at: at.toISOString() });
        deadLettered.add(record.messageId);
        log(`record ${record.messageId} is in the dead-letter queue: ${reason}`);
      },
      observer: {
        processed(envelope, activities, stored, skipped = 0) {
          log(`normalized ${envelope.source} ${envelope.eventType}: ${activities} activit${activities === 1 ? "y" : "ies"}, ${stored} new${skipped ? `, ${skipped} unreadable item(s) left out` : ""}`);
        },
        failed(messageId, error, permanent) {
          lastFailure.set(messageId, error.message);
          log(`record ${messageId} failed${permanent ? " for good" : "; it is retried"}: ${error.message}`);
        },
      },
    });
    // Health probes fail fast: one attempt, short time-outs, so /health answers while a component is down.
    const probeDynamo = new DynamoDBClient({ ...localClientConfig(dynamo.endpoint), maxAttempts: 1, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 } });
    // A read of one fixed, absent key: DescribeTable in DynamoDB Local takes time in proportion to
    // the items and holds writers up while it runs (it cut a drain's write rate by two thirds).
    const tableAnswers = () =>
      probeDynamo.send(new GetItemCommand({ TableName: LOCAL_TABLE, Key: { PK: { S: "HEALTH" }, SK: { S: "PROBE" } } })).then(() => true);
    const answers = (url: string) => fetch(url, { method: "HEAD", signal: AbortSignal.timeout(2_000) }).then(() => true);
    const poller = new SqsEventSourcePoller({
      sqs,
      queueUrl,
      queueArn,
      batchSize: config.queue.batchSize,
      visibilityTimeoutSeconds: config.queue.visibilityTimeoutSeconds,
      retryDelaySeconds: options.retryDelaySeconds ?? 2,
      maxAttempts: config.queue.maxReceiveCount,
      dlqUrl,
      now: clock,
      failureReason: (messageId) => lastFailure.get(messageId),
      handler: normalize,
      onError: (err) => log(`poller: ${err.message}`),
      // After failures, nothing is received until the table and the bucket answer: an outage costs no attempts.
      ready: () => Promise.all([tableAnswers(), answers(s3.endpoint)]).then(() => true, () => false),
      onSettled(record, outcome, attempt, reason) {
        lastFailure.delete(record.messageId);
        const id = journalIdOf(record);
        if (outcome === "dead") log(`record ${record.messageId} is in the dead-letter queue after ${attempt} attempts: ${reason ?? "unknown"}`);
        if (!id) return;
        if (outcome === "deleted") {
          // Dead-lettered records are deleted from the queue too; the journal already says where they are.
          if (!deadLettered.delete(record.messageId)) journal.append({ op: "done", id });
        } else if (outcome === "dead") {
          journal.append({ op: "dead", id, reason: reason ?? `failed ${attempt} times`, at: clock().toISOString() });
        }
      },
    });
    poller.start();
    stops.push(() => poller.stop());

    const probeSqs = new SQSClient({ ...localClientConfig(sqsServer.endpoint), maxAttempts: 1, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 } });
    const health = async (): Promise<HealthReport> => {
      const problems: string[] = [];
      const down = (what: string) => (err: Error) => {
        problems.push(`${what} does not answer (${err.name})`);
        return null;
      };
      const inFlight = poller.inFlight;
      const [q, d] = await Promise.all([
        depth(probeSqs, queueUrl).catch(down("the queue (SQS)")),
        depth(probeSqs, dlqUrl).catch(() => null),
        tableAnswers().catch(down("the table (DynamoDB Local)")),
        answers(ses.endpoint).catch(down("the mail server (SES)")),
        answers(s3.endpoint).catch(down("the bucket server (S3)")),
      ]);
      const dlqDepth = d ? d.visible + d.notVisible + d.delayed : 0;
      if (dlqDepth > 0) problems.push(`${dlqDepth} message(s) in the dead-letter queue (see the dev log for why; community-signals redrive moves them back)`);
      // Retries wait as delayed messages; everything else not visible is in the normaliser.
      const retrying = Math.min(poller.retryingCount, q ? q.delayed : 0);
      return {
        status: problems.length === 0 ? "ok" : "degraded",
        problems,
        drained: q !== null && q.visible === 0 && q.notVisible === 0 && q.delayed === 0 && inFlight === 0,
        queue: { url: queueUrl, depth: q ? q.visible + q.delayed - retrying : 0, retrying, inFlight },
        dlq: { url: dlqUrl, depth: dlqDepth },
        processed: poller.stats,
        webhooks: webhookCounts,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), // wall-clock: uptime
      };
    };

    const mailer = new Mailer(new SESv2Client(localClientConfig(ses.endpoint)));
    // Slack recipients: a webhook whose env var is not set posts to slackSink (its URL is known once
    // the front door listens, hence the getter); sources.slack.apiBaseUrl may point at it too.
    const slackSink = new DevSlackSink(clock);
    let frontUrl = "";
    const slack = resolveSlackDelivery(config, { get: (name) => withDevSlackWebhooks(resolver, config, frontUrl).get(name) });
    const sources = enabledWebhookSources(config).map((s) => s.source);
    let front!: Awaited<ReturnType<typeof startFrontDoor>>;
    front = await startFrontDoor(
      {
        webhook: ingest,
        actions: localActionsRoute({ config, store, secrets: resolver, now: clock, log }),
        devSlack: (method, path, contentType, body) => slackSink.handle(method, path, contentType, body),
        health,
        enqueue: async (body) => {
          let queued = 0;
          let refused = 0;
          for (const line of body.toString("utf8").split("\n")) {
            if (!line.trim()) continue;
            let json: unknown;
            try {
              json = JSON.parse(line);
            } catch {
              refused++;
              continue;
            }
            const parsed = EnvelopeSchema.safeParse(json);
            if (!parsed.success) {
              refused++;
              continue;
            }
            await envelopeQueue.send({ ...parsed.data, replay: true });
            queued++;
          }
          return { queued, refused };
        },
        redrive: async (source) => {
          const result = await redriveDeadLetters(sqs, { dlqUrl, queueUrl }, { journal, ...(source ? { source } : {}) });
          log(`redrive${source ? ` (${source})` : ""}: ${result.moved} dead letter(s) back in the queue, ${result.kept} kept`);
          return result;
        },
        index: () =>
          [
            "community-signals local stack",
            "",
            ...sources.map((s) => `POST ${front.url}/webhooks/${s}`),
            `GET  ${front.url}/health`,
            `mail viewer: ${ses.viewerUrl}`,
            `slack viewer: ${front.url}/dev/slack (webhook: POST ${front.url}/dev/slack/webhook/<name>; Web API: ${front.url}/dev/slack/api)`,
          ].join("\n"),
      },
      { port: options.port, maxBodyBytes: config.queue.maxBodyBytes, onError: (err) => log(`front door: ${err.message}`) },
    );
    stops.push(() => front.close());
    frontUrl = front.url;

    if (options.schedule ?? true) {
      const timer = startDailyTimer(
        clock,
        digestSchedules(config),
        async ({ time, timeZone }, at) => {
          const links = await resolveActionLinks(config, resolver, front.url);
          const slackNames = await resolveSlackNames(config, resolver, { cache: store.names, now: clock, log });
          const results = await sendDigests({ config, store, mailer, links, slackNames, slack, now: clock }, { at, time, timeZone });
          for (const r of results) log(`digest for ${r.recipient} by ${r.channel} (${r.day}): ${r.outcome}, ${r.openQuestions} open question(s)${r.error ? `: ${r.error}` : ""}${r.warning ? ` (${r.warning})` : ""}`);
        },
        ({ time, timeZone }, err) => log(`digest (${time} ${timeZone}) failed: ${err.message}`),
      );
      stops.push(async () => clearInterval(timer));
      const exportTimer = startDailyTimer(
        clock,
        [{ time: config.analytics.exportTime, timeZone: config.analytics.timeZone }],
        async (_schedule, at) => {
          const results = await runDailyExport({ config, store, sink: exportSink, now: clock }, at);
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
          runDiscordPoll({ config, store, queue: envelopeQueue, token, now: clock, log: (line) => log(line) }).then((outcome) => {
            if (outcome.ran && outcome.report.envelopesSent > 0) log(`discord: ${outcome.report.messagesRead} message(s) read, ${outcome.report.envelopesSent} envelope(s) queued`);
          }),
        (err) => log(`discord poll failed: ${err.message}`));
        stops.push(stopPolling);
      }
    }

    // Stack Overflow: polled at start and every pollIntervalSeconds; the key is optional.
    const stackoverflow = config.sources.stackoverflow;
    if (stackoverflow?.enabled) {
      const key = stackExchangeKeyFrom(await resolver.get(stackoverflow.keySecretName));
      if (!key) log(`${stackoverflow.keySecretName} is not set: Stack Overflow is polled on the anonymous quota (300 requests a day)`);
      const stopPolling = startPolling(stackoverflow.pollIntervalSeconds, () =>
        runStackOverflowPoll({ config, store, queue: envelopeQueue, key, now: clock, log: (line) => log(line) }).then((outcome) => {
          if (outcome.ran && outcome.report.envelopesSent > 0) {
            log(`stackoverflow: ${outcome.report.questionsQueued} question(s) queued in ${outcome.report.envelopesSent} envelope(s)`);
          }
        }),
      (err) => log(`stackoverflow poll failed: ${err.message}`));
      stops.push(stopPolling);
    }

    const endpoints = { dynamodb: dynamo.endpoint, sqs: sqsServer.endpoint, ses: ses.endpoint, queueUrl, dlqUrl, http: front.url, s3: s3.endpoint };
    lock.update({ pid: process.pid, startedAt: new Date(startedAt).toISOString(), port: Number(new URL(front.url).port), endpoints });
    stops.unshift(async () => lock.release());

    return {
      url: front.url,
      webhookUrls: Object.fromEntries(sources.map((s) => [s, `${front.url}/webhooks/${s}`])),
      mailViewerUrl: ses.viewerUrl,
      slackViewerUrl: `${front.url}/dev/slack`,
      slackInbox: () => slackSink.inbox(),
      endpoints,
      outbox: () => ses.outbox(),
      store,
      exportSink,
      s3Directory,
      health,
      faults,
      async drained(timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs; // wall-clock: a time-out
        for (;;) {
          const report = await health();
          if (report.drained) return report;
          // wall-clock: a time-out
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
  /** The raw archive bucket on the same server, with `needs.s3`. */
  rawArchive: RawArchive | null;
}

export async function withLocalServices<T>(
  dataDir: string,
  needs: { ses?: boolean; s3?: boolean; /** Named in the message another process gets while this one holds the data dir. */ command?: string },
  fn: (services: LocalServices) => Promise<T>,
): Promise<T> {
  const dir = resolve(dataDir);
  const running = readDevLock(dir);
  if (running && running.endpoints.dynamodb) {
    const store = new SignalStore(createDocumentClient(localClientConfig(running.endpoints.dynamodb)), LOCAL_TABLE);
    const mailer = needs.ses ? new Mailer(new SESv2Client(localClientConfig(running.endpoints.ses))) : null;
    // A dev started before the S3 server existed has no s3 endpoint: serve the same folder ourselves.
    const ownS3 = needs.s3 && !running.endpoints.s3 ? await startS3({ directory: localS3Directory(dir), buckets: LOCAL_BUCKETS }) : null;
    try {
      const s3Endpoint = ownS3?.endpoint ?? running.endpoints.s3;
      const exportSink = needs.s3 && s3Endpoint ? new S3ExportSink(new S3Client(localS3ClientConfig(s3Endpoint)), LOCAL_EXPORT_BUCKET) : null;
      const rawArchive = needs.s3 && s3Endpoint ? new RawArchive(new S3Client(localS3ClientConfig(s3Endpoint)), LOCAL_RAW_BUCKET) : null;
      return await fn({ store, mailer, viaDev: true, mailViewerUrl: running.endpoints.ses || null, exportSink, rawArchive });
    } finally {
      await ownS3?.stop();
    }
  }
  // Hold the data dir while our own DynamoDB Local uses it, so no dev can start on it meanwhile.
  // wall-clock: when this process took the lock, for a person reading the lock file
  const lock = acquireDevLock(dir, { pid: process.pid, startedAt: new Date().toISOString(), port: 0, command: needs.command ?? "a command" });
  let dynamo: DynamoDbLocal | null = null;
  let ses: Awaited<ReturnType<typeof startSes>> | null = null;
  let s3: LocalS3 | null = null;
  try {
    [dynamo, ses, s3] = await Promise.all([
      startDynamoDbLocal({ dataDir: join(dir, "dynamodb"), onNotice: (line) => console.error(line) }),
      needs.ses ? startSes() : Promise.resolve(null),
      needs.s3 ? startS3({ directory: localS3Directory(dir), buckets: LOCAL_BUCKETS }) : Promise.resolve(null),
    ]);
    await ensureTable(new DynamoDBClient(localClientConfig(dynamo.endpoint)), LOCAL_TABLE);
    const store = new SignalStore(createDocumentClient(localClientConfig(dynamo.endpoint)), LOCAL_TABLE);
    const mailer = ses ? new Mailer(new SESv2Client(localClientConfig(ses.endpoint))) : null;
    const exportSink = s3 ? new S3ExportSink(new S3Client(localS3ClientConfig(s3.endpoint)), LOCAL_EXPORT_BUCKET) : null;
    const rawArchive = s3 ? new RawArchive(new S3Client(localS3ClientConfig(s3.endpoint)), LOCAL_RAW_BUCKET) : null;
    return await fn({ store, mailer, viaDev: false, mailViewerUrl: ses?.viewerUrl ?? null, exportSink, rawArchive });
  } finally {
    await s3?.stop();
    await ses?.stop();
    await dynamo?.stop();
    lock.release();
  }
}
