import * as z from "zod";

/**
 * The parts of Stack Exchange API 2.3 objects that the poller and the normaliser read. Loose
 * objects: the envelope keeps the items as the API sent them (with the built-in `withbody`
 * filter: the default fields plus `body`), and they carry fields we do not pin down.
 *
 * Dates are Unix epoch seconds. Titles, display names, tags and bodies are HTML-encoded.
 */

const EpochSeconds = z.number().int().nonnegative();
const PostId = z.number().int().positive();

/** `shallow_user`: absent user ids mean a deleted account (`user_type: "does_not_exist"`). */
export const ShallowUserSchema = z.looseObject({
  user_id: z.number().int().optional(),
  display_name: z.string().optional(),
  user_type: z.string().optional(),
  link: z.string().optional(),
});
export type ShallowUser = z.infer<typeof ShallowUserSchema>;

export const CommentSchema = z.looseObject({
  comment_id: PostId,
  post_id: PostId,
  creation_date: EpochSeconds,
  owner: ShallowUserSchema.optional(),
  edited: z.boolean().optional(),
  body: z.string().optional(),
});
export type SeComment = z.infer<typeof CommentSchema>;

export const AnswerSchema = z.looseObject({
  answer_id: PostId,
  question_id: PostId,
  creation_date: EpochSeconds,
  last_activity_date: EpochSeconds.optional(),
  last_edit_date: EpochSeconds.optional(),
  is_accepted: z.boolean().optional(),
  owner: ShallowUserSchema.optional(),
  body: z.string().optional(),
  /** Attached by the poller from `/posts/{ids}/comments` (the field a custom filter would name `answer.comments`). */
  comments: z.array(z.unknown()).optional(),
});
export type SeAnswer = z.infer<typeof AnswerSchema>;

export const QuestionSchema = z.looseObject({
  question_id: PostId,
  title: z.string(),
  link: z.string(),
  tags: z.array(z.string()),
  creation_date: EpochSeconds,
  last_activity_date: EpochSeconds,
  last_edit_date: EpochSeconds.optional(),
  owner: ShallowUserSchema.optional(),
  answer_count: z.number().int().nonnegative().optional(),
  is_answered: z.boolean().optional(),
  /** Only present while an answer is accepted. */
  accepted_answer_id: PostId.optional(),
  /** Only present while the question is closed. */
  closed_date: EpochSeconds.optional(),
  closed_reason: z.string().optional(),
  body: z.string().optional(),
  /** Attached by the poller (`question.answers` / `question.comments` in the API's own naming). */
  answers: z.array(z.unknown()).optional(),
  comments: z.array(z.unknown()).optional(),
  /**
   * Set by the poller when the answer it last saw accepted is no longer accepted (the API only
   * shows the current `accepted_answer_id`, so an un-acceptance is only seen by comparing).
   */
  community_signals_unaccepted: PostId.optional(),
  /** Set by the poller when a question it last saw closed is open again. */
  community_signals_reopened: z.boolean().optional(),
  /** Set when bodies were cut to fit a queue message (see MAX_BODY_CHARS). */
  community_signals_trimmed: z.boolean().optional(),
});
export type SeQuestion = z.infer<typeof QuestionSchema>;

/** The common wrapper every method answers with (errors carry `error_id`, `error_name`, `error_message`). */
export const WrapperSchema = z.looseObject({
  items: z.array(z.unknown()).default([]),
  has_more: z.boolean().default(false),
  quota_max: z.number().int().optional(),
  quota_remaining: z.number().int().optional(),
  /** Seconds to wait before calling the same method again. */
  backoff: z.number().int().nonnegative().optional(),
  error_id: z.number().int().optional(),
  error_name: z.string().optional(),
  error_message: z.string().optional(),
});
export type Wrapper = z.infer<typeof WrapperSchema>;

/** The API name of a site: what goes into `site=` and into thread ids. */
export const SiteSchema = z.string().regex(/^[a-z][a-z0-9.-]{0,62}$/, "must be a Stack Exchange site name");

/** The body of a `questions` envelope: questions as the API sent them, with their answers and comments attached. */
export const QuestionsBodySchema = z.looseObject({
  site: SiteSchema,
  /** When the poller read these items (epoch seconds): the version of what only a comparison can tell. */
  fetched_at: EpochSeconds,
  questions: z.array(z.unknown()),
});
export type QuestionsBody = z.infer<typeof QuestionsBodySchema>;

/**
 * The body of a `deletions` envelope: posts the poller saw before and the API no longer
 * returns when asked for them by id. `tag` is the channel the question was filed under.
 */
export const DeletionsBodySchema = z.looseObject({
  site: SiteSchema,
  fetched_at: EpochSeconds,
  questions: z.array(z.looseObject({ question_id: PostId, tag: z.string().optional() })).default([]),
  answers: z.array(z.looseObject({ answer_id: PostId, question_id: PostId, tag: z.string().optional() })).default([]),
});
export type DeletionsBody = z.infer<typeof DeletionsBodySchema>;

export const QUESTIONS_EVENT = "questions";
export const DELETIONS_EVENT = "deletions";

/** `stackoverflow:<site>:question:<id>`: the thread id (frozen). */
export function questionThreadId(site: string, questionId: number): string {
  return `stackoverflow:${site}:question:${questionId}`;
}

export function answerActivityId(site: string, answerId: number): string {
  return `stackoverflow:${site}:answer:${answerId}`;
}

export function commentActivityId(site: string, commentId: number): string {
  return `stackoverflow:${site}:comment:${commentId}`;
}
