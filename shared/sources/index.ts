import type { Source } from "../model/activity.ts";
import type { Config } from "../model/config.ts";
import type { AnswerPolicy } from "../model/thread.ts";
import { discordAdapter } from "./discord/index.ts";
import { discourseAdapter, replayRequest as discourseReplay } from "./discourse/index.ts";
import { githubAdapter, replayRequest as githubReplay } from "./github/index.ts";
import { createSlackAdapter, slackAdapter, replayRequest as slackReplay } from "./slack/index.ts";
import { stackOverflowAdapter } from "./stackoverflow/index.ts";
import { isSource } from "./door.ts";
import type { ReplayRequestBuilder, SourceAdapter } from "./types.ts";

/** Sources that push webhooks to `POST /webhooks/<source>`, with what `replay` needs to sign for them. */
export const WEBHOOK_SOURCES: Partial<Record<Source, { adapter: SourceAdapter; replay: ReplayRequestBuilder }>> = {
  github: { adapter: githubAdapter, replay: githubReplay },
  discourse: { adapter: discourseAdapter, replay: discourseReplay },
  slack: { adapter: slackAdapter, replay: slackReplay },
};

/** Every adapter the normaliser knows, by envelope source (polled sources included). */
export const ADAPTERS: Partial<Record<Source, SourceAdapter>> = {
  ...Object.fromEntries(Object.entries(WEBHOOK_SOURCES).map(([source, entry]) => [source, entry.adapter])),
  // Discord pushes no messages over HTTP: a scheduled poller queues what it reads.
  discord: discordAdapter,
  // Stack Exchange has no push API at all: its poller queues pages of questions.
  stackoverflow: stackOverflowAdapter,
};

export { isSource, POLLED_SOURCES } from "./door.ts";

export interface EnabledSource {
  source: Source;
  adapter: SourceAdapter;
  replay: ReplayRequestBuilder;
  secretName: string;
  answerPolicy: AnswerPolicy;
}

/** A webhook source as configured, or null when it is absent, disabled, polled or not supported. */
export function enabledSource(config: Config, source: string): EnabledSource | null {
  if (!isSource(source)) return null;
  const settings = Object.hasOwn(config.sources, source) ? config.sources[source] : undefined;
  const entry = Object.hasOwn(WEBHOOK_SOURCES, source) ? WEBHOOK_SOURCES[source] : undefined;
  if (!settings?.enabled || !entry || !("secretName" in settings)) return null;
  // Slack signs a timestamp; how stale a request may be is a per-install setting.
  const adapter = source === "slack" && config.sources.slack ? createSlackAdapter(config.sources.slack.maxClockSkewSeconds) : entry.adapter;
  return { source, adapter, replay: entry.replay, secretName: settings.secretName, answerPolicy: settings.answerPolicy };
}

/** Every enabled webhook source. */
export function enabledWebhookSources(config: Config): EnabledSource[] {
  return Object.keys(config.sources)
    .map((name) => enabledSource(config, name))
    .filter((s): s is EnabledSource => s !== null);
}

// Kept in the adapter-free config lookups, so functions that only fold threads bundle no adapter.
export { answerPolicyFor } from "../model/config-values.ts";
