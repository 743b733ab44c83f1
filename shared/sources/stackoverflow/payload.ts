import * as z from "../../model/zod.ts";

/**
 * The parts of Stack Exchange API 2.3 objects that the poller and the normaliser read. Loose
 * objects: the envelope keeps the items as the API sent them (with the built-in `withbody`
 * filter: the default fields plus `body`), and they carry fields we do not pin down.
 *
 * Dates are Unix epoch seconds. Titles, display names, tags and bodies are HTML-encoded.
 */

const EpochSeconds = z.int().check(z.nonnegative());
const PostId = z.int().check(z.positive());

/** `shallow_user`: absent user ids mean a deleted account (`user_type: "does_not_exist"`). */
export const ShallowUserSchema = z.looseObject({
  user_id: z.optional(z.int()),
  display_name: z.optional(z.string()),
  user_type: z.optional(z.string()),
  link: z.optional(z.string()),
});
export type ShallowUser = z.infer<typeof ShallowUserSchema>;

export const CommentSchema = z.looseObject({
  comment_id: PostId,
  post_id: PostId,
  creation_date: EpochSeconds,
  owner: z.optional(ShallowUserSchema),
  edited: z.optional(z.boolean()),
  body: z.optional(z.string()),
});
export type SeComment = z.infer<typeof CommentSchema>;

export const AnswerSchema = z.looseObject({
  answer_id: PostId,
  question_id: PostId,
  creation_date: EpochSeconds,
  last_activity_date: z.optional(EpochSeconds),
  last_edit_date: z.optional(EpochSeconds),
  is_accepted: z.optional(z.boolean()),
  owner: z.optional(ShallowUserSchema),
  body: z.optional(z.string()),
  /** Attached by the poller from `/posts/{ids}/comments` (the field a custom filter would name `answer.comments`). */
  comments: z.optional(z.array(z.unknown())),
});
export type SeAnswer = z.infer<typeof AnswerSchema>;

export const QuestionSchema = z.looseObject({
  question_id: PostId,
  title: z.string(),
  link: z.string(),
  tags: z.array(z.string()),
  creation_date: EpochSeconds,
  last_activity_date: EpochSeconds,
  last_edit_date: z.optional(EpochSeconds),
  owner: z.optional(ShallowUserSchema),
  answer_count: z.optional(z.int().check(z.nonnegative())),
  is_answered: z.optional(z.boolean()),
  /** Only present while an answer is accepted. */
  accepted_answer_id: z.optional(PostId),
  /** Only present while the question is closed. */
  closed_date: z.optional(EpochSeconds),
  closed_reason: z.optional(z.string()),
  body: z.optional(z.string()),
  /** Attached by the poller (`question.answers` / `question.comments` in the API's own naming). */
  answers: z.optional(z.array(z.unknown())),
  comments: z.optional(z.array(z.unknown())),
  /**
   * Set by the poller when the answer it last saw accepted is no longer accepted (the API only
   * shows the current `accepted_answer_id`, so an un-acceptance is only seen by comparing).
   */
  community_signals_unaccepted: z.optional(PostId),
  /** Set by the poller when a question it last saw closed is open again. */
  community_signals_reopened: z.optional(z.boolean()),
  /** Set when bodies were cut to fit a queue message (see MAX_BODY_CHARS). */
  community_signals_trimmed: z.optional(z.boolean()),
});
export type SeQuestion = z.infer<typeof QuestionSchema>;

/** The common wrapper every method answers with (errors carry `error_id`, `error_name`, `error_message`). */
export const WrapperSchema = z.looseObject({
  items: z._default(z.array(z.unknown()), []),
  has_more: z._default(z.boolean(), false),
  quota_max: z.optional(z.int()),
  quota_remaining: z.optional(z.int()),
  /** Seconds to wait before calling the same method again. */
  backoff: z.optional(z.int().check(z.nonnegative())),
  error_id: z.optional(z.int()),
  error_name: z.optional(z.string()),
  error_message: z.optional(z.string()),
});
export type Wrapper = z.infer<typeof WrapperSchema>;

/** The API name of a site: what goes into `site=` and into thread ids. */
export const SiteSchema = z.string().check(z.regex(/^[a-z][a-z0-9.-]{0,62}$/, "must be a Stack Exchange site name"));

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
  questions: z._default(z.array(z.looseObject({ question_id: PostId, tag: z.optional(z.string()) })), []),
  answers: z._default(z.array(z.looseObject({ answer_id: PostId, question_id: PostId, tag: z.optional(z.string()) })), []),
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
