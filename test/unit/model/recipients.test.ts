// Digest recipients: email, Slack or both, each with a stable id for claims, links and --recipient.
import { describe, expect, it } from "vitest";
import { ConfigError, findRecipient, parseConfig, recipientId } from "../../../shared/model/config.ts";

const withRecipients = (recipients: unknown[], sources: Record<string, unknown> = { slack: {} }) => parseConfig({ sources, digest: { recipients } });
const problems = (recipients: unknown[]) => {
  try {
    withRecipients(recipients);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe("digest recipients", () => {
  it("take an email, a Slack webhook or channel, or both", () => {
    const config = withRecipients([
      { email: "Dana@Acme.example" },
      { email: "lee@acme.example", slack: { webhookSecretName: "SLACK_WEBHOOK_LEE" } },
      { slack: { channel: "C0SUPPORT1" } },
      { slack: { channel: "U0DANA0001" } },
      { slack: { webhookSecretName: "SLACK_WEBHOOK_TEAM" } },
    ]);
    expect(config.digest.recipients.map(recipientId)).toEqual([
      "dana@acme.example",
      "lee@acme.example",
      "slack:c0support1",
      "slack:u0dana0001",
      "slack:webhook:slack_webhook_team",
    ]);
    expect(findRecipient(config, "slack:C0SUPPORT1")?.slack).toEqual({ channel: "C0SUPPORT1" });
    expect(findRecipient(config, "DANA@acme.example")?.email).toBe("Dana@Acme.example");
    expect(findRecipient(config, "nobody@acme.example")).toBeUndefined();
  });

  it("refuse a recipient with neither, a bad Slack target, both Slack forms at once, and two recipients with one id", () => {
    expect(problems([{ name: "Nobody" }])).toEqual(["digest.recipients.0.email: a recipient needs an email, a slack target, or both"]);
    expect(problems([{ slack: { channel: "#general" } }]).join("\n")).toContain("digest.recipients.0.slack");
    expect(problems([{ slack: { webhookSecretName: "https://hooks.slack.com/services/T/B/x" } }]).join("\n")).toContain("digest.recipients.0.slack");
    expect(problems([{ slack: { channel: "C0SUPPORT1", webhookSecretName: "SLACK_WEBHOOK_X" } }]).join("\n")).toContain("digest.recipients.0.slack");
    expect(problems([{ email: "a@acme.example" }, { email: "A@acme.example", slack: { channel: "C0SUPPORT1" } }])).toEqual([
      "digest.recipients: two recipients have the same email (or the same slack target without an email)",
    ]);
  });

  it("posting to a channel needs the Slack source and its bot token; a webhook does not", () => {
    expect(() => withRecipients([{ slack: { webhookSecretName: "SLACK_WEBHOOK_TEAM" } }], {})).not.toThrow();
    for (const sources of [{}, { slack: { enabled: false } }]) {
      try {
        withRecipients([{ slack: { channel: "C0SUPPORT1" } }], sources);
        expect.unreachable();
      } catch (err) {
        expect((err as ConfigError).problems).toEqual([
          "digest.recipients.0.slack.channel: posting to a channel needs the Slack source (sources.slack, enabled) and its bot token; or use slack.webhookSecretName",
        ]);
      }
    }
  });
});
