import { type CfnElement, CfnOutput, Stack, Validations } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { Effect, ManagedPolicy, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

/**
 * What `community-signals backfill --queue-url … --table …` needs from an operator's machine, and
 * nothing more: put envelopes on the ingest queue, read and write its own cursors
 * (`CURSOR#backfill-*` items only), put bodies too large for a message in the raw archive, and
 * read the API tokens the stack already holds. Attach the policy to the role or user that runs it.
 */
export class BackfillOperatorPolicy extends Construct {
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: { queue: IQueue; table: ITable; rawArchive: IBucket; tokens: ISecret[] }) {
    super(scope, id);
    const statements = [
      new PolicyStatement({ sid: "QueueBackfilledDeliveries", actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"], resources: [props.queue.queueArn] }),
      new PolicyStatement({
        sid: "BackfillCursors",
        actions: ["dynamodb:GetItem", "dynamodb:PutItem"],
        resources: [props.table.tableArn],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["CURSOR#backfill-*"] } },
      }),
      new PolicyStatement({ sid: "ClaimCheckedBodies", actions: ["s3:PutObject"], resources: [props.rawArchive.arnForObjects("raw/*")] }),
    ];
    if (props.tokens.length > 0) {
      statements.push(new PolicyStatement({ sid: "ReadApiTokens", effect: Effect.ALLOW, actions: ["secretsmanager:GetSecretValue"], resources: props.tokens.map((t) => t.secretArn) }));
    }
    this.policy = new ManagedPolicy(this, "Policy", {
      description: "community-signals: run `community-signals backfill` against this stack from an operator's machine",
      statements,
    });
    const bucketId = Stack.of(this).getLogicalId(props.rawArchive.node.defaultChild as CfnElement);
    Validations.of(this.policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/raw/*]`,
      reason: "Claim-checked bodies are put under raw/ with keys made per envelope; the policy may put objects there and do nothing else in the bucket.",
    });
    new CfnOutput(scope, "BackfillOperatorPolicyArn", { value: this.policy.managedPolicyArn });
  }
}
