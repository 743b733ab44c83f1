import { describe, expect, it } from "vitest";
import type { Activity } from "../../../shared/model/activity.ts";
import { ThreadSchema, type AnswerPolicy, type Thread } from "../../../shared/model/thread.ts";
import { dedupeActivities, foldThread, isQualifyingResponse } from "../../../shared/threads/index.ts";
import {
  THREAD_ID,
  accepted,
  activity,
  asker,
  at,
  ciBot,
  closed,
  helper,
  maintainer,
  opening,
  otherHelper,
  reopened,
  reply,
  review,
  threadRef,
  tombstone,
  unaccepted,
} from "./build.ts";

/** Folds in the given order and in reverse, checks both agree and satisfy the schema. */
function fold(activities: readonly Activity[], policy: AnswerPolicy = "any-reply"): Thread {
  const forward = foldThread(activities, policy);
  const backward = foldThread([...activities].reverse(), policy);
  expect(backward).toEqual(forward);
  if (forward === null) throw new Error("expected a thread");
  return ThreadSchema.parse(forward);
}

describe("dedupeActivities (rule 1)", () => {
  it("keeps the greatest version of each id, sorted by id", () => {
    const oldB = reply("b", helper, 5, { version: "0001", excerpt: "first draft" });
    const newB = reply("b", helper, 5, { version: "0002", excerpt: "edited" });
    const a = reply("a", otherHelper, 3);
    const kept = dedupeActivities([newB, a, oldB, a]);
    expect(kept.map((x) => x.id)).toEqual(["reply:a", "reply:b"]);
    expect(kept[1]?.excerpt).toBe("edited");
    expect(dedupeActivities([oldB, newB])[0]?.excerpt).toBe("edited");
  });

  it("compares versions as strings, not numbers", () => {
    const nine = reply("a", helper, 1, { version: "9", excerpt: "nine" });
    const ten = reply("a", helper, 1, { version: "10", excerpt: "ten" });
    expect(dedupeActivities([nine, ten])[0]?.excerpt).toBe("nine");
  });

  it("picks the same copy of conflicting equal versions whichever comes first", () => {
    const x = reply("a", helper, 1, { excerpt: "x" });
    const y = reply("a", helper, 1, { excerpt: "y" });
    const first = dedupeActivities([x, y]);
    expect(dedupeActivities([y, x])).toEqual(first);
    expect(first).toHaveLength(1);
  });

  it("an edit of the opening wins over the older version whichever arrives first", () => {
    const v1 = opening({ version: "2024-05-01T10:00:00Z", excerpt: "old body", thread: { title: "old title", version: "1" } });
    const v2 = opening({ version: "2024-05-01T11:00:00Z", excerpt: "new body", thread: { title: "new title", version: "2" } });
    for (const order of [[v1, v2], [v2, v1]]) {
      const thread = fold(order);
      expect(thread.excerpt).toBe("new body");
      expect(thread.title).toBe("new title");
    }
  });
});

describe("tombstones (rule 2)", () => {
  it("deleting the only qualifying reply re-opens the thread, whichever arrives first", () => {
    const answer = reply("1", helper, 10);
    expect(fold([opening(), answer]).status).toBe("answered");
    for (const order of [[opening(), answer, tombstone("reply:1", 20)], [tombstone("reply:1", 20), answer, opening()]]) {
      const thread = fold(order);
      expect(thread.status).toBe("open");
      expect(thread.firstResponseAt).toBeNull();
      expect(thread.firstResponder).toBeNull();
      expect(thread.replyCount).toBe(0);
    }
  });

  it("a deleted first response hands firstResponseAt to the next one", () => {
    const thread = fold([opening(), reply("1", helper, 10), reply("2", otherHelper, 30), tombstone("reply:1", 40)]);
    expect(thread.firstResponseAt).toBe(at(30));
    expect(thread.firstResponder?.id).toBe(otherHelper.id);
    expect(thread.replyCount).toBe(1);
  });

  it("a tombstone aimed at another tombstone does not undo that deletion", () => {
    const deleteReply = tombstone("reply:1", 50);
    const deleteTombstone = activity({ id: "deleted:deleted:reply:1", kind: "deleted", occurredAt: at(40), target: deleteReply.id });
    const thread = fold([opening(), reply("1", helper, 10), deleteReply, deleteTombstone]);
    expect(thread.status).toBe("open");
    expect(thread.replyCount).toBe(0);
    expect(thread.lastActivityAt).toBe(at(50));
  });

  it("a tombstone for an activity never stored changes nothing else", () => {
    const thread = fold([opening(), reply("1", helper, 10), tombstone("reply:unknown", 5)]);
    expect(thread.status).toBe("answered");
    expect(thread.replyCount).toBe(1);
  });
});

describe("opening and deletion (rule 3)", () => {
  it("a reply that arrives before its opening stands on its own, then the opening fills in", () => {
    const early = reply("1", helper, 10);
    const alone = fold([early]);
    expect(alone.id).toBe(THREAD_ID);
    expect(alone.hasOpening).toBe(false);
    expect(alone.excerpt).toBeNull();
    expect(alone.title).toBe("How do I configure widgets?");
    expect(alone.author?.id).toBe(asker.id);
    expect(alone.createdAt).toBe(at(0));
    expect(alone.status).toBe("answered");

    const complete = fold([early, opening()]);
    expect(complete.hasOpening).toBe(true);
    expect(complete.excerpt).toBe("The widget will not spin.");
  });

  it("deleting the opening makes the thread deleted whichever arrives first", () => {
    const gone = tombstone(THREAD_ID, 50);
    for (const order of [[opening(), reply("1", helper, 10), gone], [gone, reply("1", helper, 10), opening()], [gone]]) {
      const thread = fold(order);
      expect(thread.status).toBe("deleted");
      expect(thread.hasOpening).toBe(false);
      expect(thread.excerpt).toBeNull();
      expect(thread.title).toBe("How do I configure widgets?");
    }
  });

  it("deleting a reply does not delete the thread", () => {
    const thread = fold([opening(), reply("1", asker, 10), tombstone("reply:1", 20)]);
    expect(thread.status).toBe("open");
    expect(thread.hasOpening).toBe(true);
  });
});

describe("thread facts (rule 4)", () => {
  it("come from the thread ref with the greatest version, with source, instance and channel of its carrier", () => {
    const early = reply("1", helper, 10, { thread: { title: "stale title", version: "1" } });
    const late = reply("2", otherHelper, 20, {
      thread: { title: "fresh title", url: "https://example.test/7", isQuestion: false, version: "3", author: maintainer },
      instance: "acme/renamed",
      channel: { id: "github:repo:acme/renamed", name: "acme/renamed" },
    });
    const middle = opening({ thread: { title: "middle title", version: "2" } });
    const thread = fold([early, late, middle]);
    expect(thread.title).toBe("fresh title");
    expect(thread.url).toBe("https://example.test/7");
    expect(thread.isQuestion).toBe(false);
    expect(thread.author?.id).toBe(maintainer.id);
    expect(thread.instance).toBe("acme/renamed");
    expect(thread.channel.id).toBe("github:repo:acme/renamed");
  });

  it("break equal ref versions by the greater activity id", () => {
    const a = reply("a", helper, 10, { thread: { title: "from a" } });
    const b = reply("b", helper, 10, { thread: { title: "from b" } });
    expect(fold([b, a]).title).toBe("from b");
  });

  it("take createdAt from the platform, else from the earliest activity", () => {
    expect(fold([reply("1", helper, 10, { thread: { createdAt: at(-60) } })]).createdAt).toBe(at(-60));
    const noCreation = { createdAt: null };
    const thread = fold([reply("1", helper, 10, { thread: noCreation }), reply("2", helper, 7, { thread: noCreation })]);
    expect(thread.createdAt).toBe(at(7));
  });
});

describe("open and closed (rule 5)", () => {
  it("close then reopen by platform time leaves it open, whatever the arrival order", () => {
    const thread = fold([reopened("1", 30), opening(), closed("1", 20)]);
    expect(thread.status).toBe("open");
    expect(thread.closedAt).toBeNull();
  });

  it("reopen then close by platform time leaves it closed, whatever the arrival order", () => {
    const thread = fold([closed("1", 40), opening(), reopened("1", 30), closed("0", 10)]);
    expect(thread.status).toBe("closed");
    expect(thread.closedAt).toBe(at(40));
  });

  it("breaks equal platform times by the greater activity id", () => {
    // "reopened:1" > "closed:1", so the reopen wins the tie.
    expect(fold([opening(), closed("1", 20), reopened("1", 20)]).closedAt).toBeNull();
  });

  it("ignores a deleted close", () => {
    expect(fold([opening(), closed("1", 20), tombstone("closed:1", 30)]).status).toBe("open");
  });
});

describe("responses (rule 6)", () => {
  it("the author's own reply does not answer but is counted", () => {
    const thread = fold([opening(), reply("1", asker, 10)]);
    expect(thread.status).toBe("open");
    expect(thread.firstResponseAt).toBeNull();
    expect(thread.replyCount).toBe(1);
  });

  it("a bot reply does not answer but is counted", () => {
    const thread = fold([opening(), reply("1", ciBot, 10)]);
    expect(thread.status).toBe("open");
    expect(thread.replyCount).toBe(1);
  });

  it("team-reply ignores community replies, any-reply does not", () => {
    const history = [opening(), reply("1", helper, 10), reply("2", maintainer, 30)];
    const team = fold(history, "team-reply");
    expect(team.firstResponseAt).toBe(at(30));
    expect(team.firstResponder?.id).toBe(maintainer.id);
    const any = fold(history, "any-reply");
    expect(any.firstResponseAt).toBe(at(10));
    expect(any.firstResponder?.id).toBe(helper.id);
    expect(fold(history.slice(0, 2), "team-reply").status).toBe("open");
  });

  it("a review is a response but not a reply", () => {
    const thread = fold([opening(), review("1", helper, 5), reply("1", otherHelper, 9)]);
    expect(thread.firstResponseAt).toBe(at(5));
    expect(thread.firstResponder?.id).toBe(helper.id);
    expect(thread.replyCount).toBe(1);
  });

  it("breaks equal response times by the smaller activity id", () => {
    const thread = fold([opening(), reply("b", otherHelper, 10), reply("a", helper, 10)]);
    expect(thread.firstResponder?.id).toBe(helper.id);
  });

  it("counts any non-bot when the author is unknown", () => {
    const unknownAuthor = { author: null };
    const thread = fold([reply("1", ciBot, 5, { thread: unknownAuthor }), reply("2", asker, 8, { thread: unknownAuthor })]);
    expect(thread.firstResponder?.id).toBe(asker.id);
    expect(thread.firstResponseAt).toBe(at(8));
  });

  it("isQualifyingResponse applies the rules to one activity", () => {
    expect(isQualifyingResponse(reply("1", helper, 1), asker, "any-reply")).toBe(true);
    expect(isQualifyingResponse(reply("1", helper, 1), asker, "team-reply")).toBe(false);
    expect(isQualifyingResponse(reply("1", maintainer, 1), asker, "team-reply")).toBe(true);
    expect(isQualifyingResponse(reply("1", asker, 1), asker, "any-reply")).toBe(false);
    expect(isQualifyingResponse(reply("1", asker, 1), null, "any-reply")).toBe(true);
    expect(isQualifyingResponse(reply("1", ciBot, 1), null, "any-reply")).toBe(false);
    expect(isQualifyingResponse(reply("1", { ...ciBot, isTeam: true }, 1), asker, "team-reply")).toBe(false);
    expect(isQualifyingResponse(closed("1", 1, helper), asker, "any-reply")).toBe(false);
  });
});

describe("accepted answer (rule 7)", () => {
  const answer = reply("1", helper, 10);

  it("accepted then unaccepted does not count", () => {
    const thread = fold([opening(), answer, accepted("1", "reply:1", helper, 20), unaccepted("1", "reply:1", helper, 30)], "accepted");
    expect(thread.status).toBe("open");
    expect(thread.acceptedAt).toBeNull();
    expect(thread.acceptedAnswerBy).toBeNull();
  });

  it("an unaccept at the same time as the acceptance wins; an earlier one does not", () => {
    const same = fold([opening(), answer, accepted("1", "reply:1", helper, 20), unaccepted("1", "reply:1", helper, 20)], "accepted");
    expect(same.acceptedAt).toBeNull();
    const reaccepted = fold([opening(), answer, unaccepted("1", "reply:1", helper, 15), accepted("2", "reply:1", helper, 20)], "accepted");
    expect(reaccepted.status).toBe("answered");
    expect(reaccepted.acceptedAt).toBe(at(20));
  });

  it("an unaccept of another answer does not cancel this one", () => {
    const thread = fold([opening(), answer, accepted("1", "reply:1", helper, 20), unaccepted("1", "reply:9", helper, 30)], "accepted");
    expect(thread.acceptedAnswerBy?.id).toBe(helper.id);
  });

  it("an accepted answer whose comment was deleted does not count", () => {
    const thread = fold([tombstone("reply:1", 40), opening(), answer, accepted("1", "reply:1", helper, 20)], "accepted");
    expect(thread.status).toBe("open");
    expect(thread.acceptedAt).toBeNull();
  });

  it("the latest standing acceptance names the answerer", () => {
    const thread = fold(
      [opening(), answer, reply("2", otherHelper, 12), accepted("1", "reply:1", helper, 20), accepted("2", "reply:2", otherHelper, 25)],
      "accepted",
    );
    expect(thread.acceptedAt).toBe(at(25));
    expect(thread.acceptedAnswerBy?.id).toBe(otherHelper.id);
  });
});

describe("answered under each policy (rules 8 and 9)", () => {
  it("accepted policy: a qualifying reply alone does not answer, an acceptance does", () => {
    const replied = [opening(), reply("1", maintainer, 10)];
    const onlyReplied = fold(replied, "accepted");
    expect(onlyReplied.status).toBe("open");
    expect(onlyReplied.firstResponseAt).toBe(at(10));
    expect(fold([...replied, accepted("1", "reply:1", maintainer, 20)], "accepted").status).toBe("answered");
  });

  it("reply policies: an acceptance answers even without a qualifying reply", () => {
    const history = [opening(), reply("1", asker, 10), accepted("1", "reply:1", asker, 20)];
    expect(fold(history, "team-reply").status).toBe("answered");
    expect(fold(history, "any-reply").firstResponseAt).toBeNull();
  });

  it("status precedence: deleted over answered over closed over open", () => {
    const answeredAndClosed = [opening(), reply("1", helper, 10), closed("1", 20)];
    const thread = fold(answeredAndClosed);
    expect(thread.status).toBe("answered");
    expect(thread.closedAt).toBe(at(20));
    expect(fold([...answeredAndClosed, tombstone(THREAD_ID, 30)]).status).toBe("deleted");
    expect(fold([opening(), closed("1", 20)]).status).toBe("closed");
    expect(fold([opening()]).status).toBe("open");
  });
});

describe("lastActivityAt (rule 10)", () => {
  it("is the latest surviving activity, tombstones included", () => {
    expect(fold([opening(), reply("1", helper, 10), reply("2", helper, 90), tombstone("reply:2", 30)]).lastActivityAt).toBe(at(30));
    expect(fold([opening(), reply("1", helper, 10), tombstone("reply:9", 5)]).lastActivityAt).toBe(at(10));
  });

  it("orders instants by the moment, not the spelling", () => {
    const offset = reply("1", helper, 0, { occurredAt: "2024-05-01T12:30:00+02:00" });
    const utc = reply("2", helper, 0, { occurredAt: "2024-05-01T10:45:00.000Z" });
    expect(fold([opening(), offset, utc]).lastActivityAt).toBe("2024-05-01T10:45:00.000Z");
  });
});

describe("bad input", () => {
  it("returns null without any thread ref", () => {
    expect(foldThread([], "any-reply")).toBeNull();
    expect(foldThread([activity({ id: "github:star:1", kind: "star", thread: null })], "any-reply")).toBeNull();
  });

  it("takes activities without a thread ref as part of the thread", () => {
    const star = activity({ id: "github:star:1", kind: "star", thread: null, occurredAt: at(99) });
    expect(fold([opening(), star]).lastActivityAt).toBe(at(99));
  });

  it("throws a RangeError naming both ids when threads are mixed", () => {
    const foreign = reply("x", helper, 5, { thread: threadRef({ id: "github:issue:acme/widgets#8" }) });
    expect(() => foldThread([opening(), foreign], "any-reply")).toThrow(RangeError);
    expect(() => foldThread([foreign, opening()], "any-reply")).toThrow(/github:issue:acme\/widgets#7.*github:issue:acme\/widgets#8/);
  });

  it("throws a RangeError for an unknown policy", () => {
    expect(() => foldThread([opening()], "first-reply" as AnswerPolicy)).toThrow(/unknown answer policy: "first-reply"/);
    expect(() => isQualifyingResponse(opening(), null, "" as AnswerPolicy)).toThrow(RangeError);
  });

  it("throws a RangeError naming the activity with an unreadable time", () => {
    const broken = { ...reply("1", helper, 5), occurredAt: "yesterday" };
    expect(() => foldThread([opening(), broken], "any-reply")).toThrow(/occurredAt of activity reply:1/);
  });
});
