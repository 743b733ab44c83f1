/**
 * History backfill for Slack: each watched channel's messages read through the Web API
 * (`conversations.history`, and `conversations.replies` for every thread) with the official
 * client, and queued as the Events API `event_callback` deliveries Slack would have sent for them
 * (`message` for posts and replies, `message_changed` for a deleted question's tombstone,
 * `reaction_added` for the answered and question reactions on a question). Normalisation is
 * idempotent by message ts, so a rerun, or a backfill overlapping live events, changes no thread.
 *
 * Slack returns history newest first, so a channel is read in windows `(floor, top]` from the top
 * down. The cursor (`backfill-slack` / channel id) records the span already read and sent
 * (`covered`) and, while a window is being read, how far down it got (`reading.below`), moved
 * only after the envelopes above it were sent: a rerun after a crash finishes the window from
 * there, so nothing is skipped and little is sent twice. A finished channel's next run reads the
 * new messages, looks back `threadLookbackDays` for replies added since to threads it already
 * read, and reads what lies between an earlier `--since` and the span it had.
 *
 * Rate limits (docs/slack.md#backfill): both methods are Tier 3 (50+ a minute per method) for an
 * app built for its own workspace; an app commercially distributed outside the Marketplace gets 1
 * request a minute and at most 15 messages per call. Requests are paced per method to the tier;
 * a page that comes back with 15 messages and more to come switches to the slower pace. A 429 is
 * waited out exactly as its Retry-After says.
 */
import { randomUUID } from "node:crypto";
import { WebClient, type WebAPICallResult } from "@slack/web-api";
import type { BackfillProgress, ScopeBackfillResult, SourceBackfill, SourceBackfillDeps, SourceBackfillResult } from "../../backfill/types.ts";
import { BACKFILL_HEADER, timeFraction } from "../../backfill/types.ts";
import { SlackSourceConfigSchema } from "../../model/config.ts";
import type { SlackSourceConfig } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import { trimTrailingSlashes } from "../../text/index.ts";
import { SLACK_POSTED_SUBTYPES } from "./normalize.ts";
import { EventCallbackSchema } from "./payload.ts";
import { slackShapeProblem } from "./shape.ts";
import { isSlackTs } from "./timestamps.ts";

/** Messages per call by default: Slack's recommendation for both methods ("no more than 200"). */
export const DEFAULT_PAGE_SIZE = 200;
/** Slack's maximum `limit` for an internal app ("a limit value under 1000"). */
export const MAX_PAGE_SIZE = 999;
/** The most messages a call returns to an app with the non-Marketplace limits. */
export const LIMITED_PAGE_SIZE = 15;
/** Seconds between two calls of one method: Tier 3 (50 a minute), and the non-Marketplace limit (1 a minute). */
export const TIER3_INTERVAL_SECONDS = 60 / 50;
export const LIMITED_INTERVAL_SECONDS = 60;
/** A finished channel's rerun looks this far back for new replies to threads it already read. */
export const DEFAULT_THREAD_LOOKBACK_DAYS = 7;
/** How many 429s in a row one request waits out before the source stops (Slack's client retries ten times). */
export const DEFAULT_MAX_RATE_LIMIT_WAITS = 10;

const HISTORY = "conversations.history";
const REPLIES = "conversations.replies";
/** The two methods Slack limits to 1 request a minute for non-Marketplace distributed apps. */
const LIMITED_METHODS = new Set([HISTORY, REPLIES]);
/** Answers that mean the token itself is refused: no channel can be read. */
const TOKEN_ERRORS = new Set([
  "not_authed",
  "invalid_auth",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "not_allowed_token_type",
  "team_access_not_granted",
  "two_factor_setup_required",
]);
/** Fields `conversations.history`/`replies` add that an Events API message does not carry. */
const HISTORY_ONLY_FIELDS = ["reply_count", "reply_users_count", "latest_reply", "reply_users", "is_locked", "subscribed", "last_read", "unread_count", "reactions", "is_starred", "pinned_to"];

export interface SlackBackfillOptions {
  /** Messages asked for per call (1..999); default 200. */
  pageSize?: number;
  /** Start at the non-Marketplace pace (1 request a minute per method, 15 messages) instead of finding out. */
  limited?: boolean;
  /** Days a rerun looks back for new replies to threads already read; default 7, 0 for none. */
  threadLookbackDays?: number;
  /** 429s in a row waited out per request before stopping; default 10. */
  maxRateLimitWaits?: number;
  /** Waits (pacing, Retry-After); tests record them. */
  sleep?: (ms: number) => Promise<void>;
  /** A monotonic millisecond counter for pacing; tests drive it with `sleep`. */
  elapsedMs?: () => number;
}

type Json = Record<string, unknown>;

/** A message as `conversations.history` and `conversations.replies` return it (the parts read here). */
interface HistoryMessage extends Json {
  ts: string;
  type?: string;
  subtype?: string;
  user?: string;
  thread_ts?: string;
  reply_count?: number;
  latest_reply?: string;
  reactions?: { name?: string; users?: string[]; count?: number }[];
}

interface PageResult extends WebAPICallResult {
  messages?: HistoryMessage[];
  has_more?: boolean;
  channels?: { id?: string; name?: string; is_private?: boolean }[];
}

/** Microseconds since the epoch: a ts compared and moved as a whole number (exact below 2^53). */
type Micros = number;

interface Window {
  /** Messages with floor < ts <= top are read, newest first. */
  top: Micros;
  floor: Micros;
  /** Everything at or above this ts (and below top) was read and sent; null before the first page. */
  below: Micros | null;
}

/** The cursor per channel: the span read and sent, and the window being read. */
export interface ChannelCursor {
  /** Every message with from < ts <= through was read (its thread too) and sent. */
  covered: { from: Micros; through: Micros } | null;
  reading: Window | null;
}

/** Stops the whole source (the token, the workspace). */
class SourceStop extends Error {}
/** Stops one channel; the others go on. */
class ChannelStop extends Error {}

/** Reads every watched channel's history since `deps.since`; see the module comment. */
export function createSlackBackfill(options: SlackBackfillOptions = {}): SourceBackfill {
  return (deps) => new SlackBackfill(deps, options).run();
}

export const backfillSlack: SourceBackfill = createSlackBackfill();

interface ChannelRun {
  id: string;
  label: string;
  result: ScopeBackfillResult;
  detail: Record<string, number>;
  requestsBefore: number;
  /** Message ts sent in this run (a broadcast reply is in both the history and its thread). */
  sent: Set<string>;
  pending: Envelope[];
}

class SlackBackfill {
  private readonly slack: SlackSourceConfig;
  private readonly client: WebClient;
  private readonly unitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly elapsedMs: () => number;
  private readonly lookbackMicros: Micros;
  private readonly maxRateLimitWaits: number;
  private limited: boolean;
  private pageSize: number;
  private requests = 0;
  /** When each method may be called next (elapsedMs). */
  private readonly nextCall = new Map<string, number>();
  private team = "";
  private readonly sinceFloor: Micros;
  private readonly now: Micros;

  constructor(
    private readonly deps: SourceBackfillDeps,
    options: SlackBackfillOptions,
  ) {
    this.slack = deps.config.sources?.slack ?? SlackSourceConfigSchema.parse({});
    this.unitMs = deps.retryAfterUnitMs ?? 1000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    // wall-clock: a monotonic timer paces requests; it decides no business time
    this.elapsedMs = options.elapsedMs ?? (() => performance.now());
    this.limited = options.limited ?? false;
    const size = Math.trunc(options.pageSize ?? DEFAULT_PAGE_SIZE);
    if (!(size >= 1 && size <= MAX_PAGE_SIZE)) throw new RangeError(`pageSize must be 1..${MAX_PAGE_SIZE}, got ${options.pageSize}`);
    this.pageSize = this.limited ? Math.min(size, LIMITED_PAGE_SIZE) : size;
    this.lookbackMicros = Math.max(0, options.threadLookbackDays ?? DEFAULT_THREAD_LOOKBACK_DAYS) * 86_400 * 1e6;
    this.maxRateLimitWaits = options.maxRateLimitWaits ?? DEFAULT_MAX_RATE_LIMIT_WAITS;
    // Messages posted at `since` itself are read: the floor is exclusive.
    this.sinceFloor = deps.since.getTime() * 1000 - 1;
    this.now = deps.now().getTime() * 1000;
    this.client = new WebClient(deps.token, {
      slackApiUrl: `${trimTrailingSlashes(this.slack.apiBaseUrl)}/`,
      // 429s come back to us, to be waited out as Retry-After says (scaled in tests) and counted.
      rejectRateLimitedCalls: true,
      // 5xx and network errors: a few quick retries, then the source stops (a rerun resumes).
      retryConfig: { retries: 3, factor: 3, minTimeout: this.unitMs, maxTimeout: 30 * this.unitMs, randomize: false },
      timeout: 30_000,
      logger: silentLogger(),
      requestInterceptor: (config) => {
        this.requests++;
        return config;
      },
    });
  }

  async run(): Promise<SourceBackfillResult> {
    const result: SourceBackfillResult = { source: "slack", scopes: [], envelopes: 0, requests: 0, stopped: null };
    const failures: { scope: string; reason: string }[] = [];
    try {
      const auth = (await this.call("auth.test", {}, "the workspace")) as WebAPICallResult & { team_id?: string };
      if (!auth.team_id) throw new SourceStop("Slack's auth.test answered without a team_id; run backfill again");
      this.team = auth.team_id;
      const channels = await this.channels();
      for (const channel of channels) {
        const run = this.startChannel(channel.id, channel.label);
        result.scopes.push(run.result);
        try {
          await this.readChannel(run);
          run.result.done = true;
        } catch (err) {
          if (err instanceof ChannelStop) {
            failures.push({ scope: run.label, reason: err.message });
            this.deps.log?.(`slack: ${run.label} skipped: ${err.message}`);
            continue;
          }
          throw Object.assign(err as Error, { scope: run.label });
        } finally {
          run.result.requests = this.requests - run.requestsBefore;
          run.result.detail = run.detail;
          result.envelopes += run.result.envelopes;
          this.progress(run, null);
        }
      }
    } catch (err) {
      const scope = (err as { scope?: string }).scope ?? "the workspace";
      result.stopped = { scope, reason: err instanceof SourceStop ? err.message : `${(err as Error).message ?? String(err)}; run backfill again, it resumes where it stopped` };
    }
    if (!result.stopped && failures.length > 0) {
      const [first, ...rest] = failures;
      const listed = rest.slice(0, 3).map((f) => `${f.scope}: ${f.reason}`);
      if (rest.length > 3) listed.push(`and ${rest.length - 3} more channels (see the log)`);
      const others = listed.length ? `; also ${listed.join("; ")}` : "";
      result.stopped = { scope: first!.scope, reason: `${first!.reason}${others}` };
    }
    result.requests = this.requests;
    return result;
  }

  // -------------------------------------------------------------------------------------------
  // Channels

  /** The configured channels, or (none configured: every channel the app is in) the app's own. */
  private async channels(): Promise<{ id: string; label: string }[]> {
    const named = (id: string, name?: string) => {
      const configured = Object.hasOwn(this.slack.channelNames, id) ? this.slack.channelNames[id] : undefined;
      const display = configured ?? (name ? `#${name}` : undefined);
      return { id, label: display ? `${display.startsWith("#") ? display : `#${display}`} (${id})` : id };
    };
    if (this.slack.channels.length > 0) return this.slack.channels.map((id) => named(id));
    const out: { id: string; label: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = (await this.call("users.conversations", { types: "public_channel,private_channel", exclude_archived: true, limit: 200, ...(cursor ? { cursor } : {}) }, "the workspace")) as PageResult;
      for (const c of page.channels ?? []) if (c.id) out.push(named(c.id, c.name));
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    this.deps.log?.(`slack: sources.slack.channels is empty, so every channel the app is in is read (${out.length})`);
    return out;
  }

  private startChannel(id: string, label: string): ChannelRun {
    return {
      id,
      label,
      result: { scope: label, items: 0, envelopes: 0, pages: 0, requests: 0, done: false },
      detail: { threads: 0, replies: 0, reactions: 0, skipped: 0, malformed: 0, rateLimitWaits: 0, rateLimitWaitSeconds: 0 },
      requestsBefore: this.requests,
      sent: new Set(),
      pending: [],
    };
  }

  private async readChannel(run: ChannelRun): Promise<void> {
    const state = parseChannelCursor(await this.deps.cursors.get(run.id)) ?? { covered: null, reading: null };
    for (;;) {
      const window = state.reading ?? this.nextWindow(state);
      if (!window) return;
      state.reading = window;
      await this.readWindow(run, state, window);
      state.covered = mergeCovered(state.covered, window);
      state.reading = null;
      await this.saveCursor(run, state);
    }
  }

  /** What to read next: the present (with the look-back), then what lies before the span read. */
  private nextWindow(state: ChannelCursor): Window | null {
    const covered = state.covered;
    if (!covered) return { top: this.now, floor: this.sinceFloor, below: null };
    if (covered.through < this.now) {
      return { top: this.now, floor: Math.max(this.sinceFloor, covered.from, covered.through - this.lookbackMicros), below: null };
    }
    if (this.sinceFloor < covered.from) return { top: covered.from, floor: this.sinceFloor, below: null };
    return null;
  }

  /** One window, newest first, page by page; the cursor moves after each batch is sent. */
  private async readWindow(run: ChannelRun, state: ChannelCursor, window: Window): Promise<void> {
    const covered = state.covered;
    const isCovered = (ts: Micros) => covered !== null && ts > covered.from && ts <= covered.through;
    let latest = window.below ?? window.top;
    let cursor: string | undefined;
    for (;;) {
      const page = await this.page(run, HISTORY, { channel: run.id, oldest: microsToTs(window.floor), latest: microsToTs(latest), inclusive: true, ...(cursor ? { cursor } : {}) });
      const messages = (page.messages ?? []).filter((m) => {
        const t = tsMicros(m.ts);
        return t !== null && t > window.floor && (window.below === null ? t <= window.top : t < window.below);
      });
      messages.sort((a, b) => tsMicros(b.ts)! - tsMicros(a.ts)!);
      run.result.items += messages.length;
      for (const message of messages) {
        const ts = tsMicros(message.ts)!;
        const fetchedReplies = await this.message(run, message, isCovered(ts) ? covered!.through : null);
        if (fetchedReplies) {
          window.below = ts;
          await this.flush(run, state);
        }
      }
      const oldest = messages.at(-1);
      if (oldest) window.below = tsMicros(oldest.ts);
      await this.flush(run, state);
      this.progress(run, oldest ? tsMicros(oldest.ts)! : null);
      if (!page.has_more) return;
      const next = page.response_metadata?.next_cursor;
      if (next) {
        cursor = next;
      } else if (oldest) {
        latest = tsMicros(oldest.ts)!;
        cursor = undefined;
      } else {
        return;
      }
    }
  }

  /**
   * One history message: its envelopes go to `pending`; a thread's replies are read too (only
   * those after `coveredThrough` for a thread already read). Returns whether replies were read.
   */
  private async message(run: ChannelRun, message: HistoryMessage, coveredThrough: Micros | null): Promise<boolean> {
    const isRoot = message.thread_ts === undefined || message.thread_ts === message.ts;
    const hasThread = isRoot && (message.reply_count ?? 0) > 0;
    if (coveredThrough !== null) {
      // Read before: only replies added since then are new.
      const latestReply = message.latest_reply ? tsMicros(message.latest_reply) : null;
      if (!hasThread || latestReply === null || latestReply <= coveredThrough) return false;
      await this.thread(run, message, coveredThrough);
      return true;
    }
    const kind = kindOf(message);
    if (kind === "housekeeping") {
      run.detail["skipped"]!++;
    } else if (kind === "tombstone") {
      this.queue(run, message.ts, "message", tombstoneEvent(run.id, message), `${message.ts}:deleted`);
    } else {
      this.queue(run, message.ts, "message", messageEvent(run.id, message), `${message.ts}:${versionOf(message)}`);
      if (isRoot) this.reactions(run, message);
    }
    if (!hasThread) return false;
    await this.thread(run, message, null);
    return true;
  }

  /** A thread's replies (all of them, or those after `after`), each queued as the reply event. */
  private async thread(run: ChannelRun, root: HistoryMessage, after: Micros | null): Promise<void> {
    run.detail["threads"]!++;
    let cursor: string | undefined;
    do {
      const page = await this.page(run, REPLIES, { channel: run.id, ts: root.ts, ...(after !== null ? { oldest: microsToTs(after), inclusive: true } : {}), ...(cursor ? { cursor } : {}) });
      for (const reply of page.messages ?? []) {
        const t = tsMicros(reply.ts);
        // Slack puts the parent first; it came from the history.
        if (t === null || reply.ts === root.ts || t === tsMicros(root.ts) || (after !== null && t <= after)) continue;
        run.result.items++;
        const kind = kindOf(reply);
        if (kind !== "posted") {
          run.detail["skipped"]!++;
          continue;
        }
        if (this.queue(run, reply.ts, "message", messageEvent(run.id, reply), `${reply.ts}:${versionOf(reply)}`)) run.detail["replies"]!++;
      }
      cursor = page.has_more ? page.response_metadata?.next_cursor || undefined : undefined;
    } while (cursor);
  }

  /**
   * The answered and question reactions on a question, as the `reaction_added` events Slack sent
   * when they were added. Slack does not say when: each is dated at the message itself, the
   * earliest it can have been, so the live event (when one was stored) always wins over it, and
   * marked as of unknown time, so an answer by ✅ counts as answering but gives no first response.
   */
  private reactions(run: ChannelRun, message: HistoryMessage): void {
    const wanted = new Set([...this.slack.answeredReactions, ...this.slack.questionReactions]);
    for (const reaction of message.reactions ?? []) {
      const name = reaction.name ?? "";
      if (!wanted.has(name.split("::")[0]!)) continue;
      for (const user of reaction.users ?? []) {
        if (typeof user !== "string" || user === "") continue;
        const event: Json = {
          type: "reaction_added",
          user,
          reaction: name,
          ...(typeof message.user === "string" ? { item_user: message.user } : {}),
          item: { type: "message", channel: run.id, ts: message.ts },
          event_ts: message.ts,
          community_signals_time_unknown: true,
        };
        if (this.queue(run, null, "reaction_added", event, `${message.ts}:reaction:${name}:${user}`)) run.detail["reactions"]!++;
      }
      if ((reaction.count ?? 0) > (reaction.users ?? []).length) run.detail["reactionUsersNotListed"] = (run.detail["reactionUsersNotListed"] ?? 0) + (reaction.count ?? 0) - (reaction.users ?? []).length;
    }
  }

  /** Wraps an event in the envelope the front door would have queued, if it passes the door's shape check. */
  private queue(run: ChannelRun, ts: string | null, eventType: "message" | "reaction_added", event: Json, key: string): boolean {
    if (ts !== null) {
      if (run.sent.has(ts)) return false;
      run.sent.add(ts);
    }
    const id = `backfill:slack:${run.id}:${key}`;
    const callback = { type: "event_callback", team_id: this.team, event_id: id, event_time: Math.trunc(Number(String(event["event_ts"] ?? event["ts"]).split(".")[0])), event };
    const parsed = EventCallbackSchema.safeParse(callback);
    const problem = parsed.success ? slackShapeProblem(parsed.data) : "not an event_callback";
    if (problem !== null) {
      run.detail["malformed"]!++;
      if (run.detail["malformed"]! <= 3) this.deps.log?.(`slack: ${run.label}: message ${ts ?? key} not queued, the front door would refuse it (${problem})`);
      return false;
    }
    run.pending.push({
      v: 1,
      id: randomUUID(),
      source: "slack",
      eventType,
      deliveryId: id,
      receivedAt: this.deps.now().toISOString(),
      contentType: "application/json",
      headers: { "content-type": "application/json", [BACKFILL_HEADER]: "1" },
      body: JSON.stringify(callback),
    });
    return true;
  }

  /** Sends what is pending, then records how far down the window got. */
  private async flush(run: ChannelRun, state: ChannelCursor): Promise<void> {
    const envelopes = run.pending;
    run.pending = [];
    if (envelopes.length > 0 && !this.deps.dryRun) await this.deps.send(envelopes);
    run.result.envelopes += envelopes.length;
    await this.saveCursor(run, state);
  }

  private async saveCursor(run: ChannelRun, state: ChannelCursor): Promise<void> {
    if (!this.deps.dryRun) await this.deps.cursors.set(run.id, formatChannelCursor(state), this.deps.now());
  }

  private progress(run: ChannelRun, oldestRead: Micros | null): void {
    const now = new Date(this.now / 1000);
    const at = oldestRead === null ? null : 1 - (timeFraction(this.deps.since, now, oldestRead / 1000) ?? 0);
    const p: BackfillProgress = {
      source: "slack",
      scope: run.label,
      items: run.result.items,
      pages: run.result.pages,
      rateLimitRemaining: null,
      fraction: run.result.done ? 1 : at,
      done: run.result.done,
    };
    this.deps.onProgress?.(p);
  }

  // -------------------------------------------------------------------------------------------
  // Calls

  /** A history or replies page, noticing the non-Marketplace limits when Slack applies them. */
  private async page(run: ChannelRun, method: string, args: Json): Promise<PageResult> {
    const asked = this.pageSize;
    const page = (await this.call(method, { ...args, limit: asked }, run.label, run)) as PageResult;
    const count = page.messages?.length ?? 0;
    if (count > 0) run.result.pages++;
    if (!this.limited && page.has_more && asked > LIMITED_PAGE_SIZE && count <= LIMITED_PAGE_SIZE) {
      this.limited = true;
      this.pageSize = LIMITED_PAGE_SIZE;
      for (const limitedMethod of LIMITED_METHODS) this.nextCall.set(limitedMethod, this.elapsedMs() + LIMITED_INTERVAL_SECONDS * this.unitMs);
      this.deps.log?.(
        `slack: ${method} returned ${count} of the ${asked} messages asked for, with more to come: this app has Slack's limits for apps distributed outside the Marketplace (1 request a minute, ${LIMITED_PAGE_SIZE} messages); going on at that pace. An app created for its own workspace keeps Tier 3 (docs/slack.md#backfill)`,
      );
    }
    return page;
  }

  /** One Web API call: paced to its tier, 429s waited out as Slack says, failures sorted into stops. */
  private async call(method: string, args: Json, where: string, run?: ChannelRun): Promise<WebAPICallResult> {
    for (let waits = 0; ; waits++) {
      await this.pace(method);
      try {
        return await this.client.apiCall(method, args);
      } catch (err) {
        const e = err as { code?: string; retryAfter?: number };
        if (e.code === "slack_webapi_rate_limited_error" && typeof e.retryAfter === "number") {
          if (waits >= this.maxRateLimitWaits) {
            throw new SourceStop(`Slack answered ${method} with 429 ${waits + 1} times in a row for ${where}; run backfill again later, it resumes where it stopped`);
          }
          const seconds = Math.max(0, e.retryAfter);
          if (run) {
            run.detail["rateLimitWaits"]!++;
            run.detail["rateLimitWaitSeconds"]! += seconds;
          }
          this.deps.log?.(`slack: ${method} rate limited (429); waiting ${seconds}s as its Retry-After says`);
          await this.sleep(seconds * this.unitMs);
          continue;
        }
        throw this.failure(err, method, where);
      }
    }
  }

  /** Waits until `method` may be called again at its tier's pace. */
  private async pace(method: string): Promise<void> {
    const seconds = this.limited && LIMITED_METHODS.has(method) ? LIMITED_INTERVAL_SECONDS : TIER3_INTERVAL_SECONDS;
    const due = this.nextCall.get(method);
    if (due !== undefined) {
      const wait = due - this.elapsedMs();
      if (wait > 0) await this.sleep(wait);
    }
    this.nextCall.set(method, this.elapsedMs() + seconds * this.unitMs);
  }

  /** What a failed call means, in words a person can act on. */
  private failure(err: unknown, method: string, where: string): Error {
    const e = err as { code?: string; statusCode?: number; message?: string; data?: { error?: string; needed?: string; provided?: string } };
    const name = this.slack.botTokenSecretName;
    const code = e.data?.error;
    const scopes = "channels:history, and groups:history for private channels (users.conversations also needs channels:read and groups:read when sources.slack.channels is empty)";
    if (code && TOKEN_ERRORS.has(code)) {
      return new SourceStop(`Slack refused ${name} (${code} on ${method}): set ${name} to the app's Bot User OAuth Token (xoxb-…) with the scopes ${scopes}`);
    }
    if (code === "missing_scope") {
      const needed = e.data?.needed || (method === "users.conversations" ? "channels:read, groups:read" : "channels:history or groups:history");
      const provided = e.data?.provided ? ` (it has ${e.data.provided})` : "";
      const fix = `add ${needed} to the app's Bot Token Scopes (OAuth & Permissions), reinstall the app and run backfill again`;
      if (method === HISTORY || method === REPLIES) return new ChannelStop(`${name} lacks the scope ${needed} to read ${where}${provided}: ${fix}`);
      return new SourceStop(`${name} lacks the scope ${needed} for ${method}${provided}: ${fix}, or list the channels in sources.slack.channels`);
    }
    if (code === "not_in_channel") return new ChannelStop(`the app is not in ${where}: invite it (/invite @your-app in the channel) and run backfill again`);
    if (code === "channel_not_found") {
      return new ChannelStop(`${where} was not found, or the app cannot see it (a private channel it was not invited to): check sources.slack.channels, invite the app and run backfill again`);
    }
    if (code === "thread_not_found") return new ChannelStop(`a thread in ${where} disappeared while it was read (${method}): run backfill again`);
    if (code) return new Error(`Slack answered ${method} for ${where} with ${code}`);
    if (e.code === "slack_webapi_http_error") return new Error(`Slack answered ${method} for ${where} with HTTP ${e.statusCode ?? "?"} after retries`);
    return new Error(`${method} for ${where} failed (${e.message ?? String(err)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Events, as the Events API sends them

function kindOf(message: HistoryMessage): "posted" | "tombstone" | "housekeeping" {
  if (message.subtype === "tombstone") return "tombstone";
  if (message.subtype === undefined || (SLACK_POSTED_SUBTYPES as readonly string[]).includes(message.subtype)) return "posted";
  // channel_join, channel_topic, pinned_item, ...: the normaliser records none of them.
  return "housekeeping";
}

function channelType(channel: string): string {
  return channel.startsWith("G") ? "group" : "channel";
}

function withoutHistoryFields(message: HistoryMessage): Json {
  const out: Json = { ...message };
  for (const field of HISTORY_ONLY_FIELDS) delete out[field];
  return out;
}

/** The `message` event for a post or reply, as it stands now (an edit shows as `edited`). */
function messageEvent(channel: string, message: HistoryMessage): Json {
  return { ...withoutHistoryFields(message), type: "message", channel, event_ts: message.ts, channel_type: channelType(channel) };
}

/**
 * A deleted question that had replies stays in the history as a tombstone; live, Slack sent it
 * as a `message_changed`. When it was deleted is not known: dated at the question itself.
 */
function tombstoneEvent(channel: string, message: HistoryMessage): Json {
  return { type: "message", subtype: "message_changed", hidden: true, channel, ts: message.ts, event_ts: message.ts, channel_type: channelType(channel), message };
}

/** A message's version: its last edit, else its ts. */
function versionOf(message: HistoryMessage): string {
  const edited = (message["edited"] as { ts?: unknown } | undefined)?.ts;
  return typeof edited === "string" && isSlackTs(edited) ? edited : message.ts;
}

// ---------------------------------------------------------------------------------------------
// Timestamps and the cursor

/** A Slack ts as microseconds, or null when it is not one. */
export function tsMicros(ts: unknown): Micros | null {
  if (typeof ts !== "string" || !isSlackTs(ts)) return null;
  const [seconds = "0", micros = ""] = ts.split(".");
  return Number(seconds) * 1e6 + Number(micros.padEnd(6, "0"));
}

export function microsToTs(micros: Micros): string {
  const seconds = Math.floor(micros / 1e6);
  return `${seconds}.${String(micros - seconds * 1e6).padStart(6, "0")}`;
}

function mergeCovered(covered: ChannelCursor["covered"], window: Window): NonNullable<ChannelCursor["covered"]> {
  // A window that starts above the span read leaves a gap: only the window counts as read then.
  if (!covered || window.floor > covered.through || window.top < covered.from) return { from: window.floor, through: window.top };
  return { from: Math.min(covered.from, window.floor), through: Math.max(covered.through, window.top) };
}

/** `{"covered":["<from ts>","<through ts>"],"reading":["<top>","<floor>","<below or empty>"]}`. */
export function formatChannelCursor(c: ChannelCursor): string {
  return JSON.stringify({
    covered: c.covered ? [microsToTs(c.covered.from), microsToTs(c.covered.through)] : null,
    reading: c.reading ? [microsToTs(c.reading.top), microsToTs(c.reading.floor), c.reading.below === null ? "" : microsToTs(c.reading.below)] : null,
  });
}

/** The stored cursor, or null when there is none or it is not one of ours (read again from `since`). */
export function parseChannelCursor(value: string | null): ChannelCursor | null {
  if (!value) return null;
  let raw: { covered?: unknown; reading?: unknown };
  try {
    raw = JSON.parse(value) as typeof raw;
  } catch {
    return null;
  }
  const pair = Array.isArray(raw.covered) ? raw.covered.map(tsMicros) : null;
  const triple = Array.isArray(raw.reading) ? raw.reading : null;
  const covered = pair && pair.length === 2 && pair[0] !== null && pair[1] !== null ? { from: pair[0]!, through: pair[1]! } : null;
  let reading: Window | null = null;
  if (triple && triple.length === 3) {
    const [top, floor] = [tsMicros(triple[0]), tsMicros(triple[1])];
    const below = triple[2] === "" ? null : tsMicros(triple[2]);
    if (top !== null && floor !== null && (below !== null || triple[2] === "")) reading = { top, floor, below };
  }
  if (raw.covered != null && !covered) return null;
  return { covered, reading };
}

function silentLogger() {
  // Failures come back as errors and are reported by the caller; the client's own lines would only repeat them.
  const level = "error" as never;
  return { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => level, setName() {} };
}
