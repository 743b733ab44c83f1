import { z } from "zod";
import { ActorSchema, ChannelSchema, InstantSchema, SourceSchema } from "./activity.ts";

export const ThreadStatusSchema = z.enum(["open", "answered", "closed", "deleted"]);
export type ThreadStatus = z.infer<typeof ThreadStatusSchema>;

export const AnswerPolicySchema = z.enum(["any-reply", "team-reply", "accepted"]);
export type AnswerPolicy = z.infer<typeof AnswerPolicySchema>;

/**
 * A thread's state, folded from the set of its stored activities (never accumulated), so any
 * order of delivery, with any repeats, gives the same thread.
 */
export const ThreadSchema = z.object({
  id: z.string().min(1),
  source: SourceSchema,
  instance: z.string(),
  channel: ChannelSchema,
  title: z.string(),
  url: z.string(),
  author: ActorSchema.nullable(),
  isQuestion: z.boolean(),
  /** The question classifier's score where one decided `isQuestion` (chat); null where a rule did. */
  questionScore: z.number().nullable().default(null),
  status: ThreadStatusSchema,
  /** Platform creation time; falls back to the earliest activity when the platform gave none. */
  createdAt: InstantSchema,
  firstResponseAt: InstantSchema.nullable(),
  firstResponder: ActorSchema.nullable(),
  acceptedAt: InstantSchema.nullable(),
  acceptedAnswerBy: ActorSchema.nullable(),
  /** Surviving replies by anyone (the author's own and bots' included). */
  replyCount: z.number().int().nonnegative(),
  lastActivityAt: InstantSchema,
  closedAt: InstantSchema.nullable(),
  excerpt: z.string().nullable(),
  /** Whether the opening activity itself has been stored (false while only replies arrived). */
  hasOpening: z.boolean(),
});
export type Thread = z.infer<typeof ThreadSchema>;
