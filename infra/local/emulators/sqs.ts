/**
 * An in-process SQS server (local-aws-sqs; JSON and Query protocols, RedrivePolicy and DLQs,
 * long polling) on a free port of 127.0.0.1.
 *
 * Known differences from AWS: ask for AttributeNames ["All"] to get ApproximateReceiveCount
 * (MessageSystemAttributeNames is ignored); a receive with VisibilityTimeout 0 can return
 * one message twice in a batch; PurgeQueue takes 60 s; a deleted queue's name is reusable
 * only after 60 s (as in AWS).
 */
import { createSqsServer } from "local-aws-sqs";
import { boundPort, closeServer } from "./http-server.ts";

export interface LocalSqs {
  /** http://127.0.0.1:<port>; queue URLs returned by the server start with it. */
  endpoint: string;
  port: number;
  /** Closes the server and its connections; queues and messages are gone. Safe to call twice. */
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

export async function startSqs(): Promise<LocalSqs> {
  // hostname also names the host in the queue URLs it hands out, so they reach this server.
  const server = await createSqsServer({ port: 0, hostname: HOST });
  const port = boundPort(server, "the local SQS server");
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${HOST}:${port}`,
    port,
    stop: () => (stopping ??= closeServer(server)),
  };
}
