// /health tells the truth: ok only when every component answers and the dead-letter queue is
// empty; otherwise degraded, saying what is wrong. Failures are caused for real.
import { spawnSync } from "node:child_process";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localClientConfig } from "../../infra/local/emulators/clients.ts";
import type { LocalStack } from "../../infra/local/stack.ts";
import { startTestStack } from "../support/stack.ts";

describe("/health", () => {
  let stack: LocalStack;
  let dataDir: string;
  let cleanup: () => Promise<void>;
  const get = async () => (await (await fetch(`${stack.url}/health`)).json()) as Awaited<ReturnType<LocalStack["health"]>>;

  beforeAll(async () => {
    ({ stack, dataDir, cleanup } = await startTestStack());
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it("is ok and drained on a fresh stack, each number counted once", async () => {
    const health = await get();
    expect(health).toMatchObject({ status: "ok", problems: [], drained: true, queue: { depth: 0, retrying: 0, inFlight: 0 }, dlq: { depth: 0 } });
  });

  it("is degraded while the dead-letter queue holds a message", async () => {
    const sqs = new SQSClient(localClientConfig(stack.endpoints.sqs));
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.endpoints.queueUrl, MessageBody: '{"not":"an envelope"}' }));
    const health = await stack.drained(30_000);
    expect(health.dlq.depth).toBe(1);
    expect(health.status).toBe("degraded");
    expect(health.problems).toEqual([expect.stringContaining("1 message(s) in the dead-letter queue")]);
  });

  it("is degraded, naming the table, when DynamoDB Local is killed", async () => {
    const killed = spawnSync("pkill", ["-KILL", "-f", `DynamoDBLocal.*${dataDir}`]);
    expect(killed.status).toBe(0);
    const health = await get();
    expect(health.status).toBe("degraded");
    expect(health.problems).toContainEqual(expect.stringContaining("the table (DynamoDB Local) does not answer"));
  });
});
