import * as z from "../model/zod.ts";
import { InstantSchema, SourceSchema } from "../model/activity.ts";
import { DigestItemSchema, DigestSchema, HelperSchema, PeriodMetricsSchema } from "../model/digest.ts";

/**
 * The advocate digest: the foundation's Digest JSON with fields added (none renamed or
 * retyped), so every consumer of the old JSON reads the new one. Every added field has a
 * default, so an old digest JSON still renders.
 */

/** Signed links of one question; null where the digest has no recipient or no signing key. */
export const ItemActionsSchema = z.nullable(
  z.object({ snooze: z.string(), "not-a-question": z.string(), resolved: z.string(), take: z.string() }),
);

export const AdvocateDigestItemSchema = z.extend(DigestItemSchema, {
  /** Which of the statuses that need a response: a first one, or (under team-reply) the team's. */
  questionStatus: z._default(z.enum(["needs-first-response", "awaiting-team"]), "needs-first-response"),
  /** The SLA this question is measured against (channel, then recipient, then digest). */
  slaHours: z.optional(z.number()),
  /** The asker has asked no question before this one; null when that is not known. */
  firstTimeAsker: z._default(z.nullable(z.boolean()), null),
  /** Asked by a team member (roster or platform signal): not counted in the community numbers. */
  askerIsTeam: z._default(z.boolean(), false),
  /** Who said "I'll take it" (name, else address), and their actor id. */
  assignee: z._default(z.nullable(z.string()), null),
  assigneeId: z._default(z.nullable(z.string()), null),
  actions: z._default(ItemActionsSchema, null),
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
  author: z.nullable(z.string()),
  createdAt: InstantSchema,
  ageHours: z.number(),
  /** Who replied first (the likely answer), and whether they are on the team. */
  answeredBy: z.nullable(z.string()),
  answeredByTeam: z.boolean(),
  firstResponseAt: z.nullable(InstantSchema),
});
export type Nudge = z.infer<typeof NudgeSchema>;

export const ActionCountsSchema = z.object({
  snooze: z.int(),
  "not-a-question": z.int(),
  resolved: z.int(),
  take: z.int(),
});
export type ActionCounts = z.infer<typeof ActionCountsSchema>;

const ZERO_ACTIONS: ActionCounts = { snooze: 0, "not-a-question": 0, resolved: 0, take: 0 };

export const AdvocatePeriodMetricsSchema = z.extend(PeriodMetricsSchema, {
  /** Answered questions (answered or answered-unmarked) whose answer came from the team / from the community. */
  answeredByTeam: z._default(z.int(), 0),
  answeredByCommunity: z._default(z.int(), 0),
  /** Questions asked by the team in the period: left out of every other number. */
  teamQuestions: z._default(z.int(), 0),
  /** Digest actions taken in the period, by kind. */
  actions: z._default(ActionCountsSchema, ZERO_ACTIONS),
});
export type AdvocatePeriodMetrics = z.infer<typeof AdvocatePeriodMetricsSchema>;

export const AdvocateDigestSchema = z.extend(DigestSchema, {
  counts: z.extend(DigestSchema.shape.counts, {
    /** Open questions hidden because someone snoozed them from the digest. */
    snoozed: z._default(z.int(), 0),
    /** Answered-unmarked nudges listed. */
    nudges: z._default(z.int(), 0),
  }),
  unanswered: z.array(AdvocateDigestItemSchema),
  nudges: z._default(z.array(NudgeSchema), []),
  /** The signed link to the recipient's page of every open question (null without a recipient or signing key). */
  queueUrl: z._default(z.nullable(z.string()), null),
  metrics: z.object({
    last7Days: AdvocatePeriodMetricsSchema,
    previous7Days: AdvocatePeriodMetricsSchema,
    topHelpers: z.array(HelperSchema),
  }),
});
export type AdvocateDigest = z.infer<typeof AdvocateDigestSchema>;
