import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Activity, ActivityKind, Actor } from "../../../shared/model/activity.ts";
import { ThreadSchema, type AnswerPolicy } from "../../../shared/model/thread.ts";
import { foldThread } from "../../../shared/threads/index.ts";
import { THREAD_ID, activity, asker, at, ciBot, helper, maintainer, otherHelper, person } from "./build.ts";

const POLICIES: readonly AnswerPolicy[] = ["any-reply", "team-reply", "accepted"];
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
            if (policy === "team-reply") expect(thread.firstResponder.isTeam).toBe(true);
            if (thread.author !== null) expect(thread.firstResponder.id).not.toBe(thread.author.id);
          }
          if (thread.status === "answered" && policy === "accepted") expect(thread.acceptedAt).not.toBeNull();
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
