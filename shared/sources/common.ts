import { boundActor, boundChannel, boundExcerpt, boundThreadRef, toInstant, type Activity, type ActivityKind, type Actor, type Channel, type Source, type ThreadRef } from "../model/activity.ts";
import type { Envelope } from "../model/envelope.ts";
import { boundName, boundedHttpUrl } from "../text/index.ts";
import { NormalizeError } from "./types.ts";

/** A webhook body as a JSON object, or why it is not one. */
export type ParsedBody = { ok: true; payload: Record<string, unknown> } | { ok: false; reason: string };

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Parse text that must be a JSON object; never throws. */
export function parseJsonObject(text: string, what = "body"): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `${what} is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: `${what} is not a JSON object` };
  }
  return { ok: true, payload: value as Record<string, unknown> };
}

/**
 * Every adapter's `normalize` contract in one place: only its own source, unsupported events
 * give [], and whatever slips past the payload schemas is still this delivery's fault, so it
 * becomes a permanent NormalizeError rather than a crash that would be retried.
 */
export function normalizeTotally(
  envelope: Envelope,
  source: Source,
  supported: boolean,
  normalize: () => Activity[],
): Activity[] {
  if (envelope.source !== source) {
    throw new NormalizeError(`not a ${source} envelope (source ${envelope.source})`, envelope.id);
  }
  if (!supported) return [];
  try {
    return normalize();
  } catch (err) {
    if (err instanceof NormalizeError) throw err;
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new NormalizeError(`${source} ${envelope.eventType}: unexpected ${message}`, envelope.id);
  }
}

/** What an adapter says about one activity; `buildActivity` fills in the rest the same way for all. */
export interface ActivityFields {
  id: string;
  kind: ActivityKind;
  actor: Actor;
  occurredAt: string;
  version: string;
  url?: string | null;
  excerpt?: string | null;
  target?: string | null;
  reason?: string | null;
}

/** Where an activity happened and when we received it. */
export interface ActivityOrigin {
  source: Source;
  instance: string;
  channel: Channel;
  receivedAt: string;
  /** `privacy.excerptLength` of the config in force: excerpts are cut to it (0: no excerpts). */
  excerptLength: number;
}

/**
 * One Activity in the shape every adapter emits (an activity is a question if its thread is).
 *
 * This is where the bounds on untrusted fields (shared/text/limits.ts) are enforced for every
 * adapter: titles, logins, names, channel names and reasons are cut to their limits and put on
 * one line, excerpts to the configured length, and a URL that is not an absolute http(s) URL
 * within MAX_URL_LENGTH is dropped (activity `url` null, thread `url` ""), never an error.
 */
export function buildActivity(origin: ActivityOrigin, thread: ThreadRef | null, f: ActivityFields): Activity {
  const ref = thread === null ? null : boundThreadRef(thread);
  return {
    id: f.id,
    source: origin.source,
    instance: origin.instance,
    channel: boundChannel(origin.channel),
    kind: f.kind,
    thread: ref,
    actor: boundActor(f.actor),
    occurredAt: f.occurredAt,
    receivedAt: toInstant(origin.receivedAt),
    url: boundedHttpUrl(f.url),
    excerpt: boundExcerpt(f.excerpt, origin.excerptLength),
    isQuestion: ref?.isQuestion ?? false,
    version: f.version,
    target: f.target ?? null,
    reason: f.reason === null || f.reason === undefined ? null : boundName(f.reason),
  };
}
