import type { Activity } from "../../model/activity.ts";
import type { Config } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import { scoreQuestion } from "../slack/question-classifier.ts";
import type { Classification, SourceAdapter, VerifyResult } from "../types.ts";
import { normalizeDiscordMessages, normalizeDiscordPage, type DiscordPageResult, type OnSkippedMessage, type SkippedMessage } from "./normalize.ts";

export { DiscordClient, DiscordApiError, DiscordAuthError, DiscordRateLimitError, DISCORD_USER_AGENT } from "./client.ts";
export type { DiscordClientOptions, DiscordClientStats } from "./client.ts";
export { pollDiscord, splitForEnvelopes, DiscordPollAbortedError, MessageTooLargeError } from "./poller.ts";
export type { CursorStore, EnvelopeSink, PollDiscordDeps, PollReport, ChannelPollReport } from "./poller.ts";
export { normalizeDiscordMessages, normalizeDiscordPage, MAX_SKIP_REASON } from "./normalize.ts";
export type { DiscordPageResult, OnSkippedMessage, ScoreQuestion, SkippedMessage } from "./normalize.ts";
export { snowflakeAt, snowflakeTime, compareSnowflakes, DISCORD_EPOCH_MS } from "./payload.ts";
export { discordContentToPlain, titleOf } from "./text.ts";

/** Why the webhook front door refuses Discord: server messages only reach bots over the Gateway. */
export const DISCORD_NOT_PUSHED = "Discord is polled, not pushed";

export async function verifyDiscordRequest(): Promise<VerifyResult> {
  return { ok: false, reason: DISCORD_NOT_PUSHED };
}

export function classifyDiscordRequest(): Classification {
  return { action: "malformed", reason: DISCORD_NOT_PUSHED };
}

/**
 * The default report of a message left out of its page: one JSON line on stderr (CloudWatch in
 * AWS, the terminal locally), with the envelope, the message id and the reason, never its text.
 */
export function logSkippedMessage(envelope: Envelope, skipped: SkippedMessage): void {
  console.warn(
    JSON.stringify({
      level: "WARN",
      message: "discord message skipped",
      envelopeId: envelope.id,
      deliveryId: envelope.deliveryId,
      index: skipped.index,
      messageId: skipped.messageId,
      reason: skipped.reason,
    }),
  );
}

/** Normalise a `messages` envelope the poller queued, with the shared chat question classifier. */
export function normalizeDiscordEnvelope(envelope: Envelope, config: Config, onSkipped: OnSkippedMessage = logSkippedMessage): Activity[] {
  return normalizeDiscordMessages(envelope, config, scoreQuestion, onSkipped);
}

export const verify = verifyDiscordRequest;
export const classify = classifyDiscordRequest;
export const normalize = normalizeDiscordEnvelope;

/**
 * The Discord adapter; beyond SourceAdapter, `normalizeWithSkips` returns the messages left out
 * of a page (which `normalize` only reports to `onSkipped`), for a caller that counts them.
 */
export interface DiscordAdapter extends SourceAdapter {
  normalizeWithSkips(envelope: Envelope, config: Config): DiscordPageResult;
}

/** A Discord adapter whose `normalize` reports skipped messages to `onSkipped` (default: a log line). */
export function createDiscordAdapter(options: { onSkipped?: OnSkippedMessage } = {}): DiscordAdapter {
  const onSkipped = options.onSkipped ?? logSkippedMessage;
  return {
    source: "discord",
    verify: verifyDiscordRequest,
    classify: classifyDiscordRequest,
    normalize: (envelope, config) => normalizeDiscordEnvelope(envelope, config, onSkipped),
    normalizeWithSkips: (envelope, config) => normalizeDiscordPage(envelope, config, scoreQuestion),
  };
}

export const discordAdapter: DiscordAdapter = createDiscordAdapter();
