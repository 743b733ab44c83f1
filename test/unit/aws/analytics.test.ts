import { readFileSync } from "node:fs";
import path from "node:path";
import { App, Duration, Stack, Validations } from "aws-cdk-lib";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { Bucket } from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GLUE_COMMENT_MAX_LENGTH,
  glueColumns,
  glueDatabaseName,
  partitionProjection,
} from "../../../infra/aws/constructs/analytics.ts";
import { SignalsFunction } from "../../../infra/aws/constructs/signals-function.ts";
import { CommunitySignalsStack } from "../../../infra/aws/stack.ts";
import { type ColumnDef, EXPORT_TABLES, PARTITION_KEY, SCHEMA_VERSION } from "../../../shared/export/schema.ts";
import { ConfigError, type ConfigInput, parseConfig } from "../../../shared/model/config.ts";
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

afterAll(removeTempDirs);

// Every analytics value differs from its default, so a test passing on defaults proves nothing.
const CONFIG_INPUT: ConfigInput = {
  aws: { logRetentionDays: 60 },
  analytics: {
    exportTime: "03:45",
    timeZone: "Europe/Berlin",
    lifecycle: { transitionToIaDays: 45, expireDays: 400 },
    athenaBytesScannedCutoffMb: 250,
    athenaResultsExpireDays: 3,
  },
};

// Written out here rather than imported: this is the contract with Athena, not a copy of the code.
const ATHENA_TYPES = {
  string: "string",
  boolean: "boolean",
  int64: "bigint",
  double: "double",
  timestamp: "timestamp",
  "list<string>": "array<string>",
} as const;

const objectArn = (bucket: Bucket, suffix: string) => ({ "Fn::Join": ["", [arnOf(bucket), suffix]] });
const s3Location = (bucket: Bucket, suffix: string) => ({ "Fn::Join": ["", ["s3://", ref(bucket), suffix]] });

function resourceOf(template: Template, construct: Parameters<typeof logicalId>[0]) {
  return template.toJSON().Resources[logicalId(construct)];
}

describe("analytics resources", () => {
  let stack: CommunitySignalsStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthStack(CONFIG_INPUT));
  });

  it("keeps exports in an encrypted, private, TLS-only, access-logged, retained and unversioned bucket", () => {
    const { bucket, accessLogsBucket } = stack.analytics;
    template.hasResource("AWS::S3::Bucket", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
        LoggingConfiguration: { DestinationBucketName: ref(accessLogsBucket), LogFilePrefix: "export-bucket/" },
        VersioningConfiguration: Match.absent(),
      }),
    });
    expect(resourceOf(template, bucket).Properties.LoggingConfiguration.LogFilePrefix).toBe("export-bucket/");
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: ref(bucket),
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Principal: { AWS: "*" },
            Condition: { Bool: { "aws:SecureTransport": "false" } },
            Resource: [arnOf(bucket), objectArn(bucket, "/*")],
          }),
        ],
      },
    });
  });

  it("applies the configured lifecycle to the exports: Standard-IA, expiry, abandoned uploads", () => {
    const rules = resourceOf(template, stack.analytics.bucket).Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual([
      {
        Id: "exported-files",
        Status: "Enabled",
        Transitions: [{ StorageClass: "STANDARD_IA", TransitionInDays: 45 }],
        ExpirationInDays: 400,
      },
      { Id: "abort-incomplete-uploads", Status: "Enabled", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
    ]);
  });

  it("keeps Athena results in their own private, encrypted bucket that expires them", () => {
    const { resultsBucket, accessLogsBucket } = stack.analytics;
    const results = resourceOf(template, resultsBucket);
    expect(results.DeletionPolicy).toBe("Retain");
    expect(results.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: ref(accessLogsBucket), LogFilePrefix: "athena-results/" },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: "expire-query-results",
            Status: "Enabled",
            ExpirationInDays: 3,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: ref(resultsBucket),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });

  it("collects access logs in a bucket that admits S3 log delivery from the three buckets only, for the log retention", () => {
    const { accessLogsBucket, bucket, resultsBucket } = stack.analytics;
    const logs = resourceOf(template, accessLogsBucket);
    expect(logs.DeletionPolicy).toBe("Retain");
    // Delivery is admitted by the bucket policy below; the LogDeliveryWrite ACL would need ACLs enabled.
    expect(logs.Properties.AccessControl).toBeUndefined();
    expect(logs.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] });
    expect(logs.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
    });
    expect(logs.Properties.LifecycleConfiguration.Rules).toEqual([
      { Id: "expire-access-logs", Status: "Enabled", ExpirationInDays: 60 },
    ]);
    const policy = Object.values(template.findResources("AWS::S3::BucketPolicy")).find(
      (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify(ref(accessLogsBucket)),
    );
    const deliveries = (policy?.Properties.PolicyDocument.Statement as Record<string, unknown>[]).filter(
      (s) => s.Effect === "Allow",
    );
    expect(deliveries).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: objectArn(accessLogsBucket, "/export-bucket/*"),
        Condition: { ArnLike: { "aws:SourceArn": arnOf(bucket) }, StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
      },
      {
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: objectArn(accessLogsBucket, "/athena-results/*"),
        Condition: {
          ArnLike: { "aws:SourceArn": arnOf(resultsBucket) },
          StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
        },
      },
      {
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: objectArn(accessLogsBucket, "/raw-archive/*"),
        Condition: {
          ArnLike: { "aws:SourceArn": arnOf(stack.rawArchive.bucket) },
          StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
        },
      },
    ]);
  });

  it("keeps the raw archive encrypted, private, TLS-only and expiring after archive.retentionDays, written only by key pattern", () => {
    const raw = resourceOf(template, stack.rawArchive.bucket);
    expect(raw.DeletionPolicy).toBe("Retain");
    expect(raw.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(raw.Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] });
    expect(raw.Properties.LifecycleConfiguration.Rules).toContainEqual({ Id: "expire-raw-deliveries", Prefix: "raw/", Status: "Enabled", ExpirationInDays: 90 });
    const statements = (fn: { role: unknown }) =>
      Object.values(template.findResources("AWS::IAM::Policy"))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(JSON.stringify(ref(fn.role as never))))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[])
        .filter((s) => JSON.stringify(s.Resource).includes(JSON.stringify(arnOf(stack.rawArchive.bucket))));
    expect(statements(stack.ingest).map((s) => [s.Action, s.Resource])).toEqual([["s3:PutObject", objectArn(stack.rawArchive.bucket, "/raw/dt=*/body-*")]]);
    expect(statements(stack.normalize).map((s) => [s.Action, s.Resource])).toEqual([
      ["s3:GetObject", objectArn(stack.rawArchive.bucket, "/raw/dt=*/body-*")],
      ["s3:PutObject", objectArn(stack.rawArchive.bucket, "/raw/dt=*/batch-*")],
    ]);
  });

  it("declares a Glue database named after the stack", () => {
    template.hasResourceProperties("AWS::Glue::Database", {
      CatalogId: { Ref: "AWS::AccountId" },
      DatabaseInput: { Name: "signals", Description: Match.stringLikeRegexp(`schema version ${SCHEMA_VERSION}`) },
    });
  });

  for (const exported of Object.values(EXPORT_TABLES)) {
    it(`declares the ${exported.name} table: Parquet at s3://<bucket>/${exported.prefix}, partitioned and projected on dt`, () => {
      const { bucket, database } = stack.analytics;
      template.hasResourceProperties("AWS::Glue::Table", {
        CatalogId: { Ref: "AWS::AccountId" },
        DatabaseName: ref(database),
        TableInput: {
          Name: exported.name,
          Description: Match.anyValue(),
          TableType: "EXTERNAL_TABLE",
          Parameters: {
            EXTERNAL: "TRUE",
            classification: "parquet",
            "community_signals.schema_version": String(SCHEMA_VERSION),
            "projection.enabled": "true",
            "projection.dt.type": "date",
            "projection.dt.format": "yyyy-MM-dd",
            "projection.dt.range": "2020-01-01,NOW",
            "projection.dt.interval": "1",
            "projection.dt.interval.unit": "DAYS",
            "storage.location.template": s3Location(bucket, `/${exported.prefix}dt=\${dt}/`),
          },
          PartitionKeys: [{ Name: "dt", Type: "string", Comment: Match.anyValue() }],
          StorageDescriptor: {
            Location: s3Location(bucket, `/${exported.prefix}`),
            InputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            OutputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            SerdeInfo: {
              SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
              Parameters: { "serialization.format": "1" },
            },
            Columns: Match.anyValue(),
          },
        },
      });
    });
  }

  it("generates the Glue columns from EXPORT_TABLES: same names, Athena types, same order", () => {
    const tables = Object.values(template.findResources("AWS::Glue::Table")).map((t) => t.Properties.TableInput);
    expect(tables.map((t) => t.Name).sort()).toEqual(["activities", "threads"]);
    for (const exported of Object.values(EXPORT_TABLES)) {
      const columns = tables.find((t) => t.Name === exported.name).StorageDescriptor.Columns as { Name: string; Type: string }[];
      expect(columns.map((c) => [c.Name, c.Type])).toEqual(exported.columns.map((c) => [c.name, ATHENA_TYPES[c.type]]));
      expect(columns.map((c) => c.Name)).not.toContain(PARTITION_KEY);
    }
    // The activities table carries the documented schema version column.
    expect(EXPORT_TABLES.activities.columns.some((c) => c.name === "schema_version" && c.type === "int64")).toBe(true);
  });

  it("creates an Athena v3 workgroup that enforces its encrypted result location and the scan limit", () => {
    const { resultsBucket, databaseName } = stack.analytics;
    expect(databaseName).toBe("signals");
    template.hasResourceProperties("AWS::Athena::WorkGroup", {
      Name: "Signals-analytics",
      State: "ENABLED",
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 250_000_000,
        EngineVersion: { SelectedEngineVersion: "Athena engine version 3" },
        ResultConfiguration: {
          OutputLocation: s3Location(resultsBucket, "/"),
          EncryptionConfiguration: { EncryptionOption: "SSE_S3" },
          ExpectedBucketOwner: { Ref: "AWS::AccountId" },
        },
      },
    });
  });

  it("runs the export on Node.js 22 arm64 with its own log group, 15 minutes, 1 GB and the table and bucket names", () => {
    const fn = resourceOf(template, stack.export.fn).Properties;
    expect(fn).toMatchObject({
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Timeout: 900,
      MemorySize: 1024,
      Role: arnOf(stack.export.role),
      LoggingConfig: { LogGroup: ref(stack.export.logGroup) },
    });
    expect(fn.Environment.Variables).toMatchObject({
      TABLE_NAME: ref(stack.table.table),
      BUCKET_NAME: ref(stack.analytics.bucket),
      POWERTOOLS_SERVICE_NAME: "community-signals-export",
    });
    expect(Object.keys(fn.Environment.Variables)).not.toContain("QUEUE_URL");
    expect(resourceOf(template, stack.export.logGroup).Properties.RetentionInDays).toBe(60);
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: ref(stack.export.fn),
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 7200,
    });
  });

  it("starts the export daily at analytics.exportTime in analytics.timeZone, with {} as input, retries and a DLQ", () => {
    const { schedulerRole, deadLetterQueue } = stack.analytics;
    const schedules = Object.values(template.findResources("AWS::Scheduler::Schedule"))
      .map((s) => s.Properties)
      .filter((p) => JSON.stringify(p.Target.Arn) === JSON.stringify(arnOf(stack.export.fn)));
    expect(schedules).toHaveLength(1);
    expect(schedules[0]).toMatchObject({
      ScheduleExpression: "cron(45 3 * * ? *)",
      ScheduleExpressionTimezone: "Europe/Berlin",
      FlexibleTimeWindow: { Mode: "OFF" },
      State: "ENABLED",
      Target: {
        RoleArn: arnOf(schedulerRole),
        DeadLetterConfig: { Arn: arnOf(deadLetterQueue) },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
      },
    });
    // functions/export/app.ts accepts exactly {} for the daily run (a strict schema).
    expect(JSON.parse(schedules[0]?.Target.Input)).toEqual({});

    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: Match.absent(),
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [ref(deadLetterQueue)],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]),
      },
    });
    // The scheduler's role may start the export function and dead-letter to its queue, nothing else.
    const granted = roleStatements(template, schedulerRole);
    expect([...new Set(granted.flatMap((s) => [s.Action].flat()))].sort()).toEqual(["lambda:InvokeFunction", "sqs:SendMessage"]);
    const resourcesOf = (action: string) =>
      JSON.stringify(granted.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));
    expect(resourcesOf("lambda:InvokeFunction")).toContain(logicalId(stack.export.fn));
    expect(resourcesOf("lambda:InvokeFunction")).not.toContain(logicalId(stack.digest.fn));
    expect(JSON.parse(resourcesOf("sqs:SendMessage"))).toEqual([arnOf(deadLetterQueue)]);
    expect(resourceOf(template, schedulerRole).Properties.AssumeRolePolicyDocument.Statement[0]).toMatchObject({
      Principal: { Service: "scheduler.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
    });
  });

  it("grants the export function exactly its reads, its own records and its two prefixes", () => {
    expect(allowedActions(template, stack.export)).toEqual(
      [
        // the day's activities listed by the keys-only by-day index
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "s3:DeleteObject",
        "s3:ListBucket",
        "s3:PutObject",
      ].sort(),
    );
    const statements = roleStatements(template, stack.export.role);
    const table = arnOf(stack.table.table);
    const withAction = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
    const bucket = stack.analytics.bucket;

    // Reads: the table and the by-day index only (no member index: forgetting is the CLI's job).
    expect(withAction("dynamodb:Query").map((s) => s.Resource)).toEqual([[table, { "Fn::Join": ["", [table, "/index/GSI2"]] }]]);
    expect(withAction("dynamodb:PutItem")).toEqual([
      {
        Effect: "Allow",
        Action: "dynamodb:PutItem",
        Resource: table,
        Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["EXPORT#*"] } },
      },
    ]);
    expect(withAction("s3:PutObject")).toEqual([
      {
        Effect: "Allow",
        Action: ["s3:DeleteObject", "s3:PutObject"],
        Resource: [objectArn(bucket, "/activities/*"), objectArn(bucket, "/threads/*")],
      },
    ]);
    expect(withAction("s3:ListBucket")).toEqual([
      {
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: arnOf(bucket),
        Condition: { StringLike: { "s3:prefix": ["activities/*", "threads/*"] } },
      },
    ]);
    for (const statement of statements) {
      expect(JSON.stringify(statement.Resource)).not.toMatch(/"\*"/);
      // Nothing touches the results or access-log buckets.
      expect(JSON.stringify(statement.Resource)).not.toContain(logicalId(stack.analytics.resultsBucket));
      expect(JSON.stringify(statement.Resource)).not.toContain(logicalId(stack.analytics.accessLogsBucket));
    }
    // No other function may touch the export bucket.
    for (const fn of [stack.ingest, stack.normalize, stack.digest]) {
      expect(JSON.stringify(roleStatements(template, fn.role))).not.toContain(logicalId(bucket));
    }
  });

  it("alarms to the stack's topic when the export fails or cannot be started", () => {
    const topic = ref(stack.monitoring.topic);
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: ref(stack.export.fn) }],
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      AlarmActions: [topic],
      OKActions: [topic],
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [logicalId(stack.analytics.deadLetterQueue), "QueueName"] } }],
      Threshold: 1,
      AlarmActions: [topic],
    });
  });

  it("outputs the bucket, the Glue database, the workgroup, the results bucket and the export function", () => {
    const outputs = template.toJSON().Outputs;
    expect(outputs.ExportBucketName.Value).toEqual(ref(stack.analytics.bucket));
    expect(outputs.GlueDatabaseName.Value).toEqual(ref(stack.analytics.database));
    expect(outputs.AthenaWorkGroupName.Value).toEqual(ref(stack.analytics.workGroup));
    expect(outputs.AthenaResultsBucketName.Value).toEqual(ref(stack.analytics.resultsBucket));
    expect(outputs.ExportFunctionName.Value).toEqual(ref(stack.export.fn));
  });
});

describe("analytics with the default config", () => {
  it("exports at 02:00 UTC, moves files to Standard-IA after 90 days, never expires them, cuts queries at 1 GB", () => {
    const { stack, template } = synthStack({});
    const rules = template.toJSON().Resources[logicalId(stack.analytics.bucket)].Properties.LifecycleConfiguration.Rules;
    expect(rules[0]).toEqual({ Id: "exported-files", Status: "Enabled", Transitions: [{ StorageClass: "STANDARD_IA", TransitionInDays: 90 }] });
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "cron(0 2 * * ? *)",
      ScheduleExpressionTimezone: "UTC",
      Target: Match.objectLike({ Arn: arnOf(stack.export.fn) }),
    });
    template.hasResourceProperties("AWS::Athena::WorkGroup", {
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 1_000_000_000 }),
    });
    template.hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: { Rules: [Match.objectLike({ Id: "expire-query-results", ExpirationInDays: 7 })] },
    });
  });

  it("names the Glue database and workgroup after the stack, so two stacks in one account do not collide", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] }, outdir: tempDir("cs-cdk-out-"), builtinCloudFormationValidation: false });
    const stack = new CommunitySignalsStack(app, "CommunitySignalsStaging", { config: parseConfig({}), projectRoot: fakeProjectRoot() });
    expect(stack.analytics.databaseName).toBe("community_signals_staging");
    expect(stack.analytics.workGroup.name).toBe("CommunitySignalsStaging-analytics");
  });
});

describe("analytics config", () => {
  it("defaults every field, so existing config files stay valid", () => {
    expect(parseConfig({}).analytics).toEqual({
      exportTime: "02:00",
      timeZone: "UTC",
      lifecycle: { transitionToIaDays: 90 },
      athenaBytesScannedCutoffMb: 1000,
      athenaResultsExpireDays: 7,
    });
  });

  it.each([
    [{ exportTime: "2:00" }, /analytics\.exportTime: must be HH:MM/],
    [{ timeZone: "Mars/Olympus" }, /analytics\.timeZone: must be an IANA time zone/],
    [{ lifecycle: { transitionToIaDays: 20 } }, /analytics\.lifecycle\.transitionToIaDays/],
    [{ lifecycle: { transitionToIaDays: 90, expireDays: 90 } }, /analytics\.lifecycle\.expireDays: must be greater than transitionToIaDays/],
    [{ athenaBytesScannedCutoffMb: 5 }, /analytics\.athenaBytesScannedCutoffMb/],
    [{ athenaResultsExpireDays: 0 }, /analytics\.athenaResultsExpireDays/],
    [{ exportHour: 2 }, /analytics: Unrecognized key/],
  ])("rejects %j, naming the field", (analytics, message) => {
    expect(() => parseConfig({ analytics } as ConfigInput)).toThrow(ConfigError);
    expect(() => parseConfig({ analytics } as ConfigInput)).toThrow(message);
  });
});

describe("Glue helpers", () => {
  const column = (name: string, type: ColumnDef["type"], description = `${name} column`): ColumnDef => ({
    name,
    type,
    nullable: true,
    description,
  });

  it("maps every published type to its Athena type and keeps the order and descriptions", () => {
    const columns = [
      column("z_text", "string"),
      column("a_flag", "boolean"),
      column("count", "int64"),
      column("score", "double"),
      column("at", "timestamp"),
      column("labels", "list<string>"),
    ];
    expect(glueColumns(columns)).toEqual([
      { name: "z_text", type: "string", comment: "z_text column" },
      { name: "a_flag", type: "boolean", comment: "a_flag column" },
      { name: "count", type: "bigint", comment: "count column" },
      { name: "score", type: "double", comment: "score column" },
      { name: "at", type: "timestamp", comment: "at column" },
      { name: "labels", type: "array<string>", comment: "labels column" },
    ]);
  });

  it("shortens a description longer than Glue allows, and refuses the partition key, duplicates and unknown types", () => {
    const [long] = glueColumns([column("notes", "string", "x".repeat(400))]);
    expect(long?.comment).toHaveLength(GLUE_COMMENT_MAX_LENGTH);
    expect(long?.comment?.endsWith("…")).toBe(true);
    expect(() => glueColumns([column("dt", "string")])).toThrow(/"dt" clashes with the partition key/);
    expect(() => glueColumns([column("id", "string"), column("id", "int64")])).toThrow(/"id" is defined twice/);
    expect(() => glueColumns([column("when", "date" as ColumnDef["type"])])).toThrow(/"when" has a type Glue cannot declare: date/);
  });

  it("projects dt as a daily date partition under the table's location", () => {
    expect(partitionProjection("s3://b/threads/")).toEqual({
      "projection.enabled": "true",
      "projection.dt.type": "date",
      "projection.dt.format": "yyyy-MM-dd",
      "projection.dt.range": "2020-01-01,NOW",
      "projection.dt.interval": "1",
      "projection.dt.interval.unit": "DAYS",
      "storage.location.template": "s3://b/threads/dt=${dt}/",
    });
  });

  it("derives a lower-case Glue database name from the stack name", () => {
    expect(glueDatabaseName("CommunitySignals")).toBe("community_signals");
    expect(glueDatabaseName("signals-prod")).toBe("signals_prod");
    expect(glueDatabaseName("ACME2Signals")).toBe("acme2_signals");
    expect(() => glueDatabaseName("")).toThrow(/cannot derive a Glue database name/);
  });
});

describe("SignalsFunction.bindExportBucket", () => {
  it("refuses prefixes that are not folder names, which would widen the grant", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] }, outdir: tempDir("cs-cdk-out-") });
    const scope = new Stack(app, "Bind");
    const fn = new SignalsFunction(scope, "Export", {
      name: "export",
      projectRoot: fakeProjectRoot(),
      config: parseConfig({}),
      description: "bind test",
      timeout: Duration.seconds(60),
    });
    const bucket = new Bucket(scope, "Bucket");
    for (const prefixes of [[], [""], ["activities"], ["*"], ["a/b/"], ["../"]]) {
      expect(() => fn.bindExportBucket(bucket, prefixes)).toThrow(/prefixes must be folder names ending in "\/"/);
    }
  });
});

describe("cdk-nag AwsSolutions with analytics", () => {
  it("finds nothing unacknowledged in a stack with every analytics option set", () => {
    const outdir = tempDir("cs-cdk-nag-");
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] }, outdir, builtinCloudFormationValidation: false });
    const stack = new CommunitySignalsStack(app, "Signals", { config: parseConfig(CONFIG_INPUT), projectRoot: fakeProjectRoot() });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    expect(JSON.parse(readFileSync(path.join(outdir, "validation-report.json"), "utf8")).pluginReports).toEqual([]);

    // The acknowledgements the analytics part needs, each with a reason.
    const acknowledged = [stack.analytics, stack.export]
      .flatMap((scope) => scope.node.findAll())
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    const bucketId = logicalId(stack.analytics.bucket);
    const exportId = logicalId(stack.export.fn);
    expect(acknowledged.map(([id]) => id.replace(/^Annotation::/, "")).sort()).toEqual(
      [
        "AwsSolutions-L1",
        "AwsSolutions-SQS3",
        `AwsSolutions-IAM5[Resource::<${exportId}.Arn>:*]`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/activities/*]`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/threads/*]`,
      ].sort(),
    );
    for (const [id, reason] of acknowledged) expect(reason.length, `reason for ${id}`).toBeGreaterThan(60);
  });

  it("reports the prefix wildcards when the export role is not acknowledged (the acknowledgements are needed)", () => {
    const outdir = tempDir("cs-cdk-nag-");
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] }, outdir, builtinCloudFormationValidation: false });
    const scope = new Stack(app, "Bare");
    const fn = new SignalsFunction(scope, "Export", {
      name: "export",
      projectRoot: fakeProjectRoot(),
      config: parseConfig({}),
      description: "nag test",
      timeout: Duration.seconds(60),
    });
    const bucket = new Bucket(scope, "Bucket", { enforceSSL: true });
    fn.bindExportBucket(bucket, ["activities/"]);
    // A second grant the construct does not know about: its wildcard must still be reported.
    bucket.grantPut(fn.role, "threads/*");
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let message = "";
    try {
      app.synth();
    } catch (err) {
      message = String(err);
    }
    const id = logicalId(bucket);
    expect(message).toContain(`AwsSolutions-IAM5[Resource::<${id}.Arn>/threads/*]`);
    expect(message).not.toContain(`AwsSolutions-IAM5[Resource::<${id}.Arn>/activities/*]`);
  });
});
