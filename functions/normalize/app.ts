import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { Activity } from "../../shared/model/activity.ts";
import type { Config } from "../../shared/model/config.ts";
import { EnvelopeSchema, type Envelope } from "../../shared/model/envelope.ts";
import { ADAPTERS, answerPolicyFor } from "../../shared/sources/index.ts";
import type { SkippedItem } from "../../shared/sources/types.ts";
import type { SignalStore, ThreadSnapshot } from "../../shared/store/store.ts";

/** A record that can never succeed (not an envelope, malformed payload). Retrying will not help. */
export class PermanentRecordError extends Error {
  override readonly name = "PermanentRecordError";
}

export interface NormalizeLog {
  info(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface NormalizeObserver {
  /** One envelope done: how many activities it gave, how many were new, how many items were left out. */
  processed(envelope: Envelope, activities: number, stored: number, skipped?: number): void;
  failed(messageId: string, error: Error, permanent: boolean): void;
}

/**
 * Puts a record that can never succeed on the dead-letter queue at once, with its reason,
 * instead of letting it be retried maxReceiveCount times first.
 */
export type DeadLetter = (record: SQSRecord, reason: string) => Promise<void>;

export interface NormalizeDeps {
  config: Config;
  store: SignalStore;
  log?: NormalizeLog;
  observer?: NormalizeObserver;
  /** Without it a permanent failure is retried like any other until SQS moves it (no reason kept). */
  deadLetter?: DeadLetter;
  /**
   * The raw archive: each batch's envelopes are kept there before they are processed (so any
   * day can be normalised again), and claim-checked bodies are read back from it.
   */
  archive?: {
    putBatch(envelopes: readonly Envelope[]): Promise<unknown>;
    withBody(envelope: Envelope): Promise<Envelope>;
  };
}

export function parseEnvelope(body: string): Envelope {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new PermanentRecordError("message body is not JSON");
  }
  const parsed = EnvelopeSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PermanentRecordError(`message is not an envelope: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

/**
 * Turn one envelope into activities and write each with its thread, idempotently: activities
 * first (conditional on being new or newer), then each touched thread is refolded once.
 */
export async function normalizeEnvelope(
  envelope: Envelope,
  deps: NormalizeDeps,
): Promise<{ activities: Activity[]; stored: number; skipped: SkippedItem[] }> {
  const adapter = ADAPTERS[envelope.source];
  if (!adapter) throw new PermanentRecordError(`no adapter for source ${envelope.source}`);
  let activities: Activity[];
  let skipped: SkippedItem[] = [];
  try {
    // One unreadable item of a page is left out (and logged), never its neighbours with it.
    if (adapter.normalizeWithSkips) ({ activities, skipped } = adapter.normalizeWithSkips(envelope, deps.config));
    else activities = adapter.normalize(envelope, deps.config);
  } catch (err) {
    if ((err as Error).name === "NormalizeError") throw new PermanentRecordError((err as Error).message);
    throw err;
  }
  // Each thread is read once, before anything is put: an activity already stored at this
  // version or a newer one is not written again (a redelivery costs reads, no writes), the
  // store writes only the day and member markers that read does not show (putActivity), and
  // the refold starts from that read plus what this envelope added, not from a second read.
  const threadIds = [...new Set(activities.flatMap((a) => (a.thread ? [a.thread.id] : [])))];
  const snapshots = new Map<string, ThreadSnapshot>();
  for (const threadId of threadIds) snapshots.set(threadId, await deps.store.readThread(threadId));
  let stored = 0;
  for (const activity of activities) {
    const snapshot = activity.thread ? snapshots.get(activity.thread.id) : undefined;
    const known = snapshot?.activities.find((a) => a.id === activity.id);
    if (known && known.version >= activity.version) continue;
    if ((await deps.store.putActivity(activity, snapshot)) === "stored") {
      stored++;
      snapshot?.activities.push(activity);
    }
  }
  // Refold even when nothing was new: a crash between the two writes heals on redelivery.
  for (const threadId of threadIds) {
    await deps.store.refreshThread(threadId, answerPolicyFor(deps.config, envelope.source), snapshots.get(threadId));
  }
  return { activities, stored, skipped };
}

/**
 * SQS consumer with partial batch failures: a failing record is reported alone, so only it
 * is retried (and lands in the DLQ after maxReceiveCount), never the whole batch.
 */
export function createNormalizeHandler(deps: NormalizeDeps): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);

  async function recordHandler(record: SQSRecord): Promise<void> {
    try {
      const envelope = await withBody(parseEnvelope(record.body));
      const { activities, stored, skipped } = await normalizeEnvelope(envelope, deps);
      deps.observer?.processed(envelope, activities.length, stored, skipped.length);
      for (const item of skipped) {
        deps.log?.error("item skipped", { envelopeId: envelope.id, source: envelope.source, deliveryId: envelope.deliveryId, ...item });
      }
      deps.log?.info("normalized", {
        envelopeId: envelope.id,
        source: envelope.source,
        eventType: envelope.eventType,
        deliveryId: envelope.deliveryId,
        activities: activities.length,
        stored,
        skipped: skipped.length,
        ignored: activities.length === 0,
      });
    } catch (err) {
      const error = err as Error;
      const permanent = error instanceof PermanentRecordError;
      deps.observer?.failed(record.messageId, error, permanent);
      deps.log?.error("record failed", {
        messageId: record.messageId,
        receiveCount: record.attributes?.ApproximateReceiveCount,
        permanent,
        reason: error.message,
      });
      // A retry cannot help: straight to the dead-letter queue, and this record counts as handled.
      // If that send fails too, the record is retried and SQS's redrive moves it in the end.
      if (permanent && deps.deadLetter) {
        await deps.deadLetter(record, error.message);
        return;
      }
      throw error;
    }
  }

  async function withBody(envelope: Envelope): Promise<Envelope> {
    if (!envelope.bodyRef) return envelope;
    if (!deps.archive) throw new PermanentRecordError("the envelope's body is in the raw archive, and this normaliser has none configured");
    try {
      return await deps.archive.withBody(envelope);
    } catch (err) {
      if ((err as Error).name === "MissingBodyError") throw new PermanentRecordError((err as Error).message);
      throw err;
    }
  }

  /** Keeps the batch's deliveries in the raw archive (not those `reprocess` queued from it). */
  async function archiveBatch(event: SQSEvent): Promise<void> {
    if (!deps.archive) return;
    const envelopes: Envelope[] = [];
    for (const record of event.Records) {
      try {
        const envelope = parseEnvelope(record.body);
        if (!envelope.replay) envelopes.push(envelope);
      } catch {
        // not an envelope: dead-lettered with its reason below, nothing to archive
      }
    }
    if (envelopes.length > 0) await deps.archive.putBatch(envelopes);
  }

  return async (event, context) => {
    try {
      await archiveBatch(event);
    } catch (err) {
      // Nothing is processed unarchived: the whole batch is retried (the archive is idempotent enough: a retry writes the same key).
      deps.log?.error("archive failed", { reason: (err as Error).message, records: event.Records.length });
      for (const record of event.Records) deps.observer?.failed(record.messageId, err as Error, false);
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    try {
      return await processPartialResponse(event, recordHandler, processor, context ? { context } : undefined);
    } catch (err) {
      // Every record failed: Powertools throws; report them all as failures instead, so the
      // event source retries exactly these records.
      if ((err as Error).name === "FullBatchFailureError") {
        return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
      }
      throw err;
    }
  };
}
