import { randomUUID } from "node:crypto";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { Config } from "../../shared/model/config.ts";
import type { Envelope } from "../../shared/model/envelope.ts";
import { pollDiscord, type CursorStore, type PollReport } from "../../shared/sources/discord/index.ts";
import type { SignalStore } from "../../shared/store/store.ts";

/**
 * Cursors per Discord channel or thread in the table (`CURSOR#discord#<id>`). A cursor only
 * moves forward: snowflakes compare as numbers, so an overlapping or retried run can never
 * make the next run read from further back than already queued, or skip ahead.
 */
export function discordCursors(store: SignalStore, now: Clock): CursorStore {
  return {
    get: (channelId) => store.getCursor("discord", channelId),
    async set(channelId, snowflake) {
      const current = await store.getCursor("discord", channelId);
      if (current !== null && BigInt(current) >= BigInt(snowflake)) return;
      await store.setCursor("discord", channelId, snowflake, now());
    },
  };
}

export interface DiscordPollDeps {
  config: Config;
  store: SignalStore;
  queue: { send(envelope: Envelope): Promise<string> };
  token: string;
  now: Clock;
  log?: (line: string) => void;
  lookbackDays?: number;
}

/** One scheduled run: read every watched channel since its cursor and queue what is new. */
export function runDiscordPoll(deps: DiscordPollDeps): Promise<PollReport> {
  return pollDiscord({
    config: deps.config,
    token: deps.token,
    cursors: discordCursors(deps.store, deps.now),
    sink: deps.queue,
    now: deps.now,
    newId: randomUUID,
    ...(deps.log ? { log: deps.log } : {}),
    lookbackDays: deps.lookbackDays ?? deps.config.sources.discord?.lookbackDays ?? 7,
  });
}
