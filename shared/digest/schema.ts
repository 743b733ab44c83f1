import * as z from "zod";
import { InstantSchema, SourceSchema } from "../model/activity.ts";
import { DigestItemSchema, DigestSchema, HelperSchema, PeriodMetricsSchema } from "../model/digest.ts";

/**
 * The advocate digest: the foundation's Digest JSON with fields added (none renamed or
 * retyped), so every consumer of the old JSON reads the new one. Every added field has a
 * default, so an old digest JSON still renders.
 */

/** Signed links of one question; null where the digest has no recipient or no signing key. */
export const ItemActionsSchema = z
  .object({ snooze: z.string(), "not-a-question": z.string(), resolved: z.string(), take: z.string() })
  .nullable();

export const AdvocateDigestItemSchema = DigestItemSchema.extend({
  /** Which of the statuses that need a response: a first one, or (under team-reply) the team's. */
  questionStatus: z.enum(["needs-first-response", "awaiting-team"]).default("needs-first-response"),
  /** The SLA this question is measured against (channel, then recipient, then digest). */
  slaHours: z.number().optional(),
  /** The asker has asked no question before this one; null when that is not known. */
  firstTimeAsker: z.boolean().nullable().default(null),
  /** Asked by a team member (roster or platform signal): not counted in the community numbers. */
  askerIsTeam: z.boolean().default(false),
  /** Who said "I'll take it" (name, else address), and their actor id. */
  assignee: z.string().nullable().default(null),
  assigneeId: z.string().nullable().default(null),
  actions: ItemActionsSchema.default(null),
});
export type AdvocateDigestItem = z.infer<typeof AdvocateDigestItemSchema>;

/** A question replied to where an answer can be marked, but none is: a nudge to mark one. */
export const NudgeSchema = z.object({
  threadId: z.string(),
  source: SourceSchema,
  instance: z.string(),
  channel: z.string(),
  channelId: z.string(),
  title: z.string(),
  url: z.string(),
  author: z.string().nullable(),
  createdAt: InstantSchema,
  ageHours: z.number(),
  /** Who replied first (the likely answer), and whether they are on the team. */
  answeredBy: z.string().nullable(),
  answeredByTeam: z.boolean(),
  firstResponseAt: InstantSchema.nullable(),
});
export type Nudge = z.infer<typeof NudgeSchema>;

export const ActionCountsSchema = z.object({
  snooze: z.number().int(),
  "not-a-question": z.number().int(),
  resolved: z.number().int(),
  take: z.number().int(),
});
export type ActionCounts = z.infer<typeof ActionCountsSchema>;

const ZERO_ACTIONS: ActionCounts = { snooze: 0, "not-a-question": 0, resolved: 0, take: 0 };

export const AdvocatePeriodMetricsSchema = PeriodMetricsSchema.extend({
  /** Answered questions (answered or answered-unmarked) whose answer came from the team / from the community. */
  answeredByTeam: z.number().int().default(0),
  answeredByCommunity: z.number().int().default(0),
  /** Questions asked by the team in the period: left out of every other number. */
  teamQuestions: z.number().int().default(0),
  /** Digest actions taken in the period, by kind. */
  actions: ActionCountsSchema.default(ZERO_ACTIONS),
});
export type AdvocatePeriodMetrics = z.infer<typeof AdvocatePeriodMetricsSchema>;

export const AdvocateDigestSchema = DigestSchema.extend({
  counts: DigestSchema.shape.counts.extend({
    /** Open questions hidden because someone snoozed them from the digest. */
    snoozed: z.number().int().default(0),
    /** Answered-unmarked nudges listed. */
    nudges: z.number().int().default(0),
  }),
  unanswered: z.array(AdvocateDigestItemSchema),
  nudges: z.array(NudgeSchema).default([]),
  /** The signed link to the recipient's page of every open question (null without a recipient or signing key). */
  queueUrl: z.string().nullable().default(null),
  metrics: z.object({
    last7Days: AdvocatePeriodMetricsSchema,
    previous7Days: AdvocatePeriodMetricsSchema,
    topHelpers: z.array(HelperSchema),
  }),
});
export type AdvocateDigest = z.infer<typeof AdvocateDigestSchema>;
