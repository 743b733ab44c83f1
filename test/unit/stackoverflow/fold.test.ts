import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Activity } from "../../../shared/model/activity.ts";
import type { AnswerPolicy } from "../../../shared/model/thread.ts";
import { stackOverflowAdapter } from "../../../shared/sources/stackoverflow/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { answer, asker, comment, configWith, deletionsEnvelope, epoch, helper, maria, other, question, questionsEnvelope, type Json } from "./helpers.ts";

const config = configWith();
const normalize = (...envelopes: ReturnType<typeof questionsEnvelope>[]) => envelopes.flatMap((e) => stackOverflowAdapter.normalize(e, config));

function fold(activities: Activity[], policy: AnswerPolicy = "any-reply") {
  return foldThread(activities, policy);
}

const Q = "2026-11-18T10:00:00Z";
const bare = () => question(1, Q);
const withAnswers = (answers: Json[], extra: Json = {}) => question(1, Q, { answer_count: answers.length, answers, ...extra });

describe("Stack Overflow questions, folded", () => {
  it("a question that gains an answer by someone else is answered, with the first response time", () => {
    expect(fold(normalize(questionsEnvelope([bare()])))).toMatchObject({ status: "open", questionStatus: "needs-first-response", isQuestion: true });
    const state = fold(normalize(questionsEnvelope([bare()]), questionsEnvelope([withAnswers([answer(901, 1, "2026-11-18T12:00:00Z")])], "2026-11-18T12:05:00Z")));
    expect(state).toMatchObject({ status: "answered", firstResponseAt: "2026-11-18T12:00:00.000Z", firstResponder: { login: "Felix R" }, replyCount: 1 });
  });

  it("comments are activity, never an answer; the asker's own answer does not answer it", () => {
    const q = withAnswers([answer(904, 1, "2026-11-18T12:00:00Z", asker)], { comments: [comment(10, 1, "2026-11-18T10:30:00Z", helper)] });
    expect(fold(normalize(questionsEnvelope([q])))).toMatchObject({ status: "open", replyCount: 1, lastActivityAt: "2026-11-18T12:00:00.000Z" });
  });

  it("under accepted only an accepted answer answers; under team-reply only the roster's", () => {
    const community = answer(901, 1, "2026-11-18T12:00:00Z", other);
    expect(fold(normalize(questionsEnvelope([withAnswers([community])])), "accepted")?.status).toBe("open");
    expect(fold(normalize(questionsEnvelope([withAnswers([community])])), "team-reply")?.status).toBe("open");
    const accepted = withAnswers([{ ...community, is_accepted: true }], { accepted_answer_id: 901 });
    expect(fold(normalize(questionsEnvelope([accepted])), "accepted")).toMatchObject({ status: "answered", acceptedAnswerBy: { login: "dev_raj" } });
    const team = withAnswers([community, answer(902, 1, "2026-11-18T13:00:00Z", maria)]);
    expect(fold(normalize(questionsEnvelope([team])), "team-reply")).toMatchObject({ status: "answered", firstResponder: { login: "Maria Acme", isTeam: true } });
  });

  it("an acceptance taken back (seen later) no longer answers it under accepted", () => {
    const accepted = withAnswers([answer(901, 1, "2026-11-18T12:00:00Z", other, { is_accepted: true })], { accepted_answer_id: 901 });
    const unaccepted = withAnswers([answer(901, 1, "2026-11-18T12:00:00Z", other)], { community_signals_unaccepted: 901 });
    const activities = normalize(questionsEnvelope([accepted], "2026-11-18T13:00:00Z"), questionsEnvelope([unaccepted], "2026-11-19T09:00:00Z"));
    expect(fold(activities, "accepted")?.status).toBe("open");
    expect(fold([...activities].reverse(), "accepted")?.status).toBe("open");
  });

  it("a deleted answer no longer answers it", () => {
    const answered = normalize(questionsEnvelope([withAnswers([answer(901, 1, "2026-11-18T12:00:00Z")])]));
    const tombstone = normalize(deletionsEnvelope({ answers: [{ answer_id: 901, question_id: 1, tag: "rocketdb" }] }));
    expect(fold([...answered, ...tombstone])).toMatchObject({ status: "open", replyCount: 0, firstResponseAt: null });
    // Whichever arrives first.
    expect(fold([...tombstone, ...answered])).toEqual(fold([...answered, ...tombstone]));
  });

  it("a closed question is resolved, a deleted one too", () => {
    const closed = question(1, Q, { closed_date: epoch("2026-11-18T11:00:00Z"), closed_reason: "Duplicate" });
    expect(fold(normalize(questionsEnvelope([closed])))).toMatchObject({ status: "closed", questionStatus: "resolved", closedAt: "2026-11-18T11:00:00.000Z" });
    const deleted = [...normalize(questionsEnvelope([bare()])), ...normalize(deletionsEnvelope({ questions: [{ question_id: 1, tag: "rocketdb" }] }))];
    expect(fold(deleted)).toMatchObject({ status: "deleted", questionStatus: "resolved", title: "Question 1 about RocketDB's compaction" });
  });

  it("a reopened question is open again", () => {
    const closed = question(1, Q, { closed_date: epoch("2026-11-18T11:00:00Z"), closed_reason: "Needs details or clarity" });
    const reopened = question(1, Q, { community_signals_reopened: true });
    expect(fold(normalize(questionsEnvelope([closed], "2026-11-18T11:30:00Z"), questionsEnvelope([reopened], "2026-11-19T08:00:00Z")))?.status).toBe("open");
  });

  it("gives the same thread for any order and repetition of its readings (property)", () => {
    // Readings of one question over time, as the poller and a backfill would queue them.
    const readings = [
      questionsEnvelope([bare()], "2026-11-18T10:01:00Z"),
      questionsEnvelope([withAnswers([answer(901, 1, "2026-11-18T12:00:00Z")], { comments: [comment(10, 1, "2026-11-18T10:30:00Z")] })], "2026-11-18T12:01:00Z"),
      questionsEnvelope([withAnswers([answer(901, 1, "2026-11-18T12:00:00Z", helper, { is_accepted: true }), answer(902, 1, "2026-11-18T13:00:00Z", maria)], { accepted_answer_id: 901 })], "2026-11-18T13:01:00Z"),
      questionsEnvelope([withAnswers([answer(902, 1, "2026-11-18T13:00:00Z", maria)], { community_signals_unaccepted: 901, closed_date: epoch("2026-11-19T09:00:00Z"), closed_reason: "Duplicate" })], "2026-11-19T09:01:00Z"),
      deletionsEnvelope({ answers: [{ answer_id: 901, question_id: 1, tag: "rocketdb" }] }, "2026-11-19T09:01:00Z"),
      questionsEnvelope([withAnswers([answer(902, 1, "2026-11-18T13:00:00Z", maria, { last_edit_date: epoch("2026-11-19T10:00:00Z") })], { community_signals_reopened: true })], "2026-11-19T10:01:00Z"),
    ].map((e) => stackOverflowAdapter.normalize(e, config));
    for (const policy of ["any-reply", "team-reply", "accepted"] as const) {
      const expected = fold(readings.flat(), policy);
      fc.assert(
        // Every reading at least once plus some repeated, each with a random sort key: any order, any repetition.
        fc.property(fc.array(fc.nat(readings.length - 1), { maxLength: 2 * readings.length }).chain((repeats) =>
          fc.array(fc.integer(), { minLength: readings.length + repeats.length, maxLength: readings.length + repeats.length }).map((keys) => ({ repeats, keys })),
        ), ({ repeats, keys }) => {
          const order = [...readings.keys(), ...repeats].map((i, n) => ({ i, key: keys[n]! })).sort((a, b) => a.key - b.key);
          const activities = order.flatMap(({ i }) => readings[i]!);
          expect(fold(activities, policy)).toEqual(expected);
        }),
        { numRuns: 200 },
      );
    }
    expect(fold(readings.flat())).toMatchObject({ status: "answered", firstResponder: { login: "Maria Acme" }, closedAt: null });
  });
});
