import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SlackSourceConfigSchema } from "../../../shared/model/config.ts";
import { QUESTION_WEIGHTS, scoreQuestion } from "../../../shared/sources/slack/index.ts";

const LABELLED = new URL("../../fixtures/slack/labelled-messages.jsonl", import.meta.url);

interface Labelled {
  text: string;
  question: boolean;
}

const rows: Labelled[] = readFileSync(LABELLED, "utf8")
  .split("\n")
  .filter((line) => line.trim().length > 0)
  .map((line) => JSON.parse(line) as Labelled);

describe("scoreQuestion features", () => {
  it("scores plain questions high and says why", () => {
    const { score, reasons } = scoreQuestion("How do I configure WAL retention for read replicas?");
    expect(score).toBeGreaterThanOrEqual(0.5);
    expect(reasons.some((r) => r.startsWith("question mark"))).toBe(true);
    expect(reasons.some((r) => r.startsWith('opens with "how"'))).toBe(true);
  });

  it("hears a question without a question mark (help phrase, problem statement)", () => {
    expect(scoreQuestion("is there a way to run compaction only at night").score).toBeGreaterThanOrEqual(0.5);
    expect(scoreQuestion("I'm trying to connect from Lambda and keep getting an error, connection refused").score).toBeGreaterThanOrEqual(0.5);
  });

  // Issue 12's largest group of misses; none of these sentences is in the labelled set.
  it("hears direct questions typed without a question mark, and tells closing chatter apart", () => {
    for (const asks of [
      "what's the difference between snapshots and backups in the console",
      "is the replication lag metric limited to the primary region",
      "would it be possible to schedule vacuum per table",
      "could someone explain the retention settings for branches",
      "I'm trying to restore a snapshot into a new cluster but the restore job fails after 10 minutes",
      "hey all, quick one: can the CLI read credentials from an env var",
    ]) {
      expect(scoreQuestion(asks).score, asks).toBeGreaterThanOrEqual(0.5);
    }
    for (const tells of ["nvm, fixed it", "same here", "+1", "Release notes for 3.5: faster restores, new metrics endpoint and bug fixes"]) {
      expect(scoreQuestion(tells).score, tells).toBeLessThan(0.5);
    }
  });

  it("names the hand-written features and the strongest n-grams with their learned weights", () => {
    const { reasons } = scoreQuestion("would it be possible to schedule vacuum per table");
    expect(reasons[0]).toBe(`opens with "would" (+${QUESTION_WEIGHTS.interrogativeOpening})`);
    expect(reasons.at(-1)).toMatch(/^n-grams \([+-][\d.]+\), most: (?:word|words|opening|3-gram) "/);
  });

  it("ignores a question mark inside code or a URL", () => {
    const inCode = scoreQuestion("Ran `select * from t where a = ?` in the console, works as documented");
    const inUrl = scoreQuestion("Release notes are at https://rocketdb.dev/blog?post=3-3 for the curious");
    for (const result of [inCode, inUrl]) {
      expect(result.reasons.some((r) => r.startsWith("question mark"))).toBe(false);
      expect(result.score).toBeLessThan(0.5);
    }
  });

  it("counts an error in a pasted stack trace", () => {
    const { reasons } = scoreQuestion("after the upgrade:\n```\nException in thread main: ConnectionRefused\n  at rocket.Client.connect(Client.java:88)\n```");
    expect(reasons).toContain(`code or stack trace with an error (+${QUESTION_WEIGHTS.errorInCode})`);
  });

  it("scores links only, emoji only and empty text as zero", () => {
    expect(scoreQuestion("https://rocketdb.dev/blog/zero-downtime-migrations")).toEqual({ score: 0, reasons: ["only links"] });
    expect(scoreQuestion("🎉 :tada: 🚀")).toEqual({ score: 0, reasons: ["only emoji"] });
    expect(scoreQuestion("   ")).toEqual({ score: 0, reasons: ["no words"] });
  });

  it("counts thanks, announcements, answers and banter against", () => {
    // A logistic score comes near 0, not to it.
    expect(scoreQuestion("Thanks, that fixed it!").score).toBeLessThan(0.1);
    expect(scoreQuestion("FYI the docs site is down for maintenance on Saturday").score).toBeLessThan(0.1);
    expect(scoreQuestion("You can set compaction.window in rocket.toml").score).toBeLessThan(0.5);
    expect(scoreQuestion("Who else is excited for RocketConf?!").score).toBeLessThan(0.5);
  });

  it("does not count 'thanks in advance', or telling words inside an asking sentence", () => {
    const tia = scoreQuestion("How do I rotate the cluster CA without downtime? Thanks in advance");
    expect(tia.reasons.some((r) => r.startsWith("thanks"))).toBe(false);
    const asking = scoreQuestion("Is the ARM build now available?");
    expect(asking.reasons.some((r) => r.startsWith("announces"))).toBe(false);
    expect(asking.score).toBeGreaterThanOrEqual(0.5);
  });

  it("is deterministic and bounded", () => {
    for (const { text } of rows.slice(0, 50)) {
      const once = scoreQuestion(text);
      expect(scoreQuestion(text)).toEqual(once);
      expect(once.score).toBeGreaterThanOrEqual(0);
      expect(once.score).toBeLessThanOrEqual(1);
      expect(once.reasons.length).toBeGreaterThan(0);
    }
  });
});

describe("the labelled set", () => {
  it("holds at least 200 well-formed, roughly balanced messages", () => {
    expect(rows.length).toBeGreaterThanOrEqual(200);
    for (const row of rows) {
      expect(typeof row.text).toBe("string");
      expect(row.text.trim().length).toBeGreaterThan(0);
      expect(typeof row.question).toBe("boolean");
    }
    const share = rows.filter((r) => r.question).length / rows.length;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    expect(new Set(rows.map((r) => r.text)).size).toBe(rows.length);
  });

  // These messages are in the train split of test/fixtures/chat-questions/labelled.jsonl now, so
  // this checks they are still learned, not how the classifier does on new messages: that is
  // question-classifier.model.test.ts, on the frozen test split.
  it("is classified with precision >= 0.9 and recall >= 0.85 at the default threshold", () => {
    const threshold = SlackSourceConfigSchema.parse({}).questionThreshold;
    let truePositives = 0;
    let falsePositives = 0;
    let falseNegatives = 0;
    for (const row of rows) {
      const predicted = scoreQuestion(row.text).score >= threshold;
      if (predicted && row.question) truePositives += 1;
      else if (predicted) falsePositives += 1;
      else if (row.question) falseNegatives += 1;
    }
    const precision = truePositives / (truePositives + falsePositives);
    const recall = truePositives / (truePositives + falseNegatives);
    expect(precision).toBeGreaterThanOrEqual(0.9);
    expect(recall).toBeGreaterThanOrEqual(0.85);
  });
});
