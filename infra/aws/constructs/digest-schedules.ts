import { Duration, TimeZone } from "aws-cdk-lib";
import type { Role } from "aws-cdk-lib/aws-iam";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { Schedule, ScheduleExpression, ScheduleTargetInput } from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { scheduleDeadLetterQueue, schedulerRoleFor } from "./scheduler-role.ts";
import { digestSchedules } from "../../../functions/digest/app.ts";
import type { Config } from "../../../shared/model/config.ts";

/** The digest function's input: which local time it was started for. */
export interface DigestSlot {
  time: string;
  timeZone: string;
}

/**
 * One slot per distinct (time, time zone) among the digest's own and every recipient's: the
 * same list the digest function and the local timer use, so a recipient's send time is honoured.
 */
export function digestSlots(config: Config): DigestSlot[] {
  return digestSchedules(config);
}

export interface DigestSchedulesProps {
  digest: LambdaFunction;
  slots: DigestSlot[];
}

/** EventBridge Scheduler cron schedules (local time, so daylight saving is handled by AWS). */
export class DigestSchedules extends Construct {
  readonly schedules: Schedule[];
  readonly deadLetterQueue: Queue;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: DigestSchedulesProps) {
    super(scope, id);
    this.deadLetterQueue = scheduleDeadLetterQueue(this, "DeadLetterQueue", "digest schedules");

    this.role = schedulerRoleFor(this, "SchedulerRole", props.digest, "digest");

    this.schedules = props.slots.map((slot) => {
      const [hour, minute] = slot.time.split(":");
      const target = new LambdaInvoke(props.digest, {
        input: ScheduleTargetInput.fromObject({ time: slot.time, timeZone: slot.timeZone }),
        // Retries cover failures to start the function; its own errors are Lambda async retries.
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: this.deadLetterQueue,
        role: this.role,
      });
      // Construct ids may not contain "/"; "+" and "-" stay, so Etc/GMT+1 and Etc/GMT-1 differ.
      return new Schedule(this, `At ${slot.time} ${slot.timeZone.replaceAll("/", "_")}`, {
        description: `community-signals digest at ${slot.time} ${slot.timeZone}`,
        schedule: ScheduleExpression.cron({
          minute: String(Number(minute)),
          hour: String(Number(hour)),
          timeZone: TimeZone.of(slot.timeZone),
        }),
        target,
      });
    });
  }
}
