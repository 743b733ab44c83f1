import {
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { DEAD_LETTER_AT, DEAD_LETTER_REASON } from "../../shared/queue/dead-letter.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  /** How long a received batch stays invisible while the handler runs (as in AWS). */
  visibilityTimeoutSeconds: number;
  /**
   * How soon a failed record is retried. Lambda waits for the visibility timeout; locally a
   * shorter delay gets a permanent failure to the DLQ in seconds instead of minutes.
   */
  retryDelaySeconds: number;
  /**
   * Failed attempts a record gets before it goes to `dlqUrl` (the queue's maxReceiveCount).
   * The poller counts attempts itself: the SQS emulator counts a visibility change as a
   * receive, which would dead-letter a record after half its retries.
   */
  maxAttempts: number;
  dlqUrl: string;
  /** Why a record failed (the normaliser's message), kept with it in the dead-letter queue. */
  failureReason?: (messageId: string) => string | undefined;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  /** For the time stamped on a dead letter. */
  now: Clock;
  onError?: (err: Error) => void;
  /**
   * Asked before receiving again after a batch had failures: while it says false (the table
   * is down, say) nothing is received, so an outage does not use up the records' receives
   * and dead-letter records that would succeed once it is over.
   */
  ready?: () => Promise<boolean>;
  /** Each record's fate: deleted (handled) or left for a retry after `receiveCount` receives. */
  onSettled?: (record: SQSRecord, outcome: "deleted" | "retry" | "dead", attempt: number, reason?: string) => void;
}

/**
 * Plays Lambda's SQS event-source mapping: long-polls batches, invokes the handler, deletes
 * the records it did not report as failed, and leaves failed ones for a retry (SQS moves them
 * to the DLQ after maxReceiveCount receives).
 */
export class SqsEventSourcePoller {
  private running = false;
  private loop: Promise<void> | null = null;
  private current = 0;
  private counters = { batches: 0, succeeded: 0, failed: 0 };

  constructor(private readonly options: PollerOptions) {}

  /** Records handed to the handler and not yet settled. */
  get inFlight(): number {
    return this.current;
  }

  get stats(): { batches: number; succeeded: number; failed: number } {
    return { ...this.counters };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stop receiving; resolves once the batch being handled is settled. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    const { sqs, queueUrl } = this.options;
    while (this.running) {
      if (this.lastBatchFailed && this.options.ready) {
        await this.waitUntilReady(this.options.ready);
        if (!this.running) break;
      }
      let messages: Message[];
      try {
        const res = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: this.options.batchSize,
            WaitTimeSeconds: 1,
            VisibilityTimeout: this.options.visibilityTimeoutSeconds,
            AttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
        );
        messages = res.Messages ?? [];
      } catch (err) {
        if (!this.running) break;
        this.options.onError?.(err as Error);
        await sleep(500);
        continue;
      }
      if (messages.length > 0) await this.invoke(messages);
    }
  }

  private lastBatchFailed = false;
  /** Messages sent back for a later attempt and not received since. */
  private readonly retrying = new Set<string>();

  /** Records waiting for their next attempt (counted in the queue as delayed messages). */
  get retryingCount(): number {
    return this.retrying.size;
  }

  /**
   * A failed record goes back with a delay that doubles each attempt (capped at the
   * visibility timeout and SQS's 900 s), or, after its last attempt, to the dead-letter queue
   * with its reason. Sent first, deleted after: a crash in between duplicates, never loses.
   */
  private async retryOrDeadLetter(m: Message): Promise<void> {
    const { sqs, queueUrl, dlqUrl, maxAttempts } = this.options;
    const attempt = attemptOf(m);
    const record = this.toRecord(m);
    const reason = this.options.failureReason?.(m.MessageId ?? "") ?? `failed ${attempt} time(s)`;
    const attributes = sendable(m);
    if (attempt >= maxAttempts) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: m.Body ?? "",
          MessageAttributes: {
            ...attributes,
            [DEAD_LETTER_REASON]: { DataType: "String", StringValue: `${reason} (after ${attempt} attempts)`.slice(0, 1_000) },
            [DEAD_LETTER_AT]: { DataType: "String", StringValue: this.options.now().toISOString() },
          },
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle ?? "" }));
      this.options.onSettled?.(record, "dead", attempt, reason);
      return;
    }
    const delay = Math.min(this.options.retryDelaySeconds * 2 ** (attempt - 1), this.options.visibilityTimeoutSeconds, 900);
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: m.Body ?? "",
        DelaySeconds: Math.max(0, Math.round(delay)),
        MessageAttributes: { ...attributes, [ATTEMPT]: { DataType: "Number", StringValue: String(attempt + 1) } },
      }),
    );
    if (sent.MessageId) this.retrying.add(sent.MessageId);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle ?? "" }));
    this.options.onSettled?.(record, "retry", attempt, reason);
  }

  private async waitUntilReady(ready: () => Promise<boolean>): Promise<void> {
    for (let pause = 250; this.running; pause = Math.min(pause * 2, 5_000)) {
      if (await ready().catch(() => false)) return;
      await sleep(pause);
    }
  }

  private async invoke(messages: Message[]): Promise<void> {
    const { sqs, queueUrl } = this.options;
    this.current += messages.length;
    this.counters.batches++;
    try {
      const event: SQSEvent = { Records: messages.map((m) => this.toRecord(m)) };
      let failedIds: Set<string>;
      try {
        const response = await this.options.handler(event);
        failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      } catch (err) {
        // A handler that throws fails the whole batch, exactly as in Lambda.
        this.options.onError?.(err as Error);
        failedIds = new Set(messages.map((m) => m.MessageId ?? ""));
      }
      const succeeded = messages.filter((m) => !failedIds.has(m.MessageId ?? ""));
      const failed = messages.filter((m) => failedIds.has(m.MessageId ?? ""));
      this.lastBatchFailed = failed.length > 0;
      if (succeeded.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: succeeded.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
          }),
        );
      }
      for (const m of succeeded) {
        this.retrying.delete(m.MessageId ?? "");
        this.options.onSettled?.(this.toRecord(m), "deleted", attemptOf(m));
      }
      for (const m of failed) {
        this.retrying.delete(m.MessageId ?? "");
        await this.retryOrDeadLetter(m).catch((err: Error) => this.options.onError?.(err));
      }
      this.counters.succeeded += succeeded.length;
      this.counters.failed += failed.length;
    } catch (err) {
      this.options.onError?.(err as Error);
    } finally {
      this.current -= messages.length;
    }
  }

  private toRecord(m: Message): SQSRecord {
    const attrs = m.Attributes ?? {};
    return {
      messageId: m.MessageId ?? "",
      receiptHandle: m.ReceiptHandle ?? "",
      body: m.Body ?? "",
      // wall-clock: like SQS, the emulator stamps messages with the machine's time; nothing reads these
      attributes: {
        ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? "1",
        SentTimestamp: attrs.SentTimestamp ?? String(Date.now()), // wall-clock: see above
        SenderId: attrs.SenderId ?? "local",
        ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()), // wall-clock: see above
      },
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
          k,
          { stringValue: v.StringValue, dataType: v.DataType ?? "String", stringListValues: [], binaryListValues: [] },
        ]),
      ),
      md5OfBody: m.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: this.options.queueArn,
      awsRegion: "us-east-1",
    };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The attribute the poller keeps a record's attempt number in (absent: the first attempt). */
const ATTEMPT = "attempt";

function attemptOf(m: Message): number {
  const fromAttribute = Number(m.MessageAttributes?.[ATTEMPT]?.StringValue);
  return Number.isInteger(fromAttribute) && fromAttribute > 0 ? fromAttribute : Math.max(1, Number(m.Attributes?.ApproximateReceiveCount ?? "1") || 1);
}

/** A received message's attributes, in the shape SendMessage takes, without the attempt number. */
function sendable(m: Message): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(m.MessageAttributes ?? {})) {
    if (name === ATTEMPT || value.StringValue === undefined) continue;
    out[name] = { DataType: value.DataType ?? "String", StringValue: value.StringValue };
  }
  return out;
}
