// The Lambdas' config: validated with the zod schema when the stack is synthesised, inlined as the
// parsed object's JSON, and read back at cold start with JSON.parse alone (no schema library).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig, parseConfigText, type ConfigInput } from "../../../shared/model/config.ts";
import { configFromEnv, readEnv } from "../../../shared/runtime/env.ts";
import * as z from "zod";

const PROJECT_ROOT = new URL("../../../", import.meta.url).pathname;

/** What SignalsFunction's esbuild define puts in place of process.env.COMMUNITY_SIGNALS_CONFIG. */
const inlined = (configText: string) => JSON.stringify(parseConfigText(configText));

describe("configFromEnv", () => {
  it("gives back exactly parseConfig of the input for the example config file", () => {
    const text = readFileSync(`${PROJECT_ROOT}community-signals.config.json`, "utf8");
    expect(configFromEnv(inlined(text))).toEqual(parseConfigText(text));
  });

  it("gives back exactly parseConfig of the input for a small config (schema defaults included)", () => {
    const input: ConfigInput = {
      sources: { github: { enabled: true }, slack: { channels: ["C0123"] } },
      team: [{ name: "Ana", identities: { github: ["ana"] } }],
      digest: { recipients: [{ email: "ana@example.org" }] },
    };
    const expected = parseConfig(input);
    expect(configFromEnv(JSON.stringify(expected))).toEqual(expected);
    // The defaults came from the schema at synth, not from the cold start.
    expect(configFromEnv(JSON.stringify(expected)).digest.time).toBe("08:00");
  });

  it("fails fast, naming the variable, when it is missing, not JSON, or not a validated config", () => {
    expect(() => configFromEnv(undefined)).toThrow(/environment is incomplete: COMMUNITY_SIGNALS_CONFIG\b/);
    expect(() => configFromEnv("{ nope")).toThrow(/COMMUNITY_SIGNALS_CONFIG is not valid JSON/);
    expect(() => configFromEnv(JSON.stringify({ sources: {} }))).toThrow(/COMMUNITY_SIGNALS_CONFIG is not a validated config/);
    expect(() => configFromEnv("null")).toThrow(/COMMUNITY_SIGNALS_CONFIG is not a validated config/);
  });
});

describe("readEnv", () => {
  it("names every missing or bad variable", () => {
    expect(() => readEnv({ QUEUE_URL: z.string().url(), TABLE_NAME: z.string().min(1) }, { QUEUE_URL: "nope" })).toThrow(
      /environment is incomplete: QUEUE_URL .*TABLE_NAME/,
    );
    expect(readEnv({ TABLE_NAME: z.string().min(1) }, { TABLE_NAME: "signals" })).toEqual({ TABLE_NAME: "signals" });
  });
});
