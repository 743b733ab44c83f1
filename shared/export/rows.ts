import { boundedHttpUrl } from "../text/index.ts";
import { excerptOf, type Activity } from "../model/activity.ts";
import type { Thread } from "../model/thread.ts";
import { SCHEMA_VERSION, type ActivityColumnName, type ThreadColumnName } from "./schema.ts";

/** One value of a published column: timestamps as Date (UTC ms), int64 as bigint. */
export type CellValue = string | boolean | bigint | number | Date | null | readonly string[];
export type ExportRow = Readonly<Record<string, CellValue>>;

const ts = (instant: string | null | undefined): Date | null => (instant ? new Date(instant) : null);

/**
 * Privacy: the exported excerpt is never longer than `privacy.excerptLength` now, whatever
 * was stored when the activity arrived (the setting may have been lowered since); 0 exports none.
 */
export function boundExcerpt(excerpt: string | null, excerptLength: number): string | null {
  return excerptOf(excerpt, excerptLength);
}

export function activityRow(a: Activity, excerptLength: number): Record<ActivityColumnName, CellValue> {
  return {
    id: a.id,
    source: a.source,
    instance: a.instance,
    channel_id: a.channel.id,
    channel_name: a.channel.name,
    kind: a.kind,
    thread_id: a.thread?.id ?? null,
    thread_title: a.thread?.title ?? null,
    // Records stored before URLs were checked at the door may hold any string: only http(s) leaves.
    thread_url: boundedHttpUrl(a.thread?.url),
    thread_author_id: a.thread?.author?.id ?? null,
    thread_created_at: ts(a.thread?.createdAt),
    thread_is_question: a.thread ? a.thread.isQuestion : null,
    thread_accepts_answers: a.thread?.acceptsAnswers ?? null,
    actor_id: a.actor.id,
    actor_login: a.actor.login,
    actor_name: a.actor.name,
    actor_is_bot: a.actor.isBot,
    actor_is_team: a.actor.isTeam,
    occurred_at: new Date(a.occurredAt),
    received_at: new Date(a.receivedAt),
    url: boundedHttpUrl(a.url),
    excerpt: boundExcerpt(a.excerpt, excerptLength),
    is_question: a.isQuestion,
    version: a.version,
    target: a.target,
    reason: a.reason,
    until: ts(a.until),
    schema_version: BigInt(SCHEMA_VERSION),
  };
}

export function threadRow(t: Thread, stateRevision: number, excerptLength: number): Record<ThreadColumnName, CellValue> {
  return {
    id: t.id,
    source: t.source,
    instance: t.instance,
    channel_id: t.channel.id,
    channel_name: t.channel.name,
    title: t.title,
    url: boundedHttpUrl(t.url) ?? "",
    author_id: t.author?.id ?? null,
    author_login: t.author?.login ?? null,
    author_is_team: t.author ? t.author.isTeam : null,
    is_question: t.isQuestion,
    question_score: t.questionScore,
    status: t.status,
    created_at: new Date(t.createdAt),
    first_response_at: ts(t.firstResponseAt),
    first_responder_id: t.firstResponder?.id ?? null,
    first_responder_login: t.firstResponder?.login ?? null,
    first_responder_is_team: t.firstResponder ? t.firstResponder.isTeam : null,
    accepted_at: ts(t.acceptedAt),
    accepted_answer_by_id: t.acceptedAnswerBy?.id ?? null,
    accepted_answer_by_login: t.acceptedAnswerBy?.login ?? null,
    reply_count: BigInt(t.replyCount),
    last_activity_at: new Date(t.lastActivityAt),
    closed_at: ts(t.closedAt),
    excerpt: boundExcerpt(t.excerpt, excerptLength),
    has_opening: t.hasOpening,
    question_status: t.questionStatus ?? null,
    accepts_answers: t.acceptsAnswers,
    snoozed_until: ts(t.snoozedUntil),
    assignee_id: t.assignee?.id ?? null,
    assignee_login: t.assignee?.login ?? null,
    assigned_at: ts(t.assignedAt),
    state_revision: BigInt(stateRevision),
    schema_version: BigInt(SCHEMA_VERSION),
  };
}
