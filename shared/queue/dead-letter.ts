import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";

/** What a dead letter carries besides the original body and attributes. */
export const DEAD_LETTER_REASON = "deadLetterReason";
export const DEAD_LETTER_AT = "deadLetteredAt";

/** SQS allows 10 message attributes and 256 KiB for body plus attributes: keep the reason short. */
const MAX_REASON = 1_000;

/** The record's own message attributes, in the shape SendMessage takes. */
export function sendableAttributes(record: SQSRecord): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (name === DEAD_LETTER_REASON || name === DEAD_LETTER_AT) continue;
    if (value.stringValue !== undefined) out[name] = { DataType: value.dataType, StringValue: value.stringValue };
  }
  return out;
}

/**
 * Sends a record to the dead-letter queue with the reason it can never succeed, keeping its
 * body and attributes, so a person can read why and `redrive` can move it back after a fix.
 */
export async function sendDeadLetter(sqs: SQSClient, dlqUrl: string, record: SQSRecord, reason: string, at: Date): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: record.body,
      MessageAttributes: {
        ...sendableAttributes(record),
        [DEAD_LETTER_REASON]: { DataType: "String", StringValue: reason.slice(0, MAX_REASON) || "unknown" },
        [DEAD_LETTER_AT]: { DataType: "String", StringValue: at.toISOString() },
      },
    }),
  );
}
