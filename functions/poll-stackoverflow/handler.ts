import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import * as z from "../../shared/model/zod.ts";
import { EnvelopeQueue } from "../../shared/queue/envelope-queue.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { configFromEnv, readEnv } from "../../shared/runtime/env.ts";
import { SecretsManagerResolver } from "../../shared/secrets/secrets-manager.ts";
import { StackOverflowPollAbortedError, stackExchangeKeyFrom } from "../../shared/sources/stackoverflow/index.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { runStackOverflowPoll, type StackOverflowPollOutcome } from "./app.ts";

const env = readEnv({ TABLE_NAME: z.string().check(z.minLength(1)), QUEUE_URL: z.url() });
const config = configFromEnv();
const logger = new Logger();
const metrics = new Metrics();
const store = new SignalStore(createDocumentClient(), env.TABLE_NAME);
const queue = new EnvelopeQueue(new SQSClient({}), env.QUEUE_URL, config.queue.maxMessageBytes);
const secrets = new SecretsManagerResolver(new SecretsManagerClient({}), systemClock);

/**
 * Lambda entry for the EventBridge Scheduler rate schedule. Runs never overlap: each takes a
 * lease in the table first (no reserved concurrency, see app.ts). Metrics: questions queued,
 * requests, backoff waits, quota left, and `StackOverflowQuotaStops` (the alarm watches it).
 */
export async function handler(_event: unknown, context?: Context): Promise<StackOverflowPollOutcome> {
  const so = config.sources.stackoverflow;
  const secretName = so?.keySecretName ?? "STACKEXCHANGE_KEY";
  // Optional: the secret holds a placeholder until a Stack Apps key is put there.
  const key = stackExchangeKeyFrom(await secrets.get(secretName));
  try {
    const outcome = await runStackOverflowPoll({
      config,
      store,
      queue,
      key,
      now: systemClock,
      log: (line) => logger.info(line),
      ...(context?.awsRequestId ? { holder: context.awsRequestId } : {}),
    });
    if (!outcome.ran) return outcome;
    const { report } = outcome;
    logger.info("stackoverflow poll", { report, keyed: key !== null });
    metrics.addMetric("StackOverflowQuestionsQueued", MetricUnit.Count, report.questionsQueued);
    metrics.addMetric("StackOverflowRequests", MetricUnit.Count, report.requests);
    metrics.addMetric("StackOverflowBackoffWaits", MetricUnit.Count, report.backoffWaits);
    if (report.quotaRemaining !== null) metrics.addMetric("StackOverflowQuotaRemaining", MetricUnit.Count, report.quotaRemaining);
    metrics.addMetric("StackOverflowQuotaStops", MetricUnit.Count, report.quotaStop && report.quotaStop.reason !== "paused" ? 1 : 0);
    if (report.quotaStop) logger.warn("stackoverflow quota", { quotaStop: report.quotaStop, keyed: key !== null });
    return outcome;
  } catch (err) {
    // A refused key or a persistent API error: log what was done, then fail (the error alarm).
    if (err instanceof StackOverflowPollAbortedError) logger.error("stackoverflow poll aborted", { reason: err.message, report: err.report });
    throw err;
  } finally {
    metrics.publishStoredMetrics();
  }
}
