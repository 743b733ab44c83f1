import { describe, expect, it } from "vitest";
import type { Activity, Actor } from "../../../shared/model/activity.ts";
import { ThreadSchema, type AnswerPolicy, type Thread } from "../../../shared/model/thread.ts";
import { foldThread, questionStatusAt } from "../../../shared/threads/index.ts";
import { accepted, activity, asker, at, ciBot, closed, helper, maintainer, opening, person, reopened, reply, tombstone, unaccepted } from "./build.ts";

const advocate: Actor = { id: "advocate:dana@acme.example", login: "dana@acme.example", name: "Dana", isBot: false, isTeam: true };
const otherAdvocate: Actor = { id: "advocate:sam@acme.example", login: "sam@acme.example", name: "Sam", isBot: false, isTeam: true };

/** Folds forwards and backwards (they must agree) and checks the schema. */
function fold(activities: readonly Activity[], policy: AnswerPolicy = "any-reply"): Thread {
  const forward = foldThread(activities, policy);
  expect(foldThread([...activities].reverse(), policy)).toEqual(forward);
  if (forward === null) throw new Error("expected a thread");
  return ThreadSchema.parse(forward);
}

function action(kind: Activity["kind"], id: string, minute: number, by: Actor = advocate, extra: Partial<Activity> & { title?: string } = {}): Activity {
  const { title, ...rest } = extra;
  return activity({ id: `action:${id}`, kind, actor: by, occurredAt: at(minute), thread: { version: "", ...(title ? { title } : {}) }, ...rest });
}

// Every activity of a thread carries its ref (as the adapters build them), the flag included.
const QA = { thread: { acceptsAnswers: true } };
const answerable = () => opening(QA);

describe("questionStatus: the status model, folded", () => {
  it("needs a first response while only the asker and bots have spoken", () => {
    const thread = fold([opening(), reply("self", asker, 5), reply("bot", ciBot, 6)]);
    expect(thread).toMatchObject({ status: "open", questionStatus: "needs-first-response", replyCount: 2, firstResponseAt: null });
  });

  it("under team-reply, a community reply alone is awaiting the team; a team reply answers", () => {
    const community = reply("c", helper, 10);
    expect(fold([opening(), community], "team-reply")).toMatchObject({ status: "open", questionStatus: "awaiting-team" });
    // The asker's own reply and a bot's are not community replies either.
    expect(fold([opening(), reply("self", asker, 5), reply("bot", ciBot, 6)], "team-reply").questionStatus).toBe("needs-first-response");
    expect(fold([opening(), community, reply("t", maintainer, 20)], "team-reply")).toMatchObject({ status: "answered", questionStatus: "answered" });
    // Under any-reply the same community reply is an answer.
    expect(fold([opening(), community]).questionStatus).toBe("answered");
  });

  it("answered-unmarked: replied to where an answer can be marked, none marked; marking it answers it", () => {
    const answer = reply("1", helper, 10, QA);
    expect(fold([answerable(), answer])).toMatchObject({ status: "answered", questionStatus: "answered-unmarked", acceptsAnswers: true });
    const mark = { ...accepted("a", "reply:1", helper, 20), thread: answer.thread };
    const unmark = { ...unaccepted("u", "reply:1", helper, 30), thread: answer.thread };
    expect(fold([answerable(), answer, mark]).questionStatus).toBe("answered");
    // Unmarking brings the nudge back.
    expect(fold([answerable(), answer, mark, unmark]).questionStatus).toBe("answered-unmarked");
    // A thread that accepts no answers is simply answered.
    expect(fold([opening(), reply("1", helper, 10)]).questionStatus).toBe("answered");
    // A closed thread is not nudged any more.
    expect(fold([answerable(), answer, { ...closed("c", 40), thread: answer.thread }]).questionStatus).toBe("answered");
  });

  it("under accepted, a reply does not answer: the question still waits (only any-reply and team-reply nudge)", () => {
    const thread = fold([opening(), reply("1", helper, 10)], "accepted");
    expect(thread).toMatchObject({ status: "open", questionStatus: "needs-first-response" });
    expect(fold([opening()], "accepted").questionStatus).toBe("needs-first-response");
  });

  it("resolved: closed, or deleted, without an answer; a reopen undoes it", () => {
    expect(fold([opening(), closed("1", 10)]).questionStatus).toBe("resolved");
    expect(fold([opening(), tombstone(opening().id, 10)])).toMatchObject({ status: "deleted", questionStatus: "resolved" });
    expect(fold([opening(), closed("1", 10), reopened("2", 20)]).questionStatus).toBe("needs-first-response");
    expect(fold([opening(), reply("1", helper, 5), closed("1", 10)]).questionStatus).toBe("answered");
  });

  it("not-a-question: by rule, whatever else happened", () => {
    const rule = { thread: { isQuestion: false } };
    expect(fold([opening(rule), reply("1", helper, 5, rule)]).questionStatus).toBe("not-a-question");
  });
});

describe("digest actions in the fold", () => {
  it("resolved from the digest closes the thread (it leaves the open index); a later platform reopen wins", () => {
    const mark = action("action_resolved", "r", 30);
    const thread = fold([opening(), mark]);
    expect(thread).toMatchObject({ status: "closed", closedAt: at(30), questionStatus: "resolved" });
    expect(thread.actions).toEqual([{ action: "resolved", at: at(30), by: advocate.id }]);
    expect(fold([opening(), mark, reopened("x", 40)])).toMatchObject({ status: "open", questionStatus: "needs-first-response" });
    // A reopen before the mark does not undo it.
    expect(fold([opening(), reopened("x", 20), mark]).status).toBe("closed");
  });

  it("not a question from the digest: no longer a question (so it leaves both question indexes)", () => {
    const thread = fold([opening(), action("action_not_a_question", "n", 30)]);
    expect(thread).toMatchObject({ isQuestion: false, status: "open", questionStatus: "not-a-question" });
  });

  it("snooze records the latest end; the status is snoozed only until then", () => {
    const early = action("action_snooze", "s1", 30, advocate, { until: at(30 + 24 * 60) });
    const later = action("action_snooze", "s2", 60, otherAdvocate, { until: at(60 + 24 * 60) });
    const thread = fold([opening(), early, later]);
    expect(thread.snoozedUntil).toBe(at(60 + 24 * 60));
    expect(thread.questionStatus).toBe("needs-first-response"); // the fold does not know the time
    expect(questionStatusAt(thread, new Date(at(61)))).toBe("snoozed");
    expect(questionStatusAt(thread, new Date(at(60 + 24 * 60)))).toBe("needs-first-response");
    // Snoozing an answered question changes nothing about it.
    expect(questionStatusAt(fold([opening(), reply("1", helper, 5), early]), new Date(at(61)))).toBe("answered");
  });

  it("take assigns the thread to the latest advocate who took it", () => {
    const first = action("action_take", "t1", 30, advocate);
    const second = action("action_take", "t2", 50, otherAdvocate);
    expect(fold([opening(), first])).toMatchObject({ assignee: advocate, assignedAt: at(30), status: "open" });
    expect(fold([opening(), second, first])).toMatchObject({ assignee: otherAdvocate, assignedAt: at(50) });
  });

  it("actions are never replies, never move the last activity, never decide the thread's facts", () => {
    const base = fold([opening(), reply("1", asker, 5)]);
    const withActions = fold([
      opening(),
      reply("1", asker, 5),
      action("action_take", "t", 90, person("sneaky", { isTeam: true })),
      action("action_snooze", "s", 95, advocate, { until: at(2000), title: "Not the title" }),
    ]);
    expect(withActions).toMatchObject({
      title: base.title,
      lastActivityAt: base.lastActivityAt,
      replyCount: 1,
      firstResponseAt: null,
      questionStatus: "needs-first-response",
    });
  });

  it("a second copy of the same action (the same link clicked twice) changes nothing", () => {
    const mark = action("action_take", "same", 30);
    expect(fold([opening(), mark, structuredClone(mark)])).toEqual(fold([opening(), mark]));
  });
});
