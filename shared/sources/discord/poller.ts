import { MESSAGE_ATTRIBUTE_HEADROOM_BYTES } from "../../queue/envelope-queue.ts";
import type { Config, DiscordSourceConfig } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import { DiscordAuthError, DiscordClient, DiscordRateLimitError } from "./client.ts";
import { compareSnowflakes, snowflakeAt, snowflakeTime, type DiscordThread, type MessagesBody, type RawMessage } from "./payload.ts";

/** Where each channel's (and each thread's) reading position is kept: the last message id sent on. */
export interface CursorStore {
  get(channelId: string): Promise<string | null>;
  set(channelId: string, snowflake: string): Promise<void>;
}

/** The ingest queue; resolves only once the envelope is durably queued. */
export interface EnvelopeSink {
  send(envelope: Envelope): Promise<string>;
}

export interface PollDiscordDeps {
  config: Config;
  token: string;
  /** Defaults to a client for `apiBaseUrl` with the token. */
  client?: DiscordClient;
  cursors: CursorStore;
  sink: EnvelopeSink;
  now: () => Date;
  newId: () => string;
  log?: (line: string) => void;
  /** How far back a channel or thread without a cursor starts (default 7 days). */
  lookbackDays?: number;
  /** Where a channel or thread without a cursor starts, instead of `lookbackDays` (backfill: `--since`). */
  lookbackStart?: Date;
  /** Overrides `sources.discord.maxPagesPerRun` (backfill reads a stream to its end in one run). */
  maxPagesPerRun?: number;
  /** Called after each page of a stream was sent, with the time of the newest message sent. */
  onPage?(channelId: string, report: ChannelPollReport, newestAt: Date | null): void;
}

export interface ChannelPollReport {
  channelId: string;
  name: string | null;
  type: "text" | "forum";
  /** Message pages fetched (the channel's and its threads'). */
  pages: number;
  messagesRead: number;
  envelopesSent: number;
  /** Threads whose messages were fetched (threads without new messages are not). */
  threadsPolled: number;
  rateLimitWaits: number;
  /** A stream hit maxPagesPerRun with more to read: the next run carries on. */
  morePending: boolean;
  /** Why this channel stopped early; its cursor stays at the last envelope sent. */
  error: string | null;
}

export interface PollReport {
  startedAt: string;
  finishedAt: string;
  guildId: string | null;
  channels: ChannelPollReport[];
  messagesRead: number;
  envelopesSent: number;
  rateLimitWaits: number;
  requests: number;
}

/**
 * Discord refused the token or access (401/403), or rate-limited us past what a run may wait:
 * going on would only add invalid requests (Discord bans after 10,000 in 10 minutes). The
 * report says what was done before the stop; cursors are intact.
 */
export class DiscordPollAbortedError extends Error {
  override readonly name = "DiscordPollAbortedError";
  constructor(
    override readonly cause: DiscordAuthError | DiscordRateLimitError,
    readonly report: PollReport,
  ) {
    super(`Discord poll stopped: ${cause.message}`);
  }
}

const PAGE_SIZE = 100;
/** Stands in for the envelope id while sizing (real ids are uuids: shorter). */
const MEASURING_ID = "x".repeat(64);

/** Public and announcement threads; private threads (type 12) are never read. */
const READABLE_THREAD_TYPES = new Set([10, 11]);

/**
 * One polling run: for every watched channel, read the messages posted since its cursor (and
 * those of its public threads), put them on the queue as `messages` envelopes, one per page or
 * less, and advance each cursor only after its envelope was accepted. A crash re-reads, never
 * skips; activity ids are natural, so a re-read changes nothing.
 */
export async function pollDiscord(deps: PollDiscordDeps): Promise<PollReport> {
  const started = deps.now();
  const report: PollReport = {
    startedAt: started.toISOString(),
    finishedAt: started.toISOString(),
    guildId: null,
    channels: [],
    messagesRead: 0,
    envelopesSent: 0,
    rateLimitWaits: 0,
    requests: 0,
  };
  const discord = deps.config.sources.discord;
  if (!discord?.enabled) {
    deps.log?.("discord: source not configured or disabled; nothing to poll");
    return report;
  }
  const client = deps.client ?? new DiscordClient({ baseUrl: discord.apiBaseUrl, token: deps.token });
  const statsBefore = client.stats;
  const lookbackMs = (deps.lookbackDays ?? 7) * 86_400_000;
  const lookbackStart = deps.lookbackStart ?? new Date(started.getTime() - lookbackMs);
  const run = new Run(deps, discord, client, lookbackStart, deps.maxPagesPerRun ?? discord.maxPagesPerRun);

  const finish = () => {
    const stats = client.stats;
    report.finishedAt = deps.now().toISOString();
    report.guildId = run.guildId;
    report.requests = stats.requests - statsBefore.requests;
    report.rateLimitWaits = stats.rateLimitWaits - statsBefore.rateLimitWaits;
    report.messagesRead = report.channels.reduce((n, c) => n + c.messagesRead, 0);
    report.envelopesSent = report.channels.reduce((n, c) => n + c.envelopesSent, 0);
  };

  for (const channel of discord.channels) {
    const channelReport: ChannelPollReport = {
      channelId: channel.id,
      name: channel.name ?? null,
      type: channel.type,
      pages: 0,
      messagesRead: 0,
      envelopesSent: 0,
      threadsPolled: 0,
      rateLimitWaits: 0,
      morePending: false,
      error: null,
    };
    report.channels.push(channelReport);
    const waitsBefore = client.stats.rateLimitWaits;
    try {
      await run.pollChannel(channel, channelReport);
    } catch (err) {
      channelReport.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      deps.log?.(`discord: channel ${channel.id} stopped: ${channelReport.error}`);
      if (err instanceof DiscordAuthError || err instanceof DiscordRateLimitError) {
        finish();
        throw new DiscordPollAbortedError(err, report);
      }
    } finally {
      channelReport.rateLimitWaits = client.stats.rateLimitWaits - waitsBefore;
    }
    deps.log?.(
      `discord: channel ${channel.id}${channel.name ? ` (${channel.name})` : ""}: ${channelReport.pages} pages, ` +
        `${channelReport.messagesRead} messages, ${channelReport.envelopesSent} envelopes, ${channelReport.threadsPolled} threads` +
        (channelReport.morePending ? ", more pending" : ""),
    );
  }
  finish();
  return report;
}

type WatchedChannel = DiscordSourceConfig["channels"][number];

/** One run's state: the guild, the active-thread list (fetched once) and the look-back start. */
class Run {
  guildId: string | null;
  private activeThreads: DiscordThread[] | null = null;
  private readonly lookbackCursor: string;
  private readonly maxEnvelopeBytes: number;

  constructor(
    private readonly deps: PollDiscordDeps,
    private readonly discord: DiscordSourceConfig,
    private readonly client: DiscordClient,
    private readonly lookbackStart: Date,
    private readonly maxPagesPerRun: number,
  ) {
    this.guildId = discord.guildId ?? null;
    this.lookbackCursor = snowflakeAt(lookbackStart);
    this.maxEnvelopeBytes = deps.config.queue.maxMessageBytes - MESSAGE_ATTRIBUTE_HEADROOM_BYTES;
  }

  async pollChannel(channel: WatchedChannel, report: ChannelPollReport): Promise<void> {
    const guildId = await this.guild(channel.id);
    const channelBody: MessagesBody["channel"] = { id: channel.id, name: channel.name ?? null, type: channel.type, guild_id: guildId };

    if (channel.type === "text") {
      const cursor = await this.deps.cursors.get(channel.id);
      await this.pollStream(channel.id, cursor ?? this.lookbackCursor, { channel: channelBody }, report);
    }

    // Forum posts are threads; in a text channel, answers often go into a thread on the question.
    for (const thread of await this.threadsOf(channel.id, guildId, report)) {
      const cursor = await this.deps.cursors.get(thread.id);
      // A forum post's starter message has the thread's id: start just before it when it is recent.
      const beforeStarter = (BigInt(thread.id) - 1n).toString();
      const start = cursor ?? maxSnowflake(this.lookbackCursor, beforeStarter);
      if (thread.last_message_id && compareSnowflakes(thread.last_message_id, start) <= 0) continue;
      report.threadsPolled++;
      await this.pollStream(thread.id, start, { channel: channelBody, thread }, report);
    }
  }

  /** The configured guild, or the one Discord says the first channel belongs to. */
  private async guild(channelId: string): Promise<string> {
    if (this.guildId) return this.guildId;
    const channel = await this.client.channel(channelId);
    if (!channel.guild_id) throw new Error(`channel ${channelId} is not in a guild (a DM?)`);
    this.guildId = channel.guild_id;
    return channel.guild_id;
  }

  /** Readable threads of `parentId`: active ones plus those archived since the look-back start, oldest first. */
  private async threadsOf(parentId: string, guildId: string, report: ChannelPollReport): Promise<DiscordThread[]> {
    if (this.activeThreads === null) this.activeThreads = (await this.client.activeThreads(guildId)).threads;
    const byId = new Map<string, DiscordThread>();
    let before: string | undefined;
    for (let page = 0; page < this.maxPagesPerRun; page++) {
      const listing = await this.client.archivedPublicThreads(parentId, before);
      for (const thread of listing.threads) if (thread.parent_id === parentId) byId.set(thread.id, thread);
      const oldest = listing.threads.at(-1)?.thread_metadata?.archive_timestamp;
      // Threads archived before the look-back hold nothing newer; a listing is newest-archived first.
      if (!listing.has_more || !oldest || new Date(oldest) < this.lookbackStart) break;
      if (page === this.maxPagesPerRun - 1) report.morePending = true;
      before = oldest;
    }
    // The active listing is the fresher view of a thread that was just unarchived.
    for (const thread of this.activeThreads) if (thread.parent_id === parentId) byId.set(thread.id, thread);
    return [...byId.values()]
      .filter((t) => t.type === undefined || READABLE_THREAD_TYPES.has(t.type))
      .sort((a, b) => compareSnowflakes(a.id, b.id));
  }

  /** Reads `streamId` (a channel or a thread) after `start`, page by page, oldest first. */
  private async pollStream(
    streamId: string,
    start: string,
    context: Pick<MessagesBody, "channel" | "thread">,
    report: ChannelPollReport,
  ): Promise<void> {
    let cursor = start;
    for (let page = 0; page < this.maxPagesPerRun; page++) {
      const listed = await this.client.channelMessages(streamId, cursor, PAGE_SIZE);
      report.pages++;
      // Discord lists newest first; the cursor must only ever move forward, oldest first.
      const messages = listed.filter((m) => compareSnowflakes(m.id, cursor) > 0).sort((a, b) => compareSnowflakes(a.id, b.id));
      report.messagesRead += messages.length;
      const draft = (chunk: RawMessage[]) => this.envelope(streamId, chunk, context, MEASURING_ID);
      for (const chunk of splitForEnvelopes(messages, draft, this.maxEnvelopeBytes)) {
        const envelope = this.envelope(streamId, chunk, context, this.deps.newId());
        const bytes = envelopeBytes(envelope);
        if (bytes > this.maxEnvelopeBytes) throw new MessageTooLargeError(`envelope ${envelope.deliveryId} is ${bytes} bytes`);
        await this.deps.sink.send(envelope);
        report.envelopesSent++;
        cursor = chunk.at(-1)!.id;
        await this.deps.cursors.set(streamId, cursor);
      }
      this.deps.onPage?.(report.channelId, report, messages.length > 0 ? snowflakeTime(messages.at(-1)!.id) : null);
      if (listed.length < PAGE_SIZE) return;
    }
    report.morePending = true;
  }

  private envelope(streamId: string, chunk: RawMessage[], context: Pick<MessagesBody, "channel" | "thread">, id: string): Envelope {
    const first = chunk[0]?.id ?? "";
    const last = chunk.at(-1)?.id ?? "";
    const body: MessagesBody = { ...context, messages: chunk };
    return {
      v: 1,
      id,
      source: "discord",
      eventType: "messages",
      deliveryId: `${streamId}:${first}-${last}`,
      receivedAt: this.deps.now().toISOString(),
      contentType: "application/json",
      headers: {},
      body: JSON.stringify(body),
    };
  }
}

function maxSnowflake(a: string, b: string): string {
  return compareSnowflakes(a, b) >= 0 ? a : b;
}

function envelopeBytes(envelope: Envelope): number {
  return Buffer.byteLength(JSON.stringify(envelope), "utf8");
}

/** Bytes a message adds inside the envelope: its JSON, escaped once more as part of the body string. */
function messageBytes(message: RawMessage): number {
  return Buffer.byteLength(JSON.stringify(JSON.stringify(message)), "utf8") - 2;
}

/** Fields the normaliser reads; a message too large for an envelope alone keeps only these. */
const ESSENTIAL_FIELDS = [
  "id",
  "channel_id",
  "author",
  "content",
  "timestamp",
  "edited_timestamp",
  "type",
  "webhook_id",
  "mentions",
  "message_reference",
  "referenced_message",
] as const;

function trimmed(message: RawMessage): RawMessage {
  const out: Record<string, unknown> = {};
  for (const key of ESSENTIAL_FIELDS) if (key in message) out[key] = message[key];
  const ref = out["referenced_message"];
  if (ref && typeof ref === "object") {
    const slim: Record<string, unknown> = {};
    for (const key of ESSENTIAL_FIELDS) if (key !== "referenced_message" && key in ref) slim[key] = (ref as Record<string, unknown>)[key];
    out["referenced_message"] = slim;
  }
  out["community_signals_trimmed"] = true;
  return out as RawMessage;
}

export class MessageTooLargeError extends Error {
  override readonly name = "MessageTooLargeError";
}

/**
 * Splits a page into runs of messages whose envelope stays within `maxBytes` (SQS takes 256 KiB).
 * Sizes add up exactly (JSON escaping is per character); each envelope is measured again before
 * it leaves, so the arithmetic cannot drift unnoticed.
 */
export function splitForEnvelopes(
  messages: RawMessage[],
  envelopeFor: (chunk: RawMessage[]) => Envelope,
  maxBytes: number,
): RawMessage[][] {
  if (messages.length === 0) return [];
  // The delivery id grows by two snowflakes; allow for the longest.
  const overhead = envelopeBytes(envelopeFor([])) + 2 * 20;
  const chunks: RawMessage[][] = [];
  let current: RawMessage[] = [];
  let size = overhead;
  for (const original of messages) {
    let message = original;
    let bytes = messageBytes(message);
    if (overhead + bytes > maxBytes) {
      message = trimmed(message);
      bytes = messageBytes(message);
      if (overhead + bytes > maxBytes) {
        throw new MessageTooLargeError(`message ${original.id} needs ${overhead + bytes} bytes even trimmed; the limit is ${maxBytes}`);
      }
    }
    const separator = current.length > 0 ? 1 : 0;
    if (current.length > 0 && size + separator + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = overhead + bytes;
    } else {
      size += separator + bytes;
    }
    current.push(message);
  }
  chunks.push(current);
  for (const chunk of chunks) {
    const bytes = envelopeBytes(envelopeFor(chunk));
    if (bytes > maxBytes) throw new MessageTooLargeError(`an envelope of ${chunk.length} messages came to ${bytes} bytes; the limit is ${maxBytes}`);
  }
  return chunks;
}
