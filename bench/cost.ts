// What a webhook costs in AWS: DynamoDB requests and capacity measured against DynamoDB Local
// through the real ingest and normalisation code, priced at on-demand list prices.
import { latestSampleTime, loadSamples, rebaseSamples } from "../infra/cli/replay.ts";
import { RecipientSchema, recipientId } from "../shared/model/config.ts";
import { basename } from "node:path";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { digestAt } from "../functions/digest/app.ts";
import { createIngest } from "../functions/ingest/app.ts";
import { normalizeEnvelope } from "../functions/normalize/app.ts";
import { localClientConfig } from "../infra/local/emulators/clients.ts";
import { startDynamoDbLocal } from "../infra/local/emulators/dynamodb-local.ts";
import { startSqs } from "../infra/local/emulators/sqs.ts";
import type { Config } from "../shared/model/config.ts";
import type { Envelope } from "../shared/model/envelope.ts";
import { EnvelopeQueue } from "../shared/queue/envelope-queue.ts";
import { EnvSecretResolver } from "../shared/secrets/resolver.ts";
import { signGitHubBody } from "../shared/sources/github/index.ts";
import { createDocumentClient } from "../shared/store/client.ts";
import { ensureTable } from "../shared/store/create-table.ts";
import { SignalStore } from "../shared/store/store.ts";
import { INDEXES } from "../shared/store/table.ts";
import { exampleEnvelopes } from "./normalisation.ts";

/**
 * AWS list prices, us-east-1, on demand, as published on the AWS pricing pages in 2025
 * (DynamoDB after its November 2024 on-demand reduction). Typed in, not fetched: check them
 * before quoting the result. Free tiers are ignored.
 */
export const PRICES = {
  asOf: "2025 (us-east-1 list prices; DynamoDB on-demand after the Nov 2024 reduction)",
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  sqsPerMillionRequests: 0.4, // standard queue; each 64 KiB of payload is one request
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  sesPer1000Emails: 0.1,
  httpApiPerMillionRequests: 1.0, // first 300 million a month; 512 KB increments
  logsPerGbIngested: 0.5, // CloudWatch Logs, standard class
  customMetricPerMonth: 0.3, // first 10,000 metrics
  s3PutPer1000: 0.005, // S3 Standard PUT, COPY, POST, LIST
  s3StandardPerGbMonth: 0.023, // first 50 TB
} as const;

/** Stated assumptions; everything else in the table is measured. */
export const ASSUMPTIONS = {
  memoryMb: 512, // SignalsFunction's default; the stack sets no other size
  /** Lambda's SQS poller: a batch closes at batchSize messages or after the batching window. */
  webhooksPerMonth: 1_000_000,
  digestRecipients: 10,
  digestDaysPerMonth: 30,
  /** One SES SendEmail round trip, added to the measured digest build (SES is not emulated for timing). */
  sesSendMs: 60,
  /**
   * Lambda's own START, END and REPORT lines of one invocation (text format), as AWS prints them:
   * 75 + 52 + about 130 bytes. Ingest turns them off (quietPlatformLogs); the normaliser prints
   * them once a batch. Every other log line is measured (measureLogBytes).
   */
  platformLogBytesPerInvocation: 257,
  /**
   * Lambda's SQS event source long-polls with about five pollers while the queue is idle:
   * 5 x 3 receives a minute, billed whatever the traffic.
   */
  sqsIdleReceivesPerMonth: 5 * 3 * 60 * 24 * 30,
  /** Webhooks x 8 outcomes (at most), 2 + 2 normalize, 2 digest; each metric+dimension set counts once. */
  customMetrics: 14,
} as const;

interface Capacity {
  requests: number;
  readUnits: number;
  writeUnits: number;
  conditionalFailures: number;
}
const zero = (): Capacity => ({ requests: 0, readUnits: 0, writeUnits: 0, conditionalFailures: 0 });

const READ_COMMANDS = new Set(["GetCommand", "QueryCommand", "ScanCommand", "BatchGetCommand"]);

/**
 * Wrap the document client's `send` so every call asks for ReturnConsumedCapacity TOTAL and
 * adds what DynamoDB reports to `meter.current`. A write whose condition fails reports no
 * capacity in its error, yet AWS bills it (the existing item's size, at least 1 unit, table
 * only); it is counted as ceil(attempted item size / 1 KB) write units, the same size for a
 * redelivered activity.
 */
function meterDocumentClient(ddb: DynamoDBDocumentClient): Meter {
  const meter: Meter = { current: zero(), writesByItem: new Map() };
  const addWrite = (what: string, units: number) => meter.writesByItem.set(what, (meter.writesByItem.get(what) ?? 0) + units);
  const send = ddb.send.bind(ddb) as (command: unknown) => Promise<unknown>;
  (ddb as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    const name = (command as object).constructor.name;
    const input = (command as { input: Record<string, unknown> }).input;
    // INDEXES: the total, and the table's and each index's share (for the write breakdown).
    input.ReturnConsumedCapacity = "INDEXES";
    const capacity = meter.current;
    capacity.requests++;
    try {
      const output = (await send(command)) as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
      // Batch calls report one entry per table.
      const consumed = output.ConsumedCapacity;
      const units = Array.isArray(consumed)
        ? consumed.reduce<number | undefined>((sum, c) => (c.CapacityUnits === undefined ? sum : (sum ?? 0) + c.CapacityUnits), undefined)
        : consumed?.CapacityUnits;
      if (units === undefined) throw new Error(`${name} returned no ConsumedCapacity: cannot meter it`);
      if (READ_COMMANDS.has(name)) capacity.readUnits += units;
      else capacity.writeUnits += units;
      if (!READ_COMMANDS.has(name) && consumed && !Array.isArray(consumed)) {
        const what = writtenItem(input);
        addWrite(`${what}\ttable`, consumed.Table?.CapacityUnits ?? units);
        for (const [index, used] of Object.entries(consumed.GlobalSecondaryIndexes ?? {})) addWrite(`${what}\t${INDEX_LABELS[index] ?? index}`, used.CapacityUnits ?? 0);
      }
      return output;
    } catch (err) {
      if ((err as Error).name !== "ConditionalCheckFailedException") throw err;
      capacity.conditionalFailures++;
      const refused = Math.max(1, Math.ceil(itemBytes((input.Item ?? {}) as Record<string, unknown>) / 1024));
      capacity.writeUnits += refused;
      addWrite(`${writtenItem(input)}\ttable`, refused);
      throw err;
    }
  };
  return meter;
}

interface Meter {
  current: Capacity;
  /** Write units by item kind and by the table or index they were billed to ("<kind>\t<table|index>"), since the last reset. */
  writesByItem: Map<string, number>;
}

const INDEX_LABELS: Record<string, string> = Object.fromEntries(
  Object.entries({ openQuestions: "open-question index", byDay: "by-day index", byMember: "by-member index" }).map(([key, label]) => [INDEXES[key as keyof typeof INDEXES].indexName, label]),
);

/** What kind of item a write wrote, by its key (the item shapes of shared/store/table.ts). */
function writtenItem(input: Record<string, unknown>): string {
  const key = (input.Item ?? input.Key ?? {}) as { PK?: unknown; SK?: unknown };
  const pk = String(key.PK ?? "");
  const sk = String(key.SK ?? "");
  if (sk === "SUMMARY") return "thread summaries";
  if (sk.startsWith("ACT#") || sk === "ACT") return "activities";
  if (pk.startsWith("ACTDAY#")) return sk.startsWith("Q#") ? "question markers" : "day markers";
  if (pk.startsWith("MEMBER#")) return "member markers";
  if (pk.startsWith("ASKER#")) return "ASKER# marks";
  if (pk.startsWith("TOUCHED#")) return "TOUCHED# (late day) markers";
  return `${pk.replace(/#.*$/, "")}# items`;
}

/**
 * An item's size as DynamoDB counts it: each attribute's name plus its value (strings as UTF-8,
 * binary as its bytes, numbers about one byte per two digits plus one, maps and lists their
 * members plus 3 bytes, 1 byte per member).
 */
function itemBytes(item: Record<string, unknown>): number {
  const value = (v: unknown): number => {
    if (typeof v === "string") return Buffer.byteLength(v);
    if (v instanceof Uint8Array) return v.byteLength;
    if (typeof v === "number") return Math.ceil(String(Math.abs(v)).replace(/[.-]/g, "").length / 2) + 1;
    if (typeof v === "boolean" || v === null || v === undefined) return 1;
    if (Array.isArray(v)) return 3 + v.reduce((sum: number, x) => sum + 1 + value(x), 0);
    if (typeof v === "object") return 3 + Object.entries(v).reduce((sum, [k, x]) => sum + 1 + Buffer.byteLength(k) + value(x), 0);
    return Buffer.byteLength(String(v));
  };
  return Object.entries(item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + value(v), 0);
}

interface Sample {
  file: string;
  event: string;
  body: string;
  /** When the platform sent it: the latest time in its payload. */
  deliveredAt: Date;
}

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;
const latestTimeIn = (body: string) => new Date(Math.max(...(body.match(ISO_TIME) ?? []).map((t) => Date.parse(t))));

/**
 * The sample week, moved by whole days so its last delivery falls within the last day; each is
 * received at its own time, so none counts as a late arrival (which costs an extra marker
 * write). Whole days keep every delivery's time of day, so the UTC days the week spans, and with
 * them the day markers it writes, are the same whenever the bench runs.
 */
function githubSamples(): Sample[] {
  const dir = new URL("../infra/local/samples/github/", import.meta.url).pathname;
  const samples = loadSamples(dir);
  const latest = latestSampleTime(samples);
  const days = Math.floor((Date.now() - latest) / 86_400_000);
  return rebaseSamples(samples, new Date(latest + days * 86_400_000)).map((s) => {
    const body = JSON.stringify(s.payload);
    return { file: basename(s.file), event: s.event ?? "", body, deliveredAt: latestTimeIn(body) };
  });
}

interface Measured {
  webhooks: number;
  perEvent: Map<string, { count: number; capacity: Capacity }>;
  total: Capacity;
  normalizeMs: number;
}

async function normalizeAll(envelopes: Envelope[], deps: { config: Config; store: SignalStore }, meter: Meter): Promise<Measured> {
  const perEvent = new Map<string, { count: number; capacity: Capacity }>();
  const total = zero();
  let normalizeMs = 0;
  for (const envelope of envelopes) {
    meter.current = zero();
    const start = performance.now();
    await normalizeEnvelope(envelope, deps);
    normalizeMs += performance.now() - start;
    const row = perEvent.get(envelope.eventType) ?? { count: 0, capacity: zero() };
    row.count++;
    for (const key of Object.keys(total) as (keyof Capacity)[]) {
      row.capacity[key] += meter.current[key];
      total[key] += meter.current[key];
    }
    perEvent.set(envelope.eventType, row);
  }
  return { webhooks: envelopes.length, perEvent, total, normalizeMs };
}

/** The numbers `npm run bench -- cost --json` reports: the sample week's mix, per webhook. */
export interface CostSummary {
  usdPerMillionWebhooks: number;
  wruPerWebhook: number;
  rruPerWebhook: number;
}

export async function runCostBench(config: Config): Promise<CostSummary> {
  const [dynamo, sqs] = await Promise.all([startDynamoDbLocal(), startSqs()]);
  try {
    const tableName = "signals-bench";
    await ensureTable(new DynamoDBClient(localClientConfig(dynamo.endpoint)), tableName);
    const ddb = createDocumentClient(localClientConfig(dynamo.endpoint));
    const meter = meterDocumentClient(ddb);
    const store = new SignalStore(ddb, tableName);
    const deps = { config, store };

    // Ingest, for real: signature check, classification, SendMessage to a local queue.
    const sqsClient = new SQSClient(localClientConfig(sqs.endpoint));
    const { QueueUrl } = await sqsClient.send(new CreateQueueCommand({ QueueName: "signals-bench" }));
    const queue = new EnvelopeQueue(sqsClient, QueueUrl ?? "", config.queue.maxMessageBytes);
    const queued: { envelope: Envelope; bytes: number }[] = [];
    const secret = "bench-secret-0123456789";
    let deliveredAt = new Date();
    const ingest = createIngest({
      config,
      // Each webhook is received when the platform sent it, as in real traffic (none is late).
      now: () => deliveredAt,
      secrets: new EnvSecretResolver({ [config.sources.github?.secretName ?? "GITHUB_WEBHOOK_SECRET"]: secret }),
      queue: {
        send: async (envelope) => {
          queued.push({ envelope, bytes: Buffer.byteLength(JSON.stringify(envelope)) });
          return queue.send(envelope);
        },
      },
    });
    const samples = githubSamples();
    let ingestMs = 0;
    for (const [i, sample] of samples.entries()) {
      deliveredAt = sample.deliveredAt;
      const start = performance.now();
      const answer = await ingest({
        method: "POST",
        path: "/webhooks/github",
        headers: {
          "content-type": "application/json",
          "x-github-event": sample.event,
          "x-github-delivery": `bench-${i}`,
          "x-hub-signature-256": signGitHubBody(secret, sample.body),
        },
        body: Buffer.from(sample.body),
      });
      ingestMs += performance.now() - start;
      if (answer.status !== 202) throw new Error(`ingest answered ${answer.status} to ${sample.file}: ${answer.body}`);
    }
    sqsClient.destroy();

    meter.writesByItem.clear();
    const week = await normalizeAll(queued.map((q) => q.envelope), deps, meter);
    const weekWrites = new Map(meter.writesByItem);
    const redelivered = await normalizeAll(queued.map((q) => q.envelope), deps, meter);
    const examples = await normalizeAll(exampleEnvelopes("cost"), deps, meter);

    // One recipient's digest: the reads it makes over the week's threads, and its send claim.
    meter.current = zero();
    const digestStart = performance.now();
    const recipient = RecipientSchema.parse({ email: "bench@example.org" });
    // The morning after the week: its open questions, and its questions in the 7-day numbers.
    const digestTime = new Date(Math.max(...samples.map((s) => s.deliveredAt.getTime())) + 3_600_000);
    await digestAt(deps, digestTime, recipient);
    await store.claimDigestSend(recipientId(recipient), digestTime.toISOString().slice(0, 10), { claimedAt: digestTime.toISOString() });
    const digestMs = performance.now() - digestStart + ASSUMPTIONS.sesSendMs;
    const digestCapacity = meter.current;

    printMeasurements(week, redelivered, examples, digestCapacity);
    printWriteBreakdown(week, weekWrites);
    const envelopeBytes = queued.map((q) => q.bytes);
    const archiveLines = queued.map((q) => JSON.stringify(q.envelope)).join("\n") + "\n";
    const usdPerMillionWebhooks = printCostTable(config, {
      logs: await measureLogBytes(queued[0]!.envelope),
      archiveBytesPerWebhook: gzipSync(archiveLines).byteLength / queued.length,
      week,
      ingestMsPerWebhook: ingestMs / samples.length,
      envelopeBytes,
      digestMs,
      digestCapacity,
    });
    ddb.destroy();
    const perWebhook = per(week.total, week.webhooks);
    return { usdPerMillionWebhooks, wruPerWebhook: perWebhook.writeUnits, rruPerWebhook: perWebhook.readUnits };
  } finally {
    await Promise.all([dynamo.stop(), sqs.stop()]);
  }
}

const per = (capacity: Capacity, n: number) => ({
  requests: capacity.requests / n,
  readUnits: capacity.readUnits / n,
  writeUnits: capacity.writeUnits / n,
});

function printMeasurements(week: Measured, redelivered: Measured, examples: Measured, digest: Capacity): void {
  const line = (label: string, n: number, c: Capacity) => {
    const p = per(c, n);
    return `  ${label.padEnd(38)} ${String(n).padStart(4)} ${p.requests.toFixed(2).padStart(9)} ${p.writeUnits.toFixed(2).padStart(7)} ${p.readUnits.toFixed(2).padStart(7)}`;
  };
  console.log("DynamoDB per webhook, measured on DynamoDB Local (ReturnConsumedCapacity TOTAL on every call)");
  console.log(`  ${"webhooks".padEnd(38)} ${"n".padStart(4)} ${"requests".padStart(9)} ${"WRU".padStart(7)} ${"RRU".padStart(7)}`);
  for (const [event, row] of [...week.perEvent].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(line(`  infra/local/samples/github ${event}`, row.count, row.capacity));
  }
  console.log(line("infra/local/samples/github (a week, the mix)", week.webhooks, week.total));
  console.log(line("the same week redelivered", redelivered.webhooks, redelivered.total));
  console.log(line("@octokit/webhooks-examples (all)", examples.webhooks, examples.total));
  console.log(
    `  one digest (1 recipient, ${digest.requests} requests): ${digest.readUnits.toFixed(1)} RRU, ${digest.writeUnits.toFixed(1)} WRU` +
      `; redelivery: ${redelivered.total.conditionalFailures} conditional puts refused, billed as ${redelivered.total.writeUnits} WRU`,
  );
}

/** Where the week's write units go: each kind of item, with its table and index shares. */
function printWriteBreakdown(week: Measured, writes: Map<string, number>): void {
  const kinds = new Map<string, { total: number; parts: [string, number][] }>();
  for (const [key, units] of writes) {
    const [what = "", where = ""] = key.split("\t");
    const kind = kinds.get(what) ?? { total: 0, parts: [] };
    kind.total += units;
    kind.parts.push([where, units]);
    kinds.set(what, kind);
  }
  const units = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
  console.log(`  where the week's ${units(week.total.writeUnits)} write units go (${week.webhooks} webhooks; ReturnConsumedCapacity INDEXES):`);
  for (const [what, { total, parts }] of [...kinds].sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]))) {
    const split = parts.length > 1 ? ` (${parts.sort((a, b) => b[1] - a[1]).map(([where, n]) => `${where} ${units(n)}`).join(", ")})` : "";
    console.log(`    ${what.padEnd(30)} ${units(total).padStart(5)}${split}`);
  }
}

/**
 * The log lines a webhook makes, printed by the real Powertools Logger and Metrics with the
 * messages and fields the handlers use (functions/ingest/handler.ts, functions/normalize/app.ts
 * and handler.ts), captured from stdout; plus the HTTP API's access log line in the stack's
 * format (infra/aws/constructs/webhook-api.ts) with typical values.
 */
async function measureLogBytes(sample: Envelope): Promise<{ ingestPerWebhook: number; normalizePerWebhook: number; normalizePerBatch: number; accessPerWebhook: number }> {
  const { Logger } = await import("@aws-lambda-powertools/logger");
  const { Metrics, MetricUnit } = await import("@aws-lambda-powertools/metrics");
  const write = process.stdout.write.bind(process.stdout);
  let captured = 0;
  const capture = async (emit: () => void) => {
    captured = 0;
    (process.stdout as { write: unknown }).write = (chunk: string | Uint8Array) => {
      captured += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
      return true;
    };
    try {
      emit();
    } finally {
      (process.stdout as { write: unknown }).write = write;
    }
    return captured;
  };
  const service = { serviceName: "community-signals-ingest" };
  const logger = new Logger(service);
  const metrics = new Metrics({ ...service, namespace: "CommunitySignals" });
  const ingestPerWebhook = await capture(() => {
    // A queued webhook's "webhook" line is DEBUG (functions/ingest/handler.ts): not printed at INFO.
    logger.debug("webhook", { source: sample.source, outcome: "queued", detail: sample.eventType });
    metrics.singleMetric().addDimension("outcome", "queued").addMetric("Webhooks", MetricUnit.Count, 1);
  });
  const normalizer = new Logger({ serviceName: "community-signals-normalize" });
  const normalizePerWebhook = await capture(() =>
    normalizer.info("normalized", {
      envelopeId: sample.id,
      source: sample.source,
      eventType: sample.eventType,
      deliveryId: sample.deliveryId,
      activities: 1,
      stored: 1,
      skipped: 0,
      ignored: false,
    }),
  );
  const batchMetrics = new Metrics({ serviceName: "community-signals-normalize", namespace: "CommunitySignals" });
  const normalizePerBatch = await capture(() => {
    for (const name of ["EnvelopesProcessed", "ActivitiesStored", "ItemsSkipped"]) batchMetrics.addMetric(name, MetricUnit.Count, 10);
    batchMetrics.publishStoredMetrics();
  });
  const accessPerWebhook = Buffer.byteLength(
    JSON.stringify({
      requestId: "ABCdeFGhIJKLmno=",
      ip: "140.82.115.100",
      requestTime: "02/Dec/2026:04:21:09 +0000",
      routeKey: "POST /webhooks/{source}",
      status: "202",
      responseLength: "43",
      latency: "45",
      integrationError: "-",
      userAgent: "GitHub-Hookshot/a1b2c3d",
    }) + "\n",
  );
  return { ingestPerWebhook, normalizePerWebhook, normalizePerBatch, accessPerWebhook };
}

interface CostInputs {
  /** Log bytes, measured by measureLogBytes. */
  logs: Awaited<ReturnType<typeof measureLogBytes>>;
  /** Gzip bytes per webhook in the raw archive (the week as one batch, as RawArchive writes it). */
  archiveBytesPerWebhook: number;
  week: Measured;
  ingestMsPerWebhook: number;
  envelopeBytes: number[];
  digestMs: number;
  digestCapacity: Capacity;
}

/** Prints the month's bill; returns the per-million-webhooks subtotal in USD. */
function printCostTable(config: Config, m: CostInputs): number {
  const n = ASSUMPTIONS.webhooksPerMonth;
  const gb = ASSUMPTIONS.memoryMb / 1024;
  const ratePerSecond = n / (30 * 86_400);
  const window = config.aws.normalizer.batchingWindowSeconds;
  // Messages the poller collects before the window closes, capped by the batch size.
  const batch = Math.max(1, Math.min(config.aws.normalizer.batchSize, ratePerSecond * window));
  const chunks = (bytes: number) => Math.max(1, Math.ceil(bytes / 65_536));
  const meanChunks = m.envelopeBytes.reduce((s, b) => s + chunks(b), 0) / m.envelopeBytes.length;
  const meanBytes = m.envelopeBytes.reduce((s, b) => s + b, 0) / m.envelopeBytes.length;
  const normalizeMs = m.week.normalizeMs / m.week.webhooks;
  const ddb = per(m.week.total, m.week.webhooks);
  const digests = ASSUMPTIONS.digestRecipients * ASSUMPTIONS.digestDaysPerMonth;

  // Lambda bills whole milliseconds per invocation.
  const ingestBilledMs = Math.ceil(m.ingestMsPerWebhook);
  const normalizeBilledMsPerInvocation = Math.ceil(normalizeMs * batch);
  // Access log + ingest's lines (no platform lines) + the normaliser's line, and its batch's share.
  const logBytes =
    m.logs.accessPerWebhook + m.logs.ingestPerWebhook + m.logs.normalizePerWebhook + (m.logs.normalizePerBatch + ASSUMPTIONS.platformLogBytesPerInvocation) / batch;
  const sqsRequestsPerWebhook = meanChunks + Math.max(1 / batch, meanBytes / 65_536) + 1 / batch;

  const rows: [string, string, number][] = [
    ["HTTP API", `${n.toLocaleString("en")} requests`, (n / 1e6) * PRICES.httpApiPerMillionRequests],
    ["Lambda ingest requests", `${n.toLocaleString("en")} invocations`, (n / 1e6) * PRICES.lambdaPerMillionRequests],
    [
      "Lambda ingest compute",
      `${ingestBilledMs} ms x ${ASSUMPTIONS.memoryMb} MB each`,
      n * (ingestBilledMs / 1000) * gb * PRICES.lambdaArmPerGbSecond,
    ],
    [
      "SQS",
      `${sqsRequestsPerWebhook.toFixed(2)} requests/webhook (send, receive, delete)`,
      ((n * sqsRequestsPerWebhook) / 1e6) * PRICES.sqsPerMillionRequests,
    ],
    ["Lambda normalize requests", `${Math.round(n / batch).toLocaleString("en")} batches of ${batch.toFixed(1)}`, (n / batch / 1e6) * PRICES.lambdaPerMillionRequests],
    [
      "Lambda normalize compute",
      `${normalizeBilledMsPerInvocation} ms x ${ASSUMPTIONS.memoryMb} MB per batch`,
      (n / batch) * (normalizeBilledMsPerInvocation / 1000) * gb * PRICES.lambdaArmPerGbSecond,
    ],
    ["DynamoDB writes", `${ddb.writeUnits.toFixed(2)} WRU/webhook`, ((n * ddb.writeUnits) / 1e6) * PRICES.dynamoPerMillionWriteUnits],
    ["DynamoDB reads", `${ddb.readUnits.toFixed(2)} RRU/webhook`, ((n * ddb.readUnits) / 1e6) * PRICES.dynamoPerMillionReadUnits],
    ["S3 raw archive PUTs", `one object per batch`, (n / batch / 1000) * PRICES.s3PutPer1000],
    [
      "S3 raw archive storage",
      `${Math.round(m.archiveBytesPerWebhook)} B gzip/webhook, ${config.archive.retentionDays} days`,
      ((n * m.archiveBytesPerWebhook * (config.archive.retentionDays / 30)) / 1e9) * PRICES.s3StandardPerGbMonth,
    ],
    [
      "CloudWatch Logs",
      `${Math.round(logBytes)} B/webhook (access ${m.logs.accessPerWebhook}, ingest ${m.logs.ingestPerWebhook}, normalise ${m.logs.normalizePerWebhook})`, ((n * logBytes) / 1e9) * PRICES.logsPerGbIngested],
  ];
  const digestRows: [string, string, number][] = [
    ["SES", `${digests} digests (${ASSUMPTIONS.digestRecipients} recipients x ${ASSUMPTIONS.digestDaysPerMonth} days)`, (digests / 1000) * PRICES.sesPer1000Emails],
    [
      "Lambda digest",
      `${digests} x ${Math.ceil(m.digestMs)} ms`,
      (digests / 1e6) * PRICES.lambdaPerMillionRequests + digests * (Math.ceil(m.digestMs) / 1000) * gb * PRICES.lambdaArmPerGbSecond,
    ],
    [
      "DynamoDB digest reads+claims",
      `${digests} x (${m.digestCapacity.readUnits} RRU, ${m.digestCapacity.writeUnits} WRU)`,
      (digests * m.digestCapacity.readUnits * PRICES.dynamoPerMillionReadUnits + digests * m.digestCapacity.writeUnits * PRICES.dynamoPerMillionWriteUnits) / 1e6,
    ],
  ];
  const fixed: [string, string, number][] = [
    ["Custom metrics (fixed)", `${ASSUMPTIONS.customMetrics} metrics`, ASSUMPTIONS.customMetrics * PRICES.customMetricPerMonth],
    [
      "SQS idle polling (fixed, assumed)",
      `${ASSUMPTIONS.sqsIdleReceivesPerMonth.toLocaleString("en")} empty receives`,
      (ASSUMPTIONS.sqsIdleReceivesPerMonth / 1e6) * PRICES.sqsPerMillionRequests,
    ],
  ];

  const usd = (x: number) => `$${x.toFixed(x < 0.1 ? 4 : 2)}`.padStart(9);
  const print = (row: [string, string, number]) => console.log(`  ${row[0].padEnd(33)} ${row[1].padEnd(48)} ${usd(row[2])}`);
  const sum = (list: [string, string, number][]) => list.reduce((s, r) => s + r[2], 0);

  console.log(
    `Monthly cost of ${n.toLocaleString("en")} webhooks (the infra/local/samples/github mix), prices ${PRICES.asOf}`,
  );
  console.log(
    `  measured locally per webhook: ingest ${m.ingestMsPerWebhook.toFixed(1)} ms (verify + SendMessage to local SQS),` +
      ` normalise ${normalizeMs.toFixed(1)} ms (DynamoDB Local), envelope ${(meanBytes / 1024).toFixed(1)} KiB`,
  );
  console.log(
    `  assumed: ${ASSUMPTIONS.memoryMb} MB, a batch billed as its records in sequence, average batch from the` +
      ` ${window} s window at this rate; cold starts and free tiers ignored`,
  );
  for (const row of rows) print(row);
  console.log(`  ${"per million webhooks".padEnd(82)} ${usd(sum(rows))}`);
  const httpApi = rows[0]?.[2] ?? 0;
  console.log(`  ${"  the same behind a Lambda function URL (no HTTP API, no access log)".padEnd(82)} ${usd(sum(rows) - httpApi - ((n * m.logs.accessPerWebhook) / 1e9) * PRICES.logsPerGbIngested)}`);
  for (const row of digestRows) print(row);
  for (const row of fixed) print(row);
  console.log(`  ${"total for the month".padEnd(82)} ${usd(sum(rows) + sum(digestRows) + sum(fixed))}`);
  return sum(rows);
}
