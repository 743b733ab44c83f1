// The chat question classifier (Slack and Discord) against the labelled community messages in
// test/fixtures/chat-questions/labelled.jsonl: precision, recall, F1 and the confusion matrix on
// the frozen test split at the config default threshold, a threshold sweep, the k-fold
// cross-validation on the train split that chose the threshold (recomputed), the older 205 Slack
// messages (now part of the train split), and every miss on the test split: the place to look
// before changing a feature. Retrain with `npm run train:classifier`.
import { performance } from "node:perf_hooks";
import { countsAt, crossValidatedScores, rates, readLabelled, type Counts, type LabelledMessage } from "../bin/train-question-classifier.ts";
import { SlackSourceConfigSchema } from "../shared/model/config.ts";
import { scoreQuestion } from "../shared/sources/slack/question-classifier.ts";
import WEIGHTS from "../shared/sources/slack/question-weights.json" with { type: "json" };

const pad = (value: string | number, width: number) => String(value).padStart(width);
const firstLine = (text: string) => {
  const line = text.split("\n").find((l) => l.trim().length > 0) ?? "";
  return line.length > 90 ? `${line.slice(0, 89)}…` : line;
};
const prf = (c: Counts) => {
  const r = rates(c);
  return `precision ${r.precision.toFixed(3)}   recall ${r.recall.toFixed(3)}   F1 ${r.f1.toFixed(3)}`;
};

function describe(name: string, rows: LabelledMessage[]): string {
  const questions = rows.filter((r) => r.question).length;
  return `${name}: ${rows.length} messages (${questions} questions, ${rows.length - questions} not)`;
}

export async function runSlackClassifierBench(): Promise<void> {
  const rows = readLabelled();
  const test = rows.filter((r) => r.split === "test");
  const train = rows.filter((r) => r.split === "train");
  const threshold = SlackSourceConfigSchema.parse({}).questionThreshold;

  const start = performance.now();
  const results = test.map((row) => scoreQuestion(row.text));
  const msPerMessage = (performance.now() - start) / test.length;
  const scores = results.map((r) => r.score);
  const labels = test.map((r) => r.question);
  const c = countsAt(scores, labels, threshold);

  console.log("Chat question classifier (Slack and Discord), test/fixtures/chat-questions/labelled.jsonl");
  console.log(`  ${describe("frozen test split", test)}; never used for training`);
  console.log(`  ${describe("train split", train)}`);
  console.log(`  threshold ${threshold} (the config default; the learned threshold ${WEIGHTS.threshold} is folded into the bias so that it scores 0.5)`);
  console.log("");
  console.log(`  test split   ${prf(c)}   accuracy ${((c.tp + c.tn) / test.length).toFixed(3)}`);
  console.log("");
  console.log("                      predicted question   predicted not");
  console.log(`  labelled question   ${pad(c.tp, 18)}   ${pad(c.fn, 13)}`);
  console.log(`  labelled not        ${pad(c.fp, 18)}   ${pad(c.tn, 13)}`);
  console.log("");
  console.log("  threshold   precision   recall     F1   (test split)");
  for (const t of [0.3, 0.4, 0.5, 0.6, 0.7]) {
    const r = rates(countsAt(scores, labels, t));
    console.log(`  ${t.toFixed(2).padStart(9)}   ${r.precision.toFixed(3).padStart(9)}   ${r.recall.toFixed(3).padStart(6)}   ${r.f1.toFixed(3).padStart(5)}${t === threshold ? "   <- default" : ""}`);
  }
  console.log("");

  const cvStart = performance.now();
  const cv = crossValidatedScores(rows, WEIGHTS.lambda);
  const cvSeconds = (performance.now() - cvStart) / 1000;
  const pooled = countsAt(cv.map((x) => x.probability), cv.map((x) => x.row.question), WEIGHTS.threshold);
  console.log(`  ${WEIGHTS.crossValidation.folds}-fold cross-validation on the train split (lambda ${WEIGHTS.lambda}, threshold ${WEIGHTS.threshold}, ${cvSeconds.toFixed(1)} s)`);
  console.log(`    pooled     ${prf(pooled)}`);
  for (let fold = 0; fold < WEIGHTS.crossValidation.folds; fold += 1) {
    const inFold = cv.filter((x) => x.fold === fold);
    const f = countsAt(inFold.map((x) => x.probability), inFold.map((x) => x.row.question), WEIGHTS.threshold);
    console.log(`    fold ${fold}     ${prf(f)}   (${inFold.length} messages)`);
  }
  console.log("");

  const older = rows.filter((r) => r.id.startsWith("slack-"));
  const olderCounts = countsAt(older.map((r) => scoreQuestion(r.text).score), older.map((r) => r.question), threshold);
  console.log(`  the older 205 Slack messages (train split, so a fit, not a measure): ${prf(olderCounts)}`);
  console.log("");

  const wrong = test.map((row, i) => ({ row, result: results[i]! })).filter(({ row, result }) => (result.score >= threshold) !== row.question);
  console.log(`  misclassified on the test split (${wrong.length}):`);
  for (const { row, result } of wrong) {
    console.log(`    ${row.question ? "missed question " : "false question  "} ${result.score.toFixed(2)}  ${row.id}  ${firstLine(row.text)}`);
    console.log(`      ${result.reasons.join("; ")}`);
  }
  console.log("");
  console.log(`  ${(msPerMessage * 1000).toFixed(1)} µs per message (deterministic, no I/O)`);
}

// `npx tsx bench/slack-classifier.ts` runs just this section.
if (import.meta.url === `file://${process.argv[1]}`) await runSlackClassifierBench();
