import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import * as z from "../../shared/model/zod.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { configFromEnv, readEnv } from "../../shared/runtime/env.ts";
import { SecretsManagerResolver } from "../../shared/secrets/secrets-manager.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { createActions, type ActionOutcome } from "./app.ts";

// Module scope runs once per cold start: configuration fails fast, clients are reused.
// The signing secret is read (and cached) on the first request, via SECRET_ID_<secretName>.
const env = readEnv({ TABLE_NAME: z.string().check(z.minLength(1)) });
const config = configFromEnv();
const logger = new Logger();
const metrics = new Metrics();

const outcomes = new Map<ActionOutcome, number>();

const actions = createActions({
  config,
  store: new SignalStore(createDocumentClient(), env.TABLE_NAME),
  secrets: new SecretsManagerResolver(new SecretsManagerClient({}), systemClock),
  now: systemClock,
  observer: {
    outcome(outcome, detail) {
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      // detail is an action name or a refusal reason: never the link's signature or recipient.
      logger.info("action", { outcome, detail });
    },
  },
});

/** Lambda entry for the HTTP API route `/actions/{action}` (payload format 2.0). */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  outcomes.clear();
  try {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
    const answer = await actions({
      method: event.requestContext.http.method,
      path: event.rawPath,
      query: event.rawQueryString ?? "",
      headers,
      body: Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8"),
    });
    return { statusCode: answer.status, headers: answer.headers ?? {}, body: answer.body };
  } catch (err) {
    outcomes.set("error", (outcomes.get("error") ?? 0) + 1);
    logger.error("action failed", { error: (err as Error).message });
    throw err;
  } finally {
    for (const [outcome, count] of outcomes) {
      metrics.singleMetric().addDimension("outcome", outcome).addMetric("DigestActions", MetricUnit.Count, count);
    }
    outcomes.clear();
  }
}
