// The Stack Overflow poller in AWS: a scheduled function serialised by a lease (no reserved
// concurrency, issue #17), with its own optional key secret, its cursors, its lease and the
// queue, and alarms on its errors and on quota stops.
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
    stackoverflow: { enabled: true, tags: ["rocketdb", "rocketdb-cli"], pollIntervalSeconds: 300 },
  },
};

describe("Stack Overflow poller", () => {
  const { stack, template } = synthStack(CONFIG);
  const poller = stack.stackOverflowPoller!;

  it("runs on a rate schedule, without reserved concurrency (a lease keeps runs apart)", () => {
    expect(poller).not.toBeNull();
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "rate(5 minutes)",
      Target: Match.objectLike({ Arn: arnOf(poller.fn.fn), RetryPolicy: { MaximumRetryAttempts: 0 } }),
    });
    const fn = template.toJSON().Resources[logicalId(poller.fn.fn)].Properties;
    expect(fn).toMatchObject({ Timeout: 300, Runtime: "nodejs22.x", Architectures: ["arm64"] });
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    expect(fn.Environment.Variables).toMatchObject({ TABLE_NAME: ref(stack.table.table), SECRET_ID_STACKEXCHANGE_KEY: ref(poller.key) });
  });

  it("has an optional key: the secret starts as a placeholder the poller does not send", () => {
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      Description: Match.stringLikeRegexp("optional Stack Apps key \\(STACKEXCHANGE_KEY\\)"),
      GenerateSecretString: Match.objectLike({ GenerateStringKey: "placeholder" }),
    });
  });

  it("may read and move its own cursors and lease, queue envelopes and read its key: nothing else", () => {
    expect(allowedActions(template, poller.fn)).toEqual(
      ["dynamodb:GetItem", "dynamodb:PutItem", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue", "sqs:SendMessage"].sort(),
    );
    const tableStatements = roleStatements(template, poller.fn.role).filter((s) => [s.Action].flat().some((a) => a.startsWith("dynamodb:")));
    expect(tableStatements.map((s) => s.Condition)).toEqual([
      { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["CURSOR#stackoverflow#*", "LEASE#poll-stackoverflow"] } },
    ]);
    expect(tableStatements.map((s) => s.Resource)).toEqual([arnOf(stack.table.table)]);
  });

  it("keeps the key away from the webhook front door", () => {
    const env = template.toJSON().Resources[logicalId(stack.ingest.fn)].Properties.Environment.Variables;
    expect(Object.keys(env)).not.toContain("SECRET_ID_STACKEXCHANGE_KEY");
  });

  it("alarms when a run fails and when a run stops for the quota", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: ref(poller.fn.fn) }],
      Threshold: 1,
      AlarmActions: [ref(stack.monitoring.topic)],
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "StackOverflowQuotaStops",
      Namespace: "CommunitySignals",
      Dimensions: [{ Name: "service", Value: "community-signals-poll-stackoverflow" }],
      Statistic: "Sum",
      Threshold: 1,
      AlarmActions: [ref(stack.monitoring.topic)],
    });
  });

  it("is absent while Stack Overflow is not enabled (the default)", () => {
    expect(synthStack({ sources: { github: { enabled: true } } }).stack.stackOverflowPoller).toBeNull();
    expect(synthStack({ sources: { github: { enabled: true }, stackoverflow: {} } }).stack.stackOverflowPoller).toBeNull();
  });

  it("passes cdk-nag with every acknowledgement explained", () => {
    const outdir = tempDir("cs-cdk-nag-stackoverflow-");
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] }, outdir, builtinCloudFormationValidation: false });
    new CommunitySignalsStack(app, "Signals", { config: parseConfig(CONFIG), projectRoot: fakeProjectRoot() });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    expect(JSON.parse(readFileSync(path.join(outdir, "validation-report.json"), "utf8")).pluginReports).toEqual([]);
  });
});
