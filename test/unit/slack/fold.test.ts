import { describe, expect, it } from "vitest";
import type { Activity } from "../../../shared/model/activity.ts";
import type { AnswerPolicy } from "../../../shared/model/thread.ts";
import { normalizeSlackEnvelope } from "../../../shared/sources/slack/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { ASKER, HELPER, ROOT_TS, THREAD_ID, configWith, envelopeFor, fixture } from "./helpers.ts";
import type { Payload } from "./helpers.ts";

const MARIA = "U0MARIA001";
const config = configWith({ team: [{ name: "Maria", identities: { slack: [MARIA] } }] });

let delivery = 0;
function normalize(payload: Payload): Activity[] {
  delivery += 1;
  return normalizeSlackEnvelope(envelopeFor(payload, { id: `env-${delivery}` }), config);
}

/** Fold a Slack thread from deliveries, as the store would: only the activities filed under THREAD_ID. */
function fold(payloads: Payload[], policy: AnswerPolicy = "any-reply") {
  const activities = payloads.flatMap(normalize).filter((a) => a.thread?.id === THREAD_ID);
  const thread = foldThread(activities, policy);
  if (!thread) throw new Error("no thread");
  // Folding is order-free: the reverse order must give the very same thread.
  expect(foldThread([...activities].reverse(), policy)).toEqual(thread);
  return thread;
}

const question = () => fixture("message.json");

function replyBy(user: string, ts = "1794831300.000200", extra: Record<string, unknown> = {}): Payload {
  const payload = fixture("message-reply.json");
  Object.assign(payload["event"], { user, ts, event_ts: ts, ...extra });
  payload["event_id"] = `Ev-reply-${ts}`;
  return payload;
}

function reaction(type: "reaction_added" | "reaction_removed", user: string, eventTs: string): Payload {
  const payload = fixture(`${type}.json`);
  Object.assign(payload["event"], { user, event_ts: eventTs });
  payload["event_id"] = `Ev-${type}-${eventTs}`;
  return payload;
}

describe("Slack threads folded", () => {
  it("a question with no reply is open", () => {
    expect(fold([question()])).toMatchObject({ id: THREAD_ID, source: "slack", isQuestion: true, status: "open", hasOpening: true });
  });

  it("a reply by another person answers it", () => {
    const thread = fold([question(), replyBy(HELPER)]);
    expect(thread).toMatchObject({ status: "answered", firstResponseAt: "2026-11-16T12:15:00.000Z", replyCount: 1 });
    expect(thread.firstResponder?.id).toBe(`slack:user:${HELPER}`);
  });

  it("the asker's own reply does not, nor does a bot's", () => {
    const thread = fold([question(), replyBy(ASKER), fixture("message-bot_message.json")]);
    expect(thread).toMatchObject({ status: "open", replyCount: 2, firstResponseAt: null });
  });

  it("under team-reply only a roster member's reply answers", () => {
    expect(fold([question(), replyBy(HELPER)], "team-reply").status).toBe("open");
    expect(fold([question(), replyBy(HELPER), replyBy(MARIA, "1794832000.000300")], "team-reply")).toMatchObject({
      status: "answered",
      firstResponder: { id: `slack:user:${MARIA}`, isTeam: true },
    });
  });

  it("a reply that arrives before its question stands until the question comes", () => {
    const early = foldThread(normalize(replyBy(HELPER)), "any-reply");
    expect(early).toMatchObject({ hasOpening: false, isQuestion: false, title: "" });
    expect(fold([replyBy(HELPER), question()])).toMatchObject({ hasOpening: true, isQuestion: true, status: "answered" });
  });

  it("✅ by someone else answers; removing it makes the question unanswered again", () => {
    const added = reaction("reaction_added", HELPER, "1794835000.000900");
    const removed = reaction("reaction_removed", HELPER, "1794836000.001000");
    expect(fold([question(), added])).toMatchObject({
      status: "answered",
      acceptedAt: "2026-11-16T13:16:40.000Z",
      acceptedAnswerBy: { id: `slack:user:${HELPER}` },
    });
    expect(fold([question(), added, removed])).toMatchObject({ status: "open", acceptedAt: null, firstResponseAt: null });
  });

  it("✅ with no reply is the first response too: answered and responded are one rule (SLA, time to first response)", () => {
    const added = reaction("reaction_added", HELPER, "1794835000.000900");
    expect(fold([question(), added])).toMatchObject({ firstResponseAt: "2026-11-16T13:16:40.000Z", firstResponder: { id: `slack:user:${HELPER}` } });
    // A reply before the ✅ stays the first response. Under team-reply a ✅ answers whoever gave
    // it, so it is the response too; a community reply before it is not (only the team's reply is).
    expect(fold([added, replyBy(HELPER), question()])).toMatchObject({ firstResponseAt: "2026-11-16T12:15:00.000Z" });
    expect(fold([question(), replyBy(HELPER), added], "team-reply")).toMatchObject({ status: "answered", firstResponseAt: "2026-11-16T13:16:40.000Z" });
    expect(fold([question(), reaction("reaction_added", MARIA, "1794835000.000900")], "team-reply")).toMatchObject({
      firstResponder: { id: `slack:user:${MARIA}`, isTeam: true },
    });
  });

  it("✅ added again after removal answers again; a retried removal changes nothing", () => {
    const addedAgain = reaction("reaction_added", HELPER, "1794837000.000100");
    const removed = reaction("reaction_removed", HELPER, "1794836000.001000");
    const thread = fold([question(), reaction("reaction_added", HELPER, "1794835000.000900"), removed, addedAgain, removed]);
    expect(thread).toMatchObject({ status: "answered", acceptedAt: "2026-11-16T13:50:00.000Z" });
  });

  it("✅ by the asker does not answer", () => {
    expect(fold([question(), reaction("reaction_added", ASKER, "1794835000.000900")]).status).toBe("open");
  });

  it("an edit re-titles the question and can turn it into one, whichever arrives first", () => {
    const statement = question();
    statement["event"].text = "Release notes for 3.2 are up on the blog.";
    const edited = fixture("message-message_changed.json");
    expect(fold([statement])).toMatchObject({ isQuestion: false });
    const thread = fold([edited, statement]);
    expect(thread).toMatchObject({
      isQuestion: true,
      title: "Replica lag keeps growing under write load on 3.2 (3 nodes, NVMe). Any idea what to check?",
      createdAt: "2026-11-16T12:00:00.123Z",
    });
  });

  it("deleting the question resolves it as deleted, before or after it arrives, even if ✅'d", () => {
    const deleted = fixture("message-message_deleted.json");
    expect(fold([question(), replyBy(HELPER), deleted]).status).toBe("deleted");
    expect(fold([deleted, question()]).status).toBe("deleted");
    expect(fold([question(), reaction("reaction_added", HELPER, "1794835000.000900"), deleted]).status).toBe("deleted");
    expect(fold([question(), fixture("message-message_changed-tombstone.json")]).status).toBe("deleted");
  });

  it("deleting the only answering reply makes the question open again", () => {
    const deleted = fixture("message-message_deleted.json");
    deleted["event"].deleted_ts = "1794831300.000200";
    deleted["event"].previous_message = fixture("message-reply.json")["event"];
    expect(fold([question(), replyBy(HELPER), deleted])).toMatchObject({ status: "open", replyCount: 0 });
  });

  it("a retried delivery counts once", () => {
    const reply = replyBy(HELPER);
    expect(fold([question(), question(), reply, reply]).replyCount).toBe(1);
  });

  it("keeps the root ts as the thread's identity", () => {
    expect(THREAD_ID.endsWith(ROOT_TS)).toBe(true);
  });
});

describe("a team member's question reaction", () => {
  /** "what's the plan for 3.3" said as a statement: a message the classifier does not call a question. */
  const statement = () => {
    const payload = question();
    payload["event"]["text"] = "Release notes for 3.2 are up on the blog.";
    return payload;
  };
  const mark = (type: "reaction_added" | "reaction_removed", user: string, eventTs: string) => {
    const payload = reaction(type, user, eventTs);
    payload["event"]["reaction"] = "question";
    return payload;
  };
  /** All orderings of a few deliveries (each must fold to the same thread). */
  const orders = <T>(items: T[]): T[][] =>
    items.length <= 1 ? [items] : items.flatMap((item, i) => orders([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));

  it("makes a message a question, in any order, and its removal takes the mark back", () => {
    expect(fold([statement()]).isQuestion).toBe(false);
    for (const deliveries of orders([statement(), mark("reaction_added", MARIA, "1794835000.000900")])) {
      expect(fold(deliveries)).toMatchObject({ isQuestion: true, status: "open", hasOpening: true });
    }
    for (const deliveries of orders([statement(), mark("reaction_added", MARIA, "1794835000.000900"), mark("reaction_removed", MARIA, "1794836000.000100")])) {
      expect(fold(deliveries).isQuestion).toBe(false);
    }
    // Marked again after the removal: a question again.
    expect(fold([statement(), mark("reaction_added", MARIA, "1794835000.000900"), mark("reaction_removed", MARIA, "1794836000.000100"), mark("reaction_added", MARIA, "1794837000.000100")]).isQuestion).toBe(true);
  });

  it("counts only from a team member: anyone else's ❓ changes nothing", () => {
    expect(normalize(mark("reaction_added", HELPER, "1794835000.000900"))).toEqual([]);
    expect(fold([statement(), mark("reaction_added", HELPER, "1794835000.000900")]).isQuestion).toBe(false);
  });

  it("the digest's 'not a question' and a mark: the later one wins, whichever arrives first", () => {
    const marked = normalize(mark("reaction_added", MARIA, "1794835000.000900"));
    const opening = normalize(statement()).filter((a) => a.thread?.id === THREAD_ID);
    const notAQuestion = (at: string): Activity => ({
      ...opening[0]!,
      id: `${THREAD_ID}:action:not-a-question:${at}`,
      kind: "action_not_a_question",
      actor: { id: "advocate:maria@acme.example", login: "maria@acme.example", name: "Maria", isBot: false, isTeam: true },
      occurredAt: at,
      version: at,
      target: null,
    });
    const markAt = marked[0]!.occurredAt;
    const later = new Date(Date.parse(markAt) + 60_000).toISOString();
    const earlier = new Date(Date.parse(markAt) - 60_000).toISOString();
    for (const activities of orders([...opening, ...marked, notAQuestion(later)])) {
      expect(foldThread(activities, "any-reply")?.isQuestion).toBe(false);
    }
    for (const activities of orders([...opening, ...marked, notAQuestion(earlier)])) {
      expect(foldThread(activities, "any-reply")?.isQuestion).toBe(true);
    }
  });
});

describe("a ✅ read by backfill, whose moment Slack does not give", () => {
  const untimed = () => {
    const r = reaction("reaction_added", HELPER, ROOT_TS);
    r["event"].community_signals_time_unknown = true;
    return r;
  };

  it("answers, with no first response and no answer time; a live event for it wins", () => {
    expect(fold([question(), untimed()])).toMatchObject({ status: "answered", acceptedAt: null, firstResponseAt: null, acceptedAnswerBy: { id: `slack:user:${HELPER}` } });
    // A reply stays the first response.
    expect(fold([question(), untimed(), replyBy(HELPER)])).toMatchObject({ status: "answered", firstResponseAt: "2026-11-16T12:15:00.000Z", acceptedAt: null });
    // The live reaction event, whenever it arrives, gives the real moment.
    const live = reaction("reaction_added", HELPER, "1794835000.000900");
    for (const order of [[question(), untimed(), live], [live, question(), untimed()]]) {
      expect(fold(order)).toMatchObject({ acceptedAt: "2026-11-16T13:16:40.000Z", firstResponseAt: "2026-11-16T13:16:40.000Z" });
    }
  });
});
