import { afterEach, expect, it } from "vitest";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { localClientConfig } from "../../../infra/local/emulators/clients.ts";
import { startSqs, type LocalSqs } from "../../../infra/local/emulators/sqs.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(): Promise<{ sqs: LocalSqs; client: SQSClient }> {
  const sqs = await startSqs();
  cleanups.push(() => sqs.stop());
  const client = new SQSClient(localClientConfig(sqs.endpoint));
  cleanups.push(() => client.destroy());
  return { sqs, client };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("moves a message to the DLQ after maxReceiveCount receives", { timeout: 15_000 }, async () => {
  const { sqs, client } = await start();
  expect(sqs.endpoint).toBe(`http://127.0.0.1:${sqs.port}`);

  const dlq = await client.send(new CreateQueueCommand({ QueueName: "ingest-dlq" }));
  expect(dlq.QueueUrl?.startsWith(`${sqs.endpoint}/`)).toBe(true);
  const dlqArn = (
    await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }))
  ).Attributes?.QueueArn;
  expect(dlqArn).toMatch(/^arn:aws:sqs:us-east-1:\d+:ingest-dlq$/);
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: "ingest",
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) },
    }),
  );

  await client.send(new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: '{"hello":"world"}' }));

  const receiveCounts: string[] = [];
  for (let receive = 0; receive < 2; receive++) {
    const got = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ["All"], VisibilityTimeout: 1, WaitTimeSeconds: 2 }),
    );
    expect(got.Messages).toHaveLength(1);
    receiveCounts.push(got.Messages?.[0]?.Attributes?.ApproximateReceiveCount ?? "missing");
    await sleep(1_200); // let the visibility timeout lapse without deleting: a failed attempt
  }
  expect(receiveCounts).toEqual(["1", "2"]);

  const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, WaitTimeSeconds: 2 }));
  expect(dead.Messages?.map((m) => m.Body)).toEqual(['{"hello":"world"}']);
  const left = await client.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 0 }));
  expect(left.Messages ?? []).toEqual([]);
});

it("stops listening on stop(), even with a long poll in flight", { timeout: 10_000 }, async () => {
  const { sqs, client } = await start();
  const queue = await client.send(new CreateQueueCommand({ QueueName: "idle" }));
  const longPoll = client.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 20 }));
  longPoll.catch(() => undefined); // its fate is not the point; stop() must not wait for it
  await sleep(100);

  const startedStopping = Date.now();
  await sqs.stop();
  expect(Date.now() - startedStopping).toBeLessThan(2_000);
  await sqs.stop(); // idempotent

  const fresh = new SQSClient({ ...localClientConfig(sqs.endpoint), maxAttempts: 1 });
  cleanups.push(() => fresh.destroy());
  await expect(fresh.send(new ListQueuesCommand({}))).rejects.toThrow(/ECONNREFUSED/);
});
