import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import * as z from "../../shared/model/zod.ts";
import { Mailer, type OutgoingMail } from "../../shared/mail/ses.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { configFromEnv, readEnv } from "../../shared/runtime/env.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { SecretsManagerResolver } from "../../shared/secrets/secrets-manager.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { resolveActionLinks, resolveSlackDelivery, resolveSlackNames, sendDigests, throwIfAnyFailed } from "./app.ts";

/**
 * Counts the mails SES accepted, so a run that fails (the store unreachable) still reports the
 * digests it did send.
 */
class CountingMailer extends Mailer {
  sent = 0;
  override async send(mail: OutgoingMail): Promise<string> {
    const messageId = await super.send(mail);
    this.sent++;
    return messageId;
  }
}

const env = readEnv({
  TABLE_NAME: z.string().check(z.minLength(1)),
  SES_CONFIGURATION_SET: z.optional(z.string()),
  // Where the email's action links point (the HTTP API), unless config.actions.baseUrl says.
  ACTIONS_BASE_URL: z.optional(z.url()),
});
// Service name from POWERTOOLS_SERVICE_NAME, the same `service` the metrics carry.
const logger = new Logger();
// Namespace and service come from POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_SERVICE_NAME.
const metrics = new Metrics();
const mailer = new CountingMailer(new SESv2Client({}), env.SES_CONFIGURATION_SET);
const config = configFromEnv();
const secrets = new SecretsManagerResolver(new SecretsManagerClient({}), systemClock);
const store = new SignalStore(createDocumentClient(), env.TABLE_NAME);
// Slack recipients' posts: webhook URLs and the bot token are read (and cached) when a post needs them.
const slack = resolveSlackDelivery(config, secrets);

/** What each EventBridge Scheduler schedule sends: which recipients' local time it is. */
const ScheduleInput = z.looseObject({ time: z.optional(z.string()), timeZone: z.optional(z.string()) });

export async function handler(event: unknown): Promise<{ sent: number; alreadySent: number }> {
  mailer.sent = 0;
  let slackPosted = 0;
  let alreadySent = 0;
  let failed = 0;
  try {
    const input = ScheduleInput.parse(event ?? {});
    // The signing key is read once per cold start (the resolver caches it).
    const links = await resolveActionLinks(config, secrets, env.ACTIONS_BASE_URL ?? null);
    // Slack names with the optional bot token; without one (or if Slack refuses it) ids are shown.
    const slackNames = await resolveSlackNames(config, secrets, { cache: store.names, now: systemClock, log: (line) => logger.warn(line) });
    const results = await sendDigests(
      { config, store, mailer, links, slackNames, slack, now: systemClock },
      { at: systemClock(), ...(input.time ? { time: input.time } : {}), ...(input.timeZone ? { timeZone: input.timeZone } : {}) },
    );
    for (const r of results) (r.outcome === "failed" ? logger.error("digest failed", { ...r }) : r.warning ? logger.warn("digest", { ...r }) : logger.info("digest", { ...r }));
    slackPosted = results.filter((r) => r.channel === "slack" && r.outcome === "sent").length;
    alreadySent = results.filter((r) => r.outcome === "already-sent").length;
    failed = results.filter((r) => r.outcome === "failed").length;
    // Failed recipients' days are released: failing the invocation makes Lambda retry it, and the
    // retry sends only to them (everyone else's day is claimed).
    throwIfAnyFailed(results);
    return { sent: results.filter((r) => r.outcome === "sent").length, alreadySent };
  } finally {
    // Mails SES accepted plus Slack posts that went through (a run that fails late still counts them).
    metrics.addMetric("DigestsSent", MetricUnit.Count, mailer.sent + slackPosted);
    metrics.addMetric("DigestsAlreadySent", MetricUnit.Count, alreadySent);
    metrics.addMetric("DigestsFailed", MetricUnit.Count, failed);
    metrics.publishStoredMetrics();
  }
}
