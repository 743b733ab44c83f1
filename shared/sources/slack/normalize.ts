import type * as z from "../../model/zod.ts";
import { buildActivity, normalizeTotally, type ActivityFields } from "../common.ts";
import { ACCEPTED_AT_UNKNOWN_TIME, excerptOf } from "../../model/activity.ts";
import type { Activity, Actor, Channel, ThreadRef } from "../../model/activity.ts";
import { isRosterMember, SOURCE_DEFAULTS } from "../../model/config-values.ts";
import type { Config, SlackSourceConfig } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import { trimTrailingSlashes } from "../../text/index.ts";
import { NormalizeError } from "../types.ts";
import { isSupportedSlackEvent, parseSlackBody } from "./classify.ts";
import * as P from "./payload.ts";
import { scoreQuestion } from "./question-classifier.ts";
import { slackTextToPlain, titleOf } from "./text.ts";
import { secondsToSlackTs, slackTsToInstant, slackTsVersion } from "./timestamps.ts";

/**
 * Message subtypes that are someone posting (and so a thread opening or a reply). Every other
 * subtype (channel_join, channel_topic, pinned_item, ...) is housekeeping and gives [].
 */
export const SLACK_POSTED_SUBTYPES = ["bot_message", "thread_broadcast", "file_share", "me_message"] as const;

interface Context {
  envelope: Envelope;
  config: Config;
  slack: SlackSourceConfig;
  callback: P.SlackEventCallback;
  team: string;
  /** `message.message_changed`, for error messages. */
  where: string;
}

/**
 * Turn one queued Slack Events API delivery into activities. Pure and total: unsupported
 * events and subtypes give [], a body that is not what its event promises throws NormalizeError.
 *
 * Ids: a message is `slack:<team>:<channel>:<ts>`; a thread is named by its root message, so
 * the opening's id is the thread id. Slack retries keep every ts, so they dedupe by id.
 */
export function normalizeSlackEnvelope(envelope: Envelope, config: Config): Activity[] {
  return normalizeTotally(envelope, "slack", isSupportedSlackEvent(envelope.eventType), () => normalizeSupported(envelope, config));
}

function normalizeSupported(envelope: Envelope, config: Config): Activity[] {
  const parsed = parseSlackBody(envelope.body, envelope.contentType || envelope.headers["content-type"]);
  if (!parsed.ok) throw new NormalizeError(`slack ${envelope.eventType}: ${parsed.reason}`, envelope.id);
  const callback = readWith(envelope, envelope.eventType, P.EventCallbackSchema, parsed.payload);
  const event = callback.event;
  const subtype = typeof event["subtype"] === "string" ? event["subtype"] : undefined;
  const ctx: Context = {
    envelope,
    config,
    slack: config.sources?.slack ?? SOURCE_DEFAULTS.slack(),
    callback,
    team: callback.team_id,
    where: subtype ? `${event.type}.${subtype}` : event.type,
  };
  switch (event.type) {
    case "message":
      return messageEvent(ctx, subtype);
    case "reaction_added":
    case "reaction_removed":
      return reactionEvent(ctx);
    case "app_uninstalled":
    case "tokens_revoked":
      return [appEvent(ctx)];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

function messageEvent(ctx: Context, subtype: string | undefined): Activity[] {
  switch (subtype) {
    case "message_changed": {
      const event = read(ctx, P.MessageChangedEventSchema);
      if (!watched(ctx, event.channel, event.channel_type)) return [];
      const message = event.message;
      // Deleting a root that has replies leaves a "This message was deleted." tombstone in its place.
      if (message.subtype === "tombstone") {
        return [tombstone(ctx, event.channel, message.ts, message.thread_ts, null, null, event.event_ts ?? event.ts)];
      }
      if (message.subtype !== undefined && !isPostedSubtype(message.subtype)) return [];
      return [messageActivity(ctx, event.channel, message)];
    }
    case "message_deleted": {
      const event = read(ctx, P.MessageDeletedEventSchema);
      if (!watched(ctx, event.channel, event.channel_type)) return [];
      const previous = event.previous_message;
      const author = previous && (previous.user || previous.bot_id) ? messageActor(ctx, previous) : null;
      const rootAuthor = previous?.parent_user_id ? userActor(ctx, previous.parent_user_id) : null;
      return [tombstone(ctx, event.channel, event.deleted_ts, previous?.thread_ts, author, rootAuthor, event.event_ts ?? event.ts)];
    }
    default: {
      if (subtype !== undefined && !isPostedSubtype(subtype)) return [];
      const event = read(ctx, P.PostedMessageEventSchema);
      if (!watched(ctx, event.channel, event.channel_type)) return [];
      return [messageActivity(ctx, event.channel, event)];
    }
  }
}

function isPostedSubtype(subtype: string): boolean {
  return (SLACK_POSTED_SUBTYPES as readonly string[]).includes(subtype);
}

/** A root message opens (or re-snapshots) its thread; any other message is a reply in one. */
function messageActivity(ctx: Context, channelId: string, message: P.SlackMessage): Activity {
  const actor = messageActor(ctx, message);
  const plain = slackTextToPlain(message.text ?? "");
  const channel = channelOf(ctx, channelId);
  const rootTs = message.thread_ts ?? message.ts;
  const isReply = slackTsVersion(rootTs) !== slackTsVersion(message.ts);
  const id = messageId(ctx, channelId, message.ts);
  const occurredAt = slackTsToInstant(message.ts);
  const version = slackTsVersion(message.edited?.ts ?? message.ts);
  const excerpt = excerptOf(plain, ctx.config.privacy.excerptLength);

  if (isReply) {
    const rootAuthor = message.parent_user_id ? userActor(ctx, message.parent_user_id) : null;
    return build(ctx, channel, replyRef(ctx, channelId, rootTs, rootAuthor), {
      id,
      kind: "reply",
      actor,
      occurredAt,
      version,
      url: link(ctx, channelId, message.ts, rootTs),
      excerpt,
    });
  }

  const { score } = scoreQuestion(plain);
  const url = link(ctx, channelId, message.ts, null);
  const ref: ThreadRef = {
    id,
    title: titleOf(plain) || "(no text)",
    url,
    author: actor,
    createdAt: occurredAt,
    // A bot's post is never a question, whatever it says; a rule decided, so no score.
    isQuestion: !actor.isBot && score >= ctx.slack.questionThreshold,
    version,
    questionScore: actor.isBot ? null : score,
  };
  return build(ctx, channel, ref, { id, kind: "thread_opened", actor, occurredAt, version, url, excerpt });
}

/**
 * What a reply, reaction or deletion knows of its thread: the id, the root's author and time.
 * Version "" sorts below every real snapshot, so the opening decides title and question-ness.
 */
function replyRef(ctx: Context, channelId: string, rootTs: string, rootAuthor: Actor | null): ThreadRef {
  return {
    id: messageId(ctx, channelId, rootTs),
    title: "",
    url: link(ctx, channelId, rootTs, null),
    author: rootAuthor,
    createdAt: slackTsToInstant(rootTs),
    isQuestion: false,
    version: "",
    questionScore: null,
  };
}

function tombstone(
  ctx: Context,
  channelId: string,
  deletedTs: string,
  threadTs: string | undefined,
  author: Actor | null,
  rootAuthor: Actor | null,
  deletedAt: string,
): Activity {
  // Without the deleted message's thread_ts, Slack has not said it was a reply: take it as a root.
  const rootTs = threadTs ?? deletedTs;
  const target = messageId(ctx, channelId, deletedTs);
  const isReply = slackTsVersion(rootTs) !== slackTsVersion(deletedTs);
  return build(ctx, channelOf(ctx, channelId), replyRef(ctx, channelId, rootTs, isReply ? rootAuthor : author), {
    id: `${target}:deleted`,
    kind: "deleted",
    // Slack does not say who deleted it; the author is the best we know (often the same person).
    actor: author ?? unknownActor(),
    occurredAt: slackTsToInstant(deletedAt),
    version: slackTsVersion(deletedAt),
    url: link(ctx, channelId, rootTs, null),
    target,
  });
}

// ---------------------------------------------------------------------------------------------
// Reactions

/**
 * An answered-reaction (✅ by default) on a root message by someone other than its author
 * accepts an answer, credited to the reactor: in chat the helper often reacts instead of the
 * asker, and there is no answer post to point at. The target names the reaction itself, not
 * the question, so removing the reaction (same target, later time) cancels only it.
 *
 * Limit: a reaction event does not say whether its message is a root or a reply. A reaction on
 * a reply is filed under a thread named after that reply, which has no opening and is never a
 * question, so it changes nothing (and is not counted as answering the real thread either).
 */
function reactionEvent(ctx: Context): Activity[] {
  const event = read(ctx, P.ReactionEventSchema);
  const { channel, ts } = event.item;
  if (event.item.type !== "message" || !channel || !ts) return [];
  // Skin tones arrive as "white_check_mark::skin-tone-2"; the reaction is the same.
  const reaction = event.reaction.split("::")[0]!;
  if (!watched(ctx, channel, undefined)) return [];
  if (ctx.slack.questionReactions.includes(reaction)) return questionMark(ctx, event, reaction);
  if (!ctx.slack.answeredReactions.includes(reaction)) return [];
  if (event.item_user !== undefined && event.item_user === event.user) return [];

  const ref = replyRef(ctx, channel, ts, event.item_user ? userActor(ctx, event.item_user) : null);
  const target = `${ref.id}:reaction:${reaction}:${event.user}`;
  const at = event.event_ts ?? secondsToSlackTs(ctx.callback.event_time);
  const added = event.type === "reaction_added";
  return [
    build(ctx, channelOf(ctx, channel), ref, {
      id: `${target}:${added ? "added" : "removed"}`,
      kind: added ? "answer_accepted" : "answer_unaccepted",
      actor: userActor(ctx, event.user),
      occurredAt: slackTsToInstant(at),
      version: slackTsVersion(at),
      url: ref.url,
      target,
      // The fold takes it as answering, at no known moment: no first response, no answer time.
      ...(event.community_signals_time_unknown ? { reason: ACCEPTED_AT_UNKNOWN_TIME } : {}),
    }),
  ];
}

/**
 * A team member's question reaction (❓ by default) marks the message as a question, whatever
 * the classifier said; taking the reaction back removes the mark. Anyone else's is ignored.
 */
function questionMark(ctx: Context, event: z.infer<typeof P.ReactionEventSchema>, reaction: string): Activity[] {
  const actor = userActor(ctx, event.user);
  if (!actor.isTeam) return [];
  const { channel, ts } = event.item;
  const ref = replyRef(ctx, channel!, ts!, event.item_user ? userActor(ctx, event.item_user) : null);
  const target = `${ref.id}:question-mark:${reaction}:${event.user}`;
  const at = event.event_ts ?? secondsToSlackTs(ctx.callback.event_time);
  const added = event.type === "reaction_added";
  return [
    build(ctx, channelOf(ctx, channel!), ref, {
      id: `${target}:${added ? "added" : "removed"}`,
      kind: added ? "question_marked" : "question_unmarked",
      actor,
      occurredAt: slackTsToInstant(at),
      version: slackTsVersion(at),
      url: ref.url,
      target,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// The app itself

function appEvent(ctx: Context): Activity {
  const type = ctx.callback.event.type;
  let excerpt: string | null = null;
  if (type === "tokens_revoked") {
    const { tokens } = read(ctx, P.TokensRevokedEventSchema);
    excerpt = `revoked tokens: ${tokens.oauth?.length ?? 0} user, ${tokens.bot?.length ?? 0} bot`;
  }
  const at = secondsToSlackTs(ctx.callback.event_time);
  const appId = ctx.callback.api_app_id ?? "unknown";
  return build(ctx, { id: ctx.team, name: "Slack workspace" }, null, {
    id: `slack:${ctx.team}:${type}:${ctx.callback.event_id}`,
    kind: "app_event",
    actor: { id: `slack:app:${appId}`, login: appId, name: null, isBot: true, isTeam: false },
    occurredAt: slackTsToInstant(at),
    version: slackTsVersion(at),
    excerpt,
    reason: type,
  });
}

// ---------------------------------------------------------------------------------------------
// Channels, links, actors

function watched(ctx: Context, channelId: string, channelType: string | undefined): boolean {
  // Direct messages to the app are private conversations, not community channels.
  if (channelId.startsWith("D") || channelType === "im" || channelType === "mpim") return false;
  return ctx.slack.channels.length === 0 || ctx.slack.channels.includes(channelId);
}

function channelOf(ctx: Context, channelId: string): Channel {
  return { id: channelId, name: (Object.hasOwn(ctx.slack.channelNames, channelId) ? ctx.slack.channelNames[channelId] : undefined) ?? `#${channelId}` };
}

function messageId(ctx: Context, channelId: string, ts: string): string {
  return `slack:${ctx.team}:${channelId}:${slackTsVersion(ts)}`;
}

/** Slack's permalink shape with a workspace URL; without one, the channel in the web client. */
function link(ctx: Context, channelId: string, ts: string, rootTs: string | null): string {
  if (!ctx.slack.workspaceUrl) return `https://app.slack.com/client/${ctx.team}/${channelId}`;
  const base = `${trimTrailingSlashes(ctx.slack.workspaceUrl)}/archives/${channelId}/p${slackTsVersion(ts).replace(".", "")}`;
  return rootTs === null ? base : `${base}?thread_ts=${slackTsVersion(rootTs)}&cid=${channelId}`;
}

function userActor(ctx: Context, userId: string, name: string | null = null, isBot = false): Actor {
  return {
    id: `slack:user:${userId}`,
    login: userId,
    name,
    isBot,
    isTeam: isRosterMember(ctx.config, "slack", userId),
  };
}

function messageActor(ctx: Context, message: Partial<P.SlackMessage>): Actor {
  const isBot = Boolean(message.bot_id) || Boolean(message.bot_profile) || message.subtype === "bot_message";
  const name =
    message.user_profile?.real_name || message.user_profile?.display_name || message.bot_profile?.name || message.username || null;
  if (message.user) return userActor(ctx, message.user, name, isBot);
  if (message.bot_id) return { id: `slack:bot:${message.bot_id}`, login: message.bot_id, name, isBot: true, isTeam: false };
  throw fail(ctx, "message has neither user nor bot_id");
}

function unknownActor(): Actor {
  return { id: "slack:user:unknown", login: "unknown", name: null, isBot: false, isTeam: false };
}

function build(ctx: Context, channel: Channel, thread: ThreadRef | null, f: ActivityFields): Activity {
  return buildActivity({ source: "slack", instance: ctx.team, channel, receivedAt: ctx.envelope.receivedAt, excerptLength: ctx.config.privacy.excerptLength }, thread, f);
}

// ---------------------------------------------------------------------------------------------
// Validation

function read<S extends z.ZodMiniType>(ctx: Context, schema: S): z.output<S> {
  return readWith(ctx.envelope, ctx.where, schema, ctx.callback.event, "event.");
}

function readWith<S extends z.ZodMiniType>(envelope: Envelope, where: string, schema: S, value: unknown, prefix = ""): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length ? `${prefix}${issue.path.map(String).join(".")}` : prefix ? prefix.slice(0, -1) : "(body)";
    return `${path}: ${issue.message}`;
  });
  throw new NormalizeError(`slack ${where}: ${problems.join("; ")}`, envelope.id);
}

function fail(ctx: Context, problem: string): NormalizeError {
  return new NormalizeError(`slack ${ctx.where}: ${problem}`, ctx.envelope.id);
}
