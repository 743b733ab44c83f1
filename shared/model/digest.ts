import * as z from "./zod.ts";
import { InstantSchema, SourceSchema } from "./activity.ts";

export const DigestItemSchema = z.object({
  threadId: z.string(),
  source: SourceSchema,
  instance: z.string(),
  /** Channel name as people know it (e.g. `Issues`, `Discussions / Q&A`). */
  channel: z.string(),
  channelId: z.string(),
  title: z.string(),
  url: z.string(),
  /** The asker's login (null when the platform did not say). */
  author: z.nullable(z.string()),
  authorId: z.nullable(z.string()),
  createdAt: InstantSchema,
  ageHours: z.number(),
  overdue: z.boolean(),
  excerpt: z.nullable(z.string()),
  replyCount: z.int(),
});
export type DigestItem = z.infer<typeof DigestItemSchema>;

export const PeriodMetricsSchema = z.object({
  from: InstantSchema,
  to: InstantSchema,
  /** Question threads created in the period. */
  questions: z.int(),
  /** Of those, how many have a qualifying first response. */
  responded: z.int(),
  /** Of those, how many are answered now. */
  answered: z.int(),
  /** responded / questions, or null with no questions. */
  responseRate: z.nullable(z.number()),
  /** Median time to first response in hours (CHAOSS), over responded questions. */
  medianFirstResponseHours: z.nullable(z.number()),
  p90FirstResponseHours: z.nullable(z.number()),
  /** Share of questions first-responded within the SLA. */
  withinSlaRate: z.nullable(z.number()),
});
export type PeriodMetrics = z.infer<typeof PeriodMetricsSchema>;

export const HelperSchema = z.object({
  actorId: z.string(),
  login: z.string(),
  isTeam: z.boolean(),
  /** Questions this person was the first to respond to in the last 7 days. */
  firstResponses: z.int(),
});

export const DigestSchema = z.object({
  generatedAt: InstantSchema,
  recipient: z.nullable(z.string()),
  community: z.string(),
  slaHours: z.number(),
  counts: z.object({
    open: z.int(),
    overdue: z.int(),
    newLast24h: z.int(),
    answeredLast24h: z.int(),
  }),
  /** Open question threads, oldest first. */
  unanswered: z.array(DigestItemSchema),
  metrics: z.object({
    last7Days: PeriodMetricsSchema,
    previous7Days: PeriodMetricsSchema,
    topHelpers: z.array(HelperSchema),
  }),
});
export type Digest = z.infer<typeof DigestSchema>;
