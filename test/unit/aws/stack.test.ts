import { execFileSync } from "node:child_process";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { App, Duration, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestSlots } from "../../../infra/aws/constructs/digest-schedules.ts";
import { SignalsFunction } from "../../../infra/aws/constructs/signals-function.ts";
import {
  CommunitySignalsStack,
  enabledSourceSecrets,
  loadStackConfig,
  NORMALIZER_TIMEOUT_SECONDS,
  PROJECT_ROOT,
} from "../../../infra/aws/stack.ts";
import { type Config, ConfigError, type ConfigInput, parseConfig } from "../../../shared/model/config.ts";
import { ALL_INDEXES, KEY_ATTRIBUTES, TABLE_KEYS, TTL_ATTRIBUTE } from "../../../shared/store/table.ts";
import {
  allowedActions,
  arnOf,
  fakeProjectRoot,
  logicalId,
  ref,
  removeTempDirs,
  roleStatements,
  synthStack,
  tempDir,
} from "./template-helpers.ts";

// Every value differs from the schema default, so a test passing on defaults proves nothing.
const CONFIG_INPUT: ConfigInput = {
  sources: { github: { secretName: "GH_HOOK_SECRET" } },
  digest: {
    from: "digest@signals.example.org",
    time: "07:30",
    timeZone: "Europe/Berlin",
    recipients: [
      { email: "a@example.org" },
      { email: "b@example.org", timeZone: "America/New_York" },
      { email: "c@example.org", timeZone: "Europe/Berlin" },
      { email: "d@example.org", timeZone: "America/New_York" },
    ],
  },
  queue: { batchSize: 7, maxReceiveCount: 4, visibilityTimeoutSeconds: 240, maxMessageBytes: 200000 },
  aws: {
    alarmEmail: "ops@example.org",
    logRetentionDays: 90,
    logLevel: "DEBUG",
    ingest: { rateLimit: 20, burstLimit: 40 },
    normalizer: { maxConcurrency: 3, batchingWindowSeconds: 2, batchSize: 250 },
  },
};
const config = parseConfig(CONFIG_INPUT);

afterAll(removeTempDirs);

/** The digest's schedules only (the export has its own, tested in analytics.test.ts). */
const digestSchedules = (template: Template, stack: CommunitySignalsStack) =>
  Object.values(template.findResources("AWS::Scheduler::Schedule"))
    .map((s) => s.Properties)
    .filter((p) => JSON.stringify(p.Target.Arn) === JSON.stringify(arnOf(stack.digest.fn)));

describe("CommunitySignalsStack template", () => {
  let stack: CommunitySignalsStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthStack(CONFIG_INPUT));
  });

  it("encrypts the ingest queue, enforces TLS, dead-letters after maxReceiveCount and outlasts the normaliser", () => {
    const queue = stack.ingestQueue.queue;
    const dlq = stack.ingestQueue.deadLetterQueue;
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "Signals-ingest",
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 240,
      MaximumMessageSize: 200000,
      RedrivePolicy: { deadLetterTargetArn: arnOf(dlq), maxReceiveCount: 4 },
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
      RedriveAllowPolicy: {
        redrivePermission: "byQueue",
        sourceQueueArns: [
          { "Fn::Join": ["", Match.arrayWith([":sqs:", Match.stringLikeRegexp(":Signals-ingest$")])] },
        ],
      },
    });
    for (const q of [queue, dlq, stack.schedules.deadLetterQueue]) {
      template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [ref(q)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: "Deny",
              Action: "sqs:*",
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            }),
          ]),
        },
      });
    }
    const normalizer = template.toJSON().Resources[logicalId(stack.normalize.fn)];
    expect(normalizer.Properties.Timeout).toBe(NORMALIZER_TIMEOUT_SECONDS);
    expect(240).toBeGreaterThanOrEqual(6 * normalizer.Properties.Timeout);
  });

  it("feeds the normaliser from the queue with partial batch failures, batch size, window and concurrency cap", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: arnOf(stack.ingestQueue.queue),
      FunctionName: ref(stack.normalize.fn),
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      // aws.normalizer.batchSize, not queue.batchSize (the local stack's receive size).
      BatchSize: 250,
      MaximumBatchingWindowInSeconds: 2,
      ScalingConfig: { MaximumConcurrency: 3 },
    });
  });

  it("builds the table from shared/store/table.ts: on demand, PITR, deletion protection, TTL, retained", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: "HASH" },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: "RANGE" },
        ],
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        SSESpecification: { SSEEnabled: true },
      }),
    });
  });

  it("has exactly the GSIs in ALL_INDEXES, string keys, with their projections", () => {
    const table = template.toJSON().Resources[logicalId(stack.table.table)].Properties;
    const expected = ALL_INDEXES.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: "HASH" },
        { AttributeName: index.sortKey, KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: index.projection },
    }));
    // Keys only: an index is written only when its keys change; readers fetch the items in batches.
    expect(expected.map((i) => i.Projection.ProjectionType)).toEqual(["KEYS_ONLY", "KEYS_ONLY", "KEYS_ONLY"]);
    const byName = (a: { IndexName: string }, b: { IndexName: string }) => a.IndexName.localeCompare(b.IndexName);
    expect([...table.GlobalSecondaryIndexes].sort(byName)).toEqual(expected.sort(byName));
    const attributes = (table.AttributeDefinitions as { AttributeName: string; AttributeType: string }[]).sort((a, b) =>
      a.AttributeName.localeCompare(b.AttributeName),
    );
    expect(attributes).toEqual([...KEY_ATTRIBUTES].sort().map((name) => ({ AttributeName: name, AttributeType: "S" })));
  });

  it("runs every function on Node.js 22 arm64 with its own retained log group and the Powertools settings", () => {
    for (const fn of [stack.ingest, stack.normalize, stack.digest]) {
      template.hasResourceProperties("AWS::Lambda::Function", {
        FunctionName: Match.absent(),
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        Role: arnOf(fn.role),
        LoggingConfig: { LogGroup: ref(fn.logGroup) },
        Environment: {
          Variables: Match.objectLike({
            NODE_OPTIONS: "--enable-source-maps",
            POWERTOOLS_SERVICE_NAME: Match.stringLikeRegexp("^community-signals-(ingest|normalize|digest)$"),
            POWERTOOLS_METRICS_NAMESPACE: "CommunitySignals",
            POWERTOOLS_LOG_LEVEL: "DEBUG",
          }),
        },
      });
      const logGroup = template.toJSON().Resources[logicalId(fn.logGroup)];
      expect(logGroup.Properties.RetentionInDays).toBe(90);
    }
  });

  it("leaves Lambda's START/END/REPORT lines out of the ingest logs only (once per webhook), at the Powertools level", () => {
    const logging = (fn: SignalsFunction) => template.toJSON().Resources[logicalId(fn.fn)].Properties.LoggingConfig as Record<string, unknown>;
    expect(logging(stack.ingest)).toMatchObject({ LogFormat: "JSON", SystemLogLevel: "WARN", ApplicationLogLevel: "DEBUG" });
    for (const fn of [stack.normalize, stack.digest]) {
      expect(logging(fn).SystemLogLevel).toBeUndefined();
      expect(logging(fn).LogFormat).toBeUndefined();
    }
  });

  it("binds each function to exactly the environment its code reads", () => {
    const env = (fn: SignalsFunction) =>
      template.toJSON().Resources[logicalId(fn.fn)].Properties.Environment.Variables as Record<string, unknown>;
    const secretId = logicalId(stack.node.findChild("WebhookSecretGH_HOOK_SECRET"));
    expect(env(stack.ingest)).toMatchObject({ QUEUE_URL: ref(stack.ingestQueue.queue), SECRET_ID_GH_HOOK_SECRET: { Ref: secretId } });
    expect(env(stack.ingest)).not.toHaveProperty("TABLE_NAME");
    expect(env(stack.normalize)).toMatchObject({ TABLE_NAME: ref(stack.table.table), DLQ_URL: ref(stack.ingestQueue.deadLetterQueue) });
    expect(env(stack.normalize)).not.toHaveProperty("QUEUE_URL");
    expect(env(stack.digest)).toMatchObject({
      TABLE_NAME: ref(stack.table.table),
      SES_CONFIGURATION_SET: ref(stack.mailConfigurationSet),
    });
    expect(env(stack.digest)).not.toHaveProperty("QUEUE_URL");
  });

  it("creates one webhook secret per enabled source", () => {
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      Description: Match.stringLikeRegexp("github webhook secret \\(GH_HOOK_SECRET\\)"),
      GenerateSecretString: Match.objectLike({ PasswordLength: 48 }),
    });
  });

  it("schedules the digest once per distinct local time, with time zone, input, retries and a DLQ", () => {
    const schedules = digestSchedules(template, stack);
    const slots = schedules
      .map((s) => ({
        expression: s.ScheduleExpression,
        timeZone: s.ScheduleExpressionTimezone,
        input: JSON.parse(s.Target.Input),
      }))
      .sort((a, b) => a.timeZone.localeCompare(b.timeZone));
    expect(slots).toEqual([
      { expression: "cron(30 7 * * ? *)", timeZone: "America/New_York", input: { time: "07:30", timeZone: "America/New_York" } },
      { expression: "cron(30 7 * * ? *)", timeZone: "Europe/Berlin", input: { time: "07:30", timeZone: "Europe/Berlin" } },
    ]);
    for (const schedule of schedules) {
      expect(schedule.Target).toMatchObject({
        Arn: arnOf(stack.digest.fn),
        RoleArn: arnOf(stack.schedules.role),
        DeadLetterConfig: { Arn: arnOf(stack.schedules.deadLetterQueue) },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
      });
      expect(schedule.FlexibleTimeWindow).toEqual({ Mode: "OFF" });
    }
    template.hasResourceProperties("AWS::SQS::Queue", { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600, RedriveAllowPolicy: Match.absent(), QueueName: Match.absent() });
  });

  it("sends the digest from an SES identity for digest.from with a configuration set", () => {
    template.hasResourceProperties("AWS::SES::EmailIdentity", {
      EmailIdentity: "digest@signals.example.org",
      ConfigurationSetAttributes: { ConfigurationSetName: ref(stack.mailConfigurationSet) },
    });
    template.hasResourceProperties("AWS::SES::ConfigurationSet", {
      SuppressionOptions: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
    });
    template.hasResourceProperties("AWS::SES::ConfigurationSetEventDestination", {
      ConfigurationSetName: ref(stack.mailConfigurationSet),
      EventDestination: Match.objectLike({
        Enabled: true,
        CloudWatchDestination: { DimensionConfigurations: [Match.objectLike({ DimensionName: "ses:configuration-set" })] },
      }),
    });
  });

  it("may send mail only from digest.from, on any identity: the SES sandbox checks each recipient's too", () => {
    const sends = roleStatements(template, stack.digest.role).filter((st) => [st.Action].flat().includes("ses:SendRawEmail"));
    expect(sends).toHaveLength(1);
    expect(sends[0]!.Condition).toEqual({ StringEquals: { "ses:FromAddress": "digest@signals.example.org" } });
    expect(JSON.stringify(sends[0]!.Resource)).toMatch(/:identity\/\*"/);
  });

  it("alarms when the action links fail, and names the export schedule's dead-letter queue", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: "Errors", Dimensions: [{ Name: "FunctionName", Value: ref(stack.actions!.fn) }], Threshold: 1 });
    template.hasOutput("ExportScheduleDeadLetterQueueUrl", { Value: ref(stack.analytics.deadLetterQueue) });
  });

  it("lets the normaliser query the table only: it never reads an index", () => {
    const resources = roleStatements(template, stack.normalize.role)
      .filter((st) => [st.Action].flat().some((a) => a.startsWith("dynamodb:")))
      .flatMap((st) => [st.Resource].flat());
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) expect(resource).toEqual(arnOf(stack.table.table));
  });

  it("tags every resource but the dashboard, whose CloudFormation type takes no tags in several regions", () => {
    const resources = Object.values(template.toJSON().Resources) as { Type: string; Properties?: { Tags?: unknown } }[];
    expect(resources.filter((r) => r.Type === "AWS::CloudWatch::Dashboard").every((r) => r.Properties?.Tags === undefined)).toBe(true);
    template.hasResourceProperties("AWS::SQS::Queue", { Tags: Match.arrayWith([{ Key: "app", Value: "community-signals" }]) });
  });

  it("exposes the webhook, health and action routes only, payload 2.0, throttled and access-logged", () => {
    const routes = Object.values(template.findResources("AWS::ApiGatewayV2::Route")).map((r) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual(["GET /actions/{action}", "GET /health", "HEAD /actions/{action}", "POST /actions/{action}", "POST /webhooks/{source}"]);
    template.hasResourceProperties("AWS::ApiGatewayV2::Integration", { IntegrationUri: arnOf(stack.actions!.fn), PayloadFormatVersion: "2.0" });
    template.hasResourceProperties("AWS::ApiGatewayV2::Integration", {
      IntegrationType: "AWS_PROXY",
      PayloadFormatVersion: "2.0",
      IntegrationUri: arnOf(stack.ingest.fn),
      TimeoutInMillis: 10000,
    });
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: { DestinationArn: arnOf(stack.api.accessLogs), Format: Match.stringLikeRegexp("\\$context.requestId") },
    });
  });

  it("alarms on both DLQs, function errors, API 5xx and queue age, all notifying the topic and its email", () => {
    const topic = ref(stack.monitoring.topic);
    const alarmOn = (metric: Record<string, unknown>) =>
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        ...metric,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        AlarmActions: [topic],
        TreatMissingData: "notBreaching",
      });
    for (const dlq of [stack.ingestQueue.deadLetterQueue, stack.schedules.deadLetterQueue]) {
      alarmOn({
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [logicalId(dlq), "QueueName"] } }],
        Threshold: 1,
      });
    }
    for (const fn of [stack.normalize, stack.digest]) {
      alarmOn({ Namespace: "AWS/Lambda", MetricName: "Errors", Dimensions: [{ Name: "FunctionName", Value: ref(fn.fn) }], Threshold: 1 });
    }
    alarmOn({ Namespace: "AWS/ApiGateway", MetricName: "5xx", Dimensions: [{ Name: "ApiId", Value: ref(stack.api.api) }], Threshold: 1 });
    alarmOn({ Namespace: "AWS/SQS", MetricName: "ApproximateAgeOfOldestMessage", Threshold: 900 });
    template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "ops@example.org", TopicArn: topic });
    template.hasResourceProperties("AWS::CloudWatch::Dashboard", { DashboardBody: Match.anyValue() });
  });

  it("grants each function exactly the actions its code needs", () => {
    expect(allowedActions(template, stack.ingest)).toEqual(
      // s3:PutObject: bodies too large for a queue message, to the raw archive only
      ["logs:CreateLogStream", "logs:PutLogEvents", "s3:PutObject", "secretsmanager:GetSecretValue", "sqs:SendMessage"].sort(),
    );
    expect(allowedActions(template, stack.normalize)).toEqual(
      [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        // the raw archive: claim-checked bodies read back, each batch archived
        "s3:GetObject",
        "s3:PutObject",
        // a record that can never succeed goes to the dead-letter queue at once
        "sqs:SendMessage",
        // the event source mapping polls with the function's role
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
      ].sort(),
    );
    expect(allowedActions(template, stack.digest)).toEqual(
      [
        // the open questions' and the week's question summaries, listed by the keys-only indexes
        "dynamodb:BatchGetItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        // the action links' signing key
        "secretsmanager:GetSecretValue",
        "ses:SendEmail",
        // grantSendEmail adds it; SES v2 SendEmail with raw content is authorised by it
        "ses:SendRawEmail",
      ].sort(),
    );
    expect(allowedActions(template, stack.actions!)).toEqual(
      // BatchGetItem: the queue page's open-question summaries (THREAD# items only)
      ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue"].sort(),
    );
    // It writes only into thread partitions (an action activity, the refolded summary), the day's
    // action index, and a question marker a refold may need.
    const actionWrites = roleStatements(template, stack.actions!.role).filter((st) => [st.Action].flat().includes("dynamodb:PutItem"));
    expect(actionWrites.map((st) => st.Condition)).toEqual([{ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["THREAD#*", "DIGESTACTIONS#*", "ACTDAY#*"] } }]);
    const digestEnv = template.toJSON().Resources[logicalId(stack.digest.fn)].Properties.Environment.Variables;
    expect(digestEnv.ACTIONS_BASE_URL).toEqual({ "Fn::GetAtt": [logicalId(stack.api.api), "ApiEndpoint"] });
    expect(digestEnv.SECRET_ID_ACTIONS_SIGNING_SECRET).toEqual(ref(stack.actionsSecret!));
  });

  it("scopes grants to the resources: no '*', secrets only to ingest, writes only on the table itself", () => {
    for (const fn of [stack.ingest, stack.normalize, stack.digest]) {
      for (const statement of roleStatements(template, fn.role)) {
        expect(JSON.stringify(statement.Resource)).not.toMatch(/"\*"/);
      }
    }
    const secret = stack.node.findChild("WebhookSecretGH_HOOK_SECRET");
    const secretStatements = roleStatements(template, stack.ingest.role).filter((s) =>
      [s.Action].flat().includes("secretsmanager:GetSecretValue"),
    );
    expect(secretStatements.map((s) => s.Resource)).toEqual([ref(secret)]);
    for (const fn of [stack.normalize, stack.digest]) {
      const writes = roleStatements(template, fn.role).filter((s) =>
        [s.Action].flat().some((a) => a === "dynamodb:PutItem" || a === "dynamodb:UpdateItem"),
      );
      expect(writes.map((s) => s.Resource)).toEqual([arnOf(stack.table.table)]);
    }
    // The digest may only write and delete its own send records.
    const digestWrites = roleStatements(template, stack.digest.role).filter((s) => [s.Action].flat().includes("dynamodb:DeleteItem"));
    expect(digestWrites.map((s) => s.Condition)).toEqual([{ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["DIGEST#*"] } }]);
  });
});

const BASE_INPUT_FOR_SES = { sources: { github: { enabled: true } }, digest: { from: "digest@acme.example" } };

describe("CommunitySignalsStack: the SES sender identity", () => {
  const input = (sesIdentity: "domain" | "existing") => ({ ...BASE_INPUT_FOR_SES, aws: { sesIdentity } });

  it("domain: a domain identity with Easy DKIM, its three CNAME records in the outputs", () => {
    const { template } = synthStack(input("domain"));
    template.hasResourceProperties("AWS::SES::EmailIdentity", { EmailIdentity: "acme.example" });
    for (const i of [1, 2, 3]) template.hasOutput(`SenderDkimRecord${i}`, Match.anyValue());
  });

  it("existing: creates no identity (a second one fails with AlreadyExists), and still sends from digest.from", () => {
    const { stack, template } = synthStack(input("existing"));
    template.resourceCountIs("AWS::SES::EmailIdentity", 0);
    template.hasOutput("SenderIdentity", { Value: "digest@acme.example" });
    const sends = roleStatements(template, stack.digest.role).filter((st) => [st.Action].flat().includes("ses:SendEmail") && st.Condition);
    expect(sends.map((st) => st.Condition)).toEqual([{ StringEquals: { "ses:FromAddress": "digest@acme.example" } }]);
  });
});

describe("CommunitySignalsStack with other settings", () => {
  it("uses an existing alarm topic, creates no secret for a disabled source, keeps look-alike time zones apart", () => {
    const topicArn = "arn:aws:sns:eu-west-1:123456789012:ops-alarms";
    const { stack, template } = synthStack({
      sources: { github: { enabled: false } },
      // Time zones whose names differ only in punctuation still get a schedule each.
      digest: { recipients: [{ email: "p@example.org", timeZone: "Etc/GMT+1" }, { email: "m@example.org", timeZone: "Etc/GMT-1" }] },
      aws: { alarmTopicArn: topicArn },
    });
    const timeZones = digestSchedules(template, stack).map((s) => s.ScheduleExpressionTimezone);
    expect(timeZones.sort()).toEqual(["Etc/GMT+1", "Etc/GMT-1", "UTC"]);
    expect(Object.keys(template.findResources("AWS::SNS::Topic"))).toEqual([]);
    template.hasResourceProperties("AWS::CloudWatch::Alarm", { AlarmActions: [topicArn] });
    // Only the action links' own key: no webhook secret for a disabled source.
    expect(Object.keys(template.findResources("AWS::SecretsManager::Secret"))).toEqual([logicalId(stack.actionsSecret!)]);
    const env = template.toJSON().Resources[logicalId(stack.ingest.fn)].Properties.Environment.Variables;
    expect(Object.keys(env).filter((k) => k.startsWith("SECRET_ID_"))).toEqual([]);
  });

  it("rejects a visibility timeout shorter than six normaliser timeouts, naming the field", () => {
    const tooShort = { queue: { visibilityTimeoutSeconds: 6 * NORMALIZER_TIMEOUT_SECONDS - 1 } };
    expect(() => synthStack(tooShort)).toThrow(ConfigError);
    expect(() => synthStack(tooShort)).toThrow(/queue\.visibilityTimeoutSeconds: must be at least 180/);
  });
});

describe("cdk-nag AwsSolutions", () => {
  it("finds nothing unacknowledged, and every acknowledgement gives a reason", () => {
    const outdir = tempDir("cs-cdk-nag-");
    // The built-in CloudFormation schema check costs ~5 s here; `npm run synth` runs it.
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] }, outdir, builtinCloudFormationValidation: false });
    const stack = new CommunitySignalsStack(app, "Signals", { config, projectRoot: fakeProjectRoot() });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    const report = JSON.parse(readFileSync(path.join(outdir, "validation-report.json"), "utf8"));
    expect(report.pluginReports).toEqual([]);

    const acknowledgements = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(id).toMatch(/AwsSolutions-/);
      expect(reason.length, `reason for ${id}`).toBeGreaterThan(60);
    }
  });

  it("does fail synthesis on a finding nobody acknowledged (the check is live)", () => {
    const app = new App({
      context: { "aws:cdk:bundling-stacks": [] },
      outdir: tempDir("cs-cdk-nag-"),
      builtinCloudFormationValidation: false,
    });
    new Queue(new Stack(app, "Careless"), "PlainQueue");
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});

describe("SignalsFunction bundling (esbuild, local)", () => {
  it("emits an ES module with a working require for CommonJS code and the config inlined", () => {
    const root = fakeProjectRoot(
      [
        'import eolLength from "./cjs-dep.cjs";',
        "export const handler = async () => ({",
        "  config: JSON.parse(process.env.COMMUNITY_SIGNALS_CONFIG ?? 'null'),",
        "  eolLength,",
        "});",
        "",
      ].join("\n"),
    );
    // A CommonJS dependency that requires a Node built-in: what breaks ESM bundles without the banner.
    writeFileSync(path.join(root, "functions", "digest", "cjs-dep.cjs"), 'module.exports = require("node:os").EOL.length;\n');
    symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
    const outdir = tempDir("cs-cdk-bundle-");
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, "Bundled");
    const fn = new SignalsFunction(stack, "Digest", {
      name: "digest",
      projectRoot: root,
      config,
      description: "bundling test",
      timeout: Duration.seconds(5),
    });
    const code = Template.fromStack(stack).toJSON().Resources[logicalId(fn.fn)].Properties.Code;
    const assetDir = path.join(outdir, `asset.${String(code.S3Key).replace(/\.zip$/, "")}`);

    const bundle = readFileSync(path.join(assetDir, "index.mjs"), "utf8");
    expect(bundle).not.toContain("process.env.COMMUNITY_SIGNALS_CONFIG");
    expect(readFileSync(path.join(assetDir, "index.mjs.map"), "utf8")).toContain('"mappings"');

    // Plain Node, not vitest's module runner (which provides a `require` the Lambda runtime lacks).
    const script = `const m = await import(${JSON.stringify(pathToFileURL(path.join(assetDir, "index.mjs")).href)}); process.stdout.write(JSON.stringify(await m.handler()));`;
    const result = JSON.parse(
      execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }),
    ) as { config: Config; eolLength: number };
    expect(result.eolLength).toBe(1);
    expect(result.config).toEqual(config);
  }, 60_000);
});

describe("config helpers", () => {
  it("derives one digest slot per distinct (time, time zone), recipients' own times included", () => {
    expect(digestSlots(config)).toEqual([
      { time: "07:30", timeZone: "America/New_York" },
      { time: "07:30", timeZone: "Europe/Berlin" },
    ]);
    expect(digestSlots(parseConfig({}))).toEqual([{ time: "08:00", timeZone: "UTC" }]);
    const early = parseConfig({ digest: { time: "08:00", recipients: [{ email: "a@example.org", time: "06:45" }, { email: "b@example.org" }] } });
    expect(digestSlots(early)).toEqual([
      { time: "06:45", timeZone: "UTC" },
      { time: "08:00", timeZone: "UTC" },
    ]);
  });

  it("lists a secret for each enabled source only", () => {
    expect(enabledSourceSecrets(config)).toEqual([{ source: "github", secretName: "GH_HOOK_SECRET" }]);
    expect(enabledSourceSecrets(parseConfig({ sources: { github: { enabled: false } } }))).toEqual([]);
    expect(enabledSourceSecrets(parseConfig({}))).toEqual([]);
  });

  it("loads and validates the config file named by context, falling back to defaults only for the default path", () => {
    const dir = tempDir("cs-cdk-config-");
    writeFileSync(path.join(dir, "good.json"), JSON.stringify({ digest: { time: "06:15" } }));
    writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ digest: { time: "25:00" } }));

    const good = loadStackConfig("good.json", dir);
    expect(good.fromFile).toBe(true);
    expect(good.config.digest.time).toBe("06:15");

    expect(() => loadStackConfig("bad.json", dir)).toThrow(/bad\.json is not a valid configuration:[\s\S]*digest\.time/);
    expect(() => loadStackConfig("missing.json", dir)).toThrow(/missing\.json[\s\S]*file not found/);

    const fallback = loadStackConfig(undefined, dir);
    expect(fallback.fromFile).toBe(false);
    expect(fallback.config).toEqual(parseConfig({}));
  });
});
