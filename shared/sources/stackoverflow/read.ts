import { MAX_IDS, type StackExchangeClient } from "./client.ts";
import { AnswerSchema, CommentSchema, QuestionSchema, type SeAnswer, type SeComment, type SeQuestion, type Wrapper } from "./payload.ts";

/** Every page of one `{ids}` listing, one batch of at most 100 ids at a time. */
async function readAll(ids: readonly number[], list: (batch: number[], page: number) => Promise<Wrapper>): Promise<{ items: unknown[]; pages: number }> {
  const items: unknown[] = [];
  let pages = 0;
  for (let i = 0; i < ids.length; i += MAX_IDS) {
    const batch = ids.slice(i, i + MAX_IDS);
    for (let page = 1; ; page++) {
      const res = await list(batch, page);
      pages++;
      items.push(...res.items);
      if (!res.has_more) break;
    }
  }
  return { items, pages };
}

/** Items that read as `schema`; the rest are counted and left out (the API does not send those). */
export function readItems<T>(items: unknown[], parse: (value: unknown) => { success: true; data: T } | { success: false }): { ok: T[]; bad: number } {
  const ok: T[] = [];
  let bad = 0;
  for (const item of items) {
    const r = parse(item);
    if (r.success) ok.push(r.data);
    else bad++;
  }
  return { ok, bad };
}

export function readQuestions(items: unknown[]): { ok: SeQuestion[]; bad: number } {
  return readItems(items, (v) => QuestionSchema.safeParse(v));
}

export interface QuestionDetails {
  /** The questions with `answers` (each with its `comments`) and `comments` attached, as queued. */
  questions: SeQuestion[];
  /** Every current answer id per question (complete: every page was read). */
  answerIds: Map<number, number[]>;
  answersRead: number;
  commentsRead: number;
  requests: number;
  /** Items that did not read as answers or comments (left out). */
  unreadable: number;
}

/**
 * The answers and comments of `questions`, attached the way a custom filter with
 * `question.answers`, `question.comments` and `answer.comments` would return them: one
 * `/questions/{ids}/answers` and one `/posts/{ids}/comments` per 100 ids (and page). Answers are
 * only asked for where `needsAnswers` says so (questions without answers cost nothing).
 */
export async function readQuestionDetails(
  client: StackExchangeClient,
  questions: SeQuestion[],
  needsAnswers: (q: SeQuestion) => boolean = (q) => (q.answer_count ?? 1) > 0,
): Promise<QuestionDetails> {
  let requests = 0;
  const wanted = questions.filter(needsAnswers).map((q) => q.question_id);
  const answersRaw = await readAll(wanted, (batch, page) => client.answersOfQuestions(batch, page));
  requests += answersRaw.pages;
  const answers = readItems<SeAnswer>(answersRaw.items, (v) => AnswerSchema.safeParse(v));

  const postIds = [...questions.map((q) => q.question_id), ...answers.ok.map((a) => a.answer_id)];
  const commentsRaw = await readAll(postIds, (batch, page) => client.commentsOnPosts(batch, page));
  requests += commentsRaw.pages;
  const comments = readItems<SeComment>(commentsRaw.items, (v) => CommentSchema.safeParse(v));

  const commentsOn = new Map<number, SeComment[]>();
  for (const c of comments.ok) commentsOn.set(c.post_id, [...(commentsOn.get(c.post_id) ?? []), c]);
  const answersOf = new Map<number, SeAnswer[]>();
  for (const a of answers.ok) answersOf.set(a.question_id, [...(answersOf.get(a.question_id) ?? []), a]);

  const answerIds = new Map<number, number[]>();
  const assembled = questions.map((q) => {
    const own = (answersOf.get(q.question_id) ?? []).map((a) => ({ ...a, comments: commentsOn.get(a.answer_id) ?? [] }));
    answerIds.set(q.question_id, own.map((a) => a.answer_id));
    return { ...q, answers: own, comments: commentsOn.get(q.question_id) ?? [] };
  });
  return {
    questions: assembled,
    answerIds,
    answersRead: answers.ok.length,
    commentsRead: comments.ok.length,
    requests,
    unreadable: answers.bad + comments.bad,
  };
}
