import type { Activity } from "../../model/activity.ts";
import type { Config } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import { scoreQuestion } from "../slack/question-classifier.ts";
import type { Classification, SourceAdapter, VerifyResult } from "../types.ts";
import { normalizeDiscordMessages } from "./normalize.ts";

export { DiscordClient, DiscordApiError, DiscordAuthError, DiscordRateLimitError, DISCORD_USER_AGENT } from "./client.ts";
export type { DiscordClientOptions, DiscordClientStats } from "./client.ts";
export { pollDiscord, splitForEnvelopes, DiscordPollAbortedError, MessageTooLargeError } from "./poller.ts";
export type { CursorStore, EnvelopeSink, PollDiscordDeps, PollReport, ChannelPollReport } from "./poller.ts";
export { normalizeDiscordMessages } from "./normalize.ts";
export type { ScoreQuestion } from "./normalize.ts";
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

/** Normalise a `messages` envelope the poller queued, with the shared chat question classifier. */
export function normalizeDiscordEnvelope(envelope: Envelope, config: Config): Activity[] {
  return normalizeDiscordMessages(envelope, config, scoreQuestion);
}

export const verify = verifyDiscordRequest;
export const classify = classifyDiscordRequest;
export const normalize = normalizeDiscordEnvelope;

export const discordAdapter: SourceAdapter = {
  source: "discord",
  verify: verifyDiscordRequest,
  classify: classifyDiscordRequest,
  normalize: normalizeDiscordEnvelope,
};
