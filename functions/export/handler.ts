import { Logger } from "@aws-lambda-powertools/logger";
import { S3Client } from "@aws-sdk/client-s3";
import * as z from "../../shared/model/zod.ts";
import { S3ExportSink } from "../../shared/export/sink.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { configFromEnv, readEnv } from "../../shared/runtime/env.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { exportRange, parseExportEvent, runDailyExport, type DayExport } from "./app.ts";

const env = readEnv({ TABLE_NAME: z.string().check(z.minLength(1)), BUCKET_NAME: z.string().check(z.minLength(1)) });
// Service name from POWERTOOLS_SERVICE_NAME.
const logger = new Logger();
const deps = {
  config: configFromEnv(),
  store: new SignalStore(createDocumentClient(), env.TABLE_NAME),
  sink: new S3ExportSink(new S3Client({}), env.BUCKET_NAME),
  now: systemClock,
  log: logger,
};

/**
 * EventBridge Scheduler sends `{}` (the daily run: yesterday plus late-touched days); an
 * on-demand invocation sends `{"from":"YYYY-MM-DD","to":"YYYY-MM-DD"}`. A bad input throws
 * (nothing to retry), naming what was wrong.
 */
export async function handler(event: unknown): Promise<{ days: { day: string; activities: number; threads: number; bytes: number }[] }> {
  const input = parseExportEvent(event);
  const results: DayExport[] = input.kind === "daily" ? await runDailyExport(deps) : await exportRange(deps, input.from, input.to);
  return {
    days: results.map((r) => ({ day: r.day, activities: r.activities.rows, threads: r.threads.rows, bytes: r.activities.bytes + r.threads.bytes })),
  };
}
