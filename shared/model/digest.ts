import * as z from "zod";
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
  author: z.string().nullable(),
  authorId: z.string().nullable(),
  createdAt: InstantSchema,
  ageHours: z.number(),
  overdue: z.boolean(),
  excerpt: z.string().nullable(),
  replyCount: z.number().int(),
});
export type DigestItem = z.infer<typeof DigestItemSchema>;

export const PeriodMetricsSchema = z.object({
  from: InstantSchema,
  to: InstantSchema,
  /** Question threads created in the period. */
  questions: z.number().int(),
  /** Of those, how many have a qualifying first response. */
  responded: z.number().int(),
  /** Of those, how many are answered now. */
  answered: z.number().int(),
  /** responded / questions, or null with no questions. */
  responseRate: z.number().nullable(),
  /** Median time to first response in hours (CHAOSS), over responded questions. */
  medianFirstResponseHours: z.number().nullable(),
  p90FirstResponseHours: z.number().nullable(),
  /** Share of questions first-responded within the SLA. */
  withinSlaRate: z.number().nullable(),
});
export type PeriodMetrics = z.infer<typeof PeriodMetricsSchema>;

export const HelperSchema = z.object({
  actorId: z.string(),
  login: z.string(),
  isTeam: z.boolean(),
  /** Questions this person was the first to respond to in the last 7 days. */
  firstResponses: z.number().int(),
});

export const DigestSchema = z.object({
  generatedAt: InstantSchema,
  recipient: z.string().nullable(),
  community: z.string(),
  slaHours: z.number(),
  counts: z.object({
    open: z.number().int(),
    overdue: z.number().int(),
    newLast24h: z.number().int(),
    answeredLast24h: z.number().int(),
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
