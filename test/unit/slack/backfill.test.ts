// backfillSlack against a fake Slack Web API (test/support/fake-slack.ts): what it reads, what it
// queues, how it waits and stops, and that the queued envelopes pass the front door's checks and
// fold into the threads the live Events API deliveries would make.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SourceBackfillDeps, BackfillProgress } from "../../../shared/backfill/types.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import { parseConfig, type Config, type ConfigInput } from "../../../shared/model/config.ts";
import { EnvelopeSchema, type Envelope } from "../../../shared/model/envelope.ts";
import type { AnswerPolicy } from "../../../shared/model/thread.ts";
import { fixedClock } from "../../../shared/runtime/clock.ts";
import { createSlackBackfill, parseChannelCursor, type SlackBackfillOptions } from "../../../shared/sources/slack/backfill.ts";
import { classifySlackRequest, normalizeSlackEnvelope } from "../../../shared/sources/slack/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { botMessage, FakeSlack, reactions, replyMessage, userMessage, type SlackStoredMessage } from "../../support/fake-slack.ts";
import { memoryCursors } from "../../support/memory-cursors.ts";

const TOKEN = "xoxb-backfill-0000-test";
const TEAM = "T0ROCKETDB";
const HELP = "C0HELP0001";
const GENERAL = "C0GENERAL1";
const EMPTY = "C0EMPTY001";
const ASKER = "U0ASKER001";
const HELPER = "U0HELPER01";
const MARIA = "U0MARIA001";
const NOW = new Date("2026-11-25T01:00:00Z");
const SINCE = new Date("2026-10-26T01:00:00Z");

/** A Slack ts at an instant (with a few micros to tell messages in one second apart). */
const ts = (iso: string, micros = 0) => `${Date.parse(iso) / 1000}.${String(micros).padStart(6, "0")}`;
const threadId = (channel: string, t: string) => `slack:${TEAM}:${channel}:${t}`;

const T = {
  unanswered: ts("2026-11-20T10:00:00Z", 100),
  teamAnswered: ts("2026-11-21T10:00:00Z", 200),
  helperAnswered: ts("2026-11-21T12:00:00Z", 300),
  checked: ts("2026-11-22T09:00:00Z", 400),
  marked: ts("2026-11-22T10:00:00Z", 500),
  edited: ts("2026-11-22T11:00:00Z", 600),
  deleted: ts("2026-11-23T08:00:00Z", 700),
  busy: ts("2026-11-23T09:00:00Z", 800),
  old: ts("2026-10-01T10:00:00Z", 900),
};

function helpChannel(): SlackStoredMessage[] {
  const busyReplies = Array.from({ length: 7 }, (_, i) => replyMessage(ts(`2026-11-23T1${i}:00:00Z`, 10 + i), T.busy, ASKER, i % 2 ? ASKER : HELPER, `try step ${i}`));
  return [
    userMessage(T.unanswered, ASKER, "How do I configure alerts for replica lag?"),
    userMessage(T.teamAnswered, ASKER, "Why does the WAL keep growing after a failover?"),
    replyMessage(ts("2026-11-21T10:30:00Z", 1), T.teamAnswered, ASKER, ASKER, "Forgot to say: 3.2, three nodes."),
    replyMessage(ts("2026-11-21T11:00:00Z", 2), T.teamAnswered, ASKER, MARIA, "Check wal_keep_size on the new primary."),
    userMessage(T.helperAnswered, ASKER, "Is there a way to pin the replica to a zone?"),
    replyMessage(ts("2026-11-21T12:30:00Z", 3), T.helperAnswered, ASKER, HELPER, "Use the placement option in rocket.yaml."),
    userMessage(T.checked, ASKER, "Anyone know how to rotate the TLS certs without downtime?", { reactions: reactions({ white_check_mark: [HELPER], tada: [MARIA] }) }),
    userMessage(T.marked, ASKER, "my replicas fall behind every night at 2am", { reactions: reactions({ question: [MARIA] }) }),
    userMessage(T.edited, ASKER, "How do I read the replication dashboard?", { edited: { user: ASKER, ts: ts("2026-11-22T11:05:00Z") } }),
    {
      type: "message",
      subtype: "tombstone",
      text: "This message was deleted.",
      user: "USLACKBOT",
      hidden: true,
      ts: T.deleted,
      thread_ts: T.deleted,
      parent_user_id: "USLACKBOT",
    },
    replyMessage(ts("2026-11-23T08:10:00Z", 4), T.deleted, ASKER, HELPER, "Did you try restarting it?"),
    userMessage(T.busy, ASKER, "How should I size the WAL volume?"),
    ...busyReplies,
    replyMessage(ts("2026-11-23T18:00:00Z", 5), T.busy, ASKER, MARIA, "Size it for a day of writes; also posted in the channel.", { subtype: "thread_broadcast" }),
    botMessage(ts("2026-11-23T19:00:00Z", 6), "Linked issue rocketdb#4530 (open)"),
    { type: "message", subtype: "channel_join", user: "U0NEWBIE01", text: "<@U0NEWBIE01> has joined the channel", ts: ts("2026-11-24T08:00:00Z", 7) },
    userMessage(T.old, ASKER, "Is 2.x still supported?"),
  ];
}

let fake: FakeSlack;
beforeAll(async () => {
  fake = await FakeSlack.start({
    token: TOKEN,
    channels: { [HELP]: "help", [GENERAL]: "general", [EMPTY]: "quiet" },
    messages: {
      [HELP]: helpChannel(),
      [GENERAL]: [userMessage(ts("2026-11-24T10:00:00Z", 11), HELPER, "Can someone review my config?")],
      [EMPTY]: [],
    },
  });
});
afterAll(() => fake.close());
afterEach(() => {
  fake.rateLimitNext = null;
  fake.failures.length = 0;
  fake.scopes = ["channels:history", "groups:history", "channels:read", "groups:read"];
  fake.limited = false;
});

function configWith(slack: Record<string, unknown> = {}): Config {
  return parseConfig({
    sources: { slack: { channels: [HELP, GENERAL], channelNames: { [HELP]: "#help" }, apiBaseUrl: fake.url, ...slack } },
    team: [{ name: "Maria", identities: { slack: [MARIA] } }],
  } as ConfigInput);
}


interface RunOptions extends Partial<SourceBackfillDeps> {
  options?: SlackBackfillOptions;
}

async function run(overrides: RunOptions = {}) {
  const { options, ...deps } = overrides;
  const sent: Envelope[] = [];
  const progress: BackfillProgress[] = [];
  const logs: string[] = [];
  const waits: number[] = [];
  let elapsed = 0;
  const cursors = memoryCursors();
  const backfill = createSlackBackfill({
    sleep: async (ms) => {
      waits.push(ms);
      elapsed += ms;
    },
    elapsedMs: () => elapsed,
    ...options,
  });
  const result = await backfill({
    config: configWith(),
    token: TOKEN,
    since: SINCE,
    now: fixedClock(NOW),
    send: async (envelopes) => void sent.push(...envelopes),
    cursors,
    onProgress: (p) => progress.push(p),
    log: (line) => logs.push(line),
    retryAfterUnitMs: 1,
    ...deps,
  });
  return { result, sent, progress, logs, waits, cursors };
}

function activitiesOf(envelopes: Envelope[], config: Config): Activity[] {
  return envelopes.flatMap((e) => normalizeSlackEnvelope(EnvelopeSchema.parse(e), config));
}

function threadsOf(envelopes: Envelope[], config = configWith(), policy: AnswerPolicy = "any-reply") {
  const byThread = new Map<string, Activity[]>();
  for (const a of activitiesOf(envelopes, config)) {
    const id = a.thread?.id ?? "(none)";
    byThread.set(id, [...(byThread.get(id) ?? []), a]);
  }
  return new Map([...byThread].map(([id, acts]) => [id, foldThread(acts, policy)!]));
}

const requestsOf = (method: string, from = 0) => fake.requests.slice(from).filter((r) => r.method === method);

describe("backfillSlack", () => {
  it("queues each message as the Events API delivery Slack sent, and they fold into the live threads", async () => {
    const before = fake.requests.length;
    const { result, sent, progress } = await run({ options: { pageSize: 3 } });
    expect(result.stopped).toBeNull();
    expect(result.scopes.map((s) => [s.scope, s.done])).toEqual([
      [`#help (${HELP})`, true],
      [GENERAL, true],
    ]);

    // Every envelope is what the front door would queue for it.
    for (const e of sent) {
      expect(EnvelopeSchema.parse(e)).toMatchObject({ source: "slack", headers: { "x-community-signals-backfill": "1" } });
      expect(e.deliveryId).toMatch(/^backfill:slack:C0[A-Z0-9]+:\d+\.\d{6}:/);
      const door = classifySlackRequest({ headers: { "content-type": "application/json" }, body: Buffer.from(e.body) });
      expect(door).toMatchObject({ action: "queue", eventType: e.eventType, deliveryId: e.deliveryId });
      const body = JSON.parse(e.body);
      expect(body).toMatchObject({ type: "event_callback", team_id: TEAM, event_id: e.deliveryId });
      // History-only fields are not in an event.
      expect(body.event.reply_count).toBeUndefined();
      expect(body.event.reactions).toBeUndefined();
    }
    expect(new Set(sent.map((e) => e.deliveryId)).size).toBe(sent.length);

    const threads = threadsOf(sent);
    const teamThreads = threadsOf(sent, configWith(), "team-reply");
    expect(threads.get(threadId(HELP, T.unanswered))).toMatchObject({ isQuestion: true, status: "open", hasOpening: true, replyCount: 0 });
    // The asker's follow-up does not answer; the team member's reply does, under team-reply too.
    expect(teamThreads.get(threadId(HELP, T.teamAnswered))).toMatchObject({ status: "answered", replyCount: 2, firstResponder: { id: `slack:user:${MARIA}`, isTeam: true } });
    expect(threads.get(threadId(HELP, T.helperAnswered))?.status).toBe("answered");
    expect(teamThreads.get(threadId(HELP, T.helperAnswered))?.status).toBe("open");
    // ✅ by someone else answers; 🎉 is not read.
    expect(threads.get(threadId(HELP, T.checked))).toMatchObject({ status: "answered", acceptedAnswerBy: { id: `slack:user:${HELPER}` } });
    // A team member's ❓ makes a statement a question.
    expect(threads.get(threadId(HELP, T.marked))).toMatchObject({ isQuestion: true, status: "open" });
    // The edited text, at the edit's version.
    expect(threads.get(threadId(HELP, T.edited))).toMatchObject({ title: "How do I read the replication dashboard?", isQuestion: true });
    expect(threads.get(threadId(HELP, T.deleted))?.status).toBe("deleted");
    // Seven replies over three pages of replies, and a broadcast (in the history and the thread) once.
    expect(threads.get(threadId(HELP, T.busy))).toMatchObject({ replyCount: 8, status: "answered" });
    expect(threads.has(threadId(HELP, T.old))).toBe(false);
    expect(threads.get(threadId(GENERAL, ts("2026-11-24T10:00:00Z", 11)))).toMatchObject({ isQuestion: true, status: "open" });

    const help = result.scopes[0]!;
    // The broadcast was queued from the history, so its thread adds 11 replies, not 12.
    expect(help.detail).toMatchObject({ threads: 4, replies: 11, reactions: 2, skipped: 1, malformed: 0, rateLimitWaits: 0 });
    // 11 listed messages since --since in pages of 3; 4 threads, the busy one (parent + 8) in 3 pages; auth.test once.
    expect(requestsOf("conversations.history", before).filter((r) => r.args["channel"] === HELP).length).toBe(4);
    expect(requestsOf("conversations.replies", before).length).toBe(6);
    expect(requestsOf("auth.test", before).length).toBe(1);
    expect(result.requests).toBe(fake.requests.length - before);
    expect(help.pages).toBe(4 + 6);
    expect(sent.length).toBe(result.envelopes);
    const last = progress.filter((p) => p.scope === help.scope).at(-1);
    expect(last).toMatchObject({ source: "slack", done: true, fraction: 1 });
    const fractions = progress.filter((p) => p.scope === help.scope && !p.done).map((p) => p.fraction ?? 0);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  });

  it("reads only what was posted since --since", async () => {
    const { sent } = await run({ since: new Date("2026-11-22T00:00:00Z") });
    const threads = threadsOf(sent);
    expect(threads.has(threadId(HELP, T.unanswered))).toBe(false);
    expect(threads.has(threadId(HELP, T.checked))).toBe(true);
    expect(threads.has(threadId(HELP, T.busy))).toBe(true);
  });

  it("a second run from the same cursors sends nothing; one without them changes no thread", async () => {
    const first = await run();
    expect(parseChannelCursor(first.cursors.values.get(HELP) ?? null)).toMatchObject({ reading: null, covered: { through: NOW.getTime() * 1000 } });
    const again = await run({ cursors: first.cursors });
    expect(again.result.envelopes).toBe(0);
    expect(again.result.stopped).toBeNull();
    const fresh = await run();
    expect(threadsOf([...first.sent, ...fresh.sent])).toEqual(threadsOf(first.sent));
  });

  it("waits out a 429 exactly as its Retry-After says, and counts it", async () => {
    fake.rateLimitNext = { times: 2, retryAfter: 7, method: "conversations.replies" };
    const { result, logs, waits, sent } = await run();
    expect(result.stopped).toBeNull();
    expect(result.scopes[0]!.detail).toMatchObject({ rateLimitWaits: 2, rateLimitWaitSeconds: 14 });
    expect(waits.filter((ms) => ms === 7)).toHaveLength(2);
    expect(logs.filter((l) => /conversations\.replies rate limited \(429\); waiting 7s/.test(l))).toHaveLength(2);
    expect(threadsOf(sent).get(threadId(HELP, T.teamAnswered))?.status).toBe("answered");
  });

  it("stops after too many 429s in a row, saying to run again later", async () => {
    fake.rateLimitNext = { times: 50, retryAfter: 1, method: "conversations.history" };
    const { result } = await run({ options: { maxRateLimitWaits: 3 } });
    expect(result.stopped?.reason).toMatch(/429 4 times in a row.*resumes where it stopped/);
  });

  it("paces each method to Tier 3 (50 a minute)", async () => {
    const { waits } = await run();
    // Nothing else slowed it down, so every wait is the pace's (1.2 s in Retry-After units): the
    // four threads' replies are read back to back, 1.2 s apart.
    expect(waits.every((ms) => ms > 0 && ms <= 1.2 + 1e-9)).toBe(true);
    expect(waits.filter((ms) => Math.abs(ms - 1.2) < 1e-9).length).toBeGreaterThanOrEqual(3);
  });

  it("invalid_auth stops the source with a message naming the secret and the scopes", async () => {
    const { result, sent } = await run({ token: "xoxb-wrong" });
    expect(sent).toEqual([]);
    expect(result.stopped?.reason).toMatch(/Slack refused SLACK_BOT_TOKEN \(invalid_auth on auth\.test\)/);
    expect(result.stopped?.reason).toMatch(/channels:history/);
    expect(result.stopped?.reason).toMatch(/groups:history/);
    const named = await run({ token: "xoxb-wrong", config: configWith({ botTokenSecretName: "ACME_SLACK_BOT" }) });
    expect(named.result.stopped?.reason).toMatch(/ACME_SLACK_BOT/);
    fake.failNext("conversations.history", { error: "token_revoked" });
    const revoked = await run();
    expect(revoked.result.stopped).toMatchObject({ scope: `#help (${HELP})`, reason: expect.stringMatching(/token_revoked/) });
    expect(revoked.result.scopes.length).toBe(1);
  });

  it("missing_scope stops that channel naming the scope Slack asked for; the others are read", async () => {
    const priv = "G0PRIVATE1";
    fake.post(priv, userMessage(ts("2026-11-24T11:00:00Z", 12), ASKER, "Where are the staff runbooks?"));
    fake.scopes = ["channels:history", "channels:read"];
    const { result, sent } = await run({ config: configWith({ channels: [priv, HELP] }) });
    expect(result.scopes.map((s) => [s.scope, s.done])).toEqual([
      [priv, false],
      [`#help (${HELP})`, true],
    ]);
    expect(result.stopped?.scope).toBe(priv);
    expect(result.stopped?.reason).toMatch(/SLACK_BOT_TOKEN lacks the scope groups:history to read G0PRIVATE1 \(it has channels:history,channels:read\)/);
    expect(result.stopped?.reason).toMatch(/reinstall the app/);
    expect(threadsOf(sent).has(threadId(HELP, T.unanswered))).toBe(true);
  });

  it("a channel the app is not in is skipped with how to invite it; so is one Slack does not know", async () => {
    const outside = "C0OUTSIDE1";
    fake.post(outside, userMessage(ts("2026-11-24T12:00:00Z", 13), ASKER, "Hello?"));
    fake.memberOf.delete(outside);
    const { result, sent } = await run({ config: configWith({ channels: [outside, "C0NOSUCH01", GENERAL] }) });
    expect(result.scopes.map((s) => s.done)).toEqual([false, false, true]);
    expect(result.stopped?.scope).toBe(outside);
    expect(result.stopped?.reason).toMatch(/the app is not in C0OUTSIDE1: invite it \(\/invite @your-app/);
    expect(result.stopped?.reason).toMatch(/C0NOSUCH01 was not found/);
    expect(sent.length).toBe(1);
  });

  it("a 500 mid-way stops; a rerun resumes from the cursor without sending anything twice", async () => {
    const full = (await run({ options: { pageSize: 3 } })).sent;
    const historyBefore = requestsOf("conversations.history").length;
    const cursors = memoryCursors();
    const sent: Envelope[] = [];
    const backfill = createSlackBackfill({ pageSize: 3, sleep: async () => {}, elapsedMs: () => 0 });
    const deps = { config: configWith(), token: TOKEN, since: SINCE, now: fixedClock(NOW), send: async (e: Envelope[]) => void sent.push(...e), cursors, retryAfterUnitMs: 1 };
    // After the second page of #help, Slack answers 500 to every try of the third (the client retries 3 times).
    let pages = 0;
    const onProgress = (p: BackfillProgress) => {
      if (p.scope.includes(HELP) && !p.done && ++pages === 2) fake.failNext("conversations.history", { status: 500 }, 4);
    };
    const first = await backfill({ ...deps, onProgress });
    expect(first.stopped).toMatchObject({ scope: `#help (${HELP})`, reason: expect.stringMatching(/HTTP 500 after retries.*resumes where it stopped/) });
    expect(requestsOf("conversations.history").length - historyBefore).toBe(2 + 4);
    const stored = parseChannelCursor(cursors.values.get(HELP) ?? null);
    expect(stored?.reading?.below).toEqual(expect.any(Number));
    expect(stored?.covered).toBeNull();
    expect(sent.length).toBeGreaterThan(0);

    const second = await backfill(deps);
    expect(second.stopped).toBeNull();
    expect(sent.length).toBe(full.length);
    expect(new Set(sent.map((e) => e.deliveryId)).size).toBe(full.length);
    expect(threadsOf(sent)).toEqual(threadsOf(full));
  });

  it("an empty channel is done after one request", async () => {
    const before = fake.requests.length;
    const { result } = await run({ config: configWith({ channels: [EMPTY] }) });
    expect(result.stopped).toBeNull();
    expect(result.scopes[0]).toMatchObject({ scope: EMPTY, items: 0, envelopes: 0, pages: 0, requests: 1, done: true });
    expect(requestsOf("conversations.history", before).length).toBe(1);
  });

  it("--dry-run reads and counts, sends nothing and moves no cursor", async () => {
    const { result, sent, cursors } = await run({ dryRun: true });
    expect(sent).toEqual([]);
    expect(cursors.values.size).toBe(0);
    expect(result.envelopes).toBeGreaterThan(20);
  });

  it("a later run reads new messages and new replies to threads it read, and nothing else", async () => {
    const oldThread = userMessage(ts("2026-11-17T10:00:00Z", 17), ASKER, "Old thread?");
    fake.post(HELP, oldThread);
    try {
      const first = await run();
      const later = new Date("2026-11-26T12:00:00Z");
      const reply = replyMessage(ts("2026-11-26T09:00:00Z", 14), T.unanswered, ASKER, MARIA, "Alerts are under Settings, Replication.");
      const question = userMessage(ts("2026-11-26T10:00:00Z", 15), HELPER, "What does error E1234 mean?");
      // A new reply to a thread older than the look-back (7 days) is not looked for.
      const tooOld = replyMessage(ts("2026-11-26T11:00:00Z", 16), oldThread.ts, ASKER, MARIA, "late");
      fake.post(HELP, reply, question, tooOld);
      const second = await run({ cursors: first.cursors, now: fixedClock(later), options: { threadLookbackDays: 7 } });
      expect(second.result.stopped).toBeNull();
      expect(second.sent.map((e) => e.deliveryId).sort()).toEqual([`backfill:slack:${HELP}:${reply.ts}:${reply.ts}`, `backfill:slack:${HELP}:${question.ts}:${question.ts}`].sort());
      expect(threadsOf([...first.sent, ...second.sent]).get(threadId(HELP, T.unanswered))?.status).toBe("answered");
    } finally {
      fake.messages.set(HELP, helpChannel());
    }
  });

  it("a run with an earlier --since reads only what lies before the span already read", async () => {
    const first = await run({ since: new Date("2026-11-22T00:00:00Z") });
    const second = await run({ cursors: first.cursors });
    const threads = threadsOf(second.sent);
    expect(threads.has(threadId(HELP, T.unanswered))).toBe(true);
    expect(threads.has(threadId(HELP, T.checked))).toBe(false);
    expect(threadsOf([...first.sent, ...second.sent])).toEqual(threadsOf((await run()).sent));
  });

  it("notices the non-Marketplace limits and goes on at 1 request a minute per method", async () => {
    const busy = "C0BUSY0001";
    fake.post(busy, ...Array.from({ length: 20 }, (_, i) => userMessage(ts(`2026-11-24T0${Math.floor(i / 10)}:${String(i % 10).padStart(2, "0")}:00Z`, 20 + i), HELPER, `note ${i}`)));
    const config = configWith({ channels: [busy, HELP] });
    const unlimited = await run({ config });
    fake.limited = true;
    const before = fake.requests.length;
    const { result, logs, waits, sent } = await run({ config });
    expect(result.stopped).toBeNull();
    expect(logs.some((l) => /returned 15 of the 200 messages asked for.*1 request a minute, 15 messages/.test(l))).toBe(true);
    // From then on every call asks for 15, a minute (60 s in Retry-After units) after the last one of its method.
    const history = requestsOf("conversations.history", before);
    expect(history.map((r) => [r.args["channel"], r.args["limit"]])).toEqual([
      [busy, "200"],
      [busy, "15"],
      [HELP, "15"],
    ]);
    expect(requestsOf("conversations.replies", before).every((r) => r.args["limit"] === "15")).toBe(true);
    expect(waits.filter((ms) => ms > 59 && ms <= 60).length).toBeGreaterThanOrEqual(2 + 3);
    expect(sent.map((e) => e.deliveryId).sort()).toEqual(unlimited.sent.map((e) => e.deliveryId).sort());
  });

  it("starts at the slow pace when told the app is limited", async () => {
    const { waits } = await run({ options: { limited: true }, config: configWith({ channels: [HELP] }) });
    expect(requestsOf("conversations.history").at(-1)?.args["limit"]).toBe("15");
    expect(waits.some((ms) => ms > 59 && ms <= 60)).toBe(true);
  });

  it("with no channels configured reads every channel the app is in", async () => {
    const { result, logs } = await run({ config: configWith({ channels: [] }) });
    expect(result.stopped).toBeNull();
    expect(result.scopes.map((s) => s.scope)).toEqual(expect.arrayContaining([`#help (${HELP})`, `#general (${GENERAL})`, `#quiet (${EMPTY})`]));
    expect(logs.some((l) => /every channel the app is in/.test(l))).toBe(true);
  });

  it("without channels:read it says to list the channels instead", async () => {
    fake.scopes = ["channels:history"];
    const { result } = await run({ config: configWith({ channels: [] }) });
    expect(result.stopped?.reason).toMatch(/lacks the scope channels:read for users\.conversations.*list the channels in sources\.slack\.channels/);
  });
});
