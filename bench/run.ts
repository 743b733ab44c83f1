// npm run bench: speed goals measured as ratios against a baseline taken in the same run,
// so the numbers mean the same on a slow CI machine and a fast laptop. Sections:
//   normalisation  GitHub normalisation throughput vs JSON.parse alone
//   bundles        Lambda bundle bytes and cold-import time vs an empty handler, with budgets
//   cost           DynamoDB capacity per webhook (DynamoDB Local) and the monthly AWS bill
//   classifier     precision and recall of the chat question classifier on the labelled set
//   export         activities per second to Parquet vs writing JSON lines
//   load           LOAD_RATE signed webhooks/s for LOAD_SECONDS against the local stack, then
//                  reconciled (0 lost, 0 extra); ack latency vs a ping under the same load
// `npx tsx bench/run.ts bundles cost` runs only the sections named. With `--json` the last line
// printed is one JSON object of the cost and bundle results (a frozen interface, read by
// acceptance checks): {"cost":{"usdPerMillionWebhooks","wruPerWebhook","rruPerWebhook"},
// "bundles":[{"name","bytes","gzipBytes","importRatioToFloor"}]}, each key present when its
// section ran.
import { loadStackConfig } from "../infra/aws/stack.ts";
import { FUNCTIONS, runBundlesBench, type BundleMeasurement } from "./bundles.ts";
import { runCostBench, type CostSummary } from "./cost.ts";
import { runNormalisationBench } from "./normalisation.ts";
import { runExportBench } from "./export.ts";
import { runLoadBench } from "./load.ts";
import { runSlackClassifierBench } from "./slack-classifier.ts";

// The config `cdk synth` would use (./community-signals.config.json, else the defaults).
const { config } = loadStackConfig(undefined);

/** What `--json` prints, filled by the sections that ran. */
const summary: { cost?: CostSummary; bundles?: { name: string; bytes: number; gzipBytes: number; importRatioToFloor: number }[] } = {};
const round = (x: number, digits: number) => Number(x.toFixed(digits));

const SECTIONS: Record<string, () => unknown> = {
  normalisation: () => runNormalisationBench(),
  bundles: async () => {
    const measured: BundleMeasurement[] = await runBundlesBench(config);
    summary.bundles = measured
      // The functions only: the baselines (empty, floor, floor+X) are printed, not judged.
      .filter((m) => (FUNCTIONS as string[]).includes(m.name))
      .map((m) => ({ name: m.name, bytes: m.bytes, gzipBytes: m.gzipBytes, importRatioToFloor: round(m.importRatioToFloor, 3) }));
  },
  cost: async () => {
    const cost = await runCostBench(config);
    summary.cost = {
      usdPerMillionWebhooks: round(cost.usdPerMillionWebhooks, 4),
      wruPerWebhook: round(cost.wruPerWebhook, 4),
      rruPerWebhook: round(cost.rruPerWebhook, 4),
    };
  },
  export: () => runExportBench(),
  classifier: () => runSlackClassifierBench(),
  load: () => runLoadBench(),
};

const args = process.argv.slice(2);
const json = args.includes("--json");
const wanted = args.filter((arg) => arg !== "--json");
const unknown = wanted.filter((name) => !(name in SECTIONS));
if (unknown.length > 0) {
  console.error(`unknown bench section ${unknown.join(", ")}; known: ${Object.keys(SECTIONS).join(", ")}`);
  process.exit(2);
}
const names = wanted.length > 0 ? wanted : Object.keys(SECTIONS);
for (const [i, name] of names.entries()) {
  if (i > 0) console.log("");
  await SECTIONS[name]?.();
}
if (json) {
  // The last line, whatever the sections printed before it.
  console.log("");
  console.log(JSON.stringify(summary));
}
