// Bundle size and cold-import time of each Lambda handler, built the way `cdk synth` builds it.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";
import { bundleFiles, LAMBDA_ENTRY_FILE, lambdaBuildOptions } from "../infra/aws/bundling/build.ts";
import type { FunctionName } from "../infra/aws/constructs/signals-function.ts";
import type { Config } from "../shared/model/config.ts";

const PROJECT_ROOT = new URL("..", import.meta.url).pathname;
export const FUNCTIONS: FunctionName[] = ["ingest", "normalize", "digest", "export", "poll-discord", "poll-stackoverflow", "actions"];
const IMPORT_RUNS = 9;

/**
 * Budgets a little above what this bench measured (2 cores, Node 20). Bytes are every minified
 * .mjs file of the bundle (entry and chunks; the source maps are separate files);
 * the ratio is a fresh `node` importing the handler over it importing the floor bundle (only
 * the DynamoDB and SQS clients, see FLOOR_HANDLER), both measured in the same run.
 */
export const BUNDLE_BUDGETS: Record<FunctionName, { bytes: number; importRatioToFloor: number }> = {
  ingest: { bytes: 500_000, importRatioToFloor: 1.5 },
  normalize: { bytes: 675_000, importRatioToFloor: 2.3 },
  digest: { bytes: 700_000, importRatioToFloor: 2.7 },
  export: { bytes: 575_000, importRatioToFloor: 1.9 },
  "poll-discord": { bytes: 400_000, importRatioToFloor: 1.5 },
  "poll-stackoverflow": { bytes: 400_000, importRatioToFloor: 1.5 },
  actions: { bytes: 375_000, importRatioToFloor: 1.5 },
};

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

/**
 * The floor: a handler holding only the two clients the design fixes (DynamoDB and SQS), each
 * created at module scope as the handlers do, with the command each function sends most.
 * Built and imported like the handlers, in the same run; a function's import is judged against it.
 */
const FLOOR_HANDLER = `import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
const ddb = new DynamoDBClient({});
const sqs = new SQSClient({});
export async function handler(event) {
  if (event?.send) return Promise.all([ddb.send(new QueryCommand(event.query)), sqs.send(new SendMessageCommand(event.message))]);
  return {};
}
`;

/**
 * The floor plus one client a function cannot do without, built and imported the same way in
 * the same run: what that client alone adds to a cold start. The fixed choices name them (the
 * official Slack client, the S3 and SES v2 clients) or the README justifies them (the Parquet
 * writer); a function that needs one cannot import faster than this row.
 */
const REFERENCES = {
  "floor+s3": `import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";\nconst s3 = new S3Client({});\nexport const put = (input) => s3.send(new PutObjectCommand(input));\n`,
  "floor+sesv2": `import { SendEmailCommand, SESv2Client } from "@aws-sdk/client-sesv2";\nconst ses = new SESv2Client({});\nexport const send = (input) => ses.send(new SendEmailCommand(input));\n`,
  "floor+slack": `import { WebClient } from "@slack/web-api";\nexport const post = (token, input) => new WebClient(token).chat.postMessage(input);\n`,
  "floor+parquet": `import { parquetWriteBuffer } from "hyparquet-writer";\nexport const write = (input) => parquetWriteBuffer(input);\n`,
} as const;
export type ReferenceName = keyof typeof REFERENCES;
const isBaseline = (name: BundleMeasurement["name"]): name is "empty" | "floor" | ReferenceName => name === "empty" || name === "floor" || name in REFERENCES;

export interface BundleMeasurement {
  name: FunctionName | "empty" | "floor" | ReferenceName;
  /** Every JavaScript file of the deployed bundle: the entry and any chunk. */
  bytes: number;
  gzipBytes: number;
  /**
   * What a cold start reads before the first event: the entry and the chunks it imports
   * statically (all of the bundle, unless it is split at dynamic imports).
   */
  startBytes: number;
  mapBytes: number;
  importMs: number;
  /** importMs over the floor bundle's, measured in the same run. */
  importRatioToFloor: number;
}

export async function runBundlesBench(config: Config): Promise<BundleMeasurement[]> {
  const dir = mkdtempSync(join(tmpdir(), "community-signals-bench-"));
  try {
    // The baselines are handlers of their own, in a throwaway functions/ folder inside the
    // project, so the SDK resolves from its node_modules as the real handlers' does.
    const baselines = mkdtempSync(join(PROJECT_ROOT, "bench", ".baselines-"));
    const baselineSources: [BundleMeasurement["name"], string][] = [
      ["empty", "export async function handler() { return {}; }\n"],
      ["floor", FLOOR_HANDLER],
      ...Object.entries(REFERENCES).map(([name, source]): [ReferenceName, string] => [name as ReferenceName, `${FLOOR_HANDLER}${source}`]),
    ];
    const names: BundleMeasurement["name"][] = [...baselineSources.map(([name]) => name), ...FUNCTIONS];
    const outputs = new Map<string, string>();
    const startBytes = new Map<string, number>();
    try {
      for (const [name, source] of baselineSources) {
        mkdirSync(join(baselines, "functions", name), { recursive: true });
        writeFileSync(join(baselines, "functions", name, "handler.ts"), source);
      }
      for (const name of names) {
        const outdir = join(dir, name);
        const root = isBaseline(name) ? baselines : PROJECT_ROOT;
        const { metafile } = await build({ ...lambdaBuildOptions(config, name, outdir, root), metafile: true });
        outputs.set(name, outdir);
        startBytes.set(name, staticClosureBytes(metafile, join(outdir, LAMBDA_ENTRY_FILE)));
      }
    } finally {
      rmSync(baselines, { recursive: true, force: true });
    }

    // Interleaved rounds, so a machine that slows down mid-run slows every bundle alike.
    const samples = new Map<string, number[]>(names.map((name) => [name, []]));
    for (let run = 0; run < IMPORT_RUNS; run++) {
      for (const name of names) samples.get(name)?.push(await timeImport(join(outputs.get(name) ?? "", LAMBDA_ENTRY_FILE)));
    }

    const floorMs = median(samples.get("floor") ?? []);
    const results: BundleMeasurement[] = names.map((name) => {
      const outdir = outputs.get(name) ?? "";
      const files = bundleFiles(outdir).map((file) => join(outdir, file));
      const importMs = median(samples.get(name) ?? []);
      return {
        name,
        bytes: files.reduce((sum, file) => sum + statSync(file).size, 0),
        gzipBytes: files.reduce((sum, file) => sum + gzipSync(readFileSync(file)).byteLength, 0),
        startBytes: startBytes.get(name) ?? NaN,
        mapBytes: files.reduce((sum, file) => sum + statSync(`${file}.map`).size, 0),
        importMs,
        importRatioToFloor: importMs / floorMs,
      };
    });
    printBundles(results);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bytes of an output file and of every chunk it imports statically, transitively. */
function staticClosureBytes(metafile: Metafile, entry: string): number {
  const key = (file: string) => Object.keys(metafile.outputs).find((out) => file.endsWith(out) || out.endsWith(file.replace(/^\/+/, "")));
  const seen = new Set<string>();
  const visit = (out: string | undefined) => {
    if (!out || seen.has(out)) return;
    seen.add(out);
    for (const imported of metafile.outputs[out]?.imports ?? []) {
      if (imported.kind === "import-statement" && !imported.external) visit(key(imported.path));
    }
  };
  visit(key(entry));
  return [...seen].reduce((sum, out) => sum + (metafile.outputs[out]?.bytes ?? 0), 0);
}

function printBundles(results: BundleMeasurement[]): void {
  const emptyMs = results.find((r) => r.name === "empty")?.importMs ?? NaN;
  const kb = (n: number) => `${(n / 1000).toFixed(0)} kB`.padStart(8);
  console.log(`Lambda bundles (built as cdk synth builds them, infra/aws/bundling/build.ts; import = median of ${IMPORT_RUNS} fresh node processes, NODE_OPTIONS=--enable-source-maps)`);
  console.log(`  floor = only @aws-sdk/client-dynamodb and @aws-sdk/client-sqs, built and imported the same way;`);
  console.log(`  floor+X = the floor and one more client X: what X adds to a function that needs the floor's clients too`);
  console.log(
    `  ${"function".padEnd(18)} ${"bundle".padStart(8)} ${"gzip".padStart(8)} ${"at start".padStart(8)} ${"import".padStart(9)} ${"x empty".padStart(8)} ${"x floor".padStart(8)}   budget (bytes, x floor)`,
  );
  for (const r of results) {
    const budget = isBaseline(r.name) ? undefined : BUNDLE_BUDGETS[r.name];
    const verdict = budget
      ? `${kb(budget.bytes).trim()} ${r.bytes <= budget.bytes ? "PASS" : "OVER"}, ${budget.importRatioToFloor.toFixed(1)}x ${r.importRatioToFloor <= budget.importRatioToFloor ? "PASS" : "OVER"}`
      : r.name.startsWith("floor+") ? "(reference)" : "(baseline)";
    console.log(
      `  ${r.name.padEnd(18)} ${kb(r.bytes)} ${kb(r.gzipBytes)} ${kb(r.startBytes)} ${`${r.importMs.toFixed(1)} ms`.padStart(9)} ` +
        `${`${(r.importMs / emptyMs).toFixed(2)}x`.padStart(8)} ${`${r.importRatioToFloor.toFixed(2)}x`.padStart(8)}   ${verdict}`,
    );
  }
}
