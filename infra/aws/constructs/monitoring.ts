import { Duration, Validations } from "aws-cdk-lib";
import type { IHttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { type ITopic, Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface MonitoringProps {
  api: IHttpApi;
  ingest: IFunction;
  normalize: IFunction;
  digest: IFunction;
  /** The digest's action links and queue page, when actions are enabled. */
  actions?: IFunction | undefined;
  queue: IQueue;
  ingestDeadLetterQueue: IQueue;
  scheduleDeadLetterQueue: IQueue;
  sesConfigurationSetName: string;
  alarmEmail?: string | undefined;
  alarmTopicArn?: string | undefined;
}

const FIVE_MINUTES = Duration.minutes(5);

/** Alarms that need a person (to SNS) and one dashboard with the pipeline end to end. */
export class Monitoring extends Construct {
  readonly topic: ITopic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    if (props.alarmTopicArn) {
      this.topic = Topic.fromTopicArn(this, "AlarmTopic", props.alarmTopicArn);
    } else {
      const topic = new Topic(this, "AlarmTopic", { displayName: "community-signals alarms", enforceSSL: true });
      Validations.of(topic).acknowledge({
        id: "AwsSolutions-SNS2",
        reason:
          "Alarm notifications carry only alarm names and metric values. CloudWatch cannot publish to a topic " +
          "encrypted with the AWS managed SNS key, and a customer managed key would cost more than the alarms.",
      });
      this.topic = topic;
    }
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const notify = new SnsAction(this.topic);

    const alarm = (id: string, description: string, metric: IMetric, threshold: number): Alarm => {
      const created = new Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No datapoints means no traffic, not a failure.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
      return created;
    };

    const dlqDepth = (queue: IQueue) =>
      queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: Stats.MAXIMUM });
    alarm(
      "IngestDeadLettersAlarm",
      "Webhooks the normaliser gave up on are waiting in the DLQ: read the reason, fix, then `community-signals redrive`.",
      dlqDepth(props.ingestDeadLetterQueue),
      1,
    );
    alarm(
      "ScheduleDeadLettersAlarm",
      "EventBridge Scheduler could not start the digest function; that digest was not sent.",
      dlqDepth(props.scheduleDeadLetterQueue),
      1,
    );
    alarm(
      "NormalizerErrorsAlarm",
      "The normaliser failed whole invocations (records are retried, then dead-lettered).",
      props.normalize.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      1,
    );
    alarm(
      "DigestErrorsAlarm",
      "The digest function failed; some recipients may not have had today's digest.",
      props.digest.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      1,
    );
    if (props.actions) {
      alarm(
        "ActionsErrorsAlarm",
        "The action links' function failed: advocates clicking snooze, take, resolved or the queue page got an error.",
        props.actions.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM }),
        1,
      );
    }
    alarm(
      "Ingest5xxAlarm",
      "The webhook endpoint answered 5xx: platforms will retry for a while, then drop the delivery.",
      props.api.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      1,
    );
    alarm(
      "QueueBacklogAlarm",
      "The oldest queued webhook is over 15 minutes old: the normaliser is stuck or throttled.",
      props.queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: Stats.MAXIMUM }),
      15 * 60,
    );

    const lambdaWidget = (title: string, fn: IFunction) =>
      new GraphWidget({
        title,
        width: 8,
        left: [fn.metricInvocations({ statistic: Stats.SUM }), fn.metricErrors({ statistic: Stats.SUM }), fn.metricThrottles({ statistic: Stats.SUM })],
        right: [fn.metricDuration({ statistic: Stats.percentile(99) })],
      });
    const ses = (metricName: string) =>
      new Metric({
        namespace: "AWS/SES",
        metricName,
        dimensionsMap: { "ses:configuration-set": props.sesConfigurationSetName },
        statistic: Stats.SUM,
      });

    this.dashboard = new Dashboard(this, "Dashboard", {
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new TextWidget({
            width: 24,
            height: 2,
            markdown:
              "# community-signals\nwebhook → ingest → SQS → normalise → DynamoDB; daily digest → SES. " +
              "A message in a dead-letter queue means something was not processed: read it, fix, redrive.",
          }),
        ],
        [new AlarmStatusWidget({ title: "Alarms", width: 24, height: 3, alarms: this.alarms })],
        [
          new GraphWidget({
            title: "Webhook requests",
            width: 12,
            left: [
              props.api.metricCount({ statistic: Stats.SUM }),
              props.api.metricClientError({ statistic: Stats.SUM }),
              props.api.metricServerError({ statistic: Stats.SUM }),
            ],
          }),
          new GraphWidget({
            title: "Webhook latency",
            width: 12,
            left: [props.api.metricLatency({ statistic: Stats.percentile(50) }), props.api.metricLatency({ statistic: Stats.percentile(99) })],
          }),
        ],
        [
          new GraphWidget({
            title: "Ingest queue",
            width: 12,
            left: [
              props.queue.metricApproximateNumberOfMessagesVisible({ statistic: Stats.MAXIMUM }),
              props.queue.metricNumberOfMessagesSent({ statistic: Stats.SUM }),
            ],
            right: [props.queue.metricApproximateAgeOfOldestMessage({ statistic: Stats.MAXIMUM })],
          }),
          new GraphWidget({
            title: "Dead-letter queues",
            width: 12,
            left: [dlqDepth(props.ingestDeadLetterQueue), dlqDepth(props.scheduleDeadLetterQueue)],
          }),
        ],
        [
          lambdaWidget("Ingest function", props.ingest),
          lambdaWidget("Normaliser function", props.normalize),
          lambdaWidget("Digest function", props.digest),
        ],
        [
          new GraphWidget({
            title: "Digest mail (SES)",
            width: 24,
            left: [ses("Send"), ses("Delivery"), ses("Bounce"), ses("Complaint"), ses("Reject")],
          }),
        ],
      ],
    });
  }
}
