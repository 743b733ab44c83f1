import { RAW_PREFIX } from "../../../shared/blob/raw-archive.ts";
import { lambdaBuildOptions } from "../bundling/build.ts";
import path from "node:path";
import { buildSync } from "esbuild";
import { AssetHashType, type CfnElement, DockerImage, Duration, Stack, Validations } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { ApplicationLogLevel, Architecture, Code, Function as LambdaFunction, LoggingFormat, Runtime, SystemLogLevel } from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Bucket } from "aws-cdk-lib/aws-s3";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { IConfigurationSet } from "aws-cdk-lib/aws-ses";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { Config } from "../../../shared/model/config.ts";
import { ALL_INDEXES, type IndexDefinition, INDEXES } from "../../../shared/store/table.ts";

/** The Lambda entry points under functions/<name>/handler.ts. */
export type FunctionName = "ingest" | "normalize" | "digest" | "export" | "poll-discord" | "poll-stackoverflow" | "actions";

export interface SignalsFunctionProps {
  name: FunctionName;
  /** Folder holding functions/<name>/handler.ts. */
  projectRoot: string;
  /** Validated config; inlined into the bundle, which also sets log level and retention. */
  config: Config;
  description: string;
  timeout: Duration;
  memorySize?: number;
  reservedConcurrency?: number;
  /**
   * Leave out Lambda's START, END and REPORT lines (JSON log format, system log level WARN).
   * For the function invoked once per webhook, where they are a third of the log volume;
   * durations and errors stay in Lambda's own metrics.
   */
  quietPlatformLogs?: boolean;
}

/**
 * read: GetItem and Query on the table and its indexes, and BatchGetItem on the table for the
 *   items an index lists (every index is keys only: its readers fetch those items in batches).
 * digest-sends: read, plus PutItem and DeleteItem only on items whose partition key starts
 *   with DIGEST# (the digest's conditional send records and their release after a failed send).
 * write: GetItem and Query on the table only (no index: the normaliser never queries one), plus
 *   PutItem (the normaliser's activities, versioned summaries and day/member markers).
 * export: GetItem and Query on the table (a day's markers and the thread partitions they name,
 *   thread summaries, late-arrival markers, its run records) and on the by-day index only (the
 *   activities that carry its keys), plus PutItem only on items whose partition key starts
 *   with EXPORT# (what it exported, and its last run). Forgetting a member (member index,
 *   deletes) is the operator's CLI, not this function.
 * A TransactWriteItems call is authorised by the PutItem/UpdateItem of its parts;
 * IAM has no action of that name.
 */
export type TableAccess = "read" | "digest-sends" | "write" | "export" | "discord-poller" | "stackoverflow-poller" | "thread-actions" | "names" | "queue-page" | "names-read";

interface TableGrant {
  /** On the table and on `indexes`. */
  tableAndIndexes: string[];
  /** The indexes the function queries; every index when absent. */
  indexes?: readonly IndexDefinition[];
  tableOnly: string[];
  leadingKeys?: string[];
  /**
   * BatchGetItem on the table, only for items whose partition key matches one of these: the
   * thread summaries and activities a keys-only index lists.
   */
  batchReads?: string[];
}

/** Partition keys of the items the keys-only indexes list: thread summaries and activities. */
const ITEMS_LISTED_BY_INDEXES = ["THREAD#*", "ACT#*"];

const TABLE_ACTIONS: Record<TableAccess, TableGrant> = {
  read: { tableAndIndexes: ["dynamodb:GetItem", "dynamodb:Query"], tableOnly: [], batchReads: ITEMS_LISTED_BY_INDEXES },
  "digest-sends": {
    tableAndIndexes: ["dynamodb:GetItem", "dynamodb:Query"],
    batchReads: ["THREAD#*"],
    tableOnly: ["dynamodb:DeleteItem", "dynamodb:PutItem"],
    leadingKeys: ["DIGEST#*"],
  },
  // The normaliser reads and writes thread partitions and its own markers: it queries no index.
  write: { tableAndIndexes: ["dynamodb:GetItem", "dynamodb:Query"], indexes: [], tableOnly: ["dynamodb:PutItem"] },
  export: {
    tableAndIndexes: ["dynamodb:GetItem", "dynamodb:Query"],
    batchReads: ITEMS_LISTED_BY_INDEXES,
    indexes: [INDEXES.byDay],
    tableOnly: ["dynamodb:PutItem"],
    leadingKeys: ["EXPORT#*"],
  },
  // The actions function reads one thread's partition, adds an action activity and refolds the
  // summary; a refold that finds the thread a question created on a day without its question
  // marker (an opening the normaliser stored a moment before) writes that marker (ACTDAY#<day>).
  "thread-actions": {
    tableAndIndexes: ["dynamodb:GetItem", "dynamodb:Query"],
    indexes: [],
    tableOnly: ["dynamodb:PutItem"],
    leadingKeys: ["THREAD#*", "DIGESTACTIONS#*", "ACTDAY#*"],
  },
  // The queue page (on the actions function) lists the open questions: a Query on their sparse
  // (keys-only) index, then the summaries in batches.
  "queue-page": { tableAndIndexes: ["dynamodb:Query"], indexes: [INDEXES.openQuestions], tableOnly: [], batchReads: ["THREAD#*"] },
  // The queue page shows Slack names from the cache the digest fills; it never writes one.
  "names-read": { tableAndIndexes: [], indexes: [], tableOnly: ["dynamodb:BatchGetItem"], leadingKeys: ["NAME#*"] },
  // The digest's cache of platform names (NAME#<source>#<kind>#<id>), read in batches.
  names: { tableAndIndexes: [], indexes: [], tableOnly: ["dynamodb:BatchGetItem", "dynamodb:PutItem"], leadingKeys: ["NAME#*"] },
  // The Discord poller reads and moves its cursors, and takes the lease that keeps its runs apart.
  "discord-poller": {
    tableAndIndexes: [],
    indexes: [],
    tableOnly: ["dynamodb:GetItem", "dynamodb:PutItem"],
    leadingKeys: ["CURSOR#discord#*", "LEASE#poll-discord"],
  },
  // The Stack Overflow poller: its own cursors and memory, and the lease that keeps its runs apart.
  "stackoverflow-poller": {
    tableAndIndexes: [],
    indexes: [],
    tableOnly: ["dynamodb:GetItem", "dynamodb:PutItem"],
    leadingKeys: ["CURSOR#stackoverflow#*", "LEASE#poll-stackoverflow"],
  },
};

export const POWERTOOLS_METRICS_NAMESPACE = "CommunitySignals";

/**
 * Every Lambda of the app, with the defaults in one place. Permissions are only added
 * through the bind methods, which set the environment variable and the grant together.
 */
export class SignalsFunction extends Construct {
  readonly fn: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: SignalsFunctionProps) {
    super(scope, id);
    const { config } = props;

    this.logGroup = new LogGroup(this, "Logs", {
      // The schema only admits values CloudWatch accepts, which are the enum's values.
      retention: config.aws.logRetentionDays as RetentionDays,
    });

    // Our own role: the default one attaches AWSLambdaBasicExecutionRole (log writes to every log group).
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `community-signals ${props.name} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new LambdaFunction(this, "Function", {
      // Built locally with esbuild (infra/aws/bundling/build.ts, the same build the bench
      // measures); the asset's hash is the hash of what was built.
      code: Code.fromAsset(path.join(props.projectRoot, "functions", props.name), {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never pulled: local bundling always answers (or throws), and needs no Docker.
          image: DockerImage.fromRegistry("local-esbuild-only"),
          local: {
            tryBundle(outputDir: string): boolean {
              buildSync({ ...lambdaBuildOptions(config, props.name, outputDir, props.projectRoot), logLevel: "error" });
              return true;
            },
          },
        },
      }),
      handler: "index.handler",
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
      ...(props.quietPlatformLogs
        ? {
            loggingFormat: LoggingFormat.JSON,
            // The same level Powertools logs at (POWERTOOLS_LOG_LEVEL below), so neither filters the other.
            applicationLogLevelV2: ApplicationLogLevel[config.aws.logLevel],
            systemLogLevelV2: SystemLogLevel.WARN,
          }
        : {}),
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: `community-signals-${props.name}`,
        POWERTOOLS_METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: config.aws.logLevel,
      },
    });
    Validations.of(this.fn).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "Node.js 22 is the runtime the handlers and their tests target (the runtime contract); moving to a newer " +
        "runtime is a deliberate upgrade made with the code, not a synth-time default.",
    });
  }

  /** TABLE_NAME plus exactly the item actions `access` needs. */
  bindTable(table: ITable, access: TableAccess): void {
    this.fn.addEnvironment("TABLE_NAME", table.tableName);
    const actions = TABLE_ACTIONS[access];
    // Each index named explicitly: a wildcard would also cover indexes added later.
    const indexArns = (actions.indexes ?? ALL_INDEXES).map((index) => `${table.tableArn}/index/${index.indexName}`);
    if (actions.tableAndIndexes.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: actions.tableAndIndexes, resources: [table.tableArn, ...indexArns] }),
      );
    }
    if (actions.batchReads) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["dynamodb:BatchGetItem"],
          resources: [table.tableArn],
          conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": actions.batchReads } },
        }),
      );
    }
    if (actions.tableOnly.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: actions.tableOnly,
          resources: [table.tableArn],
          ...(actions.leadingKeys
            ? { conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": actions.leadingKeys } } }
            : {}),
        }),
      );
    }
  }

  /**
   * BUCKET_NAME plus object writes and deletes under `prefixes` alone, and listing only with an
   * `s3:prefix` inside them (the export lists a day's folder to remove stale files; it never
   * reads an object back). The bucket uses S3-managed keys, so no KMS grant.
   */
  bindExportBucket(bucket: Bucket, prefixes: readonly string[]): void {
    if (prefixes.length === 0 || prefixes.some((prefix) => !/^[a-z0-9_-]+\/$/.test(prefix))) {
      throw new Error(`bindExportBucket: prefixes must be folder names ending in "/", got ${JSON.stringify(prefixes)}`);
    }
    this.fn.addEnvironment("BUCKET_NAME", bucket.bucketName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        // DeleteObjects (the batch call) is authorised key by key through DeleteObject.
        actions: ["s3:DeleteObject", "s3:PutObject"],
        resources: prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["s3:ListBucket"],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { "s3:prefix": prefixes.map((prefix) => `${prefix}*`) } },
      }),
    );
    const bucketLogicalId = Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnElement);
    for (const prefix of prefixes) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${prefix}*]`,
        reason:
          `The export writes one object per day and part under ${prefix}dt=YYYY-MM-DD/ and replaces a day's files when ` +
          "it re-exports it; the object names are not known at deploy time, so the grant is the prefix, nothing wider.",
      });
    }
  }

  /** QUEUE_URL plus sqs:SendMessage (the queue uses SQS-managed keys, so no KMS grant). */
  bindQueueSender(queue: IQueue): void {
    this.fn.addEnvironment("QUEUE_URL", queue.queueUrl);
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ["sqs:SendMessage"], resources: [queue.queueArn] }));
  }

  /**
   * RAW_BUCKET plus, for ingest (`claims`), writing claim-checked bodies only
   * (`raw/dt=<day>/body-<id>.gz`); for the normaliser (`archive`), reading those bodies and
   * writing the archived batches (`raw/dt=<day>/batch-<id>-<n>.jsonl.gz`). Nothing else: no
   * listing, no deletes (the lifecycle rule expires them).
   */
  bindRawArchive(bucket: Bucket, access: "claims" | "archive"): void {
    this.fn.addEnvironment("RAW_BUCKET", bucket.bucketName);
    const bodies = bucket.arnForObjects(`${RAW_PREFIX}dt=*/body-*`);
    const batches = bucket.arnForObjects(`${RAW_PREFIX}dt=*/batch-*`);
    if (access === "claims") {
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ["s3:PutObject"], resources: [bodies] }));
    } else {
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ["s3:GetObject"], resources: [bodies] }));
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ["s3:PutObject"], resources: [batches] }));
    }
    const bucketLogicalId = Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnElement);
    for (const kind of access === "claims" ? ["body"] : ["body", "batch"]) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${RAW_PREFIX}dt=*/${kind}-*]`,
        reason: `Raw archive objects are named by received day and delivery id, unknown at deploy time; the grant is that one key pattern (${kind}-*), nothing wider.`,
      });
    }
  }

  /** DLQ_URL plus sqs:SendMessage: a record that can never succeed goes there at once, with its reason. */
  bindDeadLetterSender(queue: IQueue): void {
    this.fn.addEnvironment("DLQ_URL", queue.queueUrl);
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ["sqs:SendMessage"], resources: [queue.queueArn] }));
  }

  /** SECRET_ID_<secretName> plus GetSecretValue on that secret alone (no DescribeSecret). */
  bindSecret(secretName: string, secret: ISecret): void {
    this.fn.addEnvironment(`SECRET_ID_${secretName}`, secret.secretArn);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["secretsmanager:GetSecretValue"], resources: [secret.secretArn] }),
    );
  }

  /** The SQS event source; the mapping's own receive/delete grants come with it. */
  consumeQueue(queue: IQueue, options: { batchSize: number; batchingWindow: Duration; maxConcurrency: number }): void {
    this.fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: options.batchSize,
        maxBatchingWindow: options.batchingWindow,
        maxConcurrency: options.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }

  /**
   * SES_CONFIGURATION_SET plus sending as `identity`. The set is also the identity's default,
   * so mail sent without naming it is still tracked.
   */
  /**
   * May send mail from `from` only: SendEmail on any identity, under the condition that the
   * sender is `from`. In the SES sandbox (every new account) SES also authorises the call on
   * each recipient's verified identity, so a grant on the sender's identity alone is refused.
   */
  bindMailSender(from: string, configurationSet: IConfigurationSet): void {
    this.fn.addEnvironment("SES_CONFIGURATION_SET", configurationSet.configurationSetName);
    const stack = Stack.of(this);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["ses:SendEmail", "ses:SendRawEmail"],
        resources: [stack.formatArn({ service: "ses", resource: "identity", resourceName: "*" })],
        conditions: { StringEquals: { "ses:FromAddress": from } },
      }),
    );
    // SES v2 authorises SendEmail on the configuration set as well as on the identity.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["ses:SendEmail"],
        resources: [
          stack.formatArn({
            service: "ses",
            resource: "configuration-set",
            resourceName: configurationSet.configurationSetName,
          }),
        ],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]`,
      reason: `SendEmail only with ses:FromAddress ${from}; the SES sandbox also checks each recipient's identity, which a grant on the sender's identity alone does not cover.`,
    });
  }

}
