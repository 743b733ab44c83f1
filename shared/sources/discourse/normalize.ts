import type * as z from "../../model/zod.ts";
import { buildActivity, normalizeTotally, type ActivityFields } from "../common.ts";
import { BACKFILL_HEADER } from "../../backfill/types.ts";
import { ACCEPTED_AT_UNKNOWN_TIME, excerptOf, toInstant } from "../../model/activity.ts";
import type { Activity, Actor, Channel, ThreadRef } from "../../model/activity.ts";
import { isRosterMember, SOURCE_DEFAULTS } from "../../model/config-values.ts";
import type { Config, DiscourseSourceConfig } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import { trimTrailingSlashes } from "../../text/index.ts";
import { NormalizeError } from "../types.ts";
import { parseDiscourseBody } from "./body.ts";
import { discourseEventType, isSupportedDiscourseEvent } from "./classify.ts";
import type { DiscourseSupportedEvent } from "./classify.ts";
import * as P from "./payload.ts";
import { cookedToPlain } from "./text.ts";

/*
 * Versions (the store keeps, per natural id, the greatest; all are `toInstant` strings or ""):
 * - A post's activity: its `updated_at` (an edit moves it; the revision number would too, but
 *   `updated_at` also orders against topic snapshots, which have no number).
 * - The opening (id = thread id): from post 1, its `updated_at`; from `topic_edited`, the time we
 *   received it (topic payloads carry no `updated_at`, and an edit is news); from every other
 *   topic event, "" so an opening built from post 1, which carries the body (the excerpt),
 *   always wins over one that cannot.
 * - Thread refs: post 1 and `topic_edited` as above; other topic events `created_at` (full facts
 *   of unknown age, never newer than post 1's); replies and small actions "" (no topic author).
 * - Times Discourse does not send (when a topic was closed, an answer accepted, a post deleted
 *   without `deleted_at`, anything recovered) are the time we received the event.
 */

interface Context {
  envelope: Envelope;
  config: Config;
  discourse: DiscourseSourceConfig;
  event: DiscourseSupportedEvent;
  /** Hostname of X-Discourse-Instance: the activity `instance` and part of every id. */
  host: string;
  /** X-Discourse-Instance without a trailing slash, for links (subfolder installs keep their path). */
  base: string;
  receivedAt: string;
}

/** What an activity knows about its topic. */
interface ThreadInfo {
  ref: ThreadRef;
  channel: Channel;
}

/** Discourse's own accounts: `system` (id -1), `discobot` (id -2); every id <= 0 is one of them. */
const BOT_USERNAMES = new Set(["system", "discobot"]);

/**
 * Turn one queued Discourse delivery into activities. Pure and total: unsupported events,
 * private messages and unwatched forums give [], a body that is not what its event promises
 * throws NormalizeError.
 */
export function normalizeDiscourseEnvelope(envelope: Envelope, config: Config): Activity[] {
  const event = envelope.eventType;
  return normalizeTotally(envelope, "discourse", isSupportedDiscourseEvent(event), () => normalizeSupported(envelope, config, event as DiscourseSupportedEvent));
}

function normalizeSupported(envelope: Envelope, config: Config, event: DiscourseSupportedEvent): Activity[] {
  const parsed = parseDiscourseBody(envelope.body, envelope.contentType || envelope.headers["content-type"]);
  if (!parsed.ok) throw new NormalizeError(`discourse ${event}: ${parsed.reason}`, envelope.id);

  const instance = parseInstance(envelope, event);
  const discourse = config.sources?.discourse ?? SOURCE_DEFAULTS.discourse();
  if (!instanceAccepted(discourse, instance.base)) return [];

  const ctx: Context = { envelope, config, discourse, event, ...instance, receivedAt: toInstant(envelope.receivedAt) };
  switch (discourseEventType(event)) {
    case "topic":
      return topicEvent(ctx, read(ctx, P.TopicEventSchema, parsed.payload).topic);
    case "post":
      return postEvent(ctx, read(ctx, P.PostEventSchema, parsed.payload).post);
    case "solved":
      return solvedEvent(ctx, read(ctx, P.SolvedEventSchema, parsed.payload).solved);
  }
}

// ---------------------------------------------------------------------------------------------
// Events

function topicEvent(ctx: Context, topic: P.DiscourseTopic): Activity[] {
  if (topic.archetype === "private_message") return [];
  const createdAt = toInstant(topic.created_at);
  const edited = ctx.event === "topic_edited";
  const thread = topicThread(ctx, topic, edited ? ctx.receivedAt : createdAt);
  const opening = openingFromTopic(ctx, thread, edited ? ctx.receivedAt : "");

  switch (ctx.event) {
    case "topic_destroyed": {
      const deletedBy = topic.deleted_by && "username" in topic.deleted_by ? (topic.deleted_by as P.DiscourseBasicUser) : null;
      const at = topic.deleted_at ? toInstant(topic.deleted_at) : ctx.receivedAt;
      return [tombstone(ctx, thread, thread.ref.id, at, deletedBy ? actorOf(ctx, deletedBy) : unknownActor(ctx))];
    }
    case "topic_recovered":
      return [opening, restoration(ctx, thread, thread.ref.id)];
    case "topic_closed_status_updated":
    case "topic_autoclosed_status_updated":
    case "topic_archived_status_updated":
      return [opening, statusChange(ctx, thread, topic)];
    default:
      return [opening];
  }
}

function postEvent(ctx: Context, post: P.DiscoursePost): Activity[] {
  if (post.topic_archetype === "private_message") return [];
  const type = post.post_type ?? P.POST_TYPES.regular;
  if (type === P.POST_TYPES.smallAction || type === P.POST_TYPES.moderatorAction) {
    // The notice Discourse posts when a topic is closed or archived: the one place that says when, and by whom.
    return ctx.event === "post_created" ? smallAction(ctx, post) : [];
  }
  // Whispers are staff-only notes the asker never sees: not an answer, not community activity.
  if (type !== P.POST_TYPES.regular) return [];

  const thread = postThread(ctx, post);
  const activityId = postActivityId(ctx, post);
  switch (ctx.event) {
    case "post_created":
    case "post_edited":
      return [postSnapshot(ctx, thread, post)];
    case "post_destroyed": {
      const at = post.deleted_at ? toInstant(post.deleted_at) : ctx.receivedAt;
      return [tombstone(ctx, thread, activityId, at, unknownActor(ctx))];
    }
    case "post_recovered":
      return [postSnapshot(ctx, thread, post), restoration(ctx, thread, activityId)];
    default:
      return [];
  }
}

function solvedEvent(ctx: Context, post: P.DiscoursePost): Activity[] {
  if (post.topic_archetype === "private_message") return [];
  const thread = postThread(ctx, post);
  const answerId = postActivityId(ctx, post);
  const at = ctx.receivedAt;
  const regular = (post.post_type ?? P.POST_TYPES.regular) === P.POST_TYPES.regular;
  const snapshot = regular ? [postSnapshot(ctx, thread, post)] : [];
  if (ctx.event === "accepted_solution") {
    return [
      ...snapshot,
      inThread(ctx, thread, {
        id: `${thread.ref.id}:accepted:${post.id}:${at}`,
        kind: "answer_accepted",
        // Credit goes to whoever wrote the answer; the payload does not say who marked it.
        actor: postAuthor(ctx, post),
        occurredAt: at,
        version: at,
        url: postUrl(ctx, post),
        excerpt: postExcerpt(ctx, post),
        target: answerId,
        // Backfill reads that an answer is accepted, not when: it answers, at no known moment.
        ...(ctx.envelope.headers[BACKFILL_HEADER] === "1" ? { reason: ACCEPTED_AT_UNKNOWN_TIME } : {}),
      }),
    ];
  }
  return [
    ...snapshot,
    inThread(ctx, thread, {
      id: `${thread.ref.id}:unaccepted:${post.id}:${at}`,
      kind: "answer_unaccepted",
      actor: unknownActor(ctx),
      occurredAt: at,
      version: at,
      url: postUrl(ctx, post),
      target: answerId,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Opening, replies, closes, deletions

function openingFromTopic(ctx: Context, thread: ThreadInfo, version: string): Activity {
  return inThread(ctx, thread, {
    id: thread.ref.id,
    kind: "thread_opened",
    actor: thread.ref.author ?? unknownActor(ctx),
    occurredAt: thread.ref.createdAt ?? ctx.receivedAt,
    version,
    url: thread.ref.url,
  });
}

/** Post 1 is the opening (id = thread id); every later regular post is a reply. */
function postSnapshot(ctx: Context, thread: ThreadInfo, post: P.DiscoursePost): Activity {
  return inThread(ctx, thread, {
    id: postActivityId(ctx, post),
    kind: post.post_number === 1 ? "thread_opened" : "reply",
    actor: postAuthor(ctx, post),
    occurredAt: toInstant(post.created_at),
    version: toInstant(post.updated_at),
    url: post.post_number === 1 ? thread.ref.url : postUrl(ctx, post),
    excerpt: postExcerpt(ctx, post),
  });
}

/**
 * A status update says which status changed, the topic says where it stands now. Closed wins
 * over archived-and-open, so unarchiving a topic that is still closed does not reopen it.
 */
function statusChange(ctx: Context, thread: ThreadInfo, topic: P.DiscourseTopic): Activity {
  const closed = topic.closed === true;
  const archived = topic.archived === true;
  let reason: string | null;
  if (ctx.event === "topic_archived_status_updated") reason = archived ? "archived" : closed ? "closed" : null;
  else reason = closed ? (ctx.event === "topic_autoclosed_status_updated" ? "autoclosed" : "closed") : archived ? "archived" : null;
  const at = ctx.receivedAt;
  if (reason === null) {
    const word = ctx.event === "topic_archived_status_updated" ? "unarchived" : "reopened";
    return inThread(ctx, thread, {
      id: `${thread.ref.id}:${word}:${at}`,
      kind: "thread_reopened",
      actor: unknownActor(ctx),
      occurredAt: at,
      version: at,
      url: thread.ref.url,
    });
  }
  return closeActivity(ctx, thread, reason, at, unknownActor(ctx));
}

const SMALL_ACTIONS: Record<string, { close: string } | { reopen: string }> = {
  "closed.enabled": { close: "closed" },
  "autoclosed.enabled": { close: "autoclosed" },
  "archived.enabled": { close: "archived" },
  "closed.disabled": { reopen: "reopened" },
  "autoclosed.disabled": { reopen: "reopened" },
  // A post cannot tell whether the topic is still closed; the status event that follows can, and is later.
  "archived.disabled": { reopen: "unarchived" },
};

function smallAction(ctx: Context, post: P.DiscoursePost): Activity[] {
  const action = post.action_code && Object.hasOwn(SMALL_ACTIONS, post.action_code) ? SMALL_ACTIONS[post.action_code] : undefined;
  if (!action) return [];
  const thread = postThread(ctx, post);
  const at = toInstant(post.created_at);
  const actor = postAuthor(ctx, post);
  if ("close" in action) return [closeActivity(ctx, thread, action.close, at, actor)];
  return [
    inThread(ctx, thread, {
      id: `${thread.ref.id}:${action.reopen}:${at}`,
      kind: "thread_reopened",
      actor,
      occurredAt: at,
      version: at,
      url: thread.ref.url,
    }),
  ];
}

function closeActivity(ctx: Context, thread: ThreadInfo, reason: string, at: string, actor: Actor): Activity {
  return inThread(ctx, thread, {
    id: `${thread.ref.id}:${reason === "archived" ? "archived" : "closed"}:${at}`,
    kind: "thread_closed",
    actor,
    occurredAt: at,
    version: at,
    url: thread.ref.url,
    reason,
  });
}

/**
 * Deletion and recovery are two versions of one natural id `<target>:deleted`, both stamped
 * with instants, so whichever happened last is the one the store keeps.
 */
function tombstone(ctx: Context, thread: ThreadInfo, target: string, at: string, actor: Actor): Activity {
  return inThread(ctx, thread, {
    id: `${target}:deleted`,
    kind: "deleted",
    actor,
    occurredAt: at,
    version: at,
    url: thread.ref.url,
    target,
  });
}

function restoration(ctx: Context, thread: ThreadInfo, target: string): Activity {
  const at = ctx.receivedAt;
  return inThread(ctx, thread, {
    id: `${target}:deleted`,
    kind: "restored",
    actor: unknownActor(ctx),
    occurredAt: at,
    version: at,
    url: thread.ref.url,
    target,
  });
}

// ---------------------------------------------------------------------------------------------
// Threads, ids, links

function threadId(ctx: Context, topicId: number): string {
  return `discourse:${ctx.host}:topic:${topicId}`;
}

function postActivityId(ctx: Context, post: P.DiscoursePost): string {
  return post.post_number === 1 ? threadId(ctx, post.topic_id) : `discourse:${ctx.host}:post:${post.id}`;
}

function topicUrl(ctx: Context, topicId: number, slug: string | null | undefined): string {
  return slug ? `${ctx.base}/t/${slug}/${topicId}` : `${ctx.base}/t/${topicId}`;
}

function postUrl(ctx: Context, post: P.DiscoursePost): string {
  return `${topicUrl(ctx, post.topic_id, post.topic_slug)}/${post.post_number}`;
}

function topicThread(ctx: Context, topic: P.DiscourseTopic, version: string): ThreadInfo {
  const author = topic.created_by ? actorOf(ctx, topic.created_by) : null;
  // Topic payloads name the category by id only.
  const category = topic.category_id ?? null;
  return {
    ref: {
      id: threadId(ctx, topic.id),
      title: topic.title,
      url: topicUrl(ctx, topic.id, topic.slug),
      author,
      createdAt: toInstant(topic.created_at),
      isQuestion: isQuestion(ctx, category, null, author),
      version,
    },
    channel: channelOf(ctx, category, null),
  };
}

/** Post 1 knows the whole topic; a later post knows its title and category but not who asked, nor when. */
function postThread(ctx: Context, post: P.DiscoursePost): ThreadInfo {
  const opening = post.post_number === 1;
  const author = opening ? postAuthor(ctx, post) : null;
  const category = post.category_id ?? null;
  return {
    ref: {
      id: threadId(ctx, post.topic_id),
      title: post.topic_title ?? "",
      url: topicUrl(ctx, post.topic_id, post.topic_slug),
      author,
      createdAt: opening ? toInstant(post.created_at) : null,
      isQuestion: isQuestion(ctx, category, post.category_slug ?? null, author),
      version: opening ? toInstant(post.updated_at) : "",
    },
    channel: channelOf(ctx, category, post.category_slug ?? null),
  };
}

function channelOf(ctx: Context, categoryId: number | null, slug: string | null): Channel {
  if (categoryId === null) return { id: `${ctx.host}/c/none`, name: "uncategorized" };
  return { id: `${ctx.host}/c/${categoryId}`, name: slug || `category ${categoryId}` };
}

function matchesCategory(key: string, categoryId: number | null, slug: string | null): boolean {
  const needle = key.trim().toLowerCase();
  return (categoryId !== null && needle === String(categoryId)) || (slug !== null && needle === slug.toLowerCase());
}

/** The per-category override first, then the source-wide rule; Discourse's own bots never ask. */
function isQuestion(ctx: Context, categoryId: number | null, slug: string | null, author: Actor | null): boolean {
  if (author?.isBot) return false;
  const override = Object.entries(ctx.discourse.categories).find(([key]) => matchesCategory(key, categoryId, slug));
  if (override) return override[1] === "all";
  switch (ctx.discourse.questions) {
    case "all":
      return true;
    case "none":
      return false;
    case "solved":
      return ctx.discourse.solvedCategories.some((key) => matchesCategory(key, categoryId, slug));
  }
}

// ---------------------------------------------------------------------------------------------
// Actors and activity construction

interface DiscourseUser {
  id?: number | null | undefined;
  username: string;
  name?: string | null | undefined;
  staff?: boolean | null | undefined;
  admin?: boolean | null | undefined;
  moderator?: boolean | null | undefined;
}

function actorOf(ctx: Context, user: DiscourseUser): Actor {
  const id = user.id ?? null;
  const staff = user.staff === true || user.admin === true || user.moderator === true;
  return {
    id: `discourse:${ctx.host}:user:${id ?? user.username.toLowerCase()}`,
    login: user.username,
    name: user.name || null,
    isBot: (id !== null && id <= 0) || BOT_USERNAMES.has(user.username.toLowerCase()),
    isTeam: isRosterMember(ctx.config, "discourse", user.username) || (ctx.discourse.staffIsTeam && staff),
  };
}

function postAuthor(ctx: Context, post: P.DiscoursePost): Actor {
  return actorOf(ctx, { ...post, id: post.user_id });
}

/** Who closed, unaccepted, deleted or recovered: Discourse's payloads do not say. */
function unknownActor(ctx: Context): Actor {
  return { id: `discourse:${ctx.host}:user:unknown`, login: "unknown", name: null, isBot: false, isTeam: false };
}

function postExcerpt(ctx: Context, post: P.DiscoursePost): string | null {
  const body = post.raw ?? (post.cooked ? cookedToPlain(post.cooked) : null);
  return excerptOf(body, ctx.config.privacy.excerptLength);
}

function inThread(ctx: Context, thread: ThreadInfo, f: ActivityFields): Activity {
  const ref = { ...thread.ref, author: thread.ref.author ? { ...thread.ref.author } : null };
  return buildActivity(
    { source: "discourse", instance: ctx.host, channel: thread.channel, receivedAt: ctx.receivedAt, excerptLength: ctx.config.privacy.excerptLength },
    ref,
    f,
  );
}

// ---------------------------------------------------------------------------------------------
// Validation

function parseInstance(envelope: Envelope, event: string): { host: string; base: string } {
  const raw = envelope.headers["x-discourse-instance"];
  if (!raw) throw new NormalizeError(`discourse ${event}: missing X-Discourse-Instance header`, envelope.id);
  const base = baseUrl(raw);
  if (base === null) {
    throw new NormalizeError(`discourse ${event}: X-Discourse-Instance is not an http(s) URL: ${JSON.stringify(raw)}`, envelope.id);
  }
  return base;
}

/** `https://Forum.Example.com/community/` -> host `forum.example.com`, base `https://forum.example.com/community`. */
export function baseUrl(raw: string): { host: string; base: string } | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.hostname === "") return null;
  return { host: url.hostname, base: `${url.origin}${trimTrailingSlashes(url.pathname)}` };
}

function instanceAccepted(discourse: DiscourseSourceConfig, base: string): boolean {
  if (discourse.instances.length === 0) return true;
  return discourse.instances.some((configured) => baseUrl(configured)?.base === base);
}

function read<S extends z.ZodMiniType>(ctx: { envelope: Envelope; event: string }, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join(".") : "(payload)";
    return `${path}: ${issue.message}`;
  });
  throw new NormalizeError(`discourse ${ctx.event}: ${problems.join("; ")}`, ctx.envelope.id);
}
