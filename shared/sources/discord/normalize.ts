import type * as z from "../../model/zod.ts";
import { buildActivity, normalizeTotally, type ActivityFields } from "../common.ts";
import { excerptOf, toInstant } from "../../model/activity.ts";
import type { Activity, Actor, Channel, ThreadRef } from "../../model/activity.ts";
import { isRosterMember, SOURCE_DEFAULTS } from "../../model/config-values.ts";
import type { Config, DiscordSourceConfig } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import { NormalizeError } from "../types.ts";
import {
  DiscordMessageSchema,
  MessagesBodySchema,
  Snowflake,
  snowflakeTime,
  type DiscordMessage,
  type DiscordReferencedMessage,
  type DiscordThread,
  type DiscordUser,
  type MessagesBody,
} from "./payload.ts";
import { discordContentToPlain, titleOf } from "./text.ts";

/** The chat question classifier's shape (shared with Slack). */
export type ScoreQuestion = (text: string) => { score: number; reasons: string[] };

/** Message types with a person's (or a bot's) words in them: default, reply, slash-command and context-menu replies. */
const CONTENT_TYPES = new Set([0, 19, 20, 23]);
const REPLY = 19;
/** A member joined the server (the system channel's welcome line). */
const USER_JOIN = 7;

interface Context {
  envelope: Envelope;
  config: Config;
  discord: DiscordSourceConfig;
  score: ScoreQuestion;
  guildId: string;
  body: MessagesBody;
  channel: Channel;
  channelNames: Map<string, string>;
}

/** A message of a page that was left out, and why; the rest of the page was normalised. */
export interface SkippedMessage {
  /** Its position in the envelope's `messages`. */
  index: number;
  /** Its id, when it has one that reads as a snowflake. */
  messageId: string | null;
  /** What is wrong with it (field paths and Discord ids, never its text), at most MAX_SKIP_REASON characters. */
  reason: string;
}

/** What one `messages` envelope gave: the activities of its readable messages, and the messages skipped. */
export interface DiscordPageResult {
  activities: Activity[];
  skipped: SkippedMessage[];
}

/** Told of each message left out of an envelope (to log and count it). */
export type OnSkippedMessage = (envelope: Envelope, skipped: SkippedMessage) => void;

export const MAX_SKIP_REASON = 500;

/**
 * Turn a `messages` envelope (a page the poller read from one channel or thread) into
 * activities. Pure and total: other event types give []; an envelope of another source, or a
 * body that is not a page of messages (not JSON, no channel or guild, a forum page without its
 * thread), throws NormalizeError naming what is wrong, and only then does the envelope fail.
 *
 * One message never takes its page with it: a message Discord would not send (a missing
 * author, a bad timestamp, another channel's id) or that fails to normalise for any other
 * reason is skipped alone, named in `skipped` (see normalizeDiscordPage) and passed to
 * `onSkipped`; the other messages of the page give their activities as usual.
 *
 * Threads: a top-level message in a text channel opens `discord:<channel>:<message>`; a reply
 * joins the thread of the message it answers (see `replyThread`); a message in a Discord thread
 * joins `discord:<parent>:<thread>` (a thread started from a message has that message's id); a
 * forum post is the thread `discord:<forum>:<thread>`, opened by its starter message.
 */
export function normalizeDiscordMessages(envelope: Envelope, config: Config, score: ScoreQuestion, onSkipped?: OnSkippedMessage): Activity[] {
  const { activities, skipped } = normalizeDiscordPage(envelope, config, score);
  if (onSkipped) for (const s of skipped) onSkipped(envelope, s);
  return activities;
}

/** normalizeDiscordMessages, returning the skipped messages alongside the activities. */
export function normalizeDiscordPage(envelope: Envelope, config: Config, score: ScoreQuestion): DiscordPageResult {
  let skipped: SkippedMessage[] = [];
  const activities = normalizeTotally(envelope, "discord", envelope.eventType === "messages", () => {
    const page = normalizeMessages(envelope, config, score);
    skipped = page.skipped;
    return page.activities;
  });
  return { activities, skipped };
}

function normalizeMessages(envelope: Envelope, config: Config, score: ScoreQuestion): DiscordPageResult {
  let raw: unknown;
  try {
    raw = JSON.parse(envelope.body);
  } catch (err) {
    throw new NormalizeError(`discord messages: body is not valid JSON: ${(err as Error).message}`, envelope.id);
  }
  // What the envelope as a whole must be: a page of messages from a known channel of a guild.
  const body = readWith(envelope, "body", MessagesBodySchema, raw);
  const discord = config.sources.discord ?? SOURCE_DEFAULTS.discord();
  const guildId = body.channel.guild_id ?? discord.guildId;
  if (!guildId) throw new NormalizeError("discord messages: no guild id in the body or the config", envelope.id);
  if (body.channel.type === "forum" && !body.thread) {
    throw new NormalizeError(`discord messages: forum channel ${body.channel.id} messages must come with their thread`, envelope.id);
  }

  const configured = discord.channels.find((c) => c.id === body.channel.id);
  const ctx: Context = {
    envelope,
    config,
    discord,
    score,
    guildId,
    body,
    channel: { id: body.channel.id, name: configured?.name ?? body.channel.name ?? `#${body.channel.id}` },
    channelNames: new Map(discord.channels.filter((c) => c.name).map((c) => [c.id, c.name!.replace(/^#/, "")])),
  };
  const streamId = body.thread?.id ?? body.channel.id;

  // Each message on its own: one that cannot be read is skipped, never its neighbours.
  const activities: Activity[] = [];
  const skipped: SkippedMessage[] = [];
  body.messages.forEach((value, index) => {
    try {
      const m = readWith(envelope, `messages[${index}]`, DiscordMessageSchema, value);
      if (m.channel_id !== streamId) {
        throw new NormalizeError(`discord messages: messages[${index}] (id ${m.id}) is from channel ${m.channel_id}, not ${streamId}`, envelope.id);
      }
      activities.push(...messageActivities(ctx, m));
    } catch (err) {
      skipped.push({ index, messageId: snowflakeIdOf(value), reason: skipReason(err, index, value) });
    }
  });
  return { activities, skipped };
}

function snowflakeIdOf(value: unknown): string | null {
  const id = typeof value === "object" && value !== null && "id" in value ? (value as { id: unknown }).id : undefined;
  return Snowflake.safeParse(id).success ? (id as string) : null;
}

function skipReason(err: unknown, index: number, value: unknown): string {
  let reason: string;
  if (err instanceof NormalizeError) {
    reason = err.message;
  } else {
    const id = snowflakeIdOf(value);
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    reason = `discord messages: messages[${index}]${id ? ` (id ${id})` : ""}: unexpected ${what}`;
  }
  return reason.length <= MAX_SKIP_REASON ? reason : `${reason.slice(0, MAX_SKIP_REASON - 1)}…`;
}

function messageActivities(ctx: Context, message: DiscordMessage): Activity[] {
  if (message.type === USER_JOIN) {
    return [
      build(ctx, null, {
        id: `discord:${message.channel_id}:${message.id}`,
        kind: "member_joined",
        actor: actorOf(ctx, message.author, message),
        occurredAt: createdAt(message),
        version: versionOf(message),
        url: messageUrl(ctx, message.channel_id, message.id),
      }),
    ];
  }
  // Thread starters (21) mirror a message we read in the parent; other system lines say nothing.
  if (!CONTENT_TYPES.has(message.type)) return [];

  const thread = ctx.body.thread;
  if (thread) return [threadMessage(ctx, thread, message)];

  const reply = replyThread(ctx, message);
  if (reply) {
    return [
      build(ctx, reply, {
        id: `discord:${message.channel_id}:${message.id}`,
        kind: "reply",
        ...common(ctx, message),
      }),
    ];
  }
  const opening = openingRef(ctx, ctx.channel.id, message);
  return [build(ctx, opening, { id: opening.id, kind: "thread_opened", ...common(ctx, message) })];
}

/** A message read from a Discord thread: a forum post's starter opens it, everything else replies in it. */
function threadMessage(ctx: Context, thread: DiscordThread, message: DiscordMessage): Activity {
  const parentId = ctx.channel.id;
  const threadId = `discord:${parentId}:${thread.id}`;
  const forum = ctx.body.channel.type === "forum";
  if (forum && message.id === thread.id) {
    const author = actorOf(ctx, message.author, message);
    const ref: ThreadRef = {
      id: threadId,
      title: thread.name,
      url: messageUrl(ctx, thread.id, thread.id),
      author,
      createdAt: createdAt(message),
      // Every forum post asks something; a bot's post (a feed, an announcement) does not.
      isQuestion: !author.isBot,
      version: versionOf(message),
      questionScore: null,
    };
    return build(ctx, ref, { id: threadId, kind: "thread_opened", ...common(ctx, message) });
  }
  const ref: ThreadRef = forum
    ? {
        id: threadId,
        title: thread.name,
        url: messageUrl(ctx, thread.id, thread.id),
        // The thread's owner is the forum post's author; only the id is known here.
        author: thread.owner_id ? idOnlyActor(ctx, thread.owner_id) : null,
        createdAt: toInstant(thread.thread_metadata?.create_timestamp ?? snowflakeTime(thread.id)),
        isQuestion: true,
        version: "",
        questionScore: null,
      }
    : {
        // A thread on a message in a text channel: the message (same id) is the opening; its
        // author is not the thread's owner (anyone may start a thread on a message).
        id: threadId,
        title: thread.name,
        url: messageUrl(ctx, parentId, thread.id),
        author: null,
        createdAt: toInstant(snowflakeTime(thread.id)),
        isQuestion: false,
        version: "",
        questionScore: null,
      };
  return build(ctx, ref, { id: `discord:${thread.id}:${message.id}`, kind: "reply", ...common(ctx, message) });
}

/** Whether a message is a reply to another message in the same channel (not a forward). */
function repliedId(message: DiscordReferencedMessage, channelId: string): string | null {
  const ref = message.message_reference;
  if (message.type !== REPLY || !ref?.message_id) return null;
  if ((ref.type ?? 0) !== 0) return null;
  if (ref.channel_id !== undefined && ref.channel_id !== channelId) return null;
  return ref.message_id;
}

/**
 * The thread a reply in a text channel belongs to: the thread of the message it answers. That
 * message comes nested (`referenced_message`) one level deep: a top-level one is the thread's
 * opening (so the reply carries the full question); a reply itself points one level further up,
 * which is as far as one message can see. In a chain three or more replies deep, the reply is
 * attributed to the thread of its grandparent reply: the root is not knowable from one message.
 */
function replyThread(ctx: Context, message: DiscordMessage): ThreadRef | null {
  const parentId = repliedId(message, message.channel_id);
  if (parentId === null) return null;
  const parent = message.referenced_message;
  if (parent && parent.id === parentId) {
    const grandparentId = repliedId(parent, message.channel_id);
    if (grandparentId === null) return openingRef(ctx, ctx.channel.id, parent);
    return partialRef(ctx, grandparentId);
  }
  // The answered message was deleted (null) or not sent along: only its id is known.
  return partialRef(ctx, parentId);
}

/** The thread a top-level text-channel message opens: a question when the classifier says so. */
function openingRef(ctx: Context, channelId: string, message: DiscordReferencedMessage): ThreadRef {
  const author = actorOf(ctx, message.author, message);
  const plain = plainText(ctx, message);
  const score = author.isBot ? null : boundedScore(ctx.score(plain).score);
  return {
    id: `discord:${channelId}:${message.id}`,
    title: titleOf(plain) || fallbackTitle(message),
    url: messageUrl(ctx, channelId, message.id),
    author,
    createdAt: createdAt(message),
    isQuestion: score !== null && score >= ctx.discord.questionThreshold,
    version: versionOf(message),
    questionScore: score,
  };
}

/** What a reply knows of a thread from its id alone; sorts below every real snapshot. */
function partialRef(ctx: Context, openingMessageId: string): ThreadRef {
  return {
    id: `discord:${ctx.channel.id}:${openingMessageId}`,
    title: "",
    url: messageUrl(ctx, ctx.channel.id, openingMessageId),
    author: null,
    createdAt: toInstant(snowflakeTime(openingMessageId)),
    isQuestion: false,
    version: "",
    questionScore: null,
  };
}

function boundedScore(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.min(1, Math.max(0, score));
}

function fallbackTitle(message: DiscordReferencedMessage): string {
  return (message.attachments?.length ?? 0) > 0 ? "(attachment)" : "(no text)";
}

function plainText(ctx: Context, message: DiscordReferencedMessage): string {
  const users = new Map<string, string>();
  for (const user of message.mentions ?? []) users.set(user.id, user.global_name ?? user.username);
  return discordContentToPlain(message.content, users, ctx.channelNames);
}

function common(ctx: Context, message: DiscordMessage) {
  return {
    actor: actorOf(ctx, message.author, message),
    occurredAt: createdAt(message),
    version: versionOf(message),
    url: messageUrl(ctx, message.channel_id, message.id),
    excerpt: excerptOf(plainText(ctx, message), ctx.config.privacy.excerptLength),
  };
}

function createdAt(message: DiscordReferencedMessage): string {
  return toInstant(message.timestamp ?? snowflakeTime(message.id));
}

/** Edits outrank the original; both are `toInstant` strings, so they compare as text. */
function versionOf(message: DiscordReferencedMessage): string {
  return toInstant(message.edited_timestamp ?? message.timestamp ?? snowflakeTime(message.id));
}

function messageUrl(ctx: Context, channelOrThreadId: string, messageId: string): string {
  return `https://discord.com/channels/${ctx.guildId}/${channelOrThreadId}/${messageId}`;
}

function actorOf(ctx: Context, user: DiscordUser, message: { webhook_id?: string | undefined }): Actor {
  return {
    id: `discord:user:${user.id}`,
    login: user.username,
    name: user.global_name ?? null,
    // Webhook posts (feeds, CI notices) come with a made-up author: not a person either.
    isBot: user.bot === true || user.system === true || message.webhook_id !== undefined,
    isTeam: isRosterMember(ctx.config, "discord", user.id),
  };
}

function idOnlyActor(ctx: Context, userId: string): Actor {
  return {
    id: `discord:user:${userId}`,
    login: userId,
    name: null,
    isBot: false,
    isTeam: isRosterMember(ctx.config, "discord", userId),
  };
}

function build(ctx: Context, thread: ThreadRef | null, f: ActivityFields): Activity {
  return buildActivity({ source: "discord", instance: ctx.guildId, channel: ctx.channel, receivedAt: ctx.envelope.receivedAt, excerptLength: ctx.config.privacy.excerptLength }, thread, f);
}

function readWith<S extends z.ZodMiniType>(envelope: Envelope, where: string, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join(".") : "(value)";
    return `${path}: ${issue.message}`;
  });
  const id = typeof value === "object" && value !== null && "id" in value ? ` (id ${String((value as { id: unknown }).id)})` : "";
  throw new NormalizeError(`discord messages: ${where}${id}: ${problems.join("; ")}`, envelope.id);
}
