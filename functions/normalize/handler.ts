import { Logger } from "@aws-lambda-powertools/logger";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { z } from "zod";
import { configFromEnv, readEnv } from "../../shared/runtime/env.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { createNormalizeHandler } from "./app.ts";

const env = readEnv({ TABLE_NAME: z.string().min(1) });
const logger = new Logger({ serviceName: "normalize" });
const normalize = createNormalizeHandler({
  config: configFromEnv(),
  store: new SignalStore(createDocumentClient(), env.TABLE_NAME),
  log: logger,
});

/** Lambda entry for the SQS event source (ReportBatchItemFailures enabled). */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return normalize(event, context);
}
