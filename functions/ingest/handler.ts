import { Logger } from "@aws-lambda-powertools/logger";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { z } from "zod";
import { EnvelopeQueue } from "../../shared/queue/envelope-queue.ts";
import { configFromEnv, readEnv } from "../../shared/runtime/env.ts";
import { SecretsManagerResolver } from "../../shared/secrets/secrets-manager.ts";
import { createIngest } from "./app.ts";

// Module scope runs once per cold start: configuration fails fast, clients are reused.
const env = readEnv({ QUEUE_URL: z.string().url() });
const config = configFromEnv();
const logger = new Logger({ serviceName: "ingest" });
const ingest = createIngest({
  config,
  secrets: new SecretsManagerResolver(new SecretsManagerClient({})),
  queue: new EnvelopeQueue(new SQSClient({}), env.QUEUE_URL, config.queue.maxMessageBytes),
  observer: {
    outcome(source, outcome, detail) {
      const log = outcome === "error" ? logger.error.bind(logger) : logger.info.bind(logger);
      log("webhook", { source, outcome, detail });
    },
  },
});

/** Lambda entry for the Function URL / HTTP API (payload format 2.0). */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const method = event.requestContext.http.method;
  if (method === "GET" && event.rawPath === "/health") {
    return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "ok" }) };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  const body = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
  const answer = await ingest({ method, path: event.rawPath, headers, body });
  return { statusCode: answer.status, headers: answer.headers ?? {}, body: answer.body };
}
