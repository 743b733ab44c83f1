import { Logger } from "@aws-lambda-powertools/logger";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { z } from "zod";
import { Mailer } from "../../shared/mail/ses.ts";
import { configFromEnv, readEnv } from "../../shared/runtime/env.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { sendDigests } from "./app.ts";

const env = readEnv({ TABLE_NAME: z.string().min(1), SES_CONFIGURATION_SET: z.string().optional() });
const logger = new Logger({ serviceName: "digest" });
const deps = {
  config: configFromEnv(),
  store: new SignalStore(createDocumentClient(), env.TABLE_NAME),
  mailer: new Mailer(new SESv2Client({}), env.SES_CONFIGURATION_SET),
};

/** What each EventBridge Scheduler schedule sends: which recipients' local time it is. */
const ScheduleInput = z.object({ time: z.string().optional(), timeZone: z.string().optional() }).passthrough();

export async function handler(event: unknown): Promise<{ sent: number; alreadySent: number }> {
  const input = ScheduleInput.parse(event ?? {});
  const results = await sendDigests(deps, { at: new Date(), ...(input.timeZone ? { timeZone: input.timeZone } : {}) });
  for (const r of results) logger.info("digest", { ...r });
  return {
    sent: results.filter((r) => r.outcome === "sent").length,
    alreadySent: results.filter((r) => r.outcome === "already-sent").length,
  };
}
