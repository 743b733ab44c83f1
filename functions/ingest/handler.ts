import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import * as z from "../../shared/model/zod.ts";
import type { RawArchive } from "../../shared/blob/raw-archive.ts";
import { EnvelopeQueue } from "../../shared/queue/envelope-queue.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { configFromEnv, readEnv } from "../../shared/runtime/env.ts";
import { SecretsManagerResolver } from "../../shared/secrets/secrets-manager.ts";
import { createIngest, type IngestOutcome } from "./app.ts";

// Module scope runs once per cold start: configuration fails fast, clients are reused.
// Nothing here touches the network; the secret is read on the first webhook.
const env = readEnv({ QUEUE_URL: z.url(), RAW_BUCKET: z.string().check(z.minLength(1)) });
const config = configFromEnv();
// Service name from POWERTOOLS_SERVICE_NAME, the same `service` the metrics carry.
const logger = new Logger();
// Namespace and service come from POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_SERVICE_NAME.
const metrics = new Metrics();

/** Outcomes seen during the current invocation; emitted once, in the handler's finally. */
const outcomes = new Map<IngestOutcome, number>();
const observe = (outcome: IngestOutcome) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);

/**
 * The claim check's archive, created on the first body too large for a queue message. Its S3
 * client is a dynamic import, so the bundle keeps it in a chunk of its own that a cold start
 * does not read (most functions never see such a body); a failed load is tried again next time.
 */
let claimArchive: Promise<RawArchive> | undefined;
function archiveForClaims(): Promise<RawArchive> {
  claimArchive ??= import("../../shared/blob/raw-archive.ts")
    .then(({ rawArchiveFromEnvironment }) => rawArchiveFromEnvironment(env.RAW_BUCKET))
    .catch((err: unknown) => {
      claimArchive = undefined;
      throw err;
    });
  return claimArchive;
}

const ingest = createIngest({
  config,
  secrets: new SecretsManagerResolver(new SecretsManagerClient({}), systemClock),
  queue: new EnvelopeQueue(new SQSClient({}), env.QUEUE_URL, config.queue.maxMessageBytes),
  // Bodies too large for a queue message (claim check); ingest may write only those keys.
  claims: { putBody: async (day, envelopeId, body) => (await archiveForClaims()).putBody(day, envelopeId, body) },
  now: systemClock,
  observer: {
    outcome(source, outcome, detail) {
      observe(outcome);
      // detail is a reason, an event type or a path: never the secret or the signature. A queued
      // webhook is logged at DEBUG only: the access log, the Webhooks metric and the normaliser's
      // "normalized" line (with the delivery id) already record it, and it is most of the traffic.
      const log =
        outcome === "error" ? logger.error.bind(logger) : outcome === "queued" ? logger.debug.bind(logger) : logger.info.bind(logger);
      log("webhook", { source, outcome, detail });
    },
  },
});

/** Lambda entry for the HTTP API (payload format 2.0). */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  outcomes.clear();
  try {
    const method = event.requestContext.http.method;
    if (method === "GET" && event.rawPath === "/health") {
      return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "ok" }) };
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
    const body = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
    const answer = await ingest({ method, path: event.rawPath, headers, body });
    return { statusCode: answer.status, headers: answer.headers ?? {}, body: answer.body };
  } catch (err) {
    // Unexpected (e.g. Secrets Manager unreachable): still counted, then Lambda reports the error.
    observe("error");
    logger.error("webhook failed", { error: (err as Error).message });
    throw err;
  } finally {
    publishOutcomes();
  }
}

/** One `Webhooks` count per outcome; `outcome` is a dimension of this metric only. */
function publishOutcomes(): void {
  for (const [outcome, count] of outcomes) {
    metrics.singleMetric().addDimension("outcome", outcome).addMetric("Webhooks", MetricUnit.Count, count);
  }
  outcomes.clear();
}
