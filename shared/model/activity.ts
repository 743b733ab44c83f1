import * as z from "./zod.ts";
import { MAX_EXCERPT_LENGTH, boundName, boundTitle, boundedHttpUrl, truncate } from "../text/index.ts";

/** Platforms we take signals from. */
export const SourceSchema = z.enum(["github", "discourse", "slack", "discord", "stackoverflow"]);
export type Source = z.infer<typeof SourceSchema>;

/** ISO-8601 instant, always normalised to `toISOString()` form (UTC, milliseconds). */
export const InstantSchema = z.iso.datetime({ offset: true });

export const ActivityKindSchema = z.enum([
  "thread_opened",
  "reply",
  /** A comment on a question or an answer (Stack Exchange): activity in the thread, never an answer. */
  "comment",
  "answer_accepted",
  "answer_unaccepted",
  /**
   * A team member marked a message as a question (a reaction, ❓ by default) or took the mark
   * back; `target` names the mark, so its removal cancels only it.
   */
  "question_marked",
  "question_unmarked",
  "thread_closed",
  "thread_reopened",
  "deleted",
  "restored",
  "review",
  "reaction",
  "star",
  "unstar",
  "fork",
  "member_joined",
  "member_left",
  /** Something about the integration itself (Slack app_uninstalled, tokens_revoked); `reason` says what. */
  "app_event",
  /**
   * Actions an advocate took from a signed digest link (actor = the advocate). They live in the
   * thread's partition like any activity, so the fold sees them: snooze (`until` says how long),
   * not a question, resolved, and "I'll take it" (assigns the thread to the actor).
   */
  "action_snooze",
  "action_not_a_question",
  "action_resolved",
  "action_take",
]);
export type ActivityKind = z.infer<typeof ActivityKindSchema>;

/*
 * Bounds (shared/text/limits.ts): what adapters emit goes through `buildActivity`, which
 * applies `boundActor` / `boundThreadRef` below, so titles are at most MAX_TITLE_LENGTH (300)
 * characters, logins, names and channel names MAX_NAME_LENGTH (200), excerpts the configured
 * `privacy.excerptLength` (at most MAX_EXCERPT_LENGTH, 2000), and every URL is an absolute
 * http(s) URL of at most MAX_URL_LENGTH (2048) characters or absent (activity `url` null,
 * thread `url` ""). The schemas below do not reject longer values: they also read records
 * stored before the bounds existed, and reading one must not fail.
 */

export const ActorSchema = z.object({
  /** Platform-scoped stable id, e.g. `github:user:583231`. */
  id: z.string().check(z.minLength(1)),
  /** At most MAX_NAME_LENGTH characters, one line. */
  login: z.string(),
  /** At most MAX_NAME_LENGTH characters, one line. */
  name: z.nullable(z.string()),
  isBot: z.boolean(),
  isTeam: z.boolean(),
});
export type Actor = z.infer<typeof ActorSchema>;

export const ChannelSchema = z.object({
  id: z.string().check(z.minLength(1)),
  /** At most MAX_NAME_LENGTH characters, one line. */
  name: z.string(),
});
export type Channel = z.infer<typeof ChannelSchema>;

/**
 * What an activity knows about the thread it belongs to. Every activity of a thread carries
 * one, so a reply that arrives before its question can stand on its own until the opening
 * arrives (DESIGN.md, "A reply may arrive before its question").
 */
export const ThreadRefSchema = z.object({
  id: z.string().check(z.minLength(1)),
  /** One line, at most MAX_TITLE_LENGTH characters. */
  title: z.string(),
  /** An absolute http(s) URL of at most MAX_URL_LENGTH characters, or "" when there is none (or it was unsafe). */
  url: z.string(),
  author: z.nullable(ActorSchema),
  /** Platform creation time of the thread, when the platform says it. */
  createdAt: z.nullable(InstantSchema),
  isQuestion: z.boolean(),
  /** Platform version of this snapshot (e.g. `updated_at`), to pick the newest one. */
  version: z.string(),
  /** How sure the question classifier is (0..1) where one decided `isQuestion`; null where a rule did. */
  questionScore: z.optional(z.nullable(z.number().check(z.minimum(0), z.maximum(1)))),
  /**
   * Whether the platform lets an answer be marked on this thread (a GitHub discussion in an
   * answerable category, a Discourse topic in a Solved category). Absent means no.
   */
  acceptsAnswers: z.optional(z.boolean()),
});
export type ThreadRef = z.infer<typeof ThreadRefSchema>;

/**
 * One thing a person did on a platform. `id` is a stable natural id, so a retried or
 * duplicated delivery can never be counted twice. This is the contract analysts see.
 */
export const ActivitySchema = z.object({
  id: z.string().check(z.minLength(1)),
  source: SourceSchema,
  /** org/repo, forum host, Slack team, Discord guild. */
  instance: z.string().check(z.minLength(1)),
  channel: ChannelSchema,
  kind: ActivityKindSchema,
  thread: z.nullable(ThreadRefSchema),
  actor: ActorSchema,
  occurredAt: InstantSchema,
  receivedAt: InstantSchema,
  /** An absolute http(s) URL of at most MAX_URL_LENGTH characters, or null. */
  url: z.nullable(z.string()),
  /** Bounded length (`privacy.excerptLength`, at most MAX_EXCERPT_LENGTH); full bodies are not stored. */
  excerpt: z.nullable(z.string()),
  isQuestion: z.boolean(),
  /**
   * Orders versions of the same natural id (platform `updated_at`, or a version number
   * zero-padded): the store keeps the greatest.
   */
  version: z.string(),
  /** For `deleted`: the natural id of the activity it removes. For answer (un)acceptance: the answer's activity id. */
  target: z.nullable(z.string()),
  /**
   * For `thread_closed`: why (`completed`, `not_planned`, `transferred`, `locked`, ...). For
   * `answer_accepted`: `ACCEPTED_AT_UNKNOWN_TIME` when the platform did not say when (a Slack
   * reaction read by backfill).
   */
  reason: z.nullable(z.string()),
  /** For `action_snooze`: the instant the snooze ends. */
  until: z.optional(z.nullable(InstantSchema)),
});
export type Activity = z.infer<typeof ActivitySchema>;

/** `reason` of an acceptance whose moment is unknown: it answers, but is no first response and no answer time. */
export const ACCEPTED_AT_UNKNOWN_TIME = "time-unknown";

/** Bound an excerpt to `max` characters (never more than MAX_EXCERPT_LENGTH) on a whitespace-collapsed body. */
export function excerptOf(body: string | null | undefined, max: number): string | null {
  if (!body || max <= 0) return null;
  const flat = body.replace(/\s+/g, " ").trim();
  if (flat.length === 0) return null;
  return truncate(flat, Math.min(max, MAX_EXCERPT_LENGTH));
}

/** An excerpt already made, cut to `max` characters (at most MAX_EXCERPT_LENGTH); none when `max` is 0. */
export function boundExcerpt(excerpt: string | null | undefined, max: number): string | null {
  if (excerpt === null || excerpt === undefined || max <= 0) return null;
  return truncate(excerpt, Math.min(max, MAX_EXCERPT_LENGTH));
}

/** An actor with its login and name bounded (MAX_NAME_LENGTH, one line). Ids are left alone: they are identity. */
export function boundActor(actor: Actor): Actor {
  return { ...actor, login: boundName(actor.login), name: actor.name === null ? null : boundName(actor.name) };
}

/** A channel with its name bounded (MAX_NAME_LENGTH, one line). */
export function boundChannel(channel: Channel): Channel {
  return { ...channel, name: boundName(channel.name) };
}

/** A thread ref with its title bounded, its URL http(s)-only ("" when dropped) and its author bounded. */
export function boundThreadRef(ref: ThreadRef): ThreadRef {
  return {
    ...ref,
    title: boundTitle(ref.title),
    url: boundedHttpUrl(ref.url) ?? "",
    author: ref.author === null ? null : boundActor(ref.author),
  };
}

/** Normalise any platform timestamp to `toISOString()` form; throws on garbage. */
export function toInstant(value: string | number | Date): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a timestamp: ${String(value)}`);
  return d.toISOString();
}
