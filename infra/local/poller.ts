import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
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
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  onError?: (err: Error) => void;
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
      if (succeeded.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: succeeded.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
          }),
        );
      }
      for (const m of failed) {
        await sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: queueUrl,
              ReceiptHandle: m.ReceiptHandle ?? "",
              VisibilityTimeout: this.options.retryDelaySeconds,
            }),
          )
          .catch((err: Error) => this.options.onError?.(err));
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
