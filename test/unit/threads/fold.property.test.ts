import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Activity, ActivityKind, Actor } from "../../../shared/model/activity.ts";
import { ThreadSchema, type AnswerPolicy } from "../../../shared/model/thread.ts";
import { foldThread, questionStatusAt } from "../../../shared/threads/index.ts";
import { THREAD_ID, activity, asker, at, ciBot, helper, maintainer, otherHelper, person } from "./build.ts";

const POLICIES: readonly AnswerPolicy[] = ["any-reply", "team-reply", "accepted"];
const ADVOCATES: readonly Actor[] = [
  { id: "advocate:dana@acme.example", login: "dana@acme.example", name: "Dana", isBot: false, isTeam: true },
  { id: "advocate:sam@acme.example", login: "sam@acme.example", name: null, isBot: false, isTeam: true },
];
const CAST: readonly Actor[] = [asker, helper, otherHelper, maintainer, ciBot, person("ops", { isTeam: true, isBot: true })];
const RUNS = 300;
// Generous: hundreds of runs take about a second here, but CI machines share their cores.
const PROPERTY_TIMEOUT_MS = 30_000;

// A narrow time range on purpose: equal timestamps exercise every tie-break.
const minute = fc.integer({ min: 0, max: 12 });
const castMember = fc.constantFrom(...CAST);
/** Thread-ref snapshots; several per history so the newest-ref rule has work to do. */
const refSnapshot = fc.record({
  version: fc.constantFrom("1", "2", "3"),
  title: fc.constantFrom("Widgets?", "Widgets: how?", "Solved: widgets"),
  author: fc.constantFrom(asker, null),
  createdAt: fc.constantFrom(at(0), null),
  isQuestion: fc.boolean(),
  acceptsAnswers: fc.constantFrom(true, false, undefined),
});
/** Copies of one natural id: edits with growing versions, sometimes a conflicting equal version. */
const copies = fc.array(fc.record({ version: fc.constantFrom("0001", "0002", "0003"), excerpt: fc.string({ maxLength: 3 }), ref: refSnapshot }), {
  minLength: 1,
  maxLength: 3,
});

const historyArb = fc
  .record({
    opening: fc.option(copies, { nil: null }),
    replies: fc.array(fc.record({ kind: fc.constantFrom<ActivityKind>("reply", "reply", "review"), actor: castMember, minute, copies }), { maxLength: 6 }),
    closes: fc.array(fc.record({ kind: fc.constantFrom<ActivityKind>("thread_closed", "thread_reopened"), minute, ref: refSnapshot }), { maxLength: 4 }),
    deleteOpening: fc.option(fc.record({ minute, ref: refSnapshot }), { nil: null }),
    deleteReplies: fc.array(fc.record({ reply: fc.nat(7), minute, ref: refSnapshot }), { maxLength: 4 }),
    verdicts: fc.array(fc.record({ kind: fc.constantFrom<ActivityKind>("answer_accepted", "answer_unaccepted"), reply: fc.nat(7), minute, actor: castMember, ref: refSnapshot }), { maxLength: 4 }),
    openedAt: minute,
    // Digest actions: ids derived from a link, so two entries with one id are the same click twice.
    actions: fc.array(
      fc.record({
        kind: fc.constantFrom<ActivityKind>("action_snooze", "action_not_a_question", "action_resolved", "action_take"),
        link: fc.nat(3),
        minute,
        by: fc.constantFrom(ADVOCATES[0]!, ADVOCATES[1]!),
      }),
      { maxLength: 4 },
    ),
  })
  .map((plan): Activity[] => {
    const out: Activity[] = [];
    const replyId = (i: number) => `reply:${i}`;
    for (const copy of plan.opening ?? []) {
      out.push(activity({ id: THREAD_ID, kind: "thread_opened", actor: asker, occurredAt: at(plan.openedAt), version: copy.version, excerpt: copy.excerpt, thread: copy.ref }));
    }
    plan.replies.forEach((r, i) => {
      for (const copy of r.copies) {
        out.push(activity({ id: replyId(i), kind: r.kind, actor: r.actor, occurredAt: at(r.minute), version: copy.version, excerpt: copy.excerpt, thread: copy.ref }));
      }
    });
    plan.closes.forEach((c, i) => out.push(activity({ id: `state:${i}`, kind: c.kind, occurredAt: at(c.minute), thread: c.ref })));
    if (plan.deleteOpening !== null) {
      out.push(activity({ id: `deleted:${THREAD_ID}`, kind: "deleted", occurredAt: at(plan.deleteOpening.minute), target: THREAD_ID, thread: plan.deleteOpening.ref }));
    }
    // Targets past the generated replies stand for replies that never reached us.
    for (const d of plan.deleteReplies) {
      out.push(activity({ id: `deleted:${replyId(d.reply)}`, kind: "deleted", occurredAt: at(d.minute), target: replyId(d.reply), thread: d.ref }));
    }
    plan.verdicts.forEach((v, i) =>
      out.push(activity({ id: `verdict:${i}`, kind: v.kind, actor: v.actor, occurredAt: at(v.minute), target: replyId(v.reply), thread: v.ref })),
    );
    const seenLinks = new Set<string>();
    for (const a of plan.actions) {
      const id = `action:${a.kind}:${a.link}`;
      // One link is one stored activity: its first (only) version is what the store keeps.
      if (seenLinks.has(id)) continue;
      seenLinks.add(id);
      out.push(
        activity({
          id,
          kind: a.kind,
          actor: a.by,
          occurredAt: at(a.minute),
          until: a.kind === "action_snooze" ? at(a.minute + 60) : null,
          thread: { version: "" },
        }),
      );
    }
    return out;
  })
  .filter((history) => history.length > 0);

/** A history, and a delivery of it: every element at least once, some repeated, shuffled. */
const deliveryArb = historyArb.chain((history) =>
  fc
    .array(fc.nat(history.length - 1), { maxLength: history.length })
    .chain((repeats) => {
      const indices = [...history.keys(), ...repeats];
      return fc.shuffledSubarray(indices, { minLength: indices.length, maxLength: indices.length });
    })
    // Fresh copies, so nothing can lean on object identity.
    .map((order) => ({ history, delivery: order.map((i) => structuredClone(history[i]!)) })),
);

describe("foldThread is a function of the set of activities", () => {
  it("gives a deep-equal thread for any permutation with any repeats, under every policy", () => {
    fc.assert(
      fc.property(deliveryArb, ({ history, delivery }) => {
        for (const policy of POLICIES) {
          const reference = foldThread(history, policy);
          expect(foldThread(delivery, policy)).toEqual(reference);
          const thread = ThreadSchema.parse(reference);
          // Independent checks, so a fold that is consistent but wrong still fails.
          const replyIds = new Set(history.filter((a) => a.kind === "reply").map((a) => a.id));
          const deletedIds = new Set(history.filter((a) => a.kind === "deleted").map((a) => a.target));
          expect(thread.replyCount).toBe([...replyIds].filter((id) => !deletedIds.has(id)).length);
          expect(thread.status === "deleted").toBe(deletedIds.has(THREAD_ID));
          if (thread.firstResponder !== null) {
            expect(thread.firstResponder.isBot).toBe(false);
            // Under team-reply only a team member's reply responds, or an accepted answer (which answers under every policy).
            if (policy === "team-reply") expect(thread.firstResponder.isTeam || thread.acceptedAt !== null).toBe(true);
            if (thread.author !== null) expect(thread.firstResponder.id).not.toBe(thread.author.id);
          }
          if (thread.status === "answered" && policy === "accepted") expect(thread.acceptedAt).not.toBeNull();
          // Answered by a reply means responded: one rule for both.
          if (thread.status === "answered" && thread.acceptedAt === null) expect(thread.firstResponseAt).not.toBeNull();
          // The status model agrees with the facts it is made of.
          const actions = history.filter((a) => a.kind.startsWith("action_"));
          const markedNotQuestion = actions.some((a) => a.kind === "action_not_a_question");
          if (markedNotQuestion) expect(thread.questionStatus).toBe("not-a-question");
          if (!thread.isQuestion) expect(thread.questionStatus).toBe("not-a-question");
          // Waiting for a first response; under `accepted`, for an accepted answer (replies may exist).
          if (thread.questionStatus === "needs-first-response") {
            expect(thread.status).toBe("open");
            if (policy !== "accepted") expect(thread.firstResponseAt).toBeNull();
          }
          if (thread.questionStatus === "awaiting-team") expect(policy).toBe("team-reply");
          if (thread.questionStatus === "answered-unmarked") expect([thread.acceptsAnswers, thread.acceptedAt, thread.closedAt]).toEqual([true, null, null]);
          if (thread.questionStatus === "resolved") expect(thread.status === "closed" || thread.status === "deleted" || thread.status === "open").toBe(true);
          if (thread.questionStatus === "resolved") expect(thread.closedAt !== null || thread.status === "deleted").toBe(true);
          expect(thread.questionStatus).not.toBe("snoozed");
          expect(thread.actions).toHaveLength(actions.length);
          const snoozeEnds = actions.filter((a) => a.kind === "action_snooze").map((a) => Date.parse(a.until!));
          expect(thread.snoozedUntil === null ? null : Date.parse(thread.snoozedUntil)).toBe(snoozeEnds.length ? Math.max(...snoozeEnds) : null);
          expect(thread.assignee === null).toBe(!actions.some((a) => a.kind === "action_take"));
          // Actions never count as responses and never move the last activity.
          expect(thread.firstResponder?.id.startsWith("advocate:") ?? false).toBe(false);
          if (thread.snoozedUntil !== null) {
            const during = questionStatusAt(thread, new Date(Date.parse(thread.snoozedUntil) - 1));
            expect(during === "snoozed" || !["needs-first-response", "awaiting-team", "answered-unmarked"].includes(thread.questionStatus!)).toBe(true);
            expect(questionStatusAt(thread, new Date(thread.snoozedUntil))).toBe(thread.questionStatus);
          }
        }
      }),
      { numRuns: RUNS },
    );
  }, PROPERTY_TIMEOUT_MS);

  it("never changes when an exact duplicate of any element is added", () => {
    const withPick = historyArb.chain((history) => fc.record({ history: fc.constant(history), pick: fc.nat(history.length - 1), at: fc.nat(history.length) }));
    fc.assert(
      fc.property(withPick, ({ history, pick, at: position }) => {
        const duplicated = [...history];
        duplicated.splice(position, 0, structuredClone(history[pick]!));
        for (const policy of POLICIES) expect(foldThread(duplicated, policy)).toEqual(foldThread(history, policy));
      }),
      { numRuns: RUNS },
    );
  }, PROPERTY_TIMEOUT_MS);
});
