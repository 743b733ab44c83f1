import { z } from "zod";

/** Platforms we take signals from. */
export const SourceSchema = z.enum(["github", "discourse", "slack", "discord"]);
export type Source = z.infer<typeof SourceSchema>;

/** ISO-8601 instant, always normalised to `toISOString()` form (UTC, milliseconds). */
export const InstantSchema = z.iso.datetime({ offset: true });

export const ActivityKindSchema = z.enum([
  "thread_opened",
  "reply",
  "answer_accepted",
  "answer_unaccepted",
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

export const ActorSchema = z.object({
  /** Platform-scoped stable id, e.g. `github:user:583231`. */
  id: z.string().min(1),
  login: z.string(),
  name: z.string().nullable(),
  isBot: z.boolean(),
  isTeam: z.boolean(),
});
export type Actor = z.infer<typeof ActorSchema>;

export const ChannelSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
});
export type Channel = z.infer<typeof ChannelSchema>;

/**
 * What an activity knows about the thread it belongs to. Every activity of a thread carries
 * one, so a reply that arrives before its question can stand on its own until the opening
 * arrives (DESIGN.md, "A reply may arrive before its question").
 */
export const ThreadRefSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  url: z.string(),
  author: ActorSchema.nullable(),
  /** Platform creation time of the thread, when the platform says it. */
  createdAt: InstantSchema.nullable(),
  isQuestion: z.boolean(),
  /** Platform version of this snapshot (e.g. `updated_at`), to pick the newest one. */
  version: z.string(),
  /** How sure the question classifier is (0..1) where one decided `isQuestion`; null where a rule did. */
  questionScore: z.number().min(0).max(1).nullable().optional(),
  /**
   * Whether the platform lets an answer be marked on this thread (a GitHub discussion in an
   * answerable category, a Discourse topic in a Solved category). Absent means no.
   */
  acceptsAnswers: z.boolean().optional(),
});
export type ThreadRef = z.infer<typeof ThreadRefSchema>;

/**
 * One thing a person did on a platform. `id` is a stable natural id, so a retried or
 * duplicated delivery can never be counted twice. This is the contract analysts see.
 */
export const ActivitySchema = z.object({
  id: z.string().min(1),
  source: SourceSchema,
  /** org/repo, forum host, Slack team, Discord guild. */
  instance: z.string().min(1),
  channel: ChannelSchema,
  kind: ActivityKindSchema,
  thread: ThreadRefSchema.nullable(),
  actor: ActorSchema,
  occurredAt: InstantSchema,
  receivedAt: InstantSchema,
  url: z.string().nullable(),
  /** Bounded length; full bodies are not stored. */
  excerpt: z.string().nullable(),
  isQuestion: z.boolean(),
  /**
   * Orders versions of the same natural id (platform `updated_at`, or a version number
   * zero-padded): the store keeps the greatest.
   */
  version: z.string(),
  /** For `deleted`: the natural id of the activity it removes. For answer (un)acceptance: the answer's activity id. */
  target: z.string().nullable(),
  /** For `thread_closed`: why (`completed`, `not_planned`, `transferred`, `locked`, ...). */
  reason: z.string().nullable(),
  /** For `action_snooze`: the instant the snooze ends. */
  until: InstantSchema.nullable().optional(),
});
export type Activity = z.infer<typeof ActivitySchema>;

/** Bound an excerpt to `max` characters on a whitespace-collapsed body. */
export function excerptOf(body: string | null | undefined, max: number): string | null {
  if (!body || max <= 0) return null;
  const flat = body.replace(/\s+/g, " ").trim();
  if (flat.length === 0) return null;
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

/** Normalise any platform timestamp to `toISOString()` form; throws on garbage. */
export function toInstant(value: string | number | Date): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a timestamp: ${String(value)}`);
  return d.toISOString();
}
