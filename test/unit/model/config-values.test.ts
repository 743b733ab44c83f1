// The zod-free lookups the Lambdas use (shared/model/config-values.ts) against the schema.
import { describe, expect, it } from "vitest";
import {
  DiscordSourceConfigSchema,
  DiscourseSourceConfigSchema,
  GitHubSourceConfigSchema,
  SlackSourceConfigSchema,
  SOURCE_DEFAULTS,
  StackOverflowSourceConfigSchema,
} from "../../../shared/model/config.ts";

describe("SOURCE_DEFAULTS", () => {
  it.each([
    ["github", GitHubSourceConfigSchema],
    ["discourse", DiscourseSourceConfigSchema],
    ["slack", SlackSourceConfigSchema],
    ["discord", DiscordSourceConfigSchema],
    ["stackoverflow", StackOverflowSourceConfigSchema],
  ] as const)("%s equals what its schema gives for {}", (name, schema) => {
    expect(SOURCE_DEFAULTS[name]()).toStrictEqual(schema.parse({}));
  });

  it("hands out a fresh object each call", () => {
    const a = SOURCE_DEFAULTS.github();
    a.repositories.push("octo/repo");
    expect(SOURCE_DEFAULTS.github().repositories).toEqual([]);
  });
});
