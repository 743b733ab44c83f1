// A property of Slack backfill: for any thread (edits, deletions, bot and team replies, a
// broadcast, answered and question reactions added and taken back), the envelopes the backfill
// reads from Slack's history, mixed in any order and with repeats into the live Events API
// deliveries of the same thread, fold to exactly the thread the live deliveries alone make.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Activity } from "../../../shared/model/activity.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";
import type { AnswerPolicy } from "../../../shared/model/thread.ts";
import { fixedClock } from "../../../shared/runtime/clock.ts";
import { createSlackBackfill } from "../../../shared/sources/slack/backfill.ts";
import { normalizeSlackEnvelope } from "../../../shared/sources/slack/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { FakeSlack, type SlackStoredMessage } from "../../support/fake-slack.ts";
import { configWith, envelopeFor, type Payload } from "./helpers.ts";

const TEAM = "T0ROCKETDB";
const CHANNEL = "C0HELP0001";
const ASKER = "U0ASKER001";
const HELPER = "U0HELPER01";
const MARIA = "U0MARIA001";
const BOT = "bot";
const ROOT_SECONDS = 1794830400;
const ROOT_TS = `${ROOT_SECONDS}.123456`;
const THREAD = `slack:${TEAM}:${CHANNEL}:${ROOT_TS}`;
const NOW = new Date((ROOT_SECONDS + 86_400) * 1000);
const SINCE = new Date((ROOT_SECONDS - 86_400) * 1000);
const TEXTS = ["How do I rotate the TLS certs without downtime?", "Release notes for 3.2 are up on the blog.", "thanks, that worked", "Did you try restarting the replica?", "anyone seen E1234 after upgrading?"];

const at = (seconds: number, micros = 0) => `${ROOT_SECONDS + seconds}.${String(micros).padStart(6, "0")}`;

interface Post {
  user: string;
  text: number;
  edit: number | null;
  deleted: boolean;
  broadcast: boolean;
}
interface Reaction {
  user: string;
  name: string;
  /** Added, removed, added, ... this many times: present now when odd. */
  toggles: number;
}
interface Scenario {
  root: Omit<Post, "user" | "broadcast">;
  replies: Post[];
  reactions: Reaction[];
  policy: AnswerPolicy;
  order: number;
  repeats: number[];
}

const post = (users: string[]) =>
  fc.record({
    user: fc.constantFrom(...users),
    text: fc.nat(TEXTS.length - 1),
    edit: fc.option(fc.nat(TEXTS.length - 1), { nil: null }),
    deleted: fc.boolean(),
    broadcast: fc.boolean(),
  });

const scenario: fc.Arbitrary<Scenario> = fc.record({
  root: fc.record({ text: fc.nat(TEXTS.length - 1), edit: fc.option(fc.nat(TEXTS.length - 1), { nil: null }), deleted: fc.boolean() }),
  replies: fc.array(post([ASKER, HELPER, MARIA, BOT]), { maxLength: 5 }),
  reactions: fc.uniqueArray(fc.record({ user: fc.constantFrom(ASKER, HELPER, MARIA), name: fc.constantFrom("white_check_mark", "question", "tada"), toggles: fc.integer({ min: 1, max: 3 }) }), {
    maxLength: 4,
    selector: (r) => `${r.user}:${r.name}`,
  }),
  policy: fc.constantFrom<AnswerPolicy>("any-reply", "team-reply", "accepted"),
  order: fc.integer(),
  repeats: fc.array(fc.nat(), { maxLength: 6 }),
});

const config = configWith({ team: [{ name: "Maria", identities: { slack: [MARIA] } }] });

/** The message as Slack holds it (and sends it in an event): a user's post or a bot's. */
function message(ts: string, user: string, text: string, extra: Record<string, unknown> = {}): Payload {
  if (user === BOT) {
    return { type: "message", subtype: "bot_message", text, ts, username: "GitHub", bot_id: "B0GHBOT001", bot_profile: { id: "B0GHBOT001", name: "GitHub" }, ...extra };
  }
  return { type: "message", text, user, ts, team: TEAM, ...extra };
}

function callback(event: Payload, id: string, seconds: number): Payload {
  return { token: "t", team_id: TEAM, api_app_id: "A0COMMSIG1", event, type: "event_callback", event_id: id, event_time: seconds };
}

const where = { channel: CHANNEL, channel_type: "channel" };

/** Every delivery the Events API made for the scenario, in the order it happened. */
function liveDeliveries(s: Scenario): Payload[] {
  const out: Payload[] = [];
  const root = message(ROOT_TS, ASKER, TEXTS[s.root.text]!);
  out.push(callback({ ...root, ...where, event_ts: ROOT_TS }, "Ev-root", ROOT_SECONDS));
  if (s.root.edit !== null) {
    const ts = at(30);
    out.push(callback({ type: "message", subtype: "message_changed", hidden: true, ...where, ts, event_ts: ts, message: { ...root, text: TEXTS[s.root.edit], edited: { user: ASKER, ts } }, previous_message: root }, "Ev-root-edit", ROOT_SECONDS + 30));
  }
  s.replies.forEach((r, i) => {
    const ts = at(60 * (i + 1), i + 1);
    const reply = message(ts, r.user, TEXTS[r.text]!, { thread_ts: ROOT_TS, parent_user_id: ASKER, ...(r.broadcast && r.user !== BOT ? { subtype: "thread_broadcast" } : {}) });
    out.push(callback({ ...reply, ...where, event_ts: ts }, `Ev-reply-${i}`, ROOT_SECONDS + 60 * (i + 1)));
    if (r.edit !== null) {
      const editTs = at(60 * (i + 1) + 30);
      out.push(callback({ type: "message", subtype: "message_changed", hidden: true, ...where, ts: editTs, event_ts: editTs, message: { ...reply, text: TEXTS[r.edit], edited: { user: r.user, ts: editTs } }, previous_message: reply }, `Ev-reply-edit-${i}`, ROOT_SECONDS + 60 * (i + 1) + 30));
    }
    if (r.deleted) {
      const gone = at(5_000 + i);
      out.push(callback({ type: "message", subtype: "message_deleted", hidden: true, ...where, ts: gone, event_ts: gone, deleted_ts: ts, previous_message: reply }, `Ev-reply-del-${i}`, ROOT_SECONDS + 5_000 + i));
    }
  });
  s.reactions.forEach((r, i) => {
    for (let k = 0; k < r.toggles; k++) {
      const ts = at(1_000 + 100 * i + 10 * k);
      const type = k % 2 === 0 ? "reaction_added" : "reaction_removed";
      out.push(callback({ type, user: r.user, reaction: r.name, item_user: ASKER, item: { type: "message", channel: CHANNEL, ts: ROOT_TS }, event_ts: ts }, `Ev-${type}-${i}-${k}`, ROOT_SECONDS + 1_000 + 100 * i + 10 * k));
    }
  });
  if (s.root.deleted) {
    const gone = at(9_000);
    const surviving = s.replies.some((r) => !r.deleted);
    // A question with replies leaves a tombstone in its place; one without is simply deleted.
    const event = surviving
      ? { type: "message", subtype: "message_changed", hidden: true, ...where, ts: gone, event_ts: gone, message: tombstone(s) }
      : { type: "message", subtype: "message_deleted", hidden: true, ...where, ts: gone, event_ts: gone, deleted_ts: ROOT_TS, previous_message: root };
    out.push(callback(event, "Ev-root-del", ROOT_SECONDS + 9_000));
  }
  return out;
}

function tombstone(s: Scenario): SlackStoredMessage {
  const replies = s.replies.map((r, i) => ({ r, ts: at(60 * (i + 1), i + 1) })).filter(({ r }) => !r.deleted);
  return {
    type: "message",
    subtype: "tombstone",
    text: "This message was deleted.",
    user: "USLACKBOT",
    hidden: true,
    ts: ROOT_TS,
    thread_ts: ROOT_TS,
    parent_user_id: "USLACKBOT",
    reply_count: replies.length,
    latest_reply: replies.at(-1)?.ts,
  };
}

/** What Slack's history holds after all that: current texts, surviving messages, standing reactions. */
function history(s: Scenario): SlackStoredMessage[] {
  const out: SlackStoredMessage[] = [];
  const replies = s.replies.map((r, i) => ({ r, ts: at(60 * (i + 1), i + 1) }));
  const surviving = replies.filter(({ r }) => !r.deleted);
  if (s.root.deleted) {
    if (surviving.length > 0) out.push(tombstone(s));
  } else {
    const standing = s.reactions.filter((r) => r.toggles % 2 === 1);
    const names = [...new Set(standing.map((r) => r.name))];
    const reactions = names.map((name) => {
      const users = standing.filter((r) => r.name === name).map((r) => r.user);
      return { name, users, count: users.length };
    });
    const text = TEXTS[s.root.edit ?? s.root.text]!;
    out.push(message(ROOT_TS, ASKER, text, { ...(s.root.edit !== null ? { edited: { user: ASKER, ts: at(30) } } : {}), ...(reactions.length ? { reactions } : {}) }) as SlackStoredMessage);
  }
  surviving.forEach(({ r, ts }) => {
    const i = replies.findIndex((x) => x.ts === ts);
    const text = TEXTS[r.edit ?? r.text]!;
    out.push(
      message(ts, r.user, text, {
        thread_ts: ROOT_TS,
        parent_user_id: ASKER,
        ...(r.broadcast && r.user !== BOT ? { subtype: "thread_broadcast" } : {}),
        ...(r.edit !== null ? { edited: { user: r.user, ts: at(60 * (i + 1) + 30) } } : {}),
      }) as SlackStoredMessage,
    );
  });
  return out;
}

/** A deterministic shuffle (the seed comes from fast-check, so a failure shrinks and replays). */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let x = seed | 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = Math.abs(x) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function activities(envelopes: Envelope[]): Activity[] {
  return envelopes.flatMap((e) => normalizeSlackEnvelope(e, config)).filter((a) => a.thread?.id === THREAD);
}

let fake: FakeSlack;
beforeAll(async () => {
  fake = await FakeSlack.start({ messages: { [CHANNEL]: [] } });
});
afterAll(() => fake.close());

describe("Slack backfill and live events together", () => {
  it("fold to the thread the live events alone make, in any order, with repeats", async () => {
    const backfill = createSlackBackfill({ pageSize: 2, sleep: async () => {}, elapsedMs: () => 0 });
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const live = liveDeliveries(s).map((payload, i) => envelopeFor(payload, { id: `live-${i}` }));
        fake.messages.set(CHANNEL, history(s));
        const sent: Envelope[] = [];
        const result = await backfill({
          config: configWith({ sources: { slack: { channels: [CHANNEL], apiBaseUrl: fake.url } }, team: [{ name: "Maria", identities: { slack: [MARIA] } }] }),
          token: fake.token,
          since: SINCE,
          now: fixedClock(NOW),
          send: async (e) => void sent.push(...e),
          cursors: { get: async () => null, set: async () => {} },
          retryAfterUnitMs: 1,
        });
        expect(result.stopped).toBeNull();

        const alone = foldThread(activities(live), s.policy);
        const all = [...live, ...sent];
        const mixed = shuffled([...all, ...s.repeats.map((k) => all[k % all.length]!)], s.order);
        expect(foldThread(activities(mixed), s.policy)).toEqual(alone);
      }),
      { numRuns: 150, seed: 20261202 },
    );
  });

  it("the backfill alone already tells which questions are open", async () => {
    // Without live events: a thread read from history is answered exactly when the live one is.
    const backfill = createSlackBackfill({ sleep: async () => {}, elapsedMs: () => 0 });
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        fake.messages.set(CHANNEL, history(s));
        const sent: Envelope[] = [];
        await backfill({
          config: configWith({ sources: { slack: { channels: [CHANNEL], apiBaseUrl: fake.url } }, team: [{ name: "Maria", identities: { slack: [MARIA] } }] }),
          token: fake.token,
          since: SINCE,
          now: fixedClock(NOW),
          send: async (e) => void sent.push(...e),
          cursors: { get: async () => null, set: async () => {} },
          retryAfterUnitMs: 1,
        });
        const live = foldThread(activities(liveDeliveries(s).map((p, i) => envelopeFor(p, { id: `live-${i}` }))), s.policy);
        const read = foldThread(activities(sent), s.policy);
        if (read === null) {
          // Nothing left in Slack: a question deleted without replies.
          expect(s.root.deleted && s.replies.every((r) => r.deleted)).toBe(true);
          return;
        }
        if (s.root.deleted) {
          // What a deleted question said is gone from Slack: only that it was deleted is known.
          expect([read.status, live!.status]).toEqual(["deleted", "deleted"]);
          return;
        }
        expect({ status: read.status, isQuestion: read.isQuestion, replyCount: read.replyCount, title: read.title }).toEqual({
          status: live!.status,
          isQuestion: live!.isQuestion,
          replyCount: live!.replyCount,
          title: live!.title,
        });
        // Slack does not say when a reaction was added: a ✅ read from history is dated at the
        // question, so only without one is the first response's time the same.
        const checked = s.reactions.some((r) => r.name === "white_check_mark" && r.user !== ASKER && r.toggles % 2 === 1);
        if (!checked) expect(read.firstResponseAt).toBe(live!.firstResponseAt);
      }),
      { numRuns: 100, seed: 20261203 },
    );
  });
});
