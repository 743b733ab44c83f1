import type { Activity } from "../model/activity.ts";
import type { Config } from "../model/config.ts";
import type { Envelope } from "../model/envelope.ts";

/** An HTTP request as the front door saw it: header names lower-cased, the body as raw bytes. */
export interface WebhookRequest {
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface HttpAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * The result of looking at a verified request before queueing it:
 * - `queue`: a supported event; queue it under `eventType`/`deliveryId`.
 * - `handshake`: answer at once (a ping, a URL verification), queue nothing.
 * - `ignore`: a well-formed event we do not use; 202, counted, queue nothing.
 * - `malformed`: 400 with `reason`, which is told to the client: what is wrong with the request
 *   (`issue.number: expected number, received string`), never exception text.
 */
export type Classification =
  | { action: "queue"; eventType: string; deliveryId: string | null; headers: Record<string, string> }
  | { action: "handshake"; answer: HttpAnswer }
  | { action: "ignore"; eventType: string; reason: string }
  | { action: "malformed"; reason: string };

/** Malformed input found while normalising: permanent, never worth a retry. */
export class NormalizeError extends Error {
  override readonly name = "NormalizeError";
  constructor(
    message: string,
    readonly envelopeId: string,
  ) {
    super(message);
  }
}

export interface SourceAdapter {
  source: Envelope["source"];
  /**
   * Check the platform signature over the exact raw body, in constant time; platforms that
   * sign a timestamp (Slack) also refuse one too far from `now`.
   */
  verify(request: WebhookRequest, secret: string, now: Date): Promise<VerifyResult>;
  /**
   * Decide what to do with a verified request (handshake, queue, ignore, malformed). Never
   * throws. A body that is not UTF-8 JSON is malformed, and so is a supported event without the
   * fields `normalize` reads for it (each source's shape.ts), so nothing queued can fail
   * normalisation for its shape; unsupported events are ignored whatever their shape.
   */
  classify(request: WebhookRequest): Classification;
  /** Pure and total: unknown events give [], a malformed envelope throws NormalizeError. */
  normalize(envelope: Envelope, config: Config): Activity[];
  /**
   * For envelopes holding many items (a polled page): an unreadable item is left out and named
   * instead of failing its neighbours; the envelope still throws when it is malformed as a whole.
   */
  normalizeWithSkips?(envelope: Envelope, config: Config): { activities: Activity[]; skipped: SkippedItem[] };
}

/** One item of an envelope left out by `normalizeWithSkips`, and why (field paths and ids, never its text). */
export interface SkippedItem {
  index: number;
  messageId: string | null;
  reason: string;
}

/** A recorded webhook for `replay`: the platform's event name, extra headers and the body. */
export interface ReplaySample {
  event?: string;
  headers?: Record<string, string>;
  payload: unknown;
}

export interface ReplayRequest {
  headers: Record<string, string>;
  body: string;
}

/** Builds the exact, signed HTTP request the platform would send for a sample. */
export type ReplayRequestBuilder = (sample: ReplaySample, secret: string, now: Date) => ReplayRequest;
