import { Duration, Validations } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { Role } from "aws-cdk-lib/aws-iam";
import { Schedule, ScheduleExpression, ScheduleTargetInput } from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { schedulerRoleFor } from "./scheduler-role.ts";
import type { Config, DiscordSourceConfig } from "../../../shared/model/config.ts";
import { SignalsFunction } from "./signals-function.ts";

export interface DiscordPollerProps {
  config: Config;
  discord: DiscordSourceConfig;
  projectRoot: string;
  table: ITable;
  queue: IQueue;
}

/** EventBridge Scheduler's finest rate is one minute. */
export function discordPollRateMinutes(discord: DiscordSourceConfig): number {
  return Math.max(1, Math.ceil(discord.pollIntervalSeconds / 60));
}

/**
 * Discord pushes no server messages over HTTP: a scheduled function reads each watched
 * channel since its cursor and queues what it read, like a webhook. One run at a time (a
 * lease in the table), so two runs never read the same pages.
 */
export class DiscordPoller extends Construct {
  readonly fn: SignalsFunction;
  readonly token: Secret;
  readonly schedule: Schedule;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: DiscordPollerProps) {
    super(scope, id);
    const { discord } = props;
    // A JSON placeholder (no Discord token is JSON) until the real token is put here: the poller
    // then logs that it is not set up yet and does nothing, rather than failing every run.
    this.token = new Secret(this, "BotToken", {
      description: `community-signals: the Discord bot token (${discord.secretName}); put the real token here after deploying`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ note: "replace this whole value with the Discord bot token" }),
        generateStringKey: "placeholder",
        excludePunctuation: true,
      },
    });
    Validations.of(this.token).acknowledge({
      id: "AwsSolutions-SMG4",
      reason: "A Discord bot token is issued by Discord's developer portal; it is reset there and pasted here, which no rotation Lambda can do.",
    });

    this.fn = new SignalsFunction(this, "Function", {
      name: "poll-discord",
      projectRoot: props.projectRoot,
      config: props.config,
      description: "community-signals: read watched Discord channels and queue new messages",
      // A 429 may ask for a long wait; a run that cannot finish leaves its cursors for the next one.
      timeout: Duration.minutes(5),
    });
    // Runs are kept apart by a lease in the table, not reserved concurrency, which fails to
    // deploy on accounts whose concurrency quota is 10 (most new ones).
    this.fn.bindTable(props.table, "discord-poller");
    this.fn.bindQueueSender(props.queue);
    this.fn.bindSecret(discord.secretName, this.token);

    this.role = schedulerRoleFor(this, "SchedulerRole", this.fn.fn, "Discord poller");
    const minutes = discordPollRateMinutes(discord);
    // The schedule invokes asynchronously: a run that failed is not retried (the next one reads
    // from the same cursors), and one not started within an interval is dropped, not piled up.
    this.fn.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(Math.max(1, minutes)) });
    this.schedule = new Schedule(this, "Schedule", {
      description: `community-signals: poll Discord every ${minutes} minute(s)`,
      schedule: ScheduleExpression.rate(Duration.minutes(minutes)),
      // No retries: the next run starts from the same cursors and reads what this one missed.
      target: new LambdaInvoke(this.fn.fn, { input: ScheduleTargetInput.fromObject({}), retryAttempts: 0, role: this.role }),
    });
  }
}
