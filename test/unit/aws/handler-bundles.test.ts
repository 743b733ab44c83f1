// What each Lambda bundle holds, from esbuild's metafile with the build cdk synth and the bench
// share (infra/aws/bundling/build.ts): the cold start loads no config schema and no library it never calls.
// Sizes and import times are measured by `npm run bench -- bundles`, not here.
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";
import { FUNCTIONS } from "../../../bench/bundles.ts";
import { LAMBDA_ENTRY_FILE, lambdaBuildOptions } from "../../../infra/aws/bundling/build.ts";
import { readFileSync } from "node:fs";
import { parseConfigText } from "../../../shared/model/config.ts";

const PROJECT_ROOT = new URL("../../../", import.meta.url).pathname;
const config = parseConfigText(readFileSync(`${PROJECT_ROOT}community-signals.config.json`, "utf8"));

/**
 * The modules that kept code in a function's bundle (an import esbuild dropped does not count):
 * in every file of it, or in its entry alone (what a cold start loads; chunks load on use).
 */
async function inputsOf(name: string, files: "all" | "entry" = "all"): Promise<string[]> {
  const result = await build({ ...lambdaBuildOptions(config, name, `/nonexistent/${name}`), write: false, metafile: true, logLevel: "silent" });
  const outputs = Object.entries((result.metafile as Metafile).outputs).filter(([file]) => file.endsWith(".mjs"));
  const chosen = files === "all" ? outputs : outputs.filter(([file]) => file.endsWith(`/${LAMBDA_ENTRY_FILE}`));
  if (chosen.length === 0) throw new Error(`no bundle for ${name}`);
  return [...new Set(chosen.flatMap(([, output]) => Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([file]) => file)))];
}

describe.each(FUNCTIONS)("the %s bundle", (name) => {
  it("inlines the validated config instead of loading the zod config schema", async () => {
    const inputs = await inputsOf(name);
    expect(inputs.some((file) => file.endsWith(`functions/${name}/handler.ts`))).toBe(true);
    expect(inputs.filter((file) => file.endsWith("shared/model/config.ts"))).toEqual([]);
    // `import { z } from "zod"` keeps every locale and the JSON Schema converter; the namespace import does not.
    expect(inputs.filter((file) => file.includes("node_modules/zod/") && file.includes("/locales/") && !file.endsWith("/en.js"))).toEqual([]);
    // Bundled code takes zod/mini through shared/model/zod.ts (about 30 kB); classic zod is over 90 kB.
    expect(inputs.filter((file) => file.includes("node_modules/zod/v4/classic/"))).toEqual([]);
  }, 60_000);

  it("takes credentials from Lambda's environment only: no SSO, INI, web identity or STS code (infra/aws/bundling)", async () => {
    const inputs = await inputsOf(name);
    expect(inputs.some((file) => file.endsWith("infra/aws/bundling/lambda-credentials.ts"))).toBe(true);
    expect(inputs.some((file) => file.includes("node_modules/@aws-sdk/credential-provider-env/"))).toBe(true);
    for (const unused of ["credential-provider-node", "credential-provider-ini", "credential-provider-sso", "credential-provider-web-identity", "nested-clients"]) {
      expect(inputs.filter((file) => file.includes(`node_modules/@aws-sdk/${unused}/`)), unused).toEqual([]);
    }
    expect(inputs.filter((file) => file.includes("node_modules/mime-db/"))).toEqual([]);
  }, 60_000);
});

describe("the ingest bundle", () => {
  it("holds the door (signatures, classification, shape checks) and no normaliser or question classifier", async () => {
    const inputs = await inputsOf("ingest");
    for (const source of ["github", "discourse", "slack"]) {
      expect(inputs.some((file) => file.endsWith(`shared/sources/${source}/verify.ts`)), source).toBe(true);
      expect(inputs.some((file) => file.endsWith(`shared/sources/${source}/classify.ts`)), source).toBe(true);
    }
    expect(inputs.filter((file) => /shared\/sources\/[a-z]+\/normalize\.ts$/.test(file))).toEqual([]);
    expect(inputs.filter((file) => file.includes("question-classifier") || file.endsWith("question-weights.json"))).toEqual([]);
  }, 60_000);
});

describe("the ingest bundle's entry", () => {
  it("holds no S3 client: the claim check's client is a chunk of its own, read only for a body too large for the queue", async () => {
    const entry = await inputsOf("ingest", "entry");
    expect(entry.filter((file) => file.includes("node_modules/@aws-sdk/client-s3/"))).toEqual([]);
    expect(entry.some((file) => file.includes("node_modules/@aws-sdk/client-sqs/"))).toBe(true);
    expect((await inputsOf("ingest", "all")).some((file) => file.includes("node_modules/@aws-sdk/client-s3/"))).toBe(true);
  }, 60_000);
});

describe.each(FUNCTIONS.filter((name) => name !== "normalize" && name !== "ingest"))("the %s bundle", (name) => {
  it("holds no source normaliser and no question classifier: only the normaliser turns payloads into activities", async () => {
    const inputs = await inputsOf(name);
    expect(inputs.filter((file) => /shared\/sources\/[a-z]+\/normalize\.ts$/.test(file))).toEqual([]);
    expect(inputs.filter((file) => file.includes("question-classifier") || file.endsWith("question-weights.json"))).toEqual([]);
  }, 60_000);
});
