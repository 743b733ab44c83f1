import * as z from "./zod.ts";
import { ActorSchema, ChannelSchema, InstantSchema, SourceSchema } from "./activity.ts";

export const ThreadStatusSchema = z.enum(["open", "answered", "closed", "deleted"]);
export type ThreadStatus = z.infer<typeof ThreadStatusSchema>;

/**
 * Where a question stands, the same for every platform (docs/digest.md, "The status model"):
 * - `needs-first-response`: an open question without a qualifying reply;
 * - `awaiting-team`: under `team-reply`, only community members replied;
 * - `answered-unmarked`: replied to on a thread that accepts answers, none marked (a nudge);
 * - `answered`; `resolved`: closed, locked or deleted without an answer, or marked resolved;
 * - `snoozed`: hidden from the digest until `snoozedUntil` (decided at digest time, never by the fold);
 * - `not-a-question`: not a question by rule, or marked so from the digest.
 */
export const QuestionStatusSchema = z.enum([
  "needs-first-response",
  "awaiting-team",
  "answered-unmarked",
  "answered",
  "resolved",
  "snoozed",
  "not-a-question",
]);
export type QuestionStatus = z.infer<typeof QuestionStatusSchema>;

/** The digest actions a link can carry; each is stored as an `action_<name>` activity. */
export const DigestActionSchema = z.enum(["snooze", "not-a-question", "resolved", "take"]);
export type DigestAction = z.infer<typeof DigestActionSchema>;

/** One digest action taken on a thread (from its `action_*` activity). */
export const ThreadActionSchema = z.object({
  action: DigestActionSchema,
  at: InstantSchema,
  /** The advocate who clicked (their actor id, `advocate:<email>`). */
  by: z.string(),
});
export type ThreadAction = z.infer<typeof ThreadActionSchema>;

/** The answer policies; config.ts (classic zod, never bundled) builds its own enum from this list. */
export const ANSWER_POLICIES = ["any-reply", "team-reply", "accepted"] as const;
export const AnswerPolicySchema = z.enum(ANSWER_POLICIES);
export type AnswerPolicy = z.infer<typeof AnswerPolicySchema>;

/**
 * A thread's state, folded from the set of its stored activities (never accumulated), so any
 * order of delivery, with any repeats, gives the same thread.
 */
export const ThreadSchema = z.object({
  id: z.string().check(z.minLength(1)),
  source: SourceSchema,
  instance: z.string(),
  channel: ChannelSchema,
  title: z.string(),
  url: z.string(),
  author: z.nullable(ActorSchema),
  isQuestion: z.boolean(),
  /** The question classifier's score where one decided `isQuestion` (chat); null where a rule did. */
  questionScore: z._default(z.nullable(z.number()), null),
  status: ThreadStatusSchema,
  /** Platform creation time; falls back to the earliest activity when the platform gave none. */
  createdAt: InstantSchema,
  firstResponseAt: z.nullable(InstantSchema),
  firstResponder: z.nullable(ActorSchema),
  acceptedAt: z.nullable(InstantSchema),
  acceptedAnswerBy: z.nullable(ActorSchema),
  /** Surviving replies by anyone (the author's own and bots' included). */
  replyCount: z.int().check(z.nonnegative()),
  lastActivityAt: InstantSchema,
  closedAt: z.nullable(InstantSchema),
  excerpt: z.nullable(z.string()),
  /** Whether the opening activity itself has been stored (false while only replies arrived). */
  hasOpening: z.boolean(),
  /**
   * The status model, as folded (never `snoozed`: that depends on the time of reading, see
   * `questionStatusAt`). Absent only on summaries stored before the field existed.
   */
  questionStatus: z.optional(QuestionStatusSchema),
  /** Whether an answer can be marked on this thread (from the newest thread ref). */
  acceptsAnswers: z._default(z.boolean(), false),
  /** Until when the thread is snoozed from the digest (the latest end of any snooze); null if never. */
  snoozedUntil: z._default(z.nullable(InstantSchema), null),
  /** Who said "I'll take it" last (an advocate), and when. */
  assignee: z._default(z.nullable(ActorSchema), null),
  assignedAt: z._default(z.nullable(InstantSchema), null),
  /** Every digest action taken on the thread, oldest first. */
  actions: z._default(z.array(ThreadActionSchema), []),
});
export type Thread = z.infer<typeof ThreadSchema>;
