/**
 * History backfill for Discord: the poller itself, run once with its first read going back to
 * `--since` instead of its default look-back, and with no page limit, so every watched channel
 * and its threads are read to the present. It keeps its own cursors (`backfill-discord`), so it
 * neither depends on nor disturbs the live poller's: a channel the poller already reads from a
 * later point still gets its older history, and the live poller goes on from where it was.
 * Envelopes are the poller's own `messages` envelopes; normalisation is idempotent by message id.
 */
import { randomUUID } from "node:crypto";
import type { ScopeBackfillResult, SourceBackfill, SourceBackfillDeps, SourceBackfillResult } from "../../backfill/types.ts";
import { timeFraction } from "../../backfill/types.ts";
import { DiscordClient } from "./client.ts";
import { DiscordPollAbortedError, pollDiscord, type ChannelPollReport, type CursorStore } from "./poller.ts";

/** No page limit in practice: a backfill reads each stream to the present in one run. */
const BACKFILL_MAX_PAGES = 1_000_000;

export const backfillDiscord: SourceBackfill = (deps) => backfillDiscordWith(deps);

/** `backfillDiscord` with the REST client given (tests drive its clock); by default one for `apiBaseUrl`. */
export async function backfillDiscordWith(deps: SourceBackfillDeps & { client?: DiscordClient }): Promise<SourceBackfillResult> {
  const discord = deps.config.sources.discord;
  const result: SourceBackfillResult = { source: "discord", scopes: [], envelopes: 0, requests: 0, stopped: null };
  if (!discord?.enabled || discord.channels.length === 0) return result;

  // A dry run moves no stored cursor, but must still page forward: it keeps its cursors in memory.
  const dryCursors = new Map<string, string>();
  const cursors: CursorStore = deps.dryRun
    ? { get: async (id) => dryCursors.get(id) ?? null, set: async (id, value) => void dryCursors.set(id, value) }
    : { get: (id) => deps.cursors.get(id), set: (id, value) => deps.cursors.set(id, value, deps.now()) };
  const client =
    deps.client ??
    new DiscordClient({
    baseUrl: discord.apiBaseUrl,
    token: deps.token,
      ...(deps.retryAfterUnitMs !== undefined ? { sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, (ms * deps.retryAfterUnitMs!) / 1000)) } : {}),
    });
  const scopeOf = (channelId: string) => {
    const channel = discord.channels.find((c) => c.id === channelId);
    return channel?.name ? `${channel.name.startsWith("#") ? "" : "#"}${channel.name} (${channelId})` : channelId;
  };
  const toScope = (c: ChannelPollReport, done: boolean): ScopeBackfillResult => ({
    scope: scopeOf(c.channelId),
    items: c.messagesRead,
    envelopes: c.envelopesSent,
    pages: c.pages,
    requests: 0,
    done,
    detail: { threads: c.threadsPolled, rateLimitWaits: c.rateLimitWaits },
  });

  try {
    const report = await pollDiscord({
      config: deps.config,
      token: deps.token,
      client,
      cursors,
      sink: { send: async (envelope) => (deps.dryRun ? envelope.id : (await deps.send([envelope]), envelope.id)) },
      now: deps.now,
      newId: randomUUID,
      lookbackStart: deps.since,
      maxPagesPerRun: BACKFILL_MAX_PAGES,
      ...(deps.log ? { log: deps.log } : {}),
      onPage: (channelId, c, newestAt) =>
        deps.onProgress?.({
          source: "discord",
          scope: scopeOf(channelId),
          items: c.messagesRead,
          pages: c.pages,
          rateLimitRemaining: null,
          // Threads are read after the channel, each from the start again: a fraction would jump back.
          fraction: c.threadsPolled === 0 ? timeFraction(deps.since, deps.now(), newestAt) : null,
          done: false,
        }),
    });
    for (const c of report.channels) {
      result.scopes.push(toScope(c, c.error === null));
      deps.onProgress?.({ source: "discord", scope: scopeOf(c.channelId), items: c.messagesRead, pages: c.pages, rateLimitRemaining: null, fraction: 1, done: true });
    }
    result.requests = report.requests;
    const failed = report.channels.find((c) => c.error !== null);
    if (failed) result.stopped = { scope: scopeOf(failed.channelId), reason: `${failed.error}; run backfill again, it resumes where it stopped` };
  } catch (err) {
    if (!(err instanceof DiscordPollAbortedError)) {
      result.stopped = { scope: "discord", reason: `${err instanceof Error ? err.message : String(err)}; run backfill again, it resumes where it stopped` };
      return finish(result);
    }
    result.scopes = err.report.channels.map((c) => toScope(c, c.error === null));
    result.requests = err.report.requests;
    const last = err.report.channels.at(-1);
    const auth = err.cause.status === 401 || err.cause.status === 403;
    result.stopped = {
      scope: last ? scopeOf(last.channelId) : "discord",
      reason: auth
        ? `Discord refused ${discord.secretName} (${err.cause.status}): set ${discord.secretName} to the bot's token; the bot needs the MESSAGE_CONTENT intent and View Channel and Read Message History on the watched channels`
        : `${err.cause.message}; run backfill again later, it resumes where it stopped`,
    };
  }
  return finish(result);
}

function finish(result: SourceBackfillResult): SourceBackfillResult {
  result.envelopes = result.scopes.reduce((n, s) => n + s.envelopes, 0);
  return result;
}
