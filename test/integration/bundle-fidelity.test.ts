// Deploy fidelity without an AWS account: the stack is synthesised with real bundling, and each
// Lambda bundle from the cloud assembly runs in a fresh Node process with exactly the environment
// the template gives its function (references resolved to local emulators), invoked with the
// event its trigger sends. A webhook goes through the real ingest bundle into a queue, the real
// normalize bundle stores it, the real digest bundle mails it. A wiring or bundling error (a
// missing variable, a module esbuild dropped, a config the handler cannot read) fails here, not in
// a deploy.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { CreateQueueCommand, type Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { App } from "aws-cdk-lib";
import { build } from "esbuild";
import { bundleFiles, lambdaBuildOptions } from "../../infra/aws/bundling/build.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommunitySignalsStack } from "../../infra/aws/stack.ts";
import { boundPort, closeServer } from "../../infra/local/emulators/http-server.ts";
import { ensureBucket } from "../../infra/local/emulators/s3.ts";
import type { LocalStack } from "../../infra/local/stack.ts";
import { parseConfig } from "../../shared/model/config.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { ensureTable } from "../../shared/store/create-table.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { signGitHubBody } from "../../shared/sources/github/index.ts";
import { issuesEvent } from "../support/github-payloads.ts";
import { startTestStack } from "../support/stack.ts";

const ROOT = join(import.meta.dirname, "../..");
const RUNNER = `
const [bundle, eventFile] = process.argv.slice(2);
const { handler } = await import(bundle);
const event = JSON.parse((await import("node:fs")).readFileSync(eventFile, "utf8"));
const result = await handler(event, { awsRequestId: "fidelity-" + Date.now(), functionName: "fidelity", getRemainingTimeInMillis: () => 60000 });
process.stdout.write("\\n@@RESULT@@" + JSON.stringify(result ?? null));
`;
// s3rver checks signatures made with its own key; DynamoDB Local (-sharedDb) and the SQS and SES
// emulators take any. One set of credentials for every client, as a Lambda role gives.
const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
const REGION = "us-east-1";
const NAMES = { table: "fidelity-table", queue: "fidelity-ingest", dlq: "fidelity-dlq", raw: "fidelity-raw", export: "fidelity-export" };

type Json = Record<string, unknown>;

/** Secrets Manager has no emulator: GetSecretValue (JSON 1.1 protocol) answered from a map. */
async function fakeSecretsManager(secrets: Map<string, string>): Promise<{ url: string; server: Server; reads: string[] }> {
  const reads: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const id = String((JSON.parse(body || "{}") as { SecretId?: string }).SecretId ?? "");
      reads.push(id);
      const value = secrets.get(id);
      res.writeHead(value === undefined ? 400 : 200, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify(value === undefined ? { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." } : { ARN: id, Name: id, SecretString: value }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${boundPort(server, "fake Secrets Manager")}`, server, reads };
}

describe("the synthesised Lambda bundles, run as Lambda runs them", () => {
  let t: Awaited<ReturnType<typeof startTestStack>>;
  let stack: LocalStack;
  let outdir: string;
  let template: { Resources: Record<string, { Type: string; Properties: Json; Metadata?: Json }> };
  let sm: Awaited<ReturnType<typeof fakeSecretsManager>>;
  let queueUrl = "";
  let dlqUrl = "";
  let store: SignalStore;
  const secrets = new Map<string, string>();
  const WEBHOOK_SECRET = "fidelity-webhook-secret-0123456789";
  const config = parseConfig({
    name: "Fidelity",
    sources: { github: { enabled: true } },
    team: [{ name: "Dana", identities: { github: ["dana-okafor"] } }],
    digest: { from: "signals@fidelity.example", minAgeHours: 0, recipients: [{ email: "dana@fidelity.example", timeZone: "UTC", time: "08:00" }] },
  });

  beforeAll(async () => {
    // The emulators of a test stack; this test's own table, queues and buckets beside its own.
    t = await startTestStack();
    stack = t.stack;
    const local = (endpoint: string) => ({ endpoint, region: REGION, credentials: CREDENTIALS });
    const sqs = new SQSClient(local(stack.endpoints.sqs));
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: NAMES.dlq }))).QueueUrl ?? "";
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: NAMES.queue, Attributes: { VisibilityTimeout: "180" } }))).QueueUrl ?? "";
    await ensureTable(new DynamoDBClient(local(stack.endpoints.dynamodb)), NAMES.table);
    store = new SignalStore(createDocumentClient(local(stack.endpoints.dynamodb)), NAMES.table);
    const s3 = new S3Client({ ...local(stack.endpoints.s3 ?? ""), forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED" });
    for (const bucket of [NAMES.raw, NAMES.export]) await ensureBucket(s3, bucket);
    sm = await fakeSecretsManager(secrets);

    // Synthesised as `cdk synth` does it, bundles included (esbuild, locally).
    outdir = mkdtempSync(join(tmpdir(), "cs-fidelity-"));
    // The CLI asks for asset metadata (where each bundle is in the assembly); an App in a test must too.
    const app = new App({ outdir, context: { "aws:cdk:enable-asset-metadata": true } });
    new CommunitySignalsStack(app, "Fidelity", { config, projectRoot: ROOT });
    const assembly = app.synth();
    template = JSON.parse(readFileSync(join(assembly.directory, "Fidelity.template.json"), "utf8")) as typeof template;
    // Every secret the stack creates holds a generated value from the moment it exists, as in AWS.
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type === "AWS::SecretsManager::Secret") secrets.set(resolve({ Ref: id }), `generated-${id}-0123456789abcdef`);
    }
  }, 300_000);

  afterAll(async () => {
    if (sm) await closeServer(sm.server);
    await t?.cleanup();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  /** The resource's local stand-in, for a Ref or GetAtt the template gives a function's environment. */
  function resolve(value: unknown): string {
    if (typeof value === "string") return value;
    const v = value as Json;
    const id = (v["Ref"] as string | undefined) ?? ((v["Fn::GetAtt"] as string[] | undefined)?.[0] ?? "");
    if (v["Fn::Join"]) {
      const [sep, parts] = v["Fn::Join"] as [string, unknown[]];
      return parts.map(resolve).join(sep);
    }
    const resource = template.Resources[id];
    if (!resource) return `unresolved:${JSON.stringify(value)}`;
    switch (resource.Type) {
      case "AWS::DynamoDB::Table":
        return NAMES.table;
      case "AWS::SQS::Queue":
        return id.includes("DeadLetter") ? dlqUrl : queueUrl;
      case "AWS::S3::Bucket":
        return id.startsWith("RawArchive") ? NAMES.raw : NAMES.export;
      case "AWS::SecretsManager::Secret":
        return `arn:aws:secretsmanager:${REGION}:000000000000:secret:${id}`;
      case "AWS::ApiGatewayV2::Api":
        return "https://fidelity.execute-api.example";
      default:
        return `${resource.Type}:${id}`;
    }
  }

  function lambda(name: string): { bundle: string; env: Record<string, string>; handler: string } {
    const entry = Object.entries(template.Resources).find(
      ([id, r]) => r.Type === "AWS::Lambda::Function" && id.toLowerCase().startsWith(name.replace("-", "").toLowerCase()),
    );
    if (!entry) throw new Error(`no ${name} function in the template`);
    const [, resource] = entry;
    const assetPath = String(resource.Metadata?.["aws:asset:path"] ?? "");
    const vars = ((resource.Properties["Environment"] as Json | undefined)?.["Variables"] ?? {}) as Json;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(vars)) env[k] = resolve(v);
    const handler = String(resource.Properties["Handler"]);
    return { bundle: join(outdir, assetPath, `${handler.split(".")[0]}.mjs`), env, handler };
  }

  /**
   * Imports the bundle in a fresh process with the function's environment and invokes it once
   * (asynchronously: the fake Secrets Manager answers from this process meanwhile).
   */
  async function invoke(name: string, event: unknown): Promise<{ result: Json | null; logs: string }> {
    const fn = lambda(name);
    const eventFile = join(outdir, `${name}-event.json`);
    const runner = join(outdir, "runner.mjs");
    writeFileSync(eventFile, JSON.stringify(event));
    writeFileSync(runner, RUNNER);
    const { stdout: out } = await promisify(execFile)(process.execPath, [runner, `file://${fn.bundle}`, eventFile], {
      env: {
        PATH: process.env.PATH ?? "",
        // The machine's clock, as the test runs it (faketime in CI's second run), and nothing else of this process's.
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k === "LD_PRELOAD" || k.startsWith("FAKETIME"))),
        ...fn.env,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamodb,
        AWS_ENDPOINT_URL_SQS: stack.endpoints.sqs,
        AWS_ENDPOINT_URL_S3: stack.endpoints.s3 ?? "",
        AWS_ENDPOINT_URL_SESV2: stack.endpoints.ses,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
        AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
        AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
        AWS_LAMBDA_FUNCTION_NAME: name,
      },
      encoding: "utf8",
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const at = out.lastIndexOf("@@RESULT@@");
    return { result: at < 0 ? null : (JSON.parse(out.slice(at + "@@RESULT@@".length)) as Json), logs: out.slice(0, Math.max(0, at)) };
  }

  /** The HTTP API's event (payload format 2.0) for a signed GitHub `issues` delivery. */
  function webhookRequest(body: string, deliveryId: string) {
    return {
      version: "2.0",
      routeKey: "POST /webhooks/{source}",
      rawPath: "/webhooks/github",
      rawQueryString: "",
      headers: {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": deliveryId,
        "x-hub-signature-256": signGitHubBody(WEBHOOK_SECRET, body),
      },
      pathParameters: { source: "github" },
      requestContext: { http: { method: "POST", path: "/webhooks/github", protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "GitHub-Hookshot/fidelity" }, requestId: `r-${deliveryId}`, routeKey: "POST /webhooks/{source}", stage: "$default" },
      body,
      isBase64Encoded: false,
    };
  }

  /** The SQS event source's batch for one received message. */
  function sqsBatch(message: Message) {
    return {
      Records: [
        {
          messageId: message.MessageId,
          receiptHandle: message.ReceiptHandle,
          body: message.Body,
          attributes: { ApproximateReceiveCount: "1", SentTimestamp: message.Attributes?.SentTimestamp ?? "0", SenderId: "fidelity", ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? "0" },
          messageAttributes: Object.fromEntries(
            Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [k, { stringValue: v.StringValue, dataType: v.DataType, stringListValues: [], binaryListValues: [] }]),
          ),
          md5OfBody: message.MD5OfBody,
          eventSource: "aws:sqs",
          eventSourceARN: `arn:aws:sqs:${REGION}:000000000000:${NAMES.queue}`,
          awsRegion: REGION,
        },
      ],
    };
  }

  it("gives every function the variables its handler reads, resolved to something real, in the bundle the bench measures", async () => {
    for (const name of ["ingest", "normalize", "digest", "export", "actions"]) {
      const fn = lambda(name);
      expect(Object.values(fn.env).filter((v) => v.startsWith("unresolved:")), name).toEqual([]);
      expect(readFileSync(fn.bundle, "utf8").length, name).toBeGreaterThan(10_000);
    }
    // The bench measures what synth ships: the shared build (infra/aws/bundling/build.ts) of a
    // function is the synthesised asset, file for file and byte for byte, chunks included.
    for (const name of ["ingest", "digest"]) {
      const built = await build({ ...lambdaBuildOptions(config, name, join(tmpdir(), "cs-fidelity-rebuilt", name)), write: false, logLevel: "silent" });
      const rebuilt = new Map((built.outputFiles ?? []).filter((f) => f.path.endsWith(".mjs")).map((f) => [relative(join(tmpdir(), "cs-fidelity-rebuilt", name), f.path), f.contents.byteLength]));
      const assetDir = dirname(lambda(name).bundle);
      expect(new Map(bundleFiles(assetDir).map((file) => [file, statSync(join(assetDir, file)).size])), name).toEqual(rebuilt);
    }
    // Secrets are named by ARN; put the webhook secret where ingest will read it.
    const ingest = lambda("ingest");
    const secretVar = Object.keys(ingest.env).find((k) => k.startsWith("SECRET_ID_"));
    expect(secretVar).toBe("SECRET_ID_GITHUB_WEBHOOK_SECRET");
    secrets.set(ingest.env[secretVar!]!, WEBHOOK_SECRET);
  });

  it("a signed webhook through the ingest bundle lands in the queue; the normalize bundle stores it; the digest bundle mails it", async () => {
    // A bundle runs on the system clock, as in Lambda (under faketime, shifted like this process):
    // the question is asked three hours before that clock's now, whatever the date.
    const askedAt = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const body = JSON.stringify(issuesEvent("opened", { id: 99001, number: 41, title: "Does the bundle work?", author: { id: 7, login: "curious-cat" }, createdAt: askedAt }));
    const request = webhookRequest(body, "fidelity-1");
    const ingested = await invoke("ingest", request);
    expect(ingested.result, ingested.logs).toMatchObject({ statusCode: 202 });

    const sqs = new SQSClient({ endpoint: stack.endpoints.sqs, region: REGION, credentials: CREDENTIALS });
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"], WaitTimeSeconds: 2 }));
    expect(received.Messages).toHaveLength(1);
    const message = received.Messages![0]!;

    const batch = sqsBatch(message);
    const normalized = await invoke("normalize", batch);
    expect(normalized.result, normalized.logs).toEqual({ batchItemFailures: [] });
    const thread = await store.getThread("github:issue:99001");
    expect(thread?.thread).toMatchObject({ title: "Does the bundle work?", status: "open", isQuestion: true });

    const before = (await stack.outbox()).length;
    const digested = await invoke("digest", { time: "08:00", timeZone: "UTC" });
    expect(digested.result, digested.logs).toMatchObject({ sent: 1, alreadySent: 0 });
    const mails = (await stack.outbox()).slice(before);
    expect(mails.map((m) => m.to)).toEqual([["dana@fidelity.example"]]);
    expect(mails[0]!.html, mails[0]!.text).toContain("Does the bundle work?");
  }, 180_000);

  it("a body too large for a queue message goes through the ingest bundle's S3 chunk (the claim check) and the normalize bundle reads it back", async () => {
    const askedAt = new Date(Date.now() - 3_600_000).toISOString();
    // Larger than queue.maxMessageBytes: only the claim check's lazily loaded S3 client can keep it.
    const longBody = "Here is my whole log:\n" + "x".repeat(400_000);
    const body = JSON.stringify(issuesEvent("opened", { id: 99002, number: 42, title: "A huge log", author: { id: 8, login: "verbose-vole" }, createdAt: askedAt, body: longBody }));
    expect(Buffer.byteLength(body)).toBeGreaterThan(config.queue.maxMessageBytes);
    const ingested = await invoke("ingest", webhookRequest(body, "fidelity-2"));
    expect(ingested.result, ingested.logs).toMatchObject({ statusCode: 202 });

    const sqs = new SQSClient({ endpoint: stack.endpoints.sqs, region: REGION, credentials: CREDENTIALS });
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"], WaitTimeSeconds: 2 }));
    expect(received.Messages).toHaveLength(1);
    const message = received.Messages![0]!;
    const envelope = JSON.parse(message.Body ?? "{}") as { body?: string; bodyRef?: { key: string } };
    expect(envelope.body ?? "").toBe("");
    expect(envelope.bodyRef?.key).toMatch(/^raw\/dt=\d{4}-\d{2}-\d{2}\/body-/);

    const normalized = await invoke("normalize", sqsBatch(message));
    expect(normalized.result, normalized.logs).toEqual({ batchItemFailures: [] });
    const thread = await store.getThread("github:issue:99002");
    expect(thread?.thread).toMatchObject({ title: "A huge log", status: "open" });
  }, 120_000);
});
