import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import * as z from "../../shared/model/zod.ts";
import { SQSClient } from "@aws-sdk/client-sqs";
import { S3Client } from "@aws-sdk/client-s3";
import { RawArchive } from "../../shared/blob/raw-archive.ts";
import { sendDeadLetter } from "../../shared/queue/dead-letter.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { configFromEnv, readEnv } from "../../shared/runtime/env.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { createNormalizeHandler } from "./app.ts";

const env = readEnv({ TABLE_NAME: z.string().check(z.minLength(1)), DLQ_URL: z.url(), RAW_BUCKET: z.string().check(z.minLength(1)) });
const sqs = new SQSClient({});
// Service name from POWERTOOLS_SERVICE_NAME, the same `service` the metrics carry.
const logger = new Logger();
// Namespace and service come from POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_SERVICE_NAME.
const metrics = new Metrics();

/** Counts for the current batch, summed here so each metric is one value per invocation. */
const tally = { envelopes: 0, activitiesStored: 0, itemsSkipped: 0, failedPermanent: 0, failedRetryable: 0 };

const normalize = createNormalizeHandler({
  config: configFromEnv(),
  store: new SignalStore(createDocumentClient(), env.TABLE_NAME),
  log: logger,
  archive: new RawArchive(new S3Client({}), env.RAW_BUCKET),
  deadLetter: (record, reason) => sendDeadLetter(sqs, env.DLQ_URL, record, reason, systemClock()),
  observer: {
    processed(_envelope, _activities, stored, skipped = 0) {
      tally.envelopes++;
      tally.activitiesStored += stored;
      tally.itemsSkipped += skipped;
    },
    failed(_messageId, _error, permanent) {
      if (permanent) tally.failedPermanent++;
      else tally.failedRetryable++;
    },
  },
});

/** Lambda entry for the SQS event source (ReportBatchItemFailures enabled). */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  Object.assign(tally, { envelopes: 0, activitiesStored: 0, itemsSkipped: 0, failedPermanent: 0, failedRetryable: 0 });
  try {
    return await normalize(event, context);
  } finally {
    publishTally();
  }
}

function publishTally(): void {
  // Zeros are emitted too: "a batch arrived and nothing was stored" is worth seeing on a graph.
  metrics.addMetric("EnvelopesProcessed", MetricUnit.Count, tally.envelopes);
  metrics.addMetric("ActivitiesStored", MetricUnit.Count, tally.activitiesStored);
  // Items of a polled page left out as unreadable (each logged with its reason as "item skipped").
  metrics.addMetric("ItemsSkipped", MetricUnit.Count, tally.itemsSkipped);
  // `permanent` splits RecordsFailed only: permanent failures need a code fix, the rest retry.
  for (const [permanent, count] of [["yes", tally.failedPermanent], ["no", tally.failedRetryable]] as const) {
    if (count > 0) metrics.singleMetric().addDimension("permanent", permanent).addMetric("RecordsFailed", MetricUnit.Count, count);
  }
  metrics.publishStoredMetrics();
}
