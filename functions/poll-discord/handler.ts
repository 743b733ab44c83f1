import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import * as z from "../../shared/model/zod.ts";
import { EnvelopeQueue } from "../../shared/queue/envelope-queue.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { configFromEnv, readEnv } from "../../shared/runtime/env.ts";
import { SecretsManagerResolver } from "../../shared/secrets/secrets-manager.ts";
import { DiscordPollAbortedError } from "../../shared/sources/discord/poller.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { discordTokenFrom, runDiscordPoll, type DiscordPollOutcome } from "./app.ts";

const env = readEnv({ TABLE_NAME: z.string().check(z.minLength(1)), QUEUE_URL: z.url() });
const config = configFromEnv();
const logger = new Logger();
const metrics = new Metrics();
const store = new SignalStore(createDocumentClient(), env.TABLE_NAME);
const queue = new EnvelopeQueue(new SQSClient({}), env.QUEUE_URL, config.queue.maxMessageBytes);
const secrets = new SecretsManagerResolver(new SecretsManagerClient({}), systemClock);

/**
 * Lambda entry for the EventBridge Scheduler rate schedule. Runs never overlap (a lease in the
 * table); until the bot token is put into its secret, a run says so and does nothing, without
 * failing (no alarm for a stack that is simply not set up yet).
 */
export async function handler(_event: unknown, context?: { awsRequestId?: string }): Promise<DiscordPollOutcome> {
  const secretName = config.sources.discord?.secretName ?? "DISCORD_BOT_TOKEN";
  const token = discordTokenFrom(await secrets.get(secretName));
  if (!token) {
    logger.warn(`the Discord bot token (${secretName}) is not set yet: put it into the secret of stack output DiscordTokenSecretArn; nothing polled`);
    return { ran: false, reason: "no token" };
  }
  try {
    const outcome = await runDiscordPoll({
      config,
      store,
      queue,
      token,
      now: systemClock,
      log: (line) => logger.info(line),
      ...(context?.awsRequestId ? { holder: context.awsRequestId } : {}),
    });
    if (!outcome.ran) return outcome;
    const { report } = outcome;
    logger.info("discord poll", { report });
    metrics.addMetric("DiscordMessagesRead", MetricUnit.Count, report.messagesRead);
    metrics.addMetric("DiscordEnvelopesQueued", MetricUnit.Count, report.envelopesSent);
    metrics.addMetric("DiscordRateLimitWaits", MetricUnit.Count, report.rateLimitWaits);
    return outcome;
  } catch (err) {
    // Auth failures and very long rate-limit waits stop the run: log what was done, then fail loudly.
    if (err instanceof DiscordPollAbortedError) logger.error("discord poll aborted", { reason: err.message, report: err.report });
    throw err;
  } finally {
    metrics.publishStoredMetrics();
  }
}
