import { randomUUID } from "node:crypto";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { Config } from "../../shared/model/config.ts";
import type { Envelope } from "../../shared/model/envelope.ts";
// The poller alone: reading is not normalising, so the bundle carries no normaliser or classifier.
import { pollDiscord, type CursorStore, type PollReport } from "../../shared/sources/discord/poller.ts";
import { runExclusively } from "../../shared/store/leases.ts";
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
  /** Who holds the lease (the Lambda request id); a fresh id by default. */
  holder?: string;
}

/** The lease that keeps two runs of the poller from overlapping. */
export const DISCORD_POLL_LEASE = "poll-discord";
/** How long a run may hold the lease: the function's timeout (5 minutes) and a margin. */
export const DISCORD_LEASE_MS = 6 * 60_000;

export type DiscordPollOutcome = { ran: true; report: PollReport } | { ran: false; reason: string };

/**
 * One scheduled run, under the table lease: read every watched channel since its cursor and
 * queue what is new. A run that finds the lease taken (the previous one still going) does
 * nothing. Serialising by lease rather than by reserved concurrency keeps the stack deployable
 * on accounts whose concurrency quota is 10; the cursors only move forward in any case.
 */
export async function runDiscordPoll(deps: DiscordPollDeps): Promise<DiscordPollOutcome> {
  const outcome = await runExclusively(
    deps.store.leases,
    { name: DISCORD_POLL_LEASE, leaseMs: DISCORD_LEASE_MS, holder: deps.holder ?? randomUUID(), now: deps.now },
    () =>
      pollDiscord({
        config: deps.config,
        token: deps.token,
        cursors: discordCursors(deps.store, deps.now),
        sink: deps.queue,
        now: deps.now,
        newId: randomUUID,
        ...(deps.log ? { log: deps.log } : {}),
        lookbackDays: deps.lookbackDays ?? deps.config.sources.discord?.lookbackDays ?? 7,
      }),
  );
  if (!outcome.ran) {
    deps.log?.("discord: another poll is still running (lease taken); this run does nothing");
    return outcome;
  }
  return { ran: true, report: outcome.result };
}

/**
 * The AWS stack creates the token's secret holding a JSON placeholder (`{"note": …}`) until the
 * real token is put there: no Discord token is JSON, so that value means "not set yet".
 */
export function discordTokenFrom(value: string | null | undefined): string | null {
  const token = value?.trim() ?? "";
  return token === "" || token.startsWith("{") ? null : token;
}
