/**
 * Issue 12: the chat question classifier is measured on messages it was not fitted on. The labelled
 * set (test/fixtures/chat-questions/labelled.jsonl) has a train split, from which
 * bin/train-question-classifier.ts learns the weights, threshold and L2 strength, and a frozen test
 * split that only measures. This file checks the set, pins the test split, scores the test split
 * against the goal (precision and recall both at least 0.9 at the config default threshold), and
 * re-runs the training to prove the committed weights are what the train split gives.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LABELLED_PATH, WEIGHTS_PATH, countsAt, rates, readLabelled, train } from "../../../bin/train-question-classifier.ts";
import { SlackSourceConfigSchema } from "../../../shared/model/config.ts";
import { hashKey, scoreQuestion } from "../../../shared/sources/slack/question-classifier.ts";

const rows = readLabelled(LABELLED_PATH);
const testRows = rows.filter((r) => r.split === "test");
const trainRows = rows.filter((r) => r.split === "train");

/** SHA-256 of the test split (id, text, label of each row, in file order), taken when it was frozen. */
const FROZEN_TEST_SPLIT = "03ca49c14b4fbcea3250fbee50377df576421add2c9f98b9696b7dd2a54f12c7";
const GOAL = { precision: 0.9, recall: 0.9 };

describe("the labelled chat messages", () => {
  it("hold at least 1,000 well-formed, unique, roughly balanced messages", () => {
    expect(rows.length).toBeGreaterThanOrEqual(1000);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.text)).size).toBe(rows.length);
    for (const row of rows) expect(row.text.trim().length, row.id).toBeGreaterThan(0);
    const share = rows.filter((r) => r.question).length / rows.length;
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.55);
  });

  it("split by a hash of the id: chat-* 30% to test; slack-* (the older 205) and later more-* rows train only", () => {
    for (const row of rows) {
      const expected = row.id.startsWith("chat-") && hashKey(row.id) % 10 < 3 ? "test" : "train";
      expect(row.split, row.id).toBe(expected);
      expect(/^(?:chat|slack|more)-\d{4}$/.test(row.id), row.id).toBe(true);
    }
    const chat = rows.filter((r) => r.id.startsWith("chat-"));
    expect(testRows.length / chat.length).toBeGreaterThan(0.25);
    expect(testRows.length / chat.length).toBeLessThan(0.35);
    // Both classes, in similar shares.
    const questions = testRows.filter((r) => r.question).length;
    expect(questions / testRows.length).toBeGreaterThan(0.4);
    expect(questions / testRows.length).toBeLessThan(0.6);
  });

  it("keep the test split frozen (a change here must be deliberate: it resets every number measured on it)", () => {
    const fingerprint = createHash("sha256")
      .update(testRows.map((r) => JSON.stringify([r.id, r.text, r.question])).join("\n"))
      .digest("hex");
    expect(testRows.length).toBe(326);
    expect(fingerprint).toBe(FROZEN_TEST_SPLIT);
  });

  it("include the 205 older labelled Slack messages with their labels, in the train split", () => {
    const older = readFileSync(new URL("../../fixtures/slack/labelled-messages.jsonl", import.meta.url), "utf8")
      .split("\n")
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as { text: string; question: boolean });
    const byText = new Map(rows.map((r) => [r.text, r]));
    expect(older.length).toBe(205);
    for (const message of older) {
      expect(byText.get(message.text), message.text).toMatchObject({ question: message.question, split: "train" });
    }
  });
});

describe("the classifier on the frozen test split", () => {
  it(`reaches precision >= ${GOAL.precision} and recall >= ${GOAL.recall} at the config default threshold`, () => {
    const threshold = SlackSourceConfigSchema.parse({}).questionThreshold;
    const counts = countsAt(
      testRows.map((r) => scoreQuestion(r.text).score),
      testRows.map((r) => r.question),
      threshold,
    );
    const { precision, recall } = rates(counts);
    const measured = `precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} (${JSON.stringify(counts)}); npm run bench -- classifier lists the misses`;
    expect(precision, measured).toBeGreaterThanOrEqual(GOAL.precision);
    expect(recall, measured).toBeGreaterThanOrEqual(GOAL.recall);
  });
});

describe("training (bin/train-question-classifier.ts)", () => {
  const committed = readFileSync(WEIGHTS_PATH, "utf8");

  // The whole training (4 L2 strengths x 5 folds + the final fit, ~1,100 messages) takes about
  // 7 s on one core here, so it is run in full rather than on a subset.
  it("gives the committed weights file byte for byte, from the train split alone", () => {
    const withoutTestSplit = train(trainRows);
    expect(withoutTestSplit.json).toBe(committed);
  }, 120_000);

  it("keeps the weights file small (it is bundled into the normalize and poll-discord functions)", () => {
    expect(statSync(WEIGHTS_PATH).size).toBeLessThan(150_000);
  });
});
