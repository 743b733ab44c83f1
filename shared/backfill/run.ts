/**
 * Runs the requested sources' backfills side by side (each platform has its own rate limits, so
 * one waiting out a limit does not hold the others up) and collects what each did. Pure
 * orchestration: where envelopes go, where cursors live and how progress is shown are passed in,
 * so the CLI runs it against a local stack or a deployed one alike.
 */
import type { Envelope } from "../model/envelope.ts";
import { EnvelopeTooLargeError, MESSAGE_ATTRIBUTE_HEADROOM_BYTES, serializeEnvelope } from "../queue/envelope-queue.ts";
import { backfillCursorSource, type BackfillCursors, type BackfillSourceName, type SourceBackfillDeps, type SourceBackfillResult } from "./types.ts";
import type { BackfillSourceSpec } from "./registry.ts";

export interface CursorBackend {
  getCursor(source: string, key: string): Promise<string | null>;
  setCursor(source: string, key: string, value: string, at: Date): Promise<void>;
}

/** A source's cursors in the store, under `CURSOR#backfill-<source>#<key>`. */
export function storeCursors(store: CursorBackend, source: BackfillSourceName): BackfillCursors {
  const ns = backfillCursorSource(source);
  return { get: (key) => store.getCursor(ns, key), set: (key, value, at) => store.setCursor(ns, key, value, at) };
}

export interface RunBackfillDeps extends Omit<SourceBackfillDeps, "token" | "cursors"> {
  sources: readonly BackfillSourceSpec[];
  /** Each source's credential, resolved by the caller ("" when the source reads anonymously). */
  tokens: ReadonlyMap<BackfillSourceName, string>;
  cursors(source: BackfillSourceName): BackfillCursors;
}

export async function runBackfill(deps: RunBackfillDeps): Promise<SourceBackfillResult[]> {
  const { sources, tokens, cursors, ...common } = deps;
  return Promise.all(
    sources.map(async (spec) => {
      try {
        return await spec.run({ ...common, token: tokens.get(spec.name) ?? "", cursors: cursors(spec.name) });
      } catch (err) {
        // A source's own failures end in `stopped`; anything else (the queue refusing) stops it too, not the others.
        const reason = err instanceof Error ? err.message : String(err);
        return { source: spec.name, scopes: [], envelopes: 0, requests: 0, stopped: { scope: spec.name, reason: `${reason}; run backfill again, it resumes where it stopped` } };
      }
    }),
  );
}

export interface BodyClaims {
  putBody(day: string, envelopeId: string, body: Buffer): Promise<{ key: string; bytes: number; sha256: string }>;
}

/**
 * Wraps a sink so an envelope too large for a queue message goes as the front door sends it: its
 * body in the raw archive, the message carrying the reference (claim check). Without an archive
 * such an envelope is refused with a clear error, which stops that source.
 */
export function claimChecked(send: (envelopes: Envelope[]) => Promise<void>, claims: BodyClaims | null, maxMessageBytes: number): (envelopes: Envelope[]) => Promise<void> {
  const limit = maxMessageBytes - MESSAGE_ATTRIBUTE_HEADROOM_BYTES;
  return async (envelopes) => {
    const out: Envelope[] = [];
    for (const envelope of envelopes) {
      try {
        serializeEnvelope(envelope, limit);
        out.push(envelope);
      } catch (err) {
        if (!(err instanceof EnvelopeTooLargeError) || !claims) throw err;
        const bodyRef = await claims.putBody(envelope.receivedAt.slice(0, 10), envelope.id, Buffer.from(envelope.body, "utf8"));
        out.push({ ...envelope, body: "", bodyRef });
      }
    }
    if (out.length > 0) await send(out);
  };
}
