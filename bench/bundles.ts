// Bundle size and cold-import time of each Lambda handler, built the way `cdk synth` builds it.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type BuildOptions } from "esbuild";
import type { FunctionName } from "../infra/aws/constructs/signals-function.ts";
import type { Config } from "../shared/model/config.ts";

const PROJECT_ROOT = new URL("..", import.meta.url).pathname;
const FUNCTIONS: FunctionName[] = ["ingest", "normalize", "digest", "export", "poll-discord", "actions"];
const IMPORT_RUNS = 9;

/**
 * Budgets a little above what this bench measured (2 cores, Node 20). Bytes are the minified
 * index.mjs (the source map is a separate file Lambda reads only with --enable-source-maps);
 * the ratio is a fresh `node` importing the handler over it importing an empty handler.
 * Raised on 2 Dec 2026, with what grew: the S3 client in ingest and normalize (claim check, raw
 * archive), the learned classifier's weights (about 90 kB) wherever the adapters are bundled,
 * and Slack's Web API client in the digest (names). Cutting them is the cold-start work next.
 */
export const BUNDLE_BUDGETS: Record<FunctionName, { bytes: number; importRatio: number }> = {
  ingest: { bytes: 1_175_000, importRatio: 22 },
  normalize: { bytes: 1_250_000, importRatio: 23 },
  digest: { bytes: 1_350_000, importRatio: 25 },
  export: { bytes: 1_275_000, importRatio: 25 },
  "poll-discord": { bytes: 1_075_000, importRatio: 22 },
  actions: { bytes: 1_075_000, importRatio: 22 },
};

/**
 * The esbuild settings NodejsFunction derives from SignalsFunction's `bundling` props
 * (infra/aws/constructs/signals-function.ts), duplicated because the construct does not
 * export them. Keep the two in step: format ESM, target node22, minify, linked source map
 * without sources content, main fields module,main, no externals (SDK bundled), the
 * createRequire banner and the config inlined with `define`.
 */
function cdkEquivalentOptions(config: Config): BuildOptions {
  return {
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ["module", "main"],
    external: [],
    banner: {
      js: "import { createRequire as __csCreateRequire } from 'node:module'; const require = __csCreateRequire(import.meta.url);",
    },
    define: { "process.env.COMMUNITY_SIGNALS_CONFIG": JSON.stringify(JSON.stringify(config)) },
    logLevel: "warning",
  };
}

/** What module scope needs besides the inlined config: the variables the bind methods set. */
const IMPORT_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? "",
  // As in Lambda: it makes Node read the source map at import, which is part of the cost.
  NODE_OPTIONS: "--enable-source-maps",
  AWS_REGION: "us-east-1",
  POWERTOOLS_METRICS_NAMESPACE: "CommunitySignals",
  POWERTOOLS_SERVICE_NAME: "community-signals-bench",
  QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/signals",
  TABLE_NAME: "signals",
  SES_CONFIGURATION_SET: "signals",
  BUCKET_NAME: "signals-exports",
  RAW_BUCKET: "signals-raw",
  DLQ_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/signals-dlq",
  ACTIONS_BASE_URL: "https://abc123.execute-api.us-east-1.amazonaws.com",
  SECRET_ID_GITHUB_WEBHOOK_SECRET: "arn:aws:secretsmanager:us-east-1:123456789012:secret:github",
};

/** Milliseconds a fresh node process spends in `await import(bundle)`. */
function timeImport(file: string): Promise<number> {
  const script = `const t=performance.now();const m=await import(${JSON.stringify(pathToFileURL(file).href)});` +
    `if(typeof m.handler!=="function")throw new Error("no handler export");process.stdout.write(String(performance.now()-t));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: IMPORT_ENV, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(out);
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else reject(new Error(`importing ${file} failed (exit ${code}): ${err.trim().split("\n").slice(-5).join("\n")}`));
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};

export interface BundleMeasurement {
  name: FunctionName | "empty";
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
  importMs: number;
}

export async function runBundlesBench(config: Config): Promise<BundleMeasurement[]> {
  const dir = mkdtempSync(join(tmpdir(), "community-signals-bench-"));
  try {
    const emptyEntry = join(dir, "empty-handler.ts");
    writeFileSync(emptyEntry, "export async function handler() { return {}; }\n");
    const entries: { name: FunctionName | "empty"; entry: string }[] = [
      { name: "empty", entry: emptyEntry },
      ...FUNCTIONS.map((name) => ({ name, entry: join(PROJECT_ROOT, "functions", name, "handler.ts") })),
    ];
    const options = cdkEquivalentOptions(config);
    const outputs = new Map<string, string>();
    for (const { name, entry } of entries) {
      const outfile = join(dir, name, "index.mjs");
      await build({ ...options, entryPoints: [entry], outfile });
      outputs.set(name, outfile);
    }

    // Interleaved rounds, so a machine that slows down mid-run slows every bundle alike.
    const samples = new Map<string, number[]>(entries.map(({ name }) => [name, []]));
    for (let run = 0; run < IMPORT_RUNS; run++) {
      for (const { name } of entries) samples.get(name)?.push(await timeImport(outputs.get(name) ?? ""));
    }

    const results: BundleMeasurement[] = entries.map(({ name }) => {
      const file = outputs.get(name) ?? "";
      return {
        name,
        bytes: statSync(file).size,
        gzipBytes: gzipSync(readFileSync(file)).byteLength,
        mapBytes: statSync(`${file}.map`).size,
        importMs: median(samples.get(name) ?? []),
      };
    });
    printBundles(results);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printBundles(results: BundleMeasurement[]): void {
  const empty = results.find((r) => r.name === "empty");
  const emptyMs = empty?.importMs ?? NaN;
  const kb = (n: number) => `${(n / 1000).toFixed(0)} kB`.padStart(8);
  console.log(`Lambda bundles (esbuild with the CDK construct's settings; import = median of ${IMPORT_RUNS} fresh node processes, NODE_OPTIONS=--enable-source-maps)`);
  console.log(`  ${"function".padEnd(10)} ${"bundle".padStart(8)} ${"gzip".padStart(8)} ${"map".padStart(8)} ${"import".padStart(9)} ${"ratio".padStart(7)}   budget (bytes, ratio)`);
  for (const r of results) {
    const ratio = r.importMs / emptyMs;
    const budget = r.name === "empty" ? undefined : BUNDLE_BUDGETS[r.name];
    const verdict = budget
      ? `${kb(budget.bytes).trim()} ${r.bytes <= budget.bytes ? "PASS" : "OVER"}, ${budget.importRatio.toFixed(1)}x ${ratio <= budget.importRatio ? "PASS" : "OVER"}`
      : "(baseline)";
    console.log(
      `  ${r.name.padEnd(10)} ${kb(r.bytes)} ${kb(r.gzipBytes)} ${kb(r.mapBytes)} ${`${r.importMs.toFixed(1)} ms`.padStart(9)} ${`${ratio.toFixed(2)}x`.padStart(7)}   ${verdict}`,
    );
  }
}
