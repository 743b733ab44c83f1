// Slack names in AWS: an optional bot-token secret the digest alone reads, and the name cache
// (NAME#… items only) in the table.
import { afterAll, describe, expect, it } from "vitest";
import { allowedActions, ref, removeTempDirs, roleStatements, synthStack } from "./template-helpers.ts";

afterAll(removeTempDirs);

describe("Slack names for the digest", () => {
  const { stack, template } = synthStack({ sources: { slack: { enabled: true, channels: ["C0HELP0001"] } } });

  it("gives the digest the bot token's secret and the name cache, nothing wider", () => {
    expect(stack.slackBotToken).not.toBeNull();
    const vars = template.toJSON().Resources[Object.keys(template.findResources("AWS::Lambda::Function")).find((id) => id.startsWith("DigestFunction"))!].Properties.Environment.Variables;
    expect(vars.SECRET_ID_SLACK_BOT_TOKEN).toEqual(ref(stack.slackBotToken!));
    expect(allowedActions(template, stack.digest)).toContain("dynamodb:BatchGetItem");
    const names = roleStatements(template, stack.digest.role).filter((s) => JSON.stringify(s.Action).includes("BatchGetItem") && JSON.stringify(s.Condition).includes("NAME#"));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatchObject({
      Action: ["dynamodb:BatchGetItem", "dynamodb:PutItem"],
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["NAME#*"] } },
    });
    // The webhook side never sees the bot token.
    expect(JSON.stringify(roleStatements(template, stack.ingest.role))).not.toContain(JSON.stringify(ref(stack.slackBotToken!)));
    expect(template.toJSON().Outputs).toHaveProperty("SlackBotTokenSecretArn");
  });
});
