// Slack delivery in AWS: each recipient's incoming-webhook URL in a secret of its own that only the
// digest reads; the bot token (chat:write) for channel recipients; the queue page's reads on the
// actions function (the open-question index, and cached names, never a write there).
import { readFileSync } from "node:fs";
import path from "node:path";
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { afterAll, describe, expect, it } from "vitest";
import { CommunitySignalsStack } from "../../../infra/aws/stack.ts";
import { parseConfig, type ConfigInput } from "../../../shared/model/config.ts";
import { INDEXES } from "../../../shared/store/table.ts";
import { allowedActions, fakeProjectRoot, logicalId, ref, removeTempDirs, roleStatements, synthStack, tempDir } from "./template-helpers.ts";

afterAll(removeTempDirs);

const SLACK_DIGEST: ConfigInput = {
  sources: { slack: { enabled: true } },
  digest: {
    recipients: [
      { email: "dana@example.org", slack: { webhookSecretName: "SLACK_WEBHOOK_DANA" } },
      { slack: { webhookSecretName: "SLACK_WEBHOOK_DANA" }, name: "same hook, another filter", sources: ["github"] },
      { slack: { webhookSecretName: "SLACK_WEBHOOK_TEAM" } },
      { slack: { channel: "C0SUPPORT1" } },
    ],
  },
};

describe("Slack digest delivery in AWS", () => {
  const { stack, template } = synthStack(SLACK_DIGEST);
  const env = (fn: { fn: unknown }) => template.toJSON().Resources[logicalId(fn.fn as never)].Properties.Environment.Variables as Record<string, unknown>;

  it("one secret per webhook name, bound to the digest alone, with its ARN as an output", () => {
    expect(stack.slackWebhookSecrets.map((w) => w.name)).toEqual(["SLACK_WEBHOOK_DANA", "SLACK_WEBHOOK_TEAM"]);
    for (const { name, secret } of stack.slackWebhookSecrets) {
      expect(env(stack.digest)[`SECRET_ID_${name}`]).toEqual(ref(secret));
      for (const other of [stack.ingest, stack.normalize, stack.actions!]) {
        expect(JSON.stringify(roleStatements(template, other.role))).not.toContain(JSON.stringify(ref(secret)));
        expect(env(other)[`SECRET_ID_${name}`]).toBeUndefined();
      }
      // CloudFormation ids are alphanumeric: the underscores go.
      expect(template.toJSON().Outputs[`SlackWebhookSecretArn${name.replaceAll("_", "")}`]).toMatchObject({ Value: ref(secret), Description: `Store the Slack incoming webhook URL for ${name} here` });
    }
  });

  it("the bot token the digest posts with says it needs chat:write", () => {
    expect(env(stack.digest).SECRET_ID_SLACK_BOT_TOKEN).toEqual(ref(stack.slackBotToken!));
    const props = template.toJSON().Resources[logicalId(stack.slackBotToken!)].Properties;
    expect(props.Description).toContain("chat:write");
  });

  it("the actions function reads the open-question index and the name cache for the queue page, and writes nothing new", () => {
    expect(allowedActions(template, stack.actions!)).toEqual(
      ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue"].sort(),
    );
    const statements = roleStatements(template, stack.actions!.role);
    const indexQuery = statements.filter((s) => JSON.stringify(s.Resource).includes(`/index/${INDEXES.openQuestions.indexName}`));
    expect(indexQuery).toHaveLength(1);
    expect(indexQuery[0]!.Action).toBe("dynamodb:Query");
    expect(JSON.stringify(statements)).not.toContain(`/index/${INDEXES.byDay.indexName}`);
    const batchReads = statements.filter((s) => [s.Action].flat().includes("dynamodb:BatchGetItem"));
    expect(batchReads).toEqual([
      // the open questions' summaries the keys-only index lists
      expect.objectContaining({ Action: "dynamodb:BatchGetItem", Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["THREAD#*"] } } }),
      expect.objectContaining({ Action: "dynamodb:BatchGetItem", Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["NAME#*"] } } }),
    ]);
  });
});

describe("cdk-nag AwsSolutions with Slack recipients", () => {
  it("finds nothing unacknowledged in the webhook secrets and the queue page's grants", () => {
    const outdir = tempDir("cs-cdk-nag-slack-");
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] }, outdir, builtinCloudFormationValidation: false });
    new CommunitySignalsStack(app, "Signals", { config: parseConfig(SLACK_DIGEST), projectRoot: fakeProjectRoot() });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    expect(JSON.parse(readFileSync(path.join(outdir, "validation-report.json"), "utf8")).pluginReports).toEqual([]);
  });
});
