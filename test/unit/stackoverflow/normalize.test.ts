import { describe, expect, it } from "vitest";
import { ADAPTERS } from "../../../shared/sources/index.ts";
import { NormalizeError } from "../../../shared/sources/types.ts";
import { normalizeStackOverflowPage, stackOverflowAdapter } from "../../../shared/sources/stackoverflow/index.ts";
import { answer, asker, comment, configWith, deletionsEnvelope, epoch, helper, maria, question, questionsEnvelope } from "./helpers.ts";

const config = configWith();

describe("Stack Overflow normaliser", () => {
  it("is the adapter the normaliser uses for stackoverflow envelopes", () => {
    expect(ADAPTERS.stackoverflow).toBe(stackOverflowAdapter);
  });

  it("opens a question thread in the first watched tag, with decoded title, link, author and excerpt", () => {
    const q = question(79210001, "2026-11-18T10:02:11Z", { tags: ["go", "rocketdb-cli", "rocketdb"], last_edit_date: epoch("2026-11-18T10:30:00Z") });
    const [opening] = stackOverflowAdapter.normalize(questionsEnvelope([q]), config);
    expect(opening).toMatchObject({
      id: "stackoverflow:stackoverflow:question:79210001",
      source: "stackoverflow",
      instance: "stackoverflow",
      channel: { id: "rocketdb-cli", name: "rocketdb-cli" },
      kind: "thread_opened",
      occurredAt: "2026-11-18T10:02:11.000Z",
      version: "2026-11-18T10:30:00.000Z",
      url: "https://stackoverflow.com/questions/79210001/question-79210001",
      excerpt: "Question 79210001: is compaction safe?",
      isQuestion: true,
      actor: { id: "stackoverflow:stackoverflow:user:21044781", login: "anna.k", isBot: false, isTeam: false },
      thread: {
        id: "stackoverflow:stackoverflow:question:79210001",
        title: "Question 79210001 about RocketDB's compaction",
        createdAt: "2026-11-18T10:02:11.000Z",
        isQuestion: true,
        acceptsAnswers: true,
      },
    });
  });

  it("turns answers into replies, comments into comment activity and an accepted answer into answer_accepted", () => {
    const a = answer(901, 1, "2026-11-18T11:00:00Z", maria, { is_accepted: true, comments: [comment(11, 901, "2026-11-18T11:05:00Z", asker)] });
    const q = question(1, "2026-11-18T10:00:00Z", { answer_count: 1, accepted_answer_id: 901, answers: [a], comments: [comment(10, 1, "2026-11-18T10:05:00Z", helper, { edited: true })] });
    const activities = stackOverflowAdapter.normalize(questionsEnvelope([q]), config);
    expect(activities.map((x) => [x.kind, x.id])).toEqual([
      ["thread_opened", "stackoverflow:stackoverflow:question:1"],
      ["reply", "stackoverflow:stackoverflow:answer:901"],
      ["comment", "stackoverflow:stackoverflow:comment:11"],
      ["comment", "stackoverflow:stackoverflow:comment:10"],
      ["answer_accepted", "stackoverflow:stackoverflow:acceptance:1"],
    ]);
    const [, reply, answerComment, questionComment, accepted] = activities;
    expect(reply).toMatchObject({ url: "https://stackoverflow.com/a/901", actor: { login: "Maria Acme", isTeam: true }, excerpt: "Answer 901: yes, since 3.1." });
    expect(answerComment!.url).toBe("https://stackoverflow.com/questions/1/question-1#comment11_901");
    expect(questionComment!.version).toBe("2026-11-18T10:05:00.000Z+edited");
    expect(accepted).toMatchObject({ target: "stackoverflow:stackoverflow:answer:901", actor: { login: "Maria Acme" }, occurredAt: "2026-11-18T11:00:00.000Z" });
  });

  it("closes a closed question with its reason, and reopens one the poller saw closed before", () => {
    const closed = question(5, "2026-11-22T09:30:00Z", { closed_date: epoch("2026-11-22T10:00:00Z"), closed_reason: "Opinion-based" });
    const close = stackOverflowAdapter.normalize(questionsEnvelope([closed]), config).find((a) => a.kind === "thread_closed");
    expect(close).toMatchObject({ id: "stackoverflow:stackoverflow:closure:5", occurredAt: "2026-11-22T10:00:00.000Z", reason: "Opinion-based", actor: { login: "Community", isBot: true } });
    const reopened = question(5, "2026-11-22T09:30:00Z", { community_signals_reopened: true });
    const reopen = stackOverflowAdapter.normalize(questionsEnvelope([reopened], "2026-11-23T00:00:00Z"), config).find((a) => a.kind === "thread_reopened");
    expect(reopen).toMatchObject({ id: "stackoverflow:stackoverflow:closure:5", version: "2026-11-23T00:00:00.000Z" });
    // The reading taken later outranks the close.
    expect(reopen!.version > close!.version).toBe(true);
  });

  it("turns deletions into tombstones of the question and of the answer", () => {
    const activities = stackOverflowAdapter.normalize(deletionsEnvelope({ questions: [{ question_id: 7, tag: "rocketdb" }], answers: [{ answer_id: 907, question_id: 8, tag: "rocketdb" }] }), config);
    expect(activities.map((a) => [a.kind, a.target, a.thread?.id])).toEqual([
      ["deleted", "stackoverflow:stackoverflow:question:7", "stackoverflow:stackoverflow:question:7"],
      ["deleted", "stackoverflow:stackoverflow:answer:907", "stackoverflow:stackoverflow:question:8"],
    ]);
  });

  it("a question outside every watched tag is not a question; the Community user is a bot; a deleted account keeps its name", () => {
    const q = question(2, "2026-11-18T10:00:00Z", {
      tags: ["python"],
      owner: { display_name: "user123", user_type: "does_not_exist" },
      answer_count: 1,
      answers: [answer(902, 2, "2026-11-18T10:30:00Z", { user_id: -1, display_name: "Community", user_type: "moderator" })],
    });
    const [opening, reply] = stackOverflowAdapter.normalize(questionsEnvelope([q]), config);
    expect(opening).toMatchObject({ isQuestion: false, channel: { id: "python" }, actor: { id: "stackoverflow:stackoverflow:user:deleted:user123", login: "user123" } });
    expect(reply!.actor).toMatchObject({ id: "stackoverflow:stackoverflow:user:-1", isBot: true });
  });

  it("skips one unreadable question alone and fails a body that is not a page", () => {
    const page = normalizeStackOverflowPage(questionsEnvelope([{ question_id: 3, title: 5 }, question(4, "2026-11-18T10:00:00Z")]), config);
    expect(page.activities.map((a) => a.id)).toEqual(["stackoverflow:stackoverflow:question:4"]);
    expect(page.skipped).toEqual([{ index: 0, messageId: "3", reason: expect.stringMatching(/^stackoverflow questions: questions\[0\]: /) }]);
    expect(() => stackOverflowAdapter.normalize(questionsEnvelope([], undefined, { body: "{" }), config)).toThrow(NormalizeError);
    expect(() => stackOverflowAdapter.normalize(questionsEnvelope([], undefined, { body: "{}" }), config)).toThrow(/site/);
    expect(stackOverflowAdapter.normalize(questionsEnvelope([], undefined, { eventType: "other" }), config)).toEqual([]);
  });

  it("is idempotent: the same envelope gives the same activities", () => {
    const q = question(1, "2026-11-18T10:00:00Z", { answer_count: 1, answers: [answer(901, 1, "2026-11-18T11:00:00Z")] });
    const e = questionsEnvelope([q]);
    expect(stackOverflowAdapter.normalize(e, config)).toEqual(stackOverflowAdapter.normalize(e, config));
  });
});
