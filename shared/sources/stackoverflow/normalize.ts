import type * as z from "../../model/zod.ts";
import { buildActivity, normalizeTotally, type ActivityFields } from "../common.ts";
import { ACCEPTED_AT_UNKNOWN_TIME, excerptOf, toInstant } from "../../model/activity.ts";
import type { Activity, Actor, Channel, ThreadRef } from "../../model/activity.ts";
import { isRosterMember, SOURCE_DEFAULTS } from "../../model/config-values.ts";
import type { Config, StackOverflowSourceConfig } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import { NormalizeError, type SkippedItem } from "../types.ts";
import {
  AnswerSchema,
  CommentSchema,
  DELETIONS_EVENT,
  DeletionsBodySchema,
  QUESTIONS_EVENT,
  QuestionSchema,
  QuestionsBodySchema,
  answerActivityId,
  commentActivityId,
  questionThreadId,
  type SeAnswer,
  type SeComment,
  type SeQuestion,
  type ShallowUser,
} from "./payload.ts";
import { bodyToPlain, decodeEntities } from "./text.ts";

/** Stack Exchange's own system account ("Community"): it bumps, edits and closes, it is nobody's answer. */
export const COMMUNITY_USER_ID = -1;

export const MAX_SKIP_REASON = 500;

/** What one envelope gave: the activities of its readable questions, and the questions left out. */
export interface StackOverflowPageResult {
  activities: Activity[];
  skipped: SkippedItem[];
}

interface Context {
  envelope: Envelope;
  config: Config;
  so: StackOverflowSourceConfig;
  site: string;
  fetchedAt: string;
}

/**
 * Turn a `questions` or `deletions` envelope (what the poller or a backfill read) into
 * activities. Pure and total: other event types give []; a body that is not such a page throws
 * NormalizeError; one question that cannot be read is skipped alone (see `skipped`).
 *
 * The status model (docs/stackoverflow.md):
 * - a question in a watched tag opens the thread `stackoverflow:<site>:question:<id>` in the
 *   channel of its first watched tag, and is a question (one outside every watched tag is not);
 * - each answer is a `reply` (so it answers under `any-reply`, and under `team-reply` when its
 *   author is on the roster); an accepted answer gives `answer_accepted` (under `accepted` only
 *   that answers); comments are `comment` activity, never an answer;
 * - a closed question gives `thread_closed`, a deleted question or answer a `deleted` tombstone.
 */
export function normalizeStackOverflowPage(envelope: Envelope, config: Config): StackOverflowPageResult {
  let skipped: SkippedItem[] = [];
  const supported = envelope.eventType === QUESTIONS_EVENT || envelope.eventType === DELETIONS_EVENT;
  const activities = normalizeTotally(envelope, "stackoverflow", supported, () => {
    const page = envelope.eventType === QUESTIONS_EVENT ? normalizeQuestions(envelope, config) : normalizeDeletions(envelope, config);
    skipped = page.skipped;
    return page.activities;
  });
  return { activities, skipped };
}

function parseBody(envelope: Envelope): unknown {
  try {
    return JSON.parse(envelope.body);
  } catch (err) {
    throw new NormalizeError(`stackoverflow ${envelope.eventType}: body is not valid JSON: ${(err as Error).message}`, envelope.id);
  }
}

function contextFor(envelope: Envelope, config: Config, site: string, fetchedAt: number): Context {
  const so = config.sources.stackoverflow ?? SOURCE_DEFAULTS.stackoverflow();
  return { envelope, config, so, site, fetchedAt: toInstant(fetchedAt * 1000) };
}

function normalizeQuestions(envelope: Envelope, config: Config): StackOverflowPageResult {
  const body = readWith(envelope, "body", QuestionsBodySchema, parseBody(envelope));
  const ctx = contextFor(envelope, config, body.site, body.fetched_at);
  const activities: Activity[] = [];
  const skipped: SkippedItem[] = [];
  body.questions.forEach((value, index) => {
    try {
      const question = readWith(envelope, `questions[${index}]`, QuestionSchema, value);
      activities.push(...questionActivities(ctx, question, index));
    } catch (err) {
      skipped.push({ index, messageId: idOf(value, "question_id"), reason: skipReason(err, index, value) });
    }
  });
  return { activities, skipped };
}

function normalizeDeletions(envelope: Envelope, config: Config): StackOverflowPageResult {
  const body = readWith(envelope, "body", DeletionsBodySchema, parseBody(envelope));
  const ctx = contextFor(envelope, config, body.site, body.fetched_at);
  const activities: Activity[] = [];
  for (const q of body.questions) {
    const threadId = questionThreadId(ctx.site, q.question_id);
    activities.push(tombstone(ctx, q.question_id, q.tag, `stackoverflow:${ctx.site}:deleted:question:${q.question_id}`, threadId));
  }
  for (const a of body.answers) {
    activities.push(tombstone(ctx, a.question_id, a.tag, `stackoverflow:${ctx.site}:deleted:answer:${a.answer_id}`, answerActivityId(ctx.site, a.answer_id)));
  }
  return { activities, skipped: [] };
}

function tombstone(ctx: Context, questionId: number, tag: string | undefined, id: string, target: string): Activity {
  const channel = channelNamed(tag ?? "untagged");
  const ref: ThreadRef = {
    id: questionThreadId(ctx.site, questionId),
    title: "",
    url: "",
    author: null,
    createdAt: null,
    isQuestion: false,
    // Sorts below every real snapshot: a tombstone never decides the thread's title or author.
    version: "",
    questionScore: null,
  };
  return build(ctx, channel, ref, { id, kind: "deleted", actor: communityActor(ctx), occurredAt: ctx.fetchedAt, version: ctx.fetchedAt, target });
}

function questionActivities(ctx: Context, q: SeQuestion, index: number): Activity[] {
  const tags = q.tags.map(decodeEntities);
  const watched = ctx.so.tags;
  const matched = watched.length === 0 ? tags[0] : tags.find((t) => watched.includes(t));
  const channel = channelNamed(matched ?? tags[0] ?? "untagged");
  const threadId = questionThreadId(ctx.site, q.question_id);
  const author = actorOf(ctx, q.owner);
  const origin = originOf(q.link);
  const version = toInstant(epoch(q.last_edit_date ?? q.creation_date));
  const ref: ThreadRef = {
    id: threadId,
    title: decodeEntities(q.title),
    url: q.link,
    author,
    createdAt: toInstant(epoch(q.creation_date)),
    // A question in a watched tag is a question; one retagged out of every watched tag is not.
    isQuestion: matched !== undefined,
    version,
    questionScore: null,
    // Every Stack Exchange question can have an answer accepted.
    acceptsAnswers: true,
  };

  const out: Activity[] = [
    build(ctx, channel, ref, {
      id: threadId,
      kind: "thread_opened",
      actor: author,
      occurredAt: ref.createdAt!,
      version,
      url: q.link,
      excerpt: excerpt(ctx, q.body),
    }),
  ];

  const answers = new Map<number, SeAnswer>();
  (q.answers ?? []).forEach((value, i) => {
    const answer = readWith(ctx.envelope, `questions[${index}].answers[${i}]`, AnswerSchema, value);
    if (answer.question_id !== q.question_id) {
      throw new NormalizeError(`stackoverflow questions: answer ${answer.answer_id} is on question ${answer.question_id}, not ${q.question_id}`, ctx.envelope.id);
    }
    answers.set(answer.answer_id, answer);
    out.push(
      build(ctx, channel, ref, {
        id: answerActivityId(ctx.site, answer.answer_id),
        kind: "reply",
        actor: actorOf(ctx, answer.owner),
        occurredAt: toInstant(epoch(answer.creation_date)),
        version: toInstant(epoch(answer.last_edit_date ?? answer.creation_date)),
        url: origin ? `${origin}/a/${answer.answer_id}` : null,
        excerpt: excerpt(ctx, answer.body),
      }),
    );
    (answer.comments ?? []).forEach((c, j) => out.push(commentActivity(ctx, channel, ref, q, readWith(ctx.envelope, `questions[${index}].answers[${i}].comments[${j}]`, CommentSchema, c))));
  });
  (q.comments ?? []).forEach((c, j) => out.push(commentActivity(ctx, channel, ref, q, readWith(ctx.envelope, `questions[${index}].comments[${j}]`, CommentSchema, c))));

  // Acceptance: one activity per question, its newest reading wins (the API tells no acceptance time).
  const acceptanceId = `stackoverflow:${ctx.site}:acceptance:${q.question_id}`;
  if (q.accepted_answer_id !== undefined) {
    const accepted = answers.get(q.accepted_answer_id);
    out.push(
      build(ctx, channel, ref, {
        id: acceptanceId,
        kind: "answer_accepted",
        // Credit the answer's author (the asker only marked it).
        actor: accepted ? actorOf(ctx, accepted.owner) : unknownActor(ctx),
        occurredAt: accepted ? toInstant(epoch(accepted.creation_date)) : toInstant(epoch(q.last_activity_date)),
        version: ctx.fetchedAt,
        target: answerActivityId(ctx.site, q.accepted_answer_id),
        url: origin ? `${origin}/a/${q.accepted_answer_id}` : null,
        // The API says which answer is accepted, never when: it answers, at no known moment.
        reason: ACCEPTED_AT_UNKNOWN_TIME,
      }),
    );
  } else if (q.community_signals_unaccepted !== undefined) {
    out.push(
      build(ctx, channel, ref, {
        id: acceptanceId,
        kind: "answer_unaccepted",
        actor: author,
        occurredAt: ctx.fetchedAt,
        version: ctx.fetchedAt,
        target: answerActivityId(ctx.site, q.community_signals_unaccepted),
      }),
    );
  }

  // Closure: one activity per question; a reopening seen later outranks the close it ends.
  const closureId = `stackoverflow:${ctx.site}:closure:${q.question_id}`;
  if (q.closed_date !== undefined) {
    const closedAt = toInstant(epoch(q.closed_date));
    out.push(
      build(ctx, channel, ref, {
        id: closureId,
        kind: "thread_closed",
        // Who voted to close is not in the default fields: the close is the site's.
        actor: communityActor(ctx),
        occurredAt: closedAt,
        version: closedAt,
        reason: q.closed_reason ?? "closed",
        url: q.link,
      }),
    );
  } else if (q.community_signals_reopened === true) {
    out.push(build(ctx, channel, ref, { id: closureId, kind: "thread_reopened", actor: communityActor(ctx), occurredAt: ctx.fetchedAt, version: ctx.fetchedAt, url: q.link }));
  }
  return out;
}

function commentActivity(ctx: Context, channel: Channel, ref: ThreadRef, q: SeQuestion, c: SeComment): Activity {
  const createdAt = toInstant(epoch(c.creation_date));
  return build(ctx, channel, ref, {
    id: commentActivityId(ctx.site, c.comment_id),
    kind: "comment",
    actor: actorOf(ctx, c.owner),
    occurredAt: createdAt,
    // Comments can be edited for five minutes; the API says only whether one was.
    version: c.edited === true ? `${createdAt}+edited` : createdAt,
    url: `${q.link}#comment${c.comment_id}_${c.post_id}`,
    excerpt: excerpt(ctx, c.body),
  });
}

/** Stack Exchange tags have at most 35 characters; ids built from API text are cut to this. */
const MAX_ID_PART = 64;

function channelNamed(tag: string): Channel {
  // Ids are not cut by buildActivity (they are identity): a tag longer than any real one is cut here.
  const id = tag.slice(0, MAX_ID_PART);
  return { id, name: id };
}

function excerpt(ctx: Context, html: string | undefined): string | null {
  return html === undefined ? null : excerptOf(bodyToPlain(html), ctx.config.privacy.excerptLength);
}

function epoch(seconds: number): number {
  return seconds * 1000;
}

function originOf(link: string): string | null {
  try {
    const url = new URL(link);
    return url.protocol === "https:" || url.protocol === "http:" ? url.origin : null;
  } catch {
    return null;
  }
}

function actorOf(ctx: Context, owner: ShallowUser | undefined): Actor {
  if (owner?.user_id === undefined) {
    // A deleted account: only its old display name is left (`user123`).
    const name = decodeEntities(owner?.display_name ?? "unknown");
    return { id: `stackoverflow:${ctx.site}:user:deleted:${name.slice(0, MAX_ID_PART)}`, login: name, name: null, isBot: false, isTeam: false };
  }
  const name = decodeEntities(owner.display_name ?? String(owner.user_id));
  return {
    id: `stackoverflow:${ctx.site}:user:${owner.user_id}`,
    login: name,
    name,
    isBot: owner.user_id === COMMUNITY_USER_ID,
    isTeam: isRosterMember(ctx.config, "stackoverflow", String(owner.user_id)),
  };
}

function communityActor(ctx: Context): Actor {
  return { id: `stackoverflow:${ctx.site}:user:${COMMUNITY_USER_ID}`, login: "Community", name: "Community", isBot: true, isTeam: false };
}

function unknownActor(ctx: Context): Actor {
  return { id: `stackoverflow:${ctx.site}:user:unknown`, login: "unknown", name: null, isBot: false, isTeam: false };
}

function build(ctx: Context, channel: Channel, thread: ThreadRef, f: ActivityFields): Activity {
  return buildActivity(
    { source: "stackoverflow", instance: ctx.site, channel, receivedAt: ctx.envelope.receivedAt, excerptLength: ctx.config.privacy.excerptLength },
    thread,
    f,
  );
}

function idOf(value: unknown, field: string): string | null {
  if (typeof value !== "object" || value === null) return null;
  const id = (value as Record<string, unknown>)[field];
  return typeof id === "number" && Number.isSafeInteger(id) ? String(id) : null;
}

function skipReason(err: unknown, index: number, value: unknown): string {
  let reason: string;
  if (err instanceof NormalizeError) reason = err.message;
  else {
    const id = idOf(value, "question_id");
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    reason = `stackoverflow questions: questions[${index}]${id ? ` (id ${id})` : ""}: unexpected ${what}`;
  }
  return reason.length <= MAX_SKIP_REASON ? reason : `${reason.slice(0, MAX_SKIP_REASON - 1)}…`;
}

function readWith<S extends z.ZodMiniType>(envelope: Envelope, where: string, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join(".") : "(value)";
    return `${path}: ${issue.message}`;
  });
  throw new NormalizeError(`stackoverflow ${envelope.eventType}: ${where}: ${problems.join("; ")}`, envelope.id);
}
