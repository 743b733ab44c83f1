// The backfill operator's policy: what `backfill --queue-url --table` needs from an operator's
// machine against a deployed stack, and nothing more.
import { Match } from "aws-cdk-lib/assertions";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, synthStack } from "./template-helpers.ts";

afterAll(removeTempDirs);

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

describe("backfill operator policy", () => {
  const { template } = synthStack({
    sources: {
      github: { enabled: true },
      slack: { enabled: true, channels: ["C0123456789"] },
      discord: { enabled: true, guildId: "816973244006400000", channels: [{ id: "816974502297600016", type: "text" }] },
    },
  });
  const policies = template.findResources("AWS::IAM::ManagedPolicy", { Properties: { Description: Match.stringLikeRegexp("community-signals backfill") } });
  const statements = (Object.values(policies)[0] as { Properties: { PolicyDocument: { Statement: Statement[] } } } | undefined)?.Properties.PolicyDocument.Statement ?? [];
  const bySid = (sid: string) => statements.find((s) => s.Sid === sid);

  it("is one managed policy, named in the outputs", () => {
    expect(Object.keys(policies)).toHaveLength(1);
    template.hasOutput("BackfillOperatorPolicyArn", { Value: { Ref: Object.keys(policies)[0] } });
  });

  it("may send to the ingest queue, and use only its own cursor items in the table", () => {
    expect(bySid("QueueBackfilledDeliveries")?.Action).toEqual(["sqs:SendMessage", "sqs:GetQueueAttributes"]);
    expect(bySid("BackfillCursors")).toMatchObject({
      Action: ["dynamodb:GetItem", "dynamodb:PutItem"],
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["CURSOR#backfill-*"] } },
    });
  });

  it("may put claim-checked bodies under raw/ and read the stack's API tokens, and nothing else", () => {
    expect(bySid("ClaimCheckedBodies")?.Action).toBe("s3:PutObject");
    expect(JSON.stringify(bySid("ClaimCheckedBodies")?.Resource)).toContain("/raw/*");
    const tokens = bySid("ReadApiTokens");
    expect(tokens?.Action).toBe("secretsmanager:GetSecretValue");
    expect(tokens?.Resource).toHaveLength(2); // the Slack bot token and the Discord bot token
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.every((a) => !a.includes("*"))).toBe(true);
    expect(statements).toHaveLength(4);
  });
});
