import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Envelope } from "../model/envelope.ts";

/** SQS's hard limit for one message: the body and its message attributes together. */
export const SQS_MAX_MESSAGE_BYTES = 262_144;

/**
 * Room kept for the message attributes (source, eventType, and locally the journal id and the
 * attempt number: well under 1 KiB), which SQS counts toward the same limit as the body.
 */
export const MESSAGE_ATTRIBUTE_HEADROOM_BYTES = 1024;

export class EnvelopeTooLargeError extends Error {
  override readonly name = "EnvelopeTooLargeError";
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`envelope is ${bytes} bytes; the queue takes at most ${limit}`);
  }
}

export function serializeEnvelope(envelope: Envelope, maxBytes = SQS_MAX_MESSAGE_BYTES): string {
  const body = JSON.stringify(envelope);
  const bytes = Buffer.byteLength(body, "utf8");
  if (bytes > maxBytes) throw new EnvelopeTooLargeError(bytes, maxBytes);
  return body;
}

/** Puts verified webhooks on the ingest queue; resolves only once SQS has accepted the message. */
export class EnvelopeQueue {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    private readonly maxBytes = SQS_MAX_MESSAGE_BYTES,
  ) {}

  async send(envelope: Envelope): Promise<string> {
    const res = await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: serializeEnvelope(envelope, this.maxBytes),
        MessageAttributes: {
          source: { DataType: "String", StringValue: envelope.source },
          eventType: { DataType: "String", StringValue: envelope.eventType },
        },
      }),
    );
    return res.MessageId ?? "";
  }
}
