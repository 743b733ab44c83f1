import { type CfnElement, Duration, Stack, Validations } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";

/**
 * The role an EventBridge Scheduler schedule assumes to start one function: only schedules of
 * this account's default group may assume it. Our own role instead of the target's implicit
 * one, so the acknowledgement of grantInvoke's ':*' sits on it with a reason.
 */
export function schedulerRoleFor(scope: Construct, id: string, target: IFunction, what: string): Role {
  const stack = Stack.of(scope);
  const role = new Role(scope, id, {
    description: `EventBridge Scheduler: start the community-signals ${what}`,
    assumedBy: new ServicePrincipal("scheduler.amazonaws.com", {
      conditions: {
        StringEquals: {
          "aws:SourceAccount": stack.account,
          "aws:SourceArn": stack.formatArn({ service: "scheduler", resource: "schedule-group", resourceName: "default" }),
        },
      },
    }),
  });
  const targetLogicalId = stack.getLogicalId(target.node.defaultChild as CfnElement);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${targetLogicalId}.Arn>:*]`,
    reason: `lambda:InvokeFunction on the ${what} function and its versions/aliases (grantInvoke adds ':*'); the role can start nothing else.`,
  });
  return role;
}

/** Where a schedule's failed starts go (its target DeadLetterConfig): encrypted, TLS only, 14 days. */
export function scheduleDeadLetterQueue(scope: Construct, id: string, what: string): Queue {
  const queue = new Queue(scope, id, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
  Validations.of(queue).acknowledge({
    id: "AwsSolutions-SQS3",
    reason: `This queue is itself the dead-letter queue of the ${what} (Scheduler target DeadLetterConfig); cdk-nag only recognises DLQs named in an SQS redrive policy.`,
  });
  return queue;
}
