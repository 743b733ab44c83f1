// The Discord poller in AWS: a scheduled, single-concurrency function with its own token
// secret, its cursors and the queue, and nothing else.
import { readFileSync } from "node:fs";
import path from "node:path";
import { App, Validations } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { afterAll, describe, expect, it } from "vitest";
import { CommunitySignalsStack } from "../../../infra/aws/stack.ts";
import { parseConfig, type ConfigInput } from "../../../shared/model/config.ts";
import { allowedActions, arnOf, fakeProjectRoot, logicalId, ref, removeTempDirs, roleStatements, synthStack, tempDir } from "./template-helpers.ts";

afterAll(removeTempDirs);

const CONFIG: ConfigInput = {
  sources: {
    github: { enabled: true },
    discord: { enabled: true, guildId: "816973244006400000", channels: [{ id: "816974502297600016", type: "text" }], pollIntervalSeconds: 150 },
  },
};

describe("Discord poller", () => {
  const { stack, template } = synthStack(CONFIG);
  const poller = stack.discordPoller!;

  it("runs on a rate schedule rounded up to whole minutes, one run at a time", () => {
    expect(poller).not.toBeNull();
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "rate(3 minutes)",
      Target: Match.objectLike({ Arn: arnOf(poller.fn.fn), RetryPolicy: { MaximumRetryAttempts: 0 } }),
    });
    // One run at a time by a lease in the table: reserved concurrency would fail to deploy on a
    // new account whose concurrency quota is 10.
    template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: Match.absent(),
      ReservedConcurrentExecutions: Match.absent(),
      Timeout: 300,
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Environment: { Variables: Match.objectLike({ TABLE_NAME: ref(stack.table.table), SECRET_ID_DISCORD_BOT_TOKEN: ref(poller.token) }) },
    });
  });

  it("may read and move its cursors, queue envelopes and read its token: nothing else", () => {
    expect(allowedActions(template, poller.fn)).toEqual(
      ["dynamodb:GetItem", "dynamodb:PutItem", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue", "sqs:SendMessage"].sort(),
    );
    const tableStatements = roleStatements(template, poller.fn.role).filter((s) => [s.Action].flat().some((a) => a.startsWith("dynamodb:")));
    expect(tableStatements.map((s) => s.Condition)).toEqual([{ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["CURSOR#discord#*", "LEASE#poll-discord"] } }]);
    expect(tableStatements.map((s) => s.Resource)).toEqual([arnOf(stack.table.table)]);
  });

  it("neither retries a failed run nor keeps a stale one waiting: the next run reads from the same cursors", () => {
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: ref(poller.fn.fn),
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 180,
    });
  });

  it("starts with a placeholder token that the poller recognises as not set yet", () => {
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: JSON.stringify({ note: "replace this whole value with the Discord bot token" }) }),
    });
  });

  it("keeps the bot token away from the webhook front door", () => {
    const ingestSecrets = roleStatements(template, stack.ingest.role)
      .filter((s) => [s.Action].flat().includes("secretsmanager:GetSecretValue"))
      .map((s) => s.Resource);
    expect(ingestSecrets).not.toContainEqual(ref(poller.token));
    const env = template.toJSON().Resources[logicalId(stack.ingest.fn)].Properties.Environment.Variables;
    expect(Object.keys(env)).not.toContain("SECRET_ID_DISCORD_BOT_TOKEN");
  });

  it("alarms when a run fails", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: ref(poller.fn.fn) }],
      Threshold: 1,
    });
  });

  it("is absent while Discord is not enabled", () => {
    expect(synthStack({ sources: { github: { enabled: true } } }).stack.discordPoller).toBeNull();
  });

  it("passes cdk-nag with every acknowledgement explained", () => {
    const outdir = tempDir("cs-cdk-nag-discord-");
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] }, outdir, builtinCloudFormationValidation: false });
    new CommunitySignalsStack(app, "Signals", { config: parseConfig(CONFIG), projectRoot: fakeProjectRoot() });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    expect(JSON.parse(readFileSync(path.join(outdir, "validation-report.json"), "utf8")).pluginReports).toEqual([]);
  });
});
