// Learns the chat question classifier's weights (shared/sources/slack/question-weights.json) from
// the train split of test/fixtures/chat-questions/labelled.jsonl: `npm run train:classifier`.
//
// A logistic regression over the features `questionFeatures` computes at run time (the
// hand-written ones of question-classifier.ts and hashed n-grams), fitted by full-batch Nesterov
// gradient descent on the mean log loss plus an L2 penalty (the bias is not penalised), from zero,
// for a fixed number of steps: no randomness, no parallelism, so every run writes the same bytes.
//
// The L2 strength and the threshold are chosen by 5-fold cross-validation on the train split
// (folds by a hash of the id): for each strength, every fold is scored by a model fitted on the
// other four, and the pooled out-of-fold scores give precision and recall at each threshold
// 0.05, 0.06 … 0.95. The goal is both at least 0.9, so the pair whose smaller one is largest wins
// (then the higher F1; remaining ties to the stronger penalty and the threshold nearer 0.5).
// The final model is fitted on the whole train split, and the threshold is folded into the bias
// (bias − logit(threshold)), so that the scorer's 0.5, the config default, is that threshold.
// Weights are rounded to 4 decimals and hashed weights under 0.001 set to 0. The hashed weights
// go into the file as one base64 string of zigzag varints, one per bucket in units of 1e-4
// (encodeHashedWeights; the scorer's decodeHashedWeights reads it back): about 40 KB, bundled
// into the normaliser.
//
// Rows of the test split are dropped before anything else: that split is for measuring only
// (bench/slack-classifier.ts and test/unit/slack/question-classifier.model.test.ts, which also
// checks that training without those rows gives the committed file).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { HAND_FEATURES, HASH_BUCKETS, bucketOf, hashKey, questionFeatures } from "../shared/sources/slack/question-classifier.ts";

export const LABELLED_PATH = fileURLToPath(new URL("../test/fixtures/chat-questions/labelled.jsonl", import.meta.url));
export const WEIGHTS_PATH = fileURLToPath(new URL("../shared/sources/slack/question-weights.json", import.meta.url));

export interface LabelledMessage {
  id: string;
  text: string;
  question: boolean;
  split: "train" | "test";
}

export interface TrainingSettings {
  /** L2 strengths tried by cross-validation. */
  lambdas: readonly number[];
  /** Gradient steps per fit. */
  steps: number;
  /** Folds of the cross-validation. */
  folds: number;
  /** Hashed weights smaller than this (in absolute value) are written as 0. */
  dropBelow: number;
}

export const DEFAULT_SETTINGS: TrainingSettings = {
  lambdas: [1e-4, 3e-4, 1e-3, 3e-3],
  steps: 400,
  folds: 5,
  dropBelow: 0.001,
};

const THRESHOLDS = Array.from({ length: 91 }, (_, i) => Math.round((0.05 + i * 0.01) * 100) / 100);
const HAND = HAND_FEATURES.length;
const DIMENSIONS = HAND + HASH_BUCKETS;

export function readLabelled(path = LABELLED_PATH): LabelledMessage[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line, i) => {
      const row = JSON.parse(line) as Partial<LabelledMessage>;
      if (typeof row.id !== "string" || typeof row.text !== "string" || typeof row.question !== "boolean" || (row.split !== "train" && row.split !== "test")) {
        throw new Error(`${path} line ${i + 1}: need {id, text, question, split: "train" | "test"}`);
      }
      return { id: row.id, text: row.text, question: row.question, split: row.split };
    });
}

/** The fold of a message in cross-validation, from its id. */
export function foldOf(id: string, folds: number): number {
  return hashKey(`fold:${id}`) % folds;
}

/** One message as a sparse vector: hand-written features first, then HASH_BUCKETS buckets. */
interface Example {
  id: string;
  y: number;
  /** A message with nothing to weigh scores 0 whatever the weights: never fitted, always "not". */
  empty: boolean;
  index: Int32Array;
  value: Float64Array;
}

function exampleOf(row: LabelledMessage): Example {
  const features = questionFeatures(row.text);
  const sparse = new Map<number, number>();
  features.hand.forEach((x, i) => {
    if (x !== 0) sparse.set(i, x);
  });
  for (const [key, x] of features.grams) {
    const at = HAND + bucketOf(key);
    sparse.set(at, (sparse.get(at) ?? 0) + x);
  }
  const entries = [...sparse.entries()].sort((a, b) => a[0] - b[0]);
  return {
    id: row.id,
    y: row.question ? 1 : 0,
    empty: features.empty !== undefined,
    index: Int32Array.from(entries.map(([i]) => i)),
    value: Float64Array.from(entries.map(([, x]) => x)),
  };
}

interface Fitted {
  bias: number;
  weights: Float64Array;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function margin(model: Fitted, example: Example): number {
  let z = model.bias;
  for (let k = 0; k < example.index.length; k += 1) z += model.weights[example.index[k]!]! * example.value[k]!;
  return z;
}

function probability(model: Fitted, example: Example): number {
  return example.empty ? 0 : sigmoid(margin(model, example));
}

/**
 * Mean log loss + lambda/2 |w|² by Nesterov's accelerated gradient with a fixed step. Every row
 * has at most 11 ones and four unit-length blocks (a little more where hashed n-grams collide),
 * so its squared norm is about 15 at most and the loss's gradient is Lipschitz with a constant
 * near 15/4 + lambda: a step of 0.25 is safe.
 */
function fit(examples: Example[], lambda: number, steps: number): Fitted {
  const fitted = examples.filter((e) => !e.empty);
  const n = fitted.length;
  const step = 0.25;
  let weights = new Float64Array(DIMENSIONS);
  let previous = new Float64Array(DIMENSIONS);
  let bias = 0;
  let previousBias = 0;
  const gradient = new Float64Array(DIMENSIONS);
  const look = new Float64Array(DIMENSIONS);
  for (let t = 1; t <= steps; t += 1) {
    const momentum = (t - 1) / (t + 2);
    for (let j = 0; j < DIMENSIONS; j += 1) look[j] = weights[j]! + momentum * (weights[j]! - previous[j]!);
    const lookBias = bias + momentum * (bias - previousBias);
    gradient.fill(0);
    let biasGradient = 0;
    for (const e of fitted) {
      let z = lookBias;
      for (let k = 0; k < e.index.length; k += 1) z += look[e.index[k]!]! * e.value[k]!;
      const residual = (sigmoid(z) - e.y) / n;
      biasGradient += residual;
      for (let k = 0; k < e.index.length; k += 1) gradient[e.index[k]!]! += residual * e.value[k]!;
    }
    previous = weights;
    weights = new Float64Array(DIMENSIONS);
    for (let j = 0; j < DIMENSIONS; j += 1) weights[j] = look[j]! - step * (gradient[j]! + lambda * look[j]!);
    previousBias = bias;
    bias = lookBias - step * biasGradient;
  }
  return { bias, weights };
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export function countsAt(scores: readonly number[], labels: readonly boolean[], threshold: number): Counts {
  const c: Counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  scores.forEach((score, i) => {
    const predicted = score >= threshold;
    if (predicted && labels[i]) c.tp += 1;
    else if (predicted) c.fp += 1;
    else if (labels[i]) c.fn += 1;
    else c.tn += 1;
  });
  return c;
}

export function rates(c: Counts): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

export interface CrossValidation {
  lambda: number;
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Out-of-fold probabilities of every example, for one L2 strength. */
function outOfFold(examples: Example[], lambda: number, settings: TrainingSettings): number[] {
  const scores = new Array<number>(examples.length).fill(0);
  for (let fold = 0; fold < settings.folds; fold += 1) {
    const model = fit(examples.filter((e) => foldOf(e.id, settings.folds) !== fold), lambda, settings.steps);
    examples.forEach((e, i) => {
      if (foldOf(e.id, settings.folds) === fold) scores[i] = probability(model, e);
    });
  }
  return scores;
}

/**
 * What a (strength, threshold) pair is judged by: the goal is precision and recall both at least
 * 0.9, so the smaller of the two comes first, then F1.
 */
function merit(r: { precision: number; recall: number; f1: number }): [number, number] {
  return [Math.min(r.precision, r.recall), r.f1];
}

/** -1, 0 or 1 as merit `a` is below, equal to (within rounding) or above merit `b`. */
function compareMerit(a: [number, number], b: [number, number]): number {
  for (let i = 0; i < a.length; i += 1) {
    if (a[i]! > b[i]! + 1e-12) return 1;
    if (a[i]! < b[i]! - 1e-12) return -1;
  }
  return 0;
}

function bestThreshold(scores: number[], labels: boolean[]): number {
  let best = { threshold: 0.5, merit: [-1, -1] as [number, number] };
  for (const threshold of THRESHOLDS) {
    const m = merit(rates(countsAt(scores, labels, threshold)));
    const order = compareMerit(m, best.merit);
    if (order > 0 || (order === 0 && Math.abs(threshold - 0.5) < Math.abs(best.threshold - 0.5))) best = { threshold, merit: m };
  }
  return best.threshold;
}

/**
 * Cross-validation of one L2 strength on the train split of `rows`: each train message with the
 * probability a model fitted on the other folds gives it, and its fold.
 */
export function crossValidatedScores(
  rows: readonly LabelledMessage[],
  lambda: number,
  settings: TrainingSettings = DEFAULT_SETTINGS,
): { row: LabelledMessage; fold: number; probability: number }[] {
  const trainRows = rows.filter((r) => r.split === "train");
  const scores = outOfFold(trainRows.map(exampleOf), lambda, settings);
  return trainRows.map((row, i) => ({ row, fold: foldOf(row.id, settings.folds), probability: scores[i]! }));
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * The hashed weights as question-weights.json carries them: one signed integer per bucket, in
 * bucket order (units of 1e-4, 0 where none was kept), each zigzag-mapped to an unsigned one
 * (0, -1, 1, -2, 2 … become 0, 1, 2, 3, 4 …) and written as a little-endian base-128 varint (the
 * low 7 bits first, the high bit of a byte set when another byte follows), the bytes in standard
 * base64 with padding. `decodeHashedWeights` in question-classifier.ts is the inverse.
 */
export function encodeHashedWeights(units: ArrayLike<number>): string {
  const bytes: number[] = [];
  for (let bucket = 0; bucket < units.length; bucket += 1) {
    const n = units[bucket]!;
    if (!Number.isInteger(n) || n < -0x8000_0000 || n > 0x7fff_ffff) throw new Error(`hashed weight ${bucket} is ${n}: need a signed 32-bit integer`);
    let zigzag = n >= 0 ? 2 * n : -2 * n - 1;
    while (zigzag >= 0x80) {
      bytes.push((zigzag % 0x80) | 0x80);
      zigzag = Math.floor(zigzag / 0x80);
    }
    bytes.push(zigzag);
  }
  return Buffer.from(bytes).toString("base64");
}

/** Everything in question-weights.json but `about` (always WEIGHTS_ABOUT) and `hashed`. */
export interface WeightsHead {
  trainedOn: { messages: number; questions: number };
  lambda: number;
  steps: number;
  threshold: number;
  crossValidation: { folds: number; precision: number; recall: number; f1: number };
  buckets: number;
  bias: number;
  hand: Record<string, number>;
}

export const WEIGHTS_ABOUT =
  "Learned by bin/train-question-classifier.ts (npm run train:classifier) from the train split of test/fixtures/chat-questions/labelled.jsonl; do not edit. " +
  "hashed is one base64 string (standard alphabet, padded) of little-endian base-128 varints, one per bucket in bucket order: " +
  "each bucket's weight in units of 1e-4 (0 where none was kept), zigzag-mapped (0, -1, 1, -2, 2 ... as 0, 1, 2, 3, 4 ...); the bias includes -logit(threshold).";

/** The weights file, exactly as written: a readable head, then `hashed` on one line. */
export function weightsFileJson(head: WeightsHead, units: ArrayLike<number>): string {
  if (units.length !== head.buckets) throw new Error(`${units.length} hashed weights for ${head.buckets} buckets`);
  const readable = JSON.stringify({ about: WEIGHTS_ABOUT, ...head }, null, 1).slice(0, -2);
  return `${readable},\n "hashed": ${JSON.stringify(encodeHashedWeights(units))}\n}\n`;
}

export interface Training {
  /** The weights file, exactly as written. */
  json: string;
  /** Cross-validation of every L2 strength tried, the chosen one first. */
  crossValidation: CrossValidation[];
  trainSize: number;
  hashedKept: number;
}

/** Trains on the rows whose split is "train" (the others are ignored) and returns the weights file. */
export function train(rows: readonly LabelledMessage[], settings: TrainingSettings = DEFAULT_SETTINGS): Training {
  const trainRows = rows.filter((r) => r.split === "train");
  const examples = trainRows.map(exampleOf);
  const labels = trainRows.map((r) => r.question);

  const tried: CrossValidation[] = settings.lambdas.map((lambda) => {
    const scores = outOfFold(examples, lambda, settings);
    const threshold = bestThreshold(scores, labels);
    return { lambda, threshold, ...rates(countsAt(scores, labels, threshold)) };
  });
  // The best merit; ties go to the stronger penalty.
  let chosen = tried[0]!;
  for (const cv of tried) {
    const order = compareMerit(merit(cv), merit(chosen));
    if (order > 0 || (order === 0 && cv.lambda > chosen.lambda)) chosen = cv;
  }

  const model = fit(examples, chosen.lambda, settings.steps);
  const logit = Math.log(chosen.threshold / (1 - chosen.threshold));
  const hand = Object.fromEntries(HAND_FEATURES.map((name, i) => [name, round4(model.weights[i]!)]));
  const units = new Int32Array(HASH_BUCKETS);
  let hashedKept = 0;
  for (let bucket = 0; bucket < HASH_BUCKETS; bucket += 1) {
    const w = round4(model.weights[HAND + bucket]!);
    if (Math.abs(w) < settings.dropBelow) continue;
    units[bucket] = Math.round(w * 10_000);
    hashedKept += 1;
  }
  const head: WeightsHead = {
    trainedOn: { messages: trainRows.length, questions: labels.filter(Boolean).length },
    lambda: chosen.lambda,
    steps: settings.steps,
    threshold: chosen.threshold,
    crossValidation: { folds: settings.folds, precision: round4(chosen.precision), recall: round4(chosen.recall), f1: round4(chosen.f1) },
    buckets: HASH_BUCKETS,
    bias: round4(model.bias - logit),
    hand,
  };
  const json = weightsFileJson(head, units);
  return { json, crossValidation: [chosen, ...tried.filter((t) => t !== chosen)], trainSize: trainRows.length, hashedKept };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const result = train(readLabelled());
  writeFileSync(WEIGHTS_PATH, result.json);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`trained on ${result.trainSize} messages in ${seconds} s; wrote ${WEIGHTS_PATH} (${result.json.length.toLocaleString("en")} bytes, ${result.hashedKept} hashed weights)`);
  console.log("5-fold cross-validation on the train split (pooled out-of-fold scores):");
  for (const cv of result.crossValidation) {
    console.log(`  lambda ${cv.lambda}  threshold ${cv.threshold.toFixed(2)}  precision ${cv.precision.toFixed(3)}  recall ${cv.recall.toFixed(3)}  F1 ${cv.f1.toFixed(3)}${cv === result.crossValidation[0] ? "  <- chosen" : ""}`);
  }
}
