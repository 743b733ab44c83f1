import { Duration, RemovalPolicy, Stack, TimeZone, Token } from "aws-cdk-lib";
import { CfnWorkGroup } from "aws-cdk-lib/aws-athena";
import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { CfnDatabase, CfnTable } from "aws-cdk-lib/aws-glue";
import { Role } from "aws-cdk-lib/aws-iam";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, StorageClass } from "aws-cdk-lib/aws-s3";
import { Schedule, ScheduleExpression, ScheduleTargetInput } from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from "aws-cdk-lib/cx-api";
import { Construct } from "constructs";
import { scheduleDeadLetterQueue, schedulerRoleFor } from "./scheduler-role.ts";
import {
  type ColumnDef,
  type ColumnType,
  EXPORT_TABLES,
  type ExportTableName,
  PARTITION_KEY,
  SCHEMA_VERSION,
} from "../../../shared/export/schema.ts";
import type { AnalyticsConfig } from "../../../shared/model/config.ts";

/** How each published column type is declared to Glue (Hive DDL types, read by Athena). */
export const GLUE_COLUMN_TYPES: Record<ColumnType, string> = {
  string: "string",
  boolean: "boolean",
  int64: "bigint",
  double: "double",
  timestamp: "timestamp",
  "list<string>": "array<string>",
};

/** Glue rejects a column comment longer than this. */
export const GLUE_COMMENT_MAX_LENGTH = 255;

/** The S3 prefixes the export writes, one per exported table. */
export const EXPORT_PREFIXES: readonly string[] = Object.values(EXPORT_TABLES).map((table) => table.prefix);

/** Glue columns in the published order; the description becomes the comment Athena shows. */
export function glueColumns(columns: readonly ColumnDef[]): CfnTable.ColumnProperty[] {
  const seen = new Set<string>();
  return columns.map((column) => {
    if (column.name === PARTITION_KEY) {
      throw new Error(`column "${column.name}" clashes with the partition key; ${PARTITION_KEY} is never stored in the files`);
    }
    if (seen.has(column.name)) throw new Error(`column "${column.name}" is defined twice`);
    seen.add(column.name);
    const type = GLUE_COLUMN_TYPES[column.type];
    if (type === undefined) throw new Error(`column "${column.name}" has a type Glue cannot declare: ${String(column.type)}`);
    const comment =
      column.description.length > GLUE_COMMENT_MAX_LENGTH
        ? `${column.description.slice(0, GLUE_COMMENT_MAX_LENGTH - 1)}…`
        : column.description;
    return { name: column.name, type, comment };
  });
}

/**
 * Table parameters for partition projection on `dt`: Athena computes the partitions from the
 * date range, so no crawler, MSCK REPAIR or partition API call is ever needed after an export.
 * `location` ends in "/" (s3://bucket/prefix/).
 */
export function partitionProjection(location: string): Record<string, string> {
  return {
    "projection.enabled": "true",
    [`projection.${PARTITION_KEY}.type`]: "date",
    [`projection.${PARTITION_KEY}.format`]: "yyyy-MM-dd",
    [`projection.${PARTITION_KEY}.range`]: "2020-01-01,NOW",
    [`projection.${PARTITION_KEY}.interval`]: "1",
    [`projection.${PARTITION_KEY}.interval.unit`]: "DAYS",
    "storage.location.template": `${location}${PARTITION_KEY}=\${${PARTITION_KEY}}/`,
  };
}

/**
 * Glue database names are lower case; CommunitySignalsStaging becomes
 * community_signals_staging, so two stacks in one account get two databases.
 */
export function glueDatabaseName(stackName: string): string {
  if (Token.isUnresolved(stackName)) throw new Error("the stack name must be known at synth time to name the Glue database");
  const name = stackName
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9_]/g, "_")
    .toLowerCase();
  if (!/^[a-z0-9_]{1,255}$/.test(name)) throw new Error(`cannot derive a Glue database name from stack name "${stackName}"`);
  return name;
}

const PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
const PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
const PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";

/** The daily run's input (functions/export/app.ts); an on-demand run passes {"from","to"} instead. */
export const SCHEDULED_EXPORT_INPUT = {} as const;

export interface AnalyticsProps {
  analytics: AnalyticsConfig;
  /** The export function (already bound to the table); only the schedule starts it here. */
  exportFunction: LambdaFunction;
  /** Alarms for the export go here, with the rest of the stack's alarms. */
  alarmTopic: ITopic;
  /** Days the S3 server access logs are kept (the stack's log retention). */
  accessLogRetentionDays: number;
}

/**
 * The analysts' side: the export bucket, a Glue database with one table per exported table
 * (columns generated from shared/export/schema.ts, partitions projected), an Athena workgroup
 * with its own result bucket and a scan limit, and the daily schedule of the export.
 */
export class Analytics extends Construct {
  readonly bucket: Bucket;
  readonly resultsBucket: Bucket;
  readonly accessLogsBucket: Bucket;
  readonly database: CfnDatabase;
  readonly databaseName: string;
  readonly tables: Record<ExportTableName, CfnTable>;
  readonly workGroup: CfnWorkGroup;
  readonly schedule: Schedule;
  readonly schedulerRole: Role;
  readonly deadLetterQueue: Queue;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { analytics } = props;
    // Without this flag CDK grants log delivery with the LogDeliveryWrite ACL, which needs ACLs
    // enabled on the log bucket; a bucket policy works with ACLs disabled (bucket owner enforced).
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    // Access-log delivery requires SSE-S3 on the target bucket. It has no access logs of its own
    // (they would log every delivery into itself); cdk-nag's S1 accepts a log destination as is.
    this.accessLogsBucket = new Bucket(this, "AccessLogsBucket", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ id: "expire-access-logs", expiration: Duration.days(props.accessLogRetentionDays) }],
      // Non-empty buckets make a stack deletion fail; logs are kept like the log groups are.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Not versioned: the files are derived from the table (which has point-in-time recovery) and
    // are rewritten on every re-export, and `forget` must really remove a person's rows, which
    // old versions would keep.
    this.bucket = new Bucket(this, "ExportBucket", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: "export-bucket/",
      lifecycleRules: [
        {
          id: "exported-files",
          transitions: [
            { storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(analytics.lifecycle.transitionToIaDays) },
          ],
          ...(analytics.lifecycle.expireDays === undefined ? {} : { expiration: Duration.days(analytics.lifecycle.expireDays) }),
        },
        { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      // The export is the analysts' history; deleting the stack must not delete it.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.resultsBucket = new Bucket(this, "AthenaResultsBucket", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: "athena-results/",
      lifecycleRules: [
        {
          id: "expire-query-results",
          expiration: Duration.days(analytics.athenaResultsExpireDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.databaseName = glueDatabaseName(stack.stackName);
    this.database = new CfnDatabase(this, "Database", {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: `community-signals exported activity (schema version ${SCHEMA_VERSION}); tables are partitioned by ${PARTITION_KEY}, the UTC day`,
      },
    });

    const table = (tableId: string, exported: (typeof EXPORT_TABLES)[ExportTableName]): CfnTable => {
      const location = `s3://${this.bucket.bucketName}/${exported.prefix}`;
      return new CfnTable(this, tableId, {
        catalogId: stack.account,
        databaseName: this.database.ref,
        tableInput: {
          name: exported.name,
          description: `community-signals ${exported.name}, one folder per UTC day (${exported.prefix}${PARTITION_KEY}=YYYY-MM-DD/)`,
          tableType: "EXTERNAL_TABLE",
          parameters: {
            EXTERNAL: "TRUE",
            classification: "parquet",
            "community_signals.schema_version": String(SCHEMA_VERSION),
            ...partitionProjection(location),
          },
          partitionKeys: [{ name: PARTITION_KEY, type: "string", comment: "UTC day, YYYY-MM-DD" }],
          storageDescriptor: {
            location,
            inputFormat: PARQUET_INPUT_FORMAT,
            outputFormat: PARQUET_OUTPUT_FORMAT,
            serdeInfo: { serializationLibrary: PARQUET_SERDE, parameters: { "serialization.format": "1" } },
            columns: glueColumns(exported.columns),
          },
        },
      });
    };
    this.tables = {
      activities: table("ActivitiesTable", EXPORT_TABLES.activities),
      threads: table("ThreadsTable", EXPORT_TABLES.threads),
    };

    this.workGroup = new CfnWorkGroup(this, "WorkGroup", {
      name: `${stack.stackName}-analytics`,
      description: `community-signals analytics: query database ${this.databaseName}`,
      state: "ENABLED",
      // The workgroup goes with the stack even when it holds saved queries; results stay in their bucket.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Clients cannot override the result location, its encryption or the scan limit.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: analytics.athenaBytesScannedCutoffMb * 1_000_000,
        engineVersion: { selectedEngineVersion: "Athena engine version 3" },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/`,
          encryptionConfiguration: { encryptionOption: "SSE_S3" },
          expectedBucketOwner: stack.account,
        },
      },
    });

    this.deadLetterQueue = scheduleDeadLetterQueue(this, "ScheduleDeadLetterQueue", "export schedule");

    this.schedulerRole = schedulerRoleFor(this, "SchedulerRole", props.exportFunction, "export");

    const [hour, minute] = analytics.exportTime.split(":");
    this.schedule = new Schedule(this, "DailyExport", {
      description: `community-signals export at ${analytics.exportTime} ${analytics.timeZone}`,
      schedule: ScheduleExpression.cron({
        minute: String(Number(minute)),
        hour: String(Number(hour)),
        timeZone: TimeZone.of(analytics.timeZone),
      }),
      target: new LambdaInvoke(props.exportFunction, {
        input: ScheduleTargetInput.fromObject(SCHEDULED_EXPORT_INPUT),
        // Retries cover failures to start the function; its own errors are Lambda async retries.
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: this.deadLetterQueue,
        role: this.schedulerRole,
      }),
    });

    const notify = new SnsAction(props.alarmTopic);
    const alarm = (alarmId: string, description: string, metric: IMetric) => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
    };
    alarm(
      "ExportDeadLettersAlarm",
      "EventBridge Scheduler could not start the export function; that day's export did not run (the next run catches up).",
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: Stats.MAXIMUM }),
    );
    alarm(
      "ExportErrorsAlarm",
      "The export function failed; Athena may be missing or showing stale days until a run succeeds.",
      props.exportFunction.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
    );
  }
}
