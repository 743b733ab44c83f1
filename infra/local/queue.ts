import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, type MessageAttributeValue, type SQSClient } from "@aws-sdk/client-sqs";
import type { EnvelopeSink } from "../../functions/ingest/app.ts";
import type { Envelope } from "../../shared/model/envelope.ts";
import { DEAD_LETTER_AT, DEAD_LETTER_REASON } from "../../shared/queue/dead-letter.ts";
import { serializeEnvelope } from "../../shared/queue/envelope-queue.ts";
import { compactJournal, pendingMessages, readJournal, type PendingMessage, type QueueJournal } from "./journal.ts";

/** The message attribute that ties a local queue message to its journal entry. */
export const JOURNAL_ID = "journalId";

function attributes(m: { id: string; source: string; eventType: string }): Record<string, MessageAttributeValue> {
  return {
    source: { DataType: "String", StringValue: m.source },
    eventType: { DataType: "String", StringValue: m.eventType },
    [JOURNAL_ID]: { DataType: "String", StringValue: m.id },
  };
}

/**
 * The local stand-in for `EnvelopeQueue`: the envelope is journaled and synced to disk before
 * it is sent, so `send` resolving (and so the 202) means it survives a killed process.
 */
export class JournaledEnvelopeQueue implements EnvelopeSink {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    private readonly journal: QueueJournal,
    private readonly maxBytes: number,
  ) {}

  async send(envelope: Envelope): Promise<string> {
    const body = serializeEnvelope(envelope, this.maxBytes);
    const message = { id: envelope.id, body, source: envelope.source, eventType: envelope.eventType };
    await this.journal.appendDurably({ op: "queued", ...message });
    await sendBatch(this.sqs, this.queueUrl, [message]);
    return envelope.id;
  }
}

/** Sends journaled messages (dead ones with their reason) in batches of ten. */
export async function sendBatch(sqs: SQSClient, queueUrl: string, messages: readonly PendingMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const res = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, j) => ({
          Id: String(j),
          MessageBody: m.body,
          MessageAttributes: {
            ...attributes(m),
            ...(m.dead
              ? { [DEAD_LETTER_REASON]: { DataType: "String", StringValue: m.dead.reason || "unknown" }, [DEAD_LETTER_AT]: { DataType: "String", StringValue: m.dead.at } }
              : {}),
          },
        })),
      }),
    );
    if (res.Failed && res.Failed.length > 0) throw new Error(`the local queue refused ${res.Failed.length} message(s): ${res.Failed[0]?.Message ?? ""}`);
  }
}

/**
 * At start: everything the journal holds that was not done goes back where it stood (queue or
 * dead-letter queue), and the journal is rewritten with just those messages.
 */
export async function restoreFromJournal(path: string, sqs: SQSClient, queueUrl: string, dlqUrl: string): Promise<{ queued: number; dead: number }> {
  const pending = pendingMessages(readJournal(path));
  compactJournal(path, pending);
  const dead = pending.filter((m) => m.dead);
  const live = pending.filter((m) => !m.dead);
  await sendBatch(sqs, queueUrl, live);
  await sendBatch(sqs, dlqUrl, dead);
  return { queued: live.length, dead: dead.length };
}

export interface RedriveResult {
  moved: number;
  /** Dead letters left where they were (another source). */
  kept: number;
}

/**
 * Moves dead letters back to the queue (only those of `source` when given), oldest first, each
 * one sent before it is deleted from the dead-letter queue, so none is lost in between.
 */
export async function redriveDeadLetters(
  sqs: SQSClient,
  from: { dlqUrl: string; queueUrl: string },
  /** `waitSeconds`: long polling (AWS: an empty long-poll answer means the queue is empty; 0 locally). */
  options: { source?: string; journal?: QueueJournal; waitSeconds?: number } = {},
): Promise<RedriveResult> {
  let moved = 0;
  const kept = new Map<string, string>();
  for (;;) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: from.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: options.waitSeconds ?? 0,
        // Long enough to move them; what is kept becomes visible again after it.
        VisibilityTimeout: 30,
        MessageAttributeNames: ["All"],
        AttributeNames: ["All"],
      }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) break;
    const wanted = messages.filter((m) => !options.source || m.MessageAttributes?.source?.StringValue === options.source);
    for (const m of messages) if (!wanted.includes(m)) kept.set(m.MessageId ?? "", m.ReceiptHandle ?? "");
    if (wanted.length > 0) {
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: from.queueUrl,
          Entries: wanted.map((m, j) => {
            const attrs: Record<string, MessageAttributeValue> = {};
            for (const [name, value] of Object.entries(m.MessageAttributes ?? {})) {
              if (name === DEAD_LETTER_REASON || name === DEAD_LETTER_AT || value.StringValue === undefined) continue;
              attrs[name] = { DataType: value.DataType ?? "String", StringValue: value.StringValue };
            }
            return { Id: String(j), MessageBody: m.Body ?? "", MessageAttributes: attrs };
          }),
        }),
      );
      const sentIds = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
      const done = wanted.filter((_, j) => sentIds.has(j));
      for (const m of done) {
        const id = m.MessageAttributes?.[JOURNAL_ID]?.StringValue;
        if (id) await options.journal?.appendDurably({ op: "redriven", id });
      }
      if (done.length > 0) {
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: from.dlqUrl, Entries: done.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle ?? "" })) }));
      }
      moved += done.length;
      if (done.length < wanted.length) throw new Error(`the queue refused ${wanted.length - done.length} message(s); they stay in the dead-letter queue`);
    }
  }
  // What stays is visible again at once, not after the receive's time-out.
  for (const receiptHandle of kept.values()) {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: from.dlqUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 })).catch(() => {});
  }
  return { moved, kept: kept.size };
}
