import { parseConfig, type ConfigInput } from "../../../shared/model/config.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";

export type Json = Record<string, any>;

export const SITE = "stackoverflow";
export const RECEIVED_AT = "2026-11-25T08:00:00.000Z";

export const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export function user(userId: number, name: string, extra: Json = {}): Json {
  return {
    account_id: userId + 1_000_000,
    reputation: 101,
    user_id: userId,
    user_type: "registered",
    profile_image: `https://www.gravatar.com/avatar/${userId}?s=256&d=identicon&r=PG`,
    display_name: name,
    link: `https://stackoverflow.com/users/${userId}/${name.toLowerCase()}`,
    ...extra,
  };
}

export const asker = user(21044781, "anna.k");
export const helper = user(3349021, "Felix R");
export const maria = user(4051219, "Maria Acme");
export const other = user(19876543, "dev_raj");

/** A question as `/questions` serves it with the `withbody` filter. */
export function question(id: number, createdIso: string, extra: Json = {}): Json {
  const created = epoch(createdIso);
  return {
    tags: ["rocketdb"],
    owner: asker,
    is_answered: false,
    view_count: 12,
    answer_count: 0,
    score: 0,
    last_activity_date: created,
    creation_date: created,
    question_id: id,
    content_license: "CC BY-SA 4.0",
    link: `https://stackoverflow.com/questions/${id}/question-${id}`,
    title: `Question ${id} about RocketDB&#39;s compaction`,
    body: `<p>Question ${id}: is <code>compaction</code> safe?</p>\n`,
    ...extra,
  };
}

export function answer(id: number, questionId: number, createdIso: string, owner: Json = helper, extra: Json = {}): Json {
  const created = epoch(createdIso);
  return {
    owner,
    is_accepted: false,
    score: 1,
    last_activity_date: created,
    creation_date: created,
    answer_id: id,
    question_id: questionId,
    content_license: "CC BY-SA 4.0",
    body: `<p>Answer ${id}: yes, since 3.1.</p>\n`,
    ...extra,
  };
}

export function comment(id: number, postId: number, createdIso: string, owner: Json = other, extra: Json = {}): Json {
  return {
    owner,
    edited: false,
    score: 0,
    creation_date: epoch(createdIso),
    post_id: postId,
    comment_id: id,
    content_license: "CC BY-SA 4.0",
    body: `Comment ${id}: which version?`,
    ...extra,
  };
}

export function configWith(overrides: Partial<ConfigInput> = {}) {
  return parseConfig({
    sources: { stackoverflow: { enabled: true, tags: ["rocketdb", "rocketdb-cli"], apiBaseUrl: "http://127.0.0.1:1/2.3" } },
    team: [{ name: "Maria", identities: { stackoverflow: ["4051219"] } }],
    ...overrides,
  });
}

let envelopes = 0;

export function questionsEnvelope(questions: Json[], fetchedAtIso = RECEIVED_AT, extra: Partial<Envelope> = {}): Envelope {
  return {
    v: 1,
    id: `env-${++envelopes}`,
    source: "stackoverflow",
    eventType: "questions",
    deliveryId: `test:${envelopes}`,
    receivedAt: RECEIVED_AT,
    contentType: "application/json",
    headers: {},
    body: JSON.stringify({ site: SITE, fetched_at: epoch(fetchedAtIso), questions }),
    ...extra,
  };
}

export function deletionsEnvelope(deleted: { questions?: Json[]; answers?: Json[] }, fetchedAtIso = RECEIVED_AT): Envelope {
  return {
    v: 1,
    id: `env-${++envelopes}`,
    source: "stackoverflow",
    eventType: "deletions",
    deliveryId: `test:${envelopes}`,
    receivedAt: RECEIVED_AT,
    contentType: "application/json",
    headers: {},
    body: JSON.stringify({ site: SITE, fetched_at: epoch(fetchedAtIso), questions: deleted.questions ?? [], answers: deleted.answers ?? [] }),
  };
}
