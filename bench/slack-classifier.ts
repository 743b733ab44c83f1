// The Slack question classifier against the hand-labelled community messages: precision,
// recall, F1 and the confusion matrix at the configured default threshold, a threshold sweep,
// and the misclassified messages (the place to look before changing a weight).
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { SlackSourceConfigSchema } from "../shared/model/config.ts";
import { scoreQuestion } from "../shared/sources/slack/question-classifier.ts";

const LABELLED = new URL("../test/fixtures/slack/labelled-messages.jsonl", import.meta.url);

interface Labelled {
  text: string;
  question: boolean;
}

interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

function loadLabelled(): Labelled[] {
  return readFileSync(LABELLED, "utf8")
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line, i) => {
      const row = JSON.parse(line) as Partial<Labelled>;
      if (typeof row.text !== "string" || typeof row.question !== "boolean") throw new Error(`labelled-messages.jsonl line ${i + 1}: need {text, question}`);
      return { text: row.text, question: row.question };
    });
}

function confusion(rows: Labelled[], scores: number[], threshold: number): Confusion {
  const c: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  rows.forEach((row, i) => {
    const predicted = scores[i]! >= threshold;
    if (predicted && row.question) c.tp += 1;
    else if (predicted) c.fp += 1;
    else if (row.question) c.fn += 1;
    else c.tn += 1;
  });
  return c;
}

function rates(c: Confusion): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

const pad = (value: string | number, width: number) => String(value).padStart(width);
const firstLine = (text: string) => {
  const line = text.split("\n").find((l) => l.trim().length > 0) ?? "";
  return line.length > 90 ? `${line.slice(0, 89)}…` : line;
};

export async function runSlackClassifierBench(): Promise<void> {
  const rows = loadLabelled();
  const start = performance.now();
  const results = rows.map((row) => scoreQuestion(row.text));
  const msPerMessage = (performance.now() - start) / rows.length;
  const scores = results.map((r) => r.score);
  const threshold = SlackSourceConfigSchema.parse({}).questionThreshold;
  const c = confusion(rows, scores, threshold);
  const { precision, recall, f1 } = rates(c);
  const questions = rows.filter((r) => r.question).length;

  console.log(`Slack question classifier over ${rows.length} labelled messages (${questions} questions, ${rows.length - questions} not)`);
  console.log(`  threshold ${threshold} (the config default)`);
  console.log(`  precision ${precision.toFixed(3)}   recall ${recall.toFixed(3)}   F1 ${f1.toFixed(3)}   accuracy ${((c.tp + c.tn) / rows.length).toFixed(3)}`);
  console.log("");
  console.log("                      predicted question   predicted not");
  console.log(`  labelled question   ${pad(c.tp, 18)}   ${pad(c.fn, 13)}`);
  console.log(`  labelled not        ${pad(c.fp, 18)}   ${pad(c.tn, 13)}`);
  console.log("");
  console.log("  threshold   precision   recall     F1");
  for (const t of [0.3, 0.4, 0.5, 0.6, 0.7]) {
    const r = rates(confusion(rows, scores, t));
    console.log(`  ${t.toFixed(2).padStart(9)}   ${r.precision.toFixed(3).padStart(9)}   ${r.recall.toFixed(3).padStart(6)}   ${r.f1.toFixed(3).padStart(5)}${t === threshold ? "   <- default" : ""}`);
  }
  console.log("");
  const wrong = rows.map((row, i) => ({ row, result: results[i]! })).filter(({ row, result }) => (result.score >= threshold) !== row.question);
  console.log(`  misclassified (${wrong.length}):`);
  for (const { row, result } of wrong) {
    console.log(`    ${row.question ? "missed question " : "false question  "} ${result.score.toFixed(2)}  ${firstLine(row.text)}`);
    console.log(`      ${result.reasons.join("; ")}`);
  }
  console.log("");
  console.log(`  ${(msPerMessage * 1000).toFixed(1)} µs per message (deterministic, no I/O)`);
}

// `npx tsx bench/slack-classifier.ts` runs just this section.
if (import.meta.url === `file://${process.argv[1]}`) await runSlackClassifierBench();
