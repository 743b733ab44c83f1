import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { DigestActionSchema, type DigestAction } from "../model/thread.ts";

/**
 * Signed, expiring digest links: `<base>/actions/<action>?t=<thread>&r=<recipient>&e=<expiry>&s=<sig>`.
 * The signature is HMAC-SHA256 (a key of its own, never a webhook secret) over every
 * parameter, so changing any of them, or the action in the path, breaks it.
 */

export const DIGEST_ACTIONS: readonly DigestAction[] = DigestActionSchema.options;

/** What a link says: who may do what to which thread, until when. */
export interface ActionLink {
  action: DigestAction;
  threadId: string;
  /** The digest recipient the link was made for (lower case): the advocate who acts. */
  recipient: string;
  /** When the link stops working. */
  expiresAt: Date;
}

export type LinkVerdict =
  | { ok: true; link: ActionLink }
  | { ok: false; reason: "malformed" | "bad-signature" | "expired" };

/** Keys shorter than this are a configuration mistake, not a secret. */
const MIN_SECRET_LENGTH = 16;
const PAYLOAD_VERSION = "v1";

function checkSecret(secret: string): void {
  if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) {
    throw new RangeError(`the actions signing secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
}

/** The exact bytes signed: one field a line, so no field can bleed into the next. */
export function canonicalPayload(link: ActionLink): string {
  const expiry = Math.floor(link.expiresAt.getTime() / 1000);
  return [PAYLOAD_VERSION, link.action, link.threadId, link.recipient.toLowerCase(), String(expiry)].join("\n");
}

function sign(secret: string, link: ActionLink): string {
  return createHmac("sha256", secret).update(canonicalPayload(link)).digest("base64url");
}

/** Query parameters of a signed link (also the hidden fields of the confirmation form). */
export function signedParams(secret: string, link: ActionLink): Record<"t" | "r" | "e" | "s", string> {
  checkSecret(secret);
  if (Number.isNaN(link.expiresAt.getTime())) throw new RangeError("a link needs a valid expiry");
  if (link.threadId.length === 0 || link.recipient.length === 0) throw new RangeError("a link needs a thread id and a recipient");
  return {
    t: link.threadId,
    r: link.recipient.toLowerCase(),
    e: String(Math.floor(link.expiresAt.getTime() / 1000)),
    s: sign(secret, link),
  };
}

/** The full URL of a signed link under `baseUrl` (the front door: dev URL or `actions.baseUrl`). */
export function actionUrl(baseUrl: string, secret: string, link: ActionLink): string {
  const url = new URL(`actions/${link.action}`, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  for (const [name, value] of Object.entries(signedParams(secret, link))) url.searchParams.set(name, value);
  return url.href;
}

/**
 * Checks a link's action and parameters against its signature (in constant time), then its
 * expiry. Never throws on bad input: anything wrong is a refusal with a reason.
 */
export function verifyActionLink(secret: string, action: string, params: URLSearchParams, now: Date): LinkVerdict {
  checkSecret(secret);
  const parsedAction = DigestActionSchema.safeParse(action);
  const t = params.get("t");
  const r = params.get("r");
  const e = params.get("e");
  const s = params.get("s");
  if (!parsedAction.success || !t || !r || !e || !s || !/^\d{1,12}$/.test(e)) return { ok: false, reason: "malformed" };
  // A repeated parameter could be read differently by another parser than the one that signed it.
  for (const name of ["t", "r", "e", "s"]) if (params.getAll(name).length !== 1) return { ok: false, reason: "malformed" };
  const link: ActionLink = { action: parsedAction.data, threadId: t, recipient: r, expiresAt: new Date(Number(e) * 1000) };
  // Only the canonical (lower-case) recipient was ever signed; anything else is an altered link.
  if (r !== r.toLowerCase()) return { ok: false, reason: "bad-signature" };
  const expected = Buffer.from(sign(secret, link));
  const given = Buffer.from(s);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad-signature" };
  if (now.getTime() >= link.expiresAt.getTime()) return { ok: false, reason: "expired" };
  return { ok: true, link };
}

/**
 * The natural id of the activity a link stores: the same link always gives the same id, so a
 * second click (or a resent form) is a duplicate the store ignores.
 */
export function actionActivityId(link: ActionLink): string {
  const digest = createHash("sha256").update(canonicalPayload(link)).digest("hex").slice(0, 24);
  // "action:" sorts before every platform prefix, so an action never wins a thread-ref tie.
  return `action:${link.threadId}:${link.action}:${digest}`;
}

/**
 * The link to a recipient's whole queue: `<base>/actions/queue?r=<recipient>&e=<expiry>&o=<order>&s=<sig>`.
 * Signed with the same key as the action links over a payload of its own (`q1`, so no action
 * link's signature can ever pass for a queue link or the other way round); the order is signed
 * too, so the page's sort links are signed again by the server that renders them.
 */
export const QUEUE_ORDERS = ["oldest", "newest", "source"] as const;
export type QueueOrder = (typeof QUEUE_ORDERS)[number];

export interface QueueLink {
  /** The recipient's id (lower case): their filters and their action links. */
  recipient: string;
  expiresAt: Date;
  order: QueueOrder;
}

export type QueueLinkVerdict = { ok: true; link: QueueLink } | { ok: false; reason: "malformed" | "bad-signature" | "expired" };

const QUEUE_PAYLOAD_VERSION = "q1";

function signQueue(secret: string, link: QueueLink): string {
  const expiry = Math.floor(link.expiresAt.getTime() / 1000);
  const payload = [QUEUE_PAYLOAD_VERSION, "queue", link.recipient.toLowerCase(), String(expiry), link.order].join("\n");
  return createHmac("sha256", secret).update(payload).digest("base64url");
}

/** Query parameters of a signed queue link. */
export function signedQueueParams(secret: string, link: QueueLink): Record<"r" | "e" | "o" | "s", string> {
  checkSecret(secret);
  if (Number.isNaN(link.expiresAt.getTime())) throw new RangeError("a link needs a valid expiry");
  if (link.recipient.length === 0) throw new RangeError("a queue link needs a recipient");
  return { r: link.recipient.toLowerCase(), e: String(Math.floor(link.expiresAt.getTime() / 1000)), o: link.order, s: signQueue(secret, link) };
}

/** The full URL of a recipient's queue page under `baseUrl`. */
export function queueUrl(baseUrl: string, secret: string, link: QueueLink): string {
  const url = new URL("actions/queue", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  for (const [name, value] of Object.entries(signedQueueParams(secret, link))) url.searchParams.set(name, value);
  return url.href;
}

/** Checks a queue link like `verifyActionLink` does an action link: signature first (constant time), then expiry. */
export function verifyQueueLink(secret: string, params: URLSearchParams, now: Date): QueueLinkVerdict {
  checkSecret(secret);
  for (const name of ["r", "e", "o", "s"]) if (params.getAll(name).length !== 1) return { ok: false, reason: "malformed" };
  const r = params.get("r") ?? "";
  const e = params.get("e") ?? "";
  const o = params.get("o") ?? "";
  const s = params.get("s") ?? "";
  if (!r || !s || !/^\d{1,12}$/.test(e) || !(QUEUE_ORDERS as readonly string[]).includes(o)) return { ok: false, reason: "malformed" };
  if (r !== r.toLowerCase()) return { ok: false, reason: "bad-signature" };
  const link: QueueLink = { recipient: r, expiresAt: new Date(Number(e) * 1000), order: o as QueueOrder };
  const expected = Buffer.from(signQueue(secret, link));
  const given = Buffer.from(s);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad-signature" };
  if (now.getTime() >= link.expiresAt.getTime()) return { ok: false, reason: "expired" };
  return { ok: true, link };
}
