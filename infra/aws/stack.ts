import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CfnOutput, Duration, Stack, type StackProps, Tags, Validations } from "aws-cdk-lib";
import type { RetentionDays } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import {
  CloudWatchDimensionSource,
  ConfigurationSet,
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  SuppressionReasons,
} from "aws-cdk-lib/aws-ses";
import type { Construct } from "constructs";
import { type Config, ConfigError, parseConfig, parseConfigText } from "../../shared/model/config.ts";
import { Analytics, EXPORT_PREFIXES } from "./constructs/analytics.ts";
import { RawArchiveBucket } from "./constructs/raw-archive.ts";
import { DigestSchedules, digestSlots } from "./constructs/digest-schedules.ts";
import { DiscordPoller } from "./constructs/discord-poller.ts";
import { StackOverflowPoller } from "./constructs/stackoverflow-poller.ts";
import { BackfillOperatorPolicy } from "./constructs/backfill-operator.ts";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { POLLED_SOURCES } from "../../shared/sources/index.ts";
import { IngestQueue } from "./constructs/ingest-queue.ts";
import { Monitoring } from "./constructs/monitoring.ts";
import { SignalsFunction } from "./constructs/signals-function.ts";
import { SignalsTable } from "./constructs/signals-table.ts";
import { WebhookApi } from "./constructs/webhook-api.ts";

/** The repository root: functions/ and package-lock.json live here. */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export const DEFAULT_CONFIG_PATH = "community-signals.config.json";

/** The normaliser's timeout; the queue's visibility timeout must be at least six times it. */
export const NORMALIZER_TIMEOUT_SECONDS = 30;

export interface LoadedConfig {
  config: Config;
  /** False when the default file was absent and schema defaults were used. */
  fromFile: boolean;
}

/**
 * Read and validate the config file. An explicitly named file must exist; a missing default
 * file falls back to the schema defaults so `cdk synth` works in a fresh checkout.
 */
export function loadStackConfig(configPath: string | undefined, cwd = process.cwd()): LoadedConfig {
  const where = configPath ?? DEFAULT_CONFIG_PATH;
  const absolute = path.resolve(cwd, where);
  if (!existsSync(absolute)) {
    if (configPath !== undefined) {
      throw new ConfigError(where, [`file not found (${absolute}); pass -c config=<path to the config file>`]);
    }
    return { config: parseConfig({}, "default config"), fromFile: false };
  }
  return { config: parseConfigText(readFileSync(absolute, "utf8"), where), fromFile: true };
}

/** Source name and its secret's name, for every enabled webhook source (one secret per name). */
export function enabledSourceSecrets(config: Config): { source: string; secretName: string }[] {
  const seen = new Set<string>();
  const result: { source: string; secretName: string }[] = [];
  for (const [source, settings] of Object.entries(config.sources)) {
    // Polled sources (Discord) have their own function and secret: ingest never sees them.
    if ((POLLED_SOURCES as readonly string[]).includes(source)) continue;
    // A polled source names its credential otherwise (Stack Overflow's `keySecretName`).
    if (!settings?.enabled || !("secretName" in settings) || seen.has(settings.secretName)) continue;
    seen.add(settings.secretName);
    result.push({ source, secretName: settings.secretName });
  }
  return result;
}

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

export interface CommunitySignalsStackProps extends StackProps {
  config: Config;
  /** Folder holding functions/<name>/handler.ts and package-lock.json. */
  projectRoot?: string;
}

export class CommunitySignalsStack extends Stack {
  readonly table: SignalsTable;
  readonly ingestQueue: IngestQueue;
  readonly ingest: SignalsFunction;
  readonly normalize: SignalsFunction;
  readonly digest: SignalsFunction;
  readonly api: WebhookApi;
  readonly schedules: DigestSchedules;
  readonly monitoring: Monitoring;
  readonly export: SignalsFunction;
  readonly analytics: Analytics;
  readonly rawArchive: RawArchiveBucket;
  readonly slackBotToken: Secret | null = null;
  /** One secret per Slack incoming webhook a digest recipient posts to (the URL is the credential), by name. */
  readonly slackWebhookSecrets: { name: string; secret: Secret }[] = [];
  readonly discordPoller: DiscordPoller | null;
  readonly stackOverflowPoller: StackOverflowPoller | null;
  readonly actions: SignalsFunction | null;
  readonly actionsSecret: Secret | null;
  readonly mailConfigurationSet: ConfigurationSet;
  /** Null with `aws.sesIdentity: "existing"`: the identity is not this stack's. */
  readonly senderIdentity: EmailIdentity | null;

  constructor(scope: Construct, id: string, props: CommunitySignalsStackProps) {
    super(scope, id, {
      description:
        "community-signals: webhooks -> queue -> DynamoDB -> daily digest of unanswered questions; daily Parquet export for Athena",
      ...props,
    });
    const { config } = props;
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;

    const minimumVisibility = 6 * NORMALIZER_TIMEOUT_SECONDS;
    if (config.queue.visibilityTimeoutSeconds < minimumVisibility) {
      throw new ConfigError("config", [
        `queue.visibilityTimeoutSeconds: must be at least ${minimumVisibility} in AWS (6 × the normaliser's ` +
          `${NORMALIZER_TIMEOUT_SECONDS} s timeout), or a slow batch is delivered twice; got ${config.queue.visibilityTimeoutSeconds}`,
      ]);
    }

    // Not on the dashboard: CloudFormation's AWS::CloudWatch::Dashboard takes no Tags in several
    // regions (cfn-lint E3002), and a property it does not know fails the deployment.
    Tags.of(this).add("app", "community-signals", { excludeResourceTypes: ["AWS::CloudWatch::Dashboard"] });
    const logRetention = config.aws.logRetentionDays as RetentionDays;

    this.table = new SignalsTable(this, "Store");
    this.ingestQueue = new IngestQueue(this, "Ingest", {
      visibilityTimeout: Duration.seconds(config.queue.visibilityTimeoutSeconds),
      maxReceiveCount: config.queue.maxReceiveCount,
      maxMessageBytes: config.queue.maxMessageBytes,
    });

    // ingest: verify, wrap, SendMessage; answers the platform within its own timeout.
    this.ingest = new SignalsFunction(this, "IngestFunction", {
      name: "ingest",
      projectRoot,
      config,
      description: "community-signals: verify webhooks and queue them",
      timeout: Duration.seconds(8),
      reservedConcurrency: config.aws.ingest.reservedConcurrency,
      quietPlatformLogs: true,
    });
    this.ingest.bindQueueSender(this.ingestQueue.queue);
    const webhookSecrets = enabledSourceSecrets(config).map(({ source, secretName }) => {
      const secret = new Secret(this, `WebhookSecret${secretName}`, {
        description: `community-signals: ${source} webhook secret (${secretName}); paste the same value into the platform`,
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
      Validations.of(secret).acknowledge({
        id: "AwsSolutions-SMG4",
        reason:
          "A webhook secret is shared with the platform and must change on both sides at once; it is rotated by hand " +
          "(deploy guide), which a rotation Lambda cannot do.",
      });
      this.ingest.bindSecret(secretName, secret);
      return { source, secretName, secret };
    });

    this.normalize = new SignalsFunction(this, "NormalizeFunction", {
      name: "normalize",
      projectRoot,
      config,
      description: "community-signals: normalise queued webhooks into activities and threads",
      timeout: Duration.seconds(NORMALIZER_TIMEOUT_SECONDS),
    });
    this.normalize.bindTable(this.table.table, "write");
    this.normalize.bindDeadLetterSender(this.ingestQueue.deadLetterQueue);
    this.normalize.consumeQueue(this.ingestQueue.queue, {
      batchSize: config.aws.normalizer.batchSize,
      batchingWindow: Duration.seconds(config.aws.normalizer.batchingWindowSeconds),
      maxConcurrency: config.aws.normalizer.maxConcurrency,
    });

    this.mailConfigurationSet = new ConfigurationSet(this, "MailConfigurationSet", {
      ...(config.aws.sesConfigurationSetName ? { configurationSetName: config.aws.sesConfigurationSetName } : {}),
      sendingEnabled: true,
      reputationMetrics: true,
      // Stop mailing addresses that bounced or complained: protects the account's sending reputation.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    const configurationSet = this.mailConfigurationSet;
    configurationSet.addEventDestination("CloudWatch", {
      destination: EventDestination.cloudWatchDimensions([
        {
          name: "ses:configuration-set",
          source: CloudWatchDimensionSource.MESSAGE_TAG,
          defaultValue: configurationSet.configurationSetName,
        },
      ]),
      events: [
        EmailSendingEvent.SEND,
        EmailSendingEvent.DELIVERY,
        EmailSendingEvent.BOUNCE,
        EmailSendingEvent.COMPLAINT,
        EmailSendingEvent.REJECT,
      ],
    });
    // The sender: an address identity, a domain identity with Easy DKIM, or one that already
    // exists in the region (creating it again fails with AlreadyExists).
    const fromDomain = config.digest.from.slice(config.digest.from.lastIndexOf("@") + 1);
    this.senderIdentity =
      config.aws.sesIdentity === "existing"
        ? null
        : new EmailIdentity(this, "DigestSender", {
            identity: config.aws.sesIdentity === "domain" ? Identity.domain(fromDomain) : Identity.email(config.digest.from),
            configurationSet,
          });
    if (this.senderIdentity && config.aws.sesIdentity === "domain") {
      this.senderIdentity.dkimRecords.forEach((record, i) => {
        new CfnOutput(this, `SenderDkimRecord${i + 1}`, { value: `${record.name} CNAME ${record.value}`, description: `DKIM record ${i + 1} of 3 to publish in ${fromDomain}'s DNS` });
      });
    }

    this.digest = new SignalsFunction(this, "DigestFunction", {
      name: "digest",
      projectRoot,
      config,
      description: "community-signals: send each recipient the unanswered questions by email and/or Slack",
      timeout: Duration.minutes(5),
    });
    this.digest.bindTable(this.table.table, "digest-sends");
    // Slack names in the digest: an optional bot token (a placeholder until one is stored) and the name cache.
    const slack = config.sources.slack;
    if (slack?.enabled) {
      const posts = config.digest.recipients.some((r) => r.slack !== undefined && "channel" in r.slack);
      this.slackBotToken = new Secret(this, "SlackBotToken", {
        description: posts
          ? `community-signals: Slack bot token (${slack.botTokenSecretName}; scopes chat:write to post digests, users:read, channels:read, team:read for names)`
          : `community-signals: optional Slack bot token (${slack.botTokenSecretName}; scopes users:read, channels:read, team:read) for names in the digest`,
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
      });
      Validations.of(this.slackBotToken).acknowledge({
        id: "AwsSolutions-SMG4",
        reason: "A Slack bot token is issued by Slack when the app is installed; it is replaced by hand, which a rotation Lambda cannot do.",
      });
      this.digest.bindSecret(slack.botTokenSecretName, this.slackBotToken);
      this.digest.bindTable(this.table.table, "names");
      new CfnOutput(this, "SlackBotTokenSecretArn", { value: this.slackBotToken.secretArn });
    }
    // Slack recipients' incoming webhooks: each URL in a secret of its own, read by the digest alone.
    const webhookNames = [...new Set(config.digest.recipients.flatMap((r) => (r.slack !== undefined && "webhookSecretName" in r.slack ? [r.slack.webhookSecretName] : [])))];
    for (const name of webhookNames) {
      const secret = new Secret(this, `SlackWebhook${name}`, {
        description: `community-signals: a digest recipient's Slack incoming webhook URL (${name}); store the https://hooks.slack.com/services/… URL Slack shows`,
        // A placeholder until the URL is stored: the digest reports it as not an http(s) URL, naming the secret.
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
      });
      Validations.of(secret).acknowledge({
        id: "AwsSolutions-SMG4",
        reason: "An incoming webhook URL is issued by Slack; it is replaced by hand (a new webhook), which a rotation Lambda cannot do.",
      });
      this.digest.bindSecret(name, secret);
      new CfnOutput(this, `SlackWebhookSecretArn${name}`, { value: secret.secretArn, description: `Store the Slack incoming webhook URL for ${name} here` });
      this.slackWebhookSecrets.push({ name, secret });
    }
    this.digest.bindMailSender(config.digest.from, configurationSet);
    // Safe to retry: the send record is a conditional put, at most one digest per recipient per day.
    this.digest.fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(2) });

    this.schedules = new DigestSchedules(this, "DigestSchedules", { digest: this.digest.fn, slots: digestSlots(config) });

    // The digest's signed action links: their own key, read by the digest (to sign) and the actions function (to check).
    if (config.actions.enabled) {
      this.actionsSecret = new Secret(this, "ActionsSigningSecret", {
        description: `community-signals: HMAC key of the digest's action links (${config.actions.secretName})`,
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
      Validations.of(this.actionsSecret).acknowledge({
        id: "AwsSolutions-SMG4",
        reason:
          "Rotating the link key only invalidates links already mailed (they expire within actions.linkTtlHours anyway); " +
          "it is rotated by hand with put-secret-value, no rotation Lambda needed.",
      });
      this.actions = new SignalsFunction(this, "ActionsFunction", {
        name: "actions",
        projectRoot,
        config,
        description: "community-signals: apply a signed action link from the digest (snooze, take, resolved, not a question); serve the signed queue page",
        timeout: Duration.seconds(10),
      });
      this.actions.bindTable(this.table.table, "thread-actions");
      // The queue page: the open questions, and Slack names from the digest's cache.
      this.actions.bindTable(this.table.table, "queue-page");
      if (slack?.enabled) this.actions.bindTable(this.table.table, "names-read");
      this.actions.bindSecret(config.actions.secretName, this.actionsSecret);
      this.digest.bindSecret(config.actions.secretName, this.actionsSecret);
    } else {
      this.actions = null;
      this.actionsSecret = null;
    }

    this.api = new WebhookApi(this, "Webhooks", {
      ingest: this.ingest.fn,
      ...(this.actions ? { actions: this.actions.fn } : {}),
      rateLimit: config.aws.ingest.rateLimit,
      burstLimit: config.aws.ingest.burstLimit,
      logRetention,
    });

    // Links in the email point at this API (unless config.actions.baseUrl names a custom domain).
    if (this.actions) this.digest.fn.addEnvironment("ACTIONS_BASE_URL", this.api.api.apiEndpoint);

    this.monitoring = new Monitoring(this, "Monitoring", {
      api: this.api.api,
      ingest: this.ingest.fn,
      normalize: this.normalize.fn,
      digest: this.digest.fn,
      actions: this.actions?.fn,
      queue: this.ingestQueue.queue,
      ingestDeadLetterQueue: this.ingestQueue.deadLetterQueue,
      scheduleDeadLetterQueue: this.schedules.deadLetterQueue,
      sesConfigurationSetName: configurationSet.configurationSetName,
      alarmEmail: config.aws.alarmEmail,
      alarmTopicArn: config.aws.alarmTopicArn,
    });

    // The export reads days through the by-day index and rewrites whole days, so a run is idempotent.
    this.export = new SignalsFunction(this, "ExportFunction", {
      name: "export",
      projectRoot,
      config,
      description: "community-signals: export each day's activities and thread states to S3 as Parquet",
      timeout: Duration.minutes(15),
      memorySize: 1024,
    });
    this.export.bindTable(this.table.table, "export");
    this.export.fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(2) });
    this.analytics = new Analytics(this, "Analytics", {
      analytics: config.analytics,
      exportFunction: this.export.fn,
      alarmTopic: this.monitoring.topic,
      accessLogRetentionDays: config.aws.logRetentionDays,
    });
    this.export.bindExportBucket(this.analytics.bucket, EXPORT_PREFIXES);

    this.rawArchive = new RawArchiveBucket(this, "RawArchive", {
      retentionDays: config.archive.retentionDays,
      accessLogsBucket: this.analytics.accessLogsBucket,
    });
    this.ingest.bindRawArchive(this.rawArchive.bucket, "claims");
    this.normalize.bindRawArchive(this.rawArchive.bucket, "archive");

    const discord = config.sources.discord;
    this.discordPoller = discord?.enabled
      ? new DiscordPoller(this, "DiscordPoller", { config, discord, projectRoot, table: this.table.table, queue: this.ingestQueue.queue })
      : null;
    if (this.discordPoller) {
      const pollErrors = new Alarm(this, "DiscordPollErrors", {
        alarmDescription: "The Discord poller failed (bad token, missing intent, or rate limits it gave up on); see its log.",
        metric: this.discordPoller.fn.fn.metricErrors({ period: Duration.minutes(15) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      pollErrors.addAlarmAction(new SnsAction(this.monitoring.topic));
      new CfnOutput(this, "DiscordTokenSecretArn", { value: this.discordPoller.token.secretArn });
    }

    const stackoverflow = config.sources.stackoverflow;
    this.stackOverflowPoller = stackoverflow?.enabled
      ? new StackOverflowPoller(this, "StackOverflowPoller", { config, stackoverflow, projectRoot, table: this.table.table, queue: this.ingestQueue.queue })
      : null;
    if (this.stackOverflowPoller) {
      for (const alarm of this.stackOverflowPoller.alarms(this)) alarm.addAlarmAction(new SnsAction(this.monitoring.topic));
      new CfnOutput(this, "StackOverflowKeySecretArn", { value: this.stackOverflowPoller.key.secretArn });
    }

    new CfnOutput(this, "HealthUrl", { value: `${this.api.url}health` });
    for (const { source, secretName, secret } of webhookSecrets) {
      new CfnOutput(this, `WebhookUrl${capitalize(source)}`, { value: `${this.api.url}webhooks/${source}` });
      new CfnOutput(this, `WebhookSecretArn${secretName}`, { value: secret.secretArn });
    }
    new CfnOutput(this, "TableName", { value: this.table.table.tableName });
    new CfnOutput(this, "QueueUrl", { value: this.ingestQueue.queue.queueUrl });
    new CfnOutput(this, "DeadLetterQueueUrl", { value: this.ingestQueue.deadLetterQueue.queueUrl });
    new CfnOutput(this, "ScheduleDeadLetterQueueUrl", { value: this.schedules.deadLetterQueue.queueUrl });
    new CfnOutput(this, "AlarmTopicArn", { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, "SenderIdentity", { value: this.senderIdentity?.emailIdentityName ?? config.digest.from });
    new CfnOutput(this, "ExportBucketName", { value: this.analytics.bucket.bucketName });
    new CfnOutput(this, "RawArchiveBucketName", { value: this.rawArchive.bucket.bucketName });
    new CfnOutput(this, "ExportFunctionName", { value: this.export.fn.functionName });
    new CfnOutput(this, "ExportScheduleDeadLetterQueueUrl", { value: this.analytics.deadLetterQueue.queueUrl });
    new CfnOutput(this, "GlueDatabaseName", { value: this.analytics.database.ref });
    new CfnOutput(this, "AthenaWorkGroupName", { value: this.analytics.workGroup.ref });
    new CfnOutput(this, "AthenaResultsBucketName", { value: this.analytics.resultsBucket.bucketName });
    new BackfillOperatorPolicy(this, "BackfillOperator", {
      queue: this.ingestQueue.queue,
      table: this.table.table,
      rawArchive: this.rawArchive.bucket,
      tokens: [this.slackBotToken, this.discordPoller?.token].filter((t): t is Secret => t !== undefined && t !== null),
    });
  }
}
