// The Lambda entry points as Lambda loads them: module scope reads the environment, the
// handler maps events and publishes Powertools metrics as EMF on stdout. AWS calls are
// answered by spies on the clients' `send`, and every SDK endpoint points at a closed local
// port, so a call that escapes a spy fails instead of leaving the machine.
import { readFileSync } from "node:fs";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SQSClient, type SendMessageCommand } from "@aws-sdk/client-sqs";
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2, Context, SQSEvent, SQSRecord } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ConfigInput } from "../../../shared/model/config.ts";
import { parseConfig } from "../../../shared/model/config.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";
import { normalizeGitHubEnvelope, signGitHubBody } from "../../../shared/sources/github/index.ts";

const NAMESPACE = "CommunitySignalsTest";
const SECRET = "handler-test-secret-0123456789";
const CONFIG_INPUT: ConfigInput = {
  sources: { github: { enabled: true } },
  digest: {
    from: "digest@example.org",
    recipients: [{ email: "ana@example.org" }, { email: "bo@example.org" }],
  },
};

/** What the CDK construct and its bind methods set, per function. */
function baseEnv(service: string): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: service,
    POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
    POWERTOOLS_METRICS_DISABLED: "false",
    POWERTOOLS_DEV: "false",
    // What the construct inlines: the config validated at synth (defaults filled in), as JSON.
    COMMUNITY_SIGNALS_CONFIG: JSON.stringify(parseConfig(CONFIG_INPUT)),
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    // Port 9 (discard) is closed here: an unmocked call fails fast and locally.
    AWS_ENDPOINT_URL: "http://127.0.0.1:9",
  };
}
const INGEST_ENV = {
  ...baseEnv("community-signals-ingest"),
  QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/signals",
  SECRET_ID_GITHUB_WEBHOOK_SECRET: "arn:aws:secretsmanager:us-east-1:123456789012:secret:github-abc",
  RAW_BUCKET: "signals-raw",
};
const DLQ_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/signals-dlq";
const NORMALIZE_ENV = { ...baseEnv("community-signals-normalize"), TABLE_NAME: "signals-test", DLQ_URL, RAW_BUCKET: "signals-raw" };
const DIGEST_ENV = { ...baseEnv("community-signals-digest"), TABLE_NAME: "signals-test", SES_CONFIGURATION_SET: "signals" };

function stubEnv(env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

const importIngest = () => import("../../../functions/ingest/handler.ts");
const importNormalize = () => import("../../../functions/normalize/handler.ts");
const importDigest = () => import("../../../functions/digest/handler.ts");

interface EmfMetric {
  namespace: string;
  dimensions: Record<string, string>;
  values: Record<string, number>;
}

/** Every stdout line that is an EMF blob, reduced to namespace, dimensions and values. */
let stdout: string[] = [];
/** Error logs go to stderr; captured to keep the run quiet and to check what they contain. */
let stderr: string[] = [];
function emitted(): EmfMetric[] {
  const out: EmfMetric[] = [];
  for (const line of stdout.join("").split("\n")) {
    if (!line.startsWith("{")) continue;
    const blob = JSON.parse(line) as Record<string, unknown> & {
      _aws?: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    };
    const directive = blob._aws?.CloudWatchMetrics[0];
    if (!directive) continue; // a log line
    const dimensions: Record<string, string> = {};
    for (const name of directive.Dimensions.flat()) dimensions[name] = String(blob[name]);
    const values: Record<string, number> = {};
    for (const m of directive.Metrics) {
      expect(m.Unit).toBe("Count");
      values[m.Name] = blob[m.Name] as number;
    }
    out.push({ namespace: directive.Namespace, dimensions, values });
  }
  return out;
}

/** The value of `name` in the one blob that carries it (undefined when none does). */
function metricValue(name: string, dimensions: Record<string, string> = {}): number | undefined {
  const matching = emitted().filter(
    (m) => name in m.values && Object.entries(dimensions).every(([k, v]) => m.dimensions[k] === v),
  );
  expect(matching.length).toBeLessThanOrEqual(1);
  return matching[0]?.values[name];
}

beforeEach(() => {
  vi.resetModules();
  stdout = [];
  stderr = [];
  for (const [stream, sink] of [[process.stdout, stdout], [process.stderr, stderr]] as const) {
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      sink.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("module scope fails fast on a missing environment variable, naming it", () => {
  it.each([
    ["ingest", "QUEUE_URL", importIngest, INGEST_ENV],
    ["ingest", "COMMUNITY_SIGNALS_CONFIG", importIngest, INGEST_ENV],
    ["normalize", "TABLE_NAME", importNormalize, NORMALIZE_ENV],
    ["normalize", "DLQ_URL", importNormalize, NORMALIZE_ENV],
    ["normalize", "RAW_BUCKET", importNormalize, NORMALIZE_ENV],
    ["ingest", "RAW_BUCKET", importIngest, INGEST_ENV],
    ["normalize", "COMMUNITY_SIGNALS_CONFIG", importNormalize, NORMALIZE_ENV],
    ["digest", "TABLE_NAME", importDigest, DIGEST_ENV],
    ["digest", "COMMUNITY_SIGNALS_CONFIG", importDigest, DIGEST_ENV],
  ] as const)("%s without %s", async (_name, missing, load, env) => {
    stubEnv({ ...env, [missing]: undefined });
    await expect(load()).rejects.toThrow(new RegExp(`environment is incomplete: ${missing}\\b`));
  });

  it("ingest with a QUEUE_URL that is not a URL", async () => {
    stubEnv({ ...INGEST_ENV, QUEUE_URL: "signals-queue" });
    await expect(importIngest()).rejects.toThrow(/QUEUE_URL/);
  });

  it("the complete environment imports every handler", async () => {
    stubEnv({ ...INGEST_ENV, ...NORMALIZE_ENV, ...DIGEST_ENV });
    for (const load of [importIngest, importNormalize, importDigest]) {
      expect(typeof (await load()).handler).toBe("function");
    }
  });
});

function httpEvent(method: string, rawPath: string, body = "", headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: "",
    headers,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.example.org",
      domainPrefix: "api",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "GitHub-Hookshot/test" },
      requestId: "req-1",
      routeKey: `${method} ${rawPath}`,
      stage: "$default",
      time: "25/Nov/2026:10:00:00 +0000",
      timeEpoch: 1_795_600_000_000,
    },
  };
}

const webhookBody = readFileSync(new URL("../../../infra/local/samples/github/002-issues-opened.json", import.meta.url), "utf8");
const issuePayload = JSON.stringify((JSON.parse(webhookBody) as { payload: unknown }).payload);
const githubHeaders = (body: string, signed: boolean): Record<string, string> => ({
  "Content-Type": "application/json",
  "X-GitHub-Event": "issues",
  "X-GitHub-Delivery": "delivery-1",
  ...(signed ? { "X-Hub-Signature-256": signGitHubBody(SECRET, body) } : {}),
});

describe("ingest handler", () => {
  function awsSpies() {
    const secrets = vi.spyOn(SecretsManagerClient.prototype, "send").mockResolvedValue({ SecretString: SECRET } as never);
    const sqs = vi.spyOn(SQSClient.prototype, "send").mockResolvedValue({ MessageId: "m-1" } as never);
    return { secrets, sqs };
  }

  it("answers GET /health with 200 without calling AWS or counting a webhook", async () => {
    stubEnv(INGEST_ENV);
    const { secrets, sqs } = awsSpies();
    const { handler } = await importIngest();
    const answer = await handler(httpEvent("GET", "/health"));
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body ?? "")).toEqual({ status: "ok" });
    expect(secrets).not.toHaveBeenCalled();
    expect(sqs).not.toHaveBeenCalled();
    expect(emitted()).toEqual([]);
  });

  it("answers an unsigned webhook 401, queues nothing and counts it as unauthorized", async () => {
    stubEnv(INGEST_ENV);
    const { sqs } = awsSpies();
    const { handler } = await importIngest();
    const answer = await handler(httpEvent("POST", "/webhooks/github", issuePayload, githubHeaders(issuePayload, false)));
    expect(answer.statusCode).toBe(401);
    expect(sqs).not.toHaveBeenCalled();
    expect(emitted()).toEqual([
      {
        namespace: NAMESPACE,
        dimensions: { service: "community-signals-ingest", outcome: "unauthorized" },
        values: { Webhooks: 1 },
      },
    ]);
  });

  it("queues a signed webhook (202), counts it as queued and never logs the secret or signature", async () => {
    stubEnv(INGEST_ENV);
    const { secrets, sqs } = awsSpies();
    const { handler } = await importIngest();
    const headers = githubHeaders(issuePayload, true);
    const answer = await handler(httpEvent("POST", "/webhooks/github", issuePayload, headers));
    expect(answer.statusCode).toBe(202);
    expect(secrets).toHaveBeenCalledTimes(1);
    expect(sqs).toHaveBeenCalledTimes(1);
    const sent = sqs.mock.calls[0]?.[0] as SendMessageCommand;
    expect(sent.input.QueueUrl).toBe(INGEST_ENV.QUEUE_URL);
    expect((JSON.parse(sent.input.MessageBody ?? "") as Envelope).body).toBe(issuePayload);
    expect(metricValue("Webhooks", { outcome: "queued" })).toBe(1);
    // Queued webhooks are most of the traffic: their line is DEBUG, not printed at the default INFO.
    expect(stdout.join("")).not.toContain('"message":"webhook"');
    const everything = stdout.join("") + stderr.join("");
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(headers["X-Hub-Signature-256"]);
  });

  it("answers a wrongly signed webhook 401 without logging the signature it got", async () => {
    stubEnv(INGEST_ENV);
    awsSpies();
    const { handler } = await importIngest();
    const forged = signGitHubBody("not-the-secret", issuePayload);
    const answer = await handler(
      httpEvent("POST", "/webhooks/github", issuePayload, { ...githubHeaders(issuePayload, false), "X-Hub-Signature-256": forged }),
    );
    expect(answer.statusCode).toBe(401);
    expect(metricValue("Webhooks", { outcome: "unauthorized" })).toBe(1);
    const logLine = stdout.join("").split("\n").find((line) => line.includes('"message":"webhook"'));
    // The log line exists, under the same service name as the metrics...
    expect(JSON.parse(logLine ?? "{}")).toMatchObject({ service: "community-signals-ingest", outcome: "unauthorized" });
    expect(stdout.join("") + stderr.join("")).not.toContain(forged.slice("sha256=".length)); // ...without the signature
  });

  it("counts a queue failure as error and answers 503 so GitHub can redeliver", async () => {
    stubEnv(INGEST_ENV);
    const { sqs } = awsSpies();
    sqs.mockRejectedValue(new Error("SQS is down") as never);
    const { handler } = await importIngest();
    const answer = await handler(httpEvent("POST", "/webhooks/github", issuePayload, githubHeaders(issuePayload, true)));
    expect(answer.statusCode).toBe(503);
    expect(metricValue("Webhooks", { outcome: "error" })).toBe(1);
    expect(metricValue("Webhooks", { outcome: "queued" })).toBeUndefined();
  });

  it("still counts an error when the handler itself throws (Secrets Manager unreachable)", async () => {
    stubEnv(INGEST_ENV);
    const { secrets } = awsSpies();
    secrets.mockRejectedValue(new Error("connect ETIMEDOUT") as never);
    const { handler } = await importIngest();
    await expect(
      handler(httpEvent("POST", "/webhooks/github", issuePayload, githubHeaders(issuePayload, true))),
    ).rejects.toThrow("ETIMEDOUT");
    expect(metricValue("Webhooks", { outcome: "error" })).toBe(1);
  });

  it("publishes per invocation: a second call does not repeat the first one's count", async () => {
    stubEnv(INGEST_ENV);
    awsSpies();
    const { handler } = await importIngest();
    await handler(httpEvent("POST", "/webhooks/github", issuePayload, githubHeaders(issuePayload, false)));
    await handler(httpEvent("POST", "/webhooks/github", issuePayload, githubHeaders(issuePayload, true)));
    expect(emitted().map((m) => [m.dimensions.outcome, m.values.Webhooks])).toEqual([
      ["unauthorized", 1],
      ["queued", 1],
    ]);
  });
});

function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1795600000000",
      SenderId: "AROA",
      ApproximateFirstReceiveTimestamp: "1795600000000",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:signals",
    awsRegion: "us-east-1",
  };
}

const envelope: Envelope = {
  v: 1,
  id: "env-1",
  source: "github",
  eventType: "issues",
  deliveryId: "delivery-1",
  receivedAt: "2026-11-25T10:00:00.000Z",
  contentType: "application/json",
  headers: { "x-github-event": "issues" },
  body: issuePayload,
};
const lambdaContext = { functionName: "normalize", awsRequestId: "req-1" } as Context;

describe("normalize handler", () => {
  it("counts envelopes, stored activities and a permanent failure in one invocation; the failure goes to the DLQ with its reason", async () => {
    stubEnv(NORMALIZE_ENV);
    const archived = vi.spyOn(S3Client.prototype, "send").mockResolvedValue({} as never);
    // Every write succeeds and every read finds nothing: each activity counts as stored.
    const ddb = vi.spyOn(DynamoDBDocumentClient.prototype, "send").mockResolvedValue({} as never);
    const sqs = vi.spyOn(SQSClient.prototype, "send").mockResolvedValue({ MessageId: "dlq-1" } as never);
    const { handler } = await importNormalize();
    const expectedActivities = normalizeGitHubEnvelope(envelope, parseConfig(CONFIG_INPUT)).length;
    expect(expectedActivities).toBeGreaterThan(0);

    const event: SQSEvent = { Records: [sqsRecord("good", JSON.stringify(envelope)), sqsRecord("bad", "not json")] };
    const response = await handler(event, lambdaContext);

    // Handled: it is in the dead-letter queue now, not retried maxReceiveCount times first.
    expect(response.batchItemFailures).toEqual([]);
    // The readable delivery was archived first, in one object for the batch's received day.
    const puts = archived.mock.calls.map(([command]) => command).filter((c) => c instanceof PutObjectCommand);
    expect(puts.map((c) => c.input.Key)).toEqual([`raw/dt=${envelope.receivedAt.slice(0, 10)}/batch-${envelope.id}-1.jsonl.gz`]);
    expect(puts[0]!.input.Bucket).toBe("signals-raw");
    const dead = sqs.mock.calls.map(([command]) => command.input as { QueueUrl?: string; MessageBody?: string; MessageAttributes?: Record<string, { StringValue?: string }> });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ QueueUrl: DLQ_URL, MessageBody: "not json" });
    expect(dead[0]!.MessageAttributes?.["deadLetterReason"]?.StringValue).toBe("message body is not JSON");
    // One put per activity (late arrivals also mark their day for re-export: other items).
    const activityPuts = ddb.mock.calls.filter(([command]) => command instanceof PutCommand && command.input.Item?.["type"] === "activity");
    expect(activityPuts).toHaveLength(expectedActivities);
    expect(metricValue("EnvelopesProcessed")).toBe(1);
    expect(metricValue("ActivitiesStored")).toBe(expectedActivities);
    expect(metricValue("RecordsFailed", { permanent: "yes" })).toBe(1);
    expect(metricValue("RecordsFailed", { permanent: "no" })).toBeUndefined();
    for (const blob of emitted()) expect(blob.dimensions.service).toBe("community-signals-normalize");
  });

  it("retries a retryable failure (DynamoDB error) and dead-letters the permanent one", async () => {
    stubEnv(NORMALIZE_ENV);
    const archived = vi.spyOn(S3Client.prototype, "send").mockResolvedValue({} as never);
    vi.spyOn(DynamoDBDocumentClient.prototype, "send").mockRejectedValue(new Error("throttled") as never);
    vi.spyOn(SQSClient.prototype, "send").mockResolvedValue({ MessageId: "dlq-1" } as never);
    const { handler } = await importNormalize();
    const event: SQSEvent = { Records: [sqsRecord("a", JSON.stringify(envelope)), sqsRecord("b", JSON.stringify({ v: 1 }))] };
    const response = await handler(event, lambdaContext);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(["a"]);
    expect(metricValue("EnvelopesProcessed")).toBe(0);
    expect(metricValue("ActivitiesStored")).toBe(0);
    expect(metricValue("RecordsFailed", { permanent: "no" })).toBe(1);
    expect(metricValue("RecordsFailed", { permanent: "yes" })).toBe(1);
  });

  it("retries a permanent failure when the dead-letter queue cannot take it (nothing is dropped)", async () => {
    stubEnv(NORMALIZE_ENV);
    const archived = vi.spyOn(S3Client.prototype, "send").mockResolvedValue({} as never);
    vi.spyOn(SQSClient.prototype, "send").mockRejectedValue(new Error("connect ECONNREFUSED") as never);
    const { handler } = await importNormalize();
    const response = await handler({ Records: [sqsRecord("bad", "not json")] }, lambdaContext);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "bad" }]);
  });

  it("counts a duplicate delivery as processed with nothing stored", async () => {
    stubEnv(NORMALIZE_ENV);
    const archived = vi.spyOn(S3Client.prototype, "send").mockResolvedValue({} as never);
    vi.spyOn(DynamoDBDocumentClient.prototype, "send").mockImplementation((async (command: unknown) => {
      // The activity's conditional put is refused; an unconditional one (a marker) cannot be.
      if (command instanceof PutCommand && command.input.ConditionExpression) throw new ConditionalCheckFailedException({ message: "exists", $metadata: {} });
      return {};
    }) as never);
    const { handler } = await importNormalize();
    const response = await handler({ Records: [sqsRecord("dup", JSON.stringify(envelope))] }, lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(metricValue("EnvelopesProcessed")).toBe(1);
    expect(metricValue("ActivitiesStored")).toBe(0);
  });
});

describe("digest handler", () => {
  /** An empty table: no open questions; digest claims succeed unless `claimTaken`. */
  function tableSpy(claimTaken = false) {
    return vi.spyOn(DynamoDBDocumentClient.prototype, "send").mockImplementation((async (command: unknown) => {
      if (command instanceof QueryCommand) return { Items: [] };
      if (command instanceof PutCommand && claimTaken) {
        throw new ConditionalCheckFailedException({ message: "claimed", $metadata: {} });
      }
      if (command instanceof PutCommand || command instanceof DeleteCommand) return {};
      throw new Error(`unexpected command ${(command as object).constructor.name}`);
    }) as never);
  }

  it("counts the digests sent", async () => {
    stubEnv(DIGEST_ENV);
    tableSpy();
    const ses = vi.spyOn(SESv2Client.prototype, "send").mockResolvedValue({ MessageId: "ses-1" } as never);
    const { handler } = await importDigest();
    expect(await handler({ time: "08:00", timeZone: "UTC" })).toEqual({ sent: 2, alreadySent: 0 });
    expect(ses).toHaveBeenCalledTimes(2);
    expect(emitted()).toEqual([
      { namespace: NAMESPACE, dimensions: { service: "community-signals-digest" }, values: { DigestsSent: 2, DigestsAlreadySent: 0, DigestsFailed: 0 } },
    ]);
  });

  it("counts digests already sent today and sends nothing", async () => {
    stubEnv(DIGEST_ENV);
    tableSpy(true);
    const ses = vi.spyOn(SESv2Client.prototype, "send").mockResolvedValue({ MessageId: "ses-1" } as never);
    const { handler } = await importDigest();
    expect(await handler({})).toEqual({ sent: 0, alreadySent: 2 });
    expect(ses).not.toHaveBeenCalled();
    expect(metricValue("DigestsSent")).toBe(0);
    expect(metricValue("DigestsAlreadySent")).toBe(2);
  });

  it("sends to every recipient when one fails, then fails the run so Lambda retries the failed one", async () => {
    stubEnv(DIGEST_ENV);
    const ddb = tableSpy();
    const ses = vi
      .spyOn(SESv2Client.prototype, "send")
      .mockRejectedValueOnce(new Error("SES throttled") as never)
      .mockResolvedValueOnce({ MessageId: "ses-2" } as never);
    const { handler } = await importDigest();
    await expect(handler({})).rejects.toThrow(/1 of 2 digest\(s\) failed: .* \(SES throttled\)/);
    // The first recipient's failure did not cost the second one the digest.
    expect(ses).toHaveBeenCalledTimes(2);
    expect(metricValue("DigestsSent")).toBe(1);
    expect(metricValue("DigestsFailed")).toBe(1);
    // The failed recipient's claim was released, so Lambda's retry can send it.
    expect(ddb.mock.calls.filter(([command]) => command instanceof DeleteCommand)).toHaveLength(1);
  });
});
