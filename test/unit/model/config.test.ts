import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, configJsonSchema, parseConfig, parseConfigText } from "../../../shared/model/config.ts";

const root = join(import.meta.dirname, "../../..");

describe("config", () => {
  it("accepts the example config, which accepts any repository", () => {
    const config = parseConfigText(readFileSync(join(root, "community-signals.config.json"), "utf8"));
    expect(config.sources.github?.enabled).toBe(true);
    expect(config.sources.github?.repositories).toEqual([]);
    expect(config.digest.minAgeHours).toBe(0);
    expect(config.digest.maxAgeDays).toBeUndefined();
  });

  it("fills defaults for an empty object", () => {
    const config = parseConfig({});
    expect(config.digest).toMatchObject({ time: "08:00", timeZone: "UTC", slaHours: 24, recipients: [] });
    expect(config.queue).toMatchObject({ batchSize: 10, maxReceiveCount: 5, maxMessageBytes: 262144 });
    expect(config.privacy.excerptLength).toBe(280);
  });

  it("names every bad field", () => {
    let error: unknown;
    try {
      parseConfig(
        { digest: { time: "8am", timeZone: "Mars/Olympus", slaHours: 0, recipients: [{ email: "not-an-email" }] }, sources: { github: { secretName: "lower-case", repositories: ["no-slash"] } }, extra: 1 },
        "my.json",
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/^my\.json is not a valid configuration/);
    for (const field of ["digest.time", "digest.timeZone", "digest.slaHours", "digest.recipients.0.email", "sources.github.secretName", "sources.github.repositories.0"]) {
      expect(message).toContain(`${field}:`);
    }
    expect(message).toMatch(/extra/);
  });

  it("defaults the AWS normaliser to batches of 100 within 60 s, and refuses a batch above 10 without a window", () => {
    expect(parseConfig({}).aws.normalizer).toMatchObject({ batchSize: 100, batchingWindowSeconds: 60 });
    expect(parseConfig({ aws: { normalizer: { batchSize: 10, batchingWindowSeconds: 0 } } }).aws.normalizer.batchSize).toBe(10);
    expect(() => parseConfig({ aws: { normalizer: { batchSize: 11, batchingWindowSeconds: 0 } } }, "c.json")).toThrow(
      /aws\.normalizer\.batchSize: batchSize above 10 needs batchingWindowSeconds of at least 1/,
    );
  });

  it("reports a JSON syntax error as a config error", () => {
    expect(() => parseConfigText("{ nope", "broken.json")).toThrow(/broken\.json is not a valid configuration:\n {2}- not valid JSON/);
  });

  it("ships a JSON Schema that matches the zod schema (run npm run schema after changing it)", () => {
    const shipped = JSON.parse(readFileSync(join(root, "community-signals.config.schema.json"), "utf8"));
    expect(shipped).toEqual(configJsonSchema());
    expect(JSON.parse(readFileSync(join(root, "community-signals.config.json"), "utf8")).$schema).toBe("./community-signals.config.schema.json");
  });
});
