import type { Envelope } from "../../model/envelope.ts";
import { DELETIONS_EVENT, QUESTIONS_EVENT, type DeletionsBody } from "./payload.ts";

/**
 * Bodies longer than this (HTML characters) are cut before queueing: excerpts are at most 2,000
 * characters of text, and a queue message holds 256 KiB for a whole page of questions.
 */
export const MAX_BODY_CHARS = 6000;

export class QuestionTooLargeError extends Error {
  override readonly name = "QuestionTooLargeError";
}

type Item = Record<string, unknown>;

export interface EnvelopeFrame {
  site: string;
  /** Epoch seconds: when the items were read. */
  fetchedAt: number;
  receivedAt: string;
  newId: () => string;
  /** The delivery id of an envelope holding these questions (natural and stable). */
  deliveryId: (questions: Item[]) => string;
  headers?: Record<string, string>;
  /** Largest envelope, in bytes of its JSON (the queue's limit less its attribute headroom). */
  maxBytes: number;
}

/** Bytes of an envelope as the queue counts them. */
export function envelopeBytes(envelope: Envelope): number {
  return Buffer.byteLength(JSON.stringify(envelope), "utf8");
}

function envelope(frame: EnvelopeFrame, eventType: string, deliveryId: string, body: unknown, id: string): Envelope {
  return {
    v: 1,
    id,
    source: "stackoverflow",
    eventType,
    deliveryId,
    receivedAt: frame.receivedAt,
    contentType: "application/json",
    headers: { ...(frame.headers ?? {}) },
    body: JSON.stringify(body),
  };
}

function cutBody<T extends Item>(item: T, max: number): { item: T; cut: boolean } {
  const body = item["body"];
  if (typeof body !== "string" || body.length <= max) return { item, cut: false };
  return { item: { ...item, body: body.slice(0, max) }, cut: true };
}

/** A question with every body cut to `max` characters (0: bodies removed), flagged when anything was cut. */
function trimQuestion(question: Item, max: number, dropCommentBodies: boolean): Item {
  let cut = false;
  const trim = <T extends Item>(item: T, limit: number): T => {
    const r = cutBody(item, limit);
    cut ||= r.cut;
    return r.item;
  };
  const comments = (list: unknown) => (Array.isArray(list) ? (list as Item[]).map((c) => trim(c, dropCommentBodies ? 0 : max)) : list);
  const out: Item = { ...trim(question, max) };
  if (Array.isArray(question["answers"])) out["answers"] = (question["answers"] as Item[]).map((a) => ({ ...trim(a, max), ...(a["comments"] ? { comments: comments(a["comments"]) } : {}) }));
  if (question["comments"]) out["comments"] = comments(question["comments"]);
  if (cut) out["community_signals_trimmed"] = true;
  return out;
}

function questionBytes(question: Item): number {
  // Inside the envelope the question is JSON inside a JSON string: escaped once more.
  return Buffer.byteLength(JSON.stringify(JSON.stringify(question)), "utf8") - 2;
}

/**
 * `questions` envelopes for a page of questions (with their answers and comments attached),
 * as few as fit the queue's message size. Long bodies are cut to MAX_BODY_CHARS; a question
 * that still does not fit loses its comments' bodies, then every body; past that it throws.
 */
export function questionEnvelopes(frame: EnvelopeFrame, questions: Item[]): Envelope[] {
  if (questions.length === 0) return [];
  const body = (qs: Item[]) => ({ site: frame.site, fetched_at: frame.fetchedAt, questions: qs });
  // The delivery id's length varies with the ids in it; allow for a long one.
  const overhead = envelopeBytes(envelope(frame, QUESTIONS_EVENT, "x".repeat(120), body([]), "x".repeat(64)));
  const room = frame.maxBytes - overhead;
  const fitted = questions.map((q) => {
    for (const [max, dropComments] of [[MAX_BODY_CHARS, false], [MAX_BODY_CHARS, true], [0, true]] as const) {
      const trimmed = trimQuestion(q, max, dropComments);
      if (questionBytes(trimmed) <= room) return trimmed;
    }
    throw new QuestionTooLargeError(`question ${String(q["question_id"])} does not fit a queue message even without bodies`);
  });
  const chunks: Item[][] = [];
  let current: Item[] = [];
  let size = 0;
  for (const q of fitted) {
    const bytes = questionBytes(q) + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && size + bytes > room) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    size += questionBytes(q) + (current.length > 0 ? 1 : 0);
    current.push(q);
  }
  chunks.push(current);
  return chunks.map((chunk) => {
    const out = envelope(frame, QUESTIONS_EVENT, frame.deliveryId(chunk), body(chunk), frame.newId());
    const bytes = envelopeBytes(out);
    if (bytes > frame.maxBytes) throw new QuestionTooLargeError(`an envelope of ${chunk.length} questions came to ${bytes} bytes; the limit is ${frame.maxBytes}`);
    return out;
  });
}

/** One `deletions` envelope (a few ids: always far below the size limit). */
export function deletionsEnvelope(frame: Omit<EnvelopeFrame, "deliveryId">, deliveryId: string, deleted: Pick<DeletionsBody, "questions" | "answers">): Envelope {
  return envelope({ ...frame, deliveryId: () => deliveryId }, DELETIONS_EVENT, deliveryId, { site: frame.site, fetched_at: frame.fetchedAt, ...deleted }, frame.newId());
}
