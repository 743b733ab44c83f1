import { Duration, Validations } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { Role } from "aws-cdk-lib/aws-iam";
import { Schedule, ScheduleExpression, ScheduleTargetInput } from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { schedulerRoleFor } from "./scheduler-role.ts";
import type { Config, StackOverflowSourceConfig } from "../../../shared/model/config.ts";
import { POWERTOOLS_METRICS_NAMESPACE, SignalsFunction } from "./signals-function.ts";

export interface StackOverflowPollerProps {
  config: Config;
  stackoverflow: StackOverflowSourceConfig;
  projectRoot: string;
  table: ITable;
  queue: IQueue;
}

/** EventBridge Scheduler's finest rate is one minute. */
export function stackOverflowPollRateMinutes(so: StackOverflowSourceConfig): number {
  return Math.max(1, Math.ceil(so.pollIntervalSeconds / 60));
}

/**
 * Stack Exchange has no push API: a scheduled function reads the watched tags since their
 * cursors and queues what it read. One run at a time through a lease in the table (not
 * reserved concurrency, which fails to deploy on accounts whose concurrency quota is 10, issue
 * #17): a run that finds the lease taken ends at once. The app key is optional: its secret
 * starts as a placeholder, and the poller uses the anonymous quota until a key is put there.
 */
export class StackOverflowPoller extends Construct {
  readonly fn: SignalsFunction;
  readonly key: Secret;
  readonly schedule: Schedule;
  readonly role: Role;
  /** Runs that stopped because the quota reserve was reached or Stack Exchange throttled. */
  readonly quotaStops: Metric;

  constructor(scope: Construct, id: string, props: StackOverflowPollerProps) {
    super(scope, id);
    const { stackoverflow } = props;
    this.key = new Secret(this, "Key", {
      description:
        `community-signals: optional Stack Apps key (${stackoverflow.keySecretName}) for 10,000 requests a day; ` +
        "while it holds this placeholder the poller uses the anonymous quota (300 a day)",
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ note: "replace this whole value with the Stack Apps key, or leave it for the anonymous quota" }),
        generateStringKey: "placeholder",
        excludePunctuation: true,
      },
    });
    Validations.of(this.key).acknowledge({
      id: "AwsSolutions-SMG4",
      reason: "A Stack Apps key is issued by Stack Exchange when the app is registered; it is replaced there and pasted here, which no rotation Lambda can do.",
    });

    this.fn = new SignalsFunction(this, "Function", {
      name: "poll-stackoverflow",
      projectRoot: props.projectRoot,
      config: props.config,
      description: "community-signals: read watched Stack Overflow tags and queue new and changed questions",
      // A backoff may ask for a wait; a run that cannot finish leaves its cursors for the next one.
      timeout: Duration.minutes(5),
    });
    this.fn.bindTable(props.table, "stackoverflow-poller");
    this.fn.bindQueueSender(props.queue);
    this.fn.bindSecret(stackoverflow.keySecretName, this.key);

    this.role = schedulerRoleFor(this, "SchedulerRole", this.fn.fn, "Stack Overflow poller");
    const minutes = stackOverflowPollRateMinutes(stackoverflow);
    this.schedule = new Schedule(this, "Schedule", {
      description: `community-signals: poll Stack Overflow every ${minutes} minute(s)`,
      schedule: ScheduleExpression.rate(Duration.minutes(minutes)),
      // No retries: the next run starts from the same cursors and reads what this one missed.
      target: new LambdaInvoke(this.fn.fn, { input: ScheduleTargetInput.fromObject({}), retryAttempts: 0, role: this.role }),
    });

    this.quotaStops = new Metric({
      namespace: POWERTOOLS_METRICS_NAMESPACE,
      metricName: "StackOverflowQuotaStops",
      dimensionsMap: { service: "community-signals-poll-stackoverflow" },
      statistic: "Sum",
      period: Duration.hours(1),
    });
  }

  /** Alarms on failed runs (a refused key, a persistent API error) and on runs stopped by the quota. */
  alarms(scope: Construct): Alarm[] {
    const errors = new Alarm(scope, "StackOverflowPollErrors", {
      alarmDescription: "The Stack Overflow poller failed (a refused key or site, or API errors it gave up on); see its log.",
      metric: this.fn.fn.metricErrors({ period: Duration.minutes(15) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const quota = new Alarm(scope, "StackOverflowQuotaStops", {
      alarmDescription:
        "The Stack Overflow poller stopped for the daily quota (reserve reached or throttle_violation): register a key or poll less often (docs/stackoverflow.md).",
      metric: this.quotaStops,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return [errors, quota];
  }
}
