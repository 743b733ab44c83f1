import { afterEach, describe, expect, it } from "vitest";
import { EnvelopeSchema, type Envelope } from "../../../shared/model/envelope.ts";
import { parseConfig, type ConfigInput } from "../../../shared/model/config.ts";
import {
  DiscordClient,
  DiscordPollAbortedError,
  createDiscordAdapter,
  pollDiscord,
  snowflakeAt,
  type CursorStore,
  type PollDiscordDeps,
  type SkippedMessage,
} from "../../../shared/sources/discord/index.ts";
import { FakeDiscord, fakeClock, type FakeClock } from "../../support/fake-discord.ts";
import { FORUM, GUILD, HELP, felix, maria, message, priya, thread } from "../../unit/discord/helpers.ts";
import type { Json } from "../../unit/discord/helpers.ts";

const NOW = "2026-11-24T18:00:00.000Z";
const MESSAGES = "GET /channels/{id}/messages";

let fake: FakeDiscord | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

class MemoryCursors implements CursorStore {
  readonly values = new Map<string, string>();
  readonly writes: Array<[string, string]> = [];
  async get(id: string) {
    return this.values.get(id) ?? null;
  }
  async set(id: string, snowflake: string) {
    this.values.set(id, snowflake);
    this.writes.push([id, snowflake]);
  }
}

/** A queue in memory; `failOn` makes the n-th send (1-based) throw, once. */
class MemorySink {
  readonly sent: Envelope[] = [];
  private sends = 0;
  constructor(private failOn: number | null = null) {}
  async send(envelope: Envelope) {
    this.sends++;
    if (this.sends === this.failOn) {
      this.failOn = null;
      throw new Error("SQS unavailable");
    }
    EnvelopeSchema.parse(envelope);
    this.sent.push(envelope);
    return `msg-${this.sent.length}`;
  }
  messages(): Json[] {
    return this.sent.flatMap((e) => (JSON.parse(e.body) as { messages: Json[] }).messages);
  }
}

/** A queue that refuses, once each, every envelope holding a message `refuse` names. */
class RefusingSink extends MemorySink {
  readonly refused: Envelope[] = [];
  constructor(private readonly refuse: Set<string>) {
    super();
  }
  override async send(envelope: Envelope) {
    const ids = (JSON.parse(envelope.body) as { messages: Json[] }).messages.map((m) => m["id"] as string);
    const hit = ids.find((id) => this.refuse.has(id));
    if (hit !== undefined) {
      this.refuse.delete(hit);
      this.refused.push(envelope);
      throw new Error("SQS unavailable");
    }
    return super.send(envelope);
  }
}

async function start(options: { bucketLimit?: number; bucketWindowMs?: number } = {}) {
  const clock = fakeClock(NOW);
  fake = await FakeDiscord.start({ token: "bot-token", now: clock.now, bucketLimit: options.bucketLimit ?? 50, bucketWindowMs: options.bucketWindowMs ?? 1000 });
  fake.addChannel({ id: HELP, type: 0, guild_id: GUILD, name: "help" });
  fake.addChannel({ id: FORUM, type: 15, guild_id: GUILD, name: "q-and-a" });
  return { fake, clock };
}

function deps(
  fakeServer: FakeDiscord,
  clock: FakeClock,
  extra: Partial<PollDiscordDeps> & { discord?: Record<string, unknown>; queue?: ConfigInput["queue"] } = {},
): PollDiscordDeps & { cursors: MemoryCursors; sink: MemorySink } {
  const { discord, queue, ...rest } = extra;
  let n = 0;
  const config = parseConfig({
    sources: {
      discord: {
        apiBaseUrl: fakeServer.url,
        guildId: GUILD,
        channels: [{ id: HELP, name: "#help", type: "text" }],
        ...discord,
      },
    },
    ...(queue ? { queue } : {}),
  });
  return {
    config,
    token: fakeServer.token,
    client: new DiscordClient({ baseUrl: fakeServer.url, token: fakeServer.token, now: clock.now, sleep: clock.sleep }),
    cursors: new MemoryCursors(),
    sink: new MemorySink(),
    now: () => new Date(clock.now()),
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
    ...rest,
  } as PollDiscordDeps & { cursors: MemoryCursors; sink: MemorySink };
}

/** `count` messages in #help, one a minute from `fromIso`. */
function helpMessages(count: number, fromIso = "2026-11-22T00:00:00.000Z"): Json[] {
  const start = Date.parse(fromIso);
  return Array.from({ length: count }, (_, i) =>
    message(new Date(start + i * 60_000).toISOString(), i % 2 ? felix : priya, `message ${i}`),
  );
}

const ids = (messages: Json[]) => messages.map((m) => m["id"] as string);

describe("pollDiscord: a text channel", () => {
  it("reads every page oldest first, one envelope per page, and moves the cursor to the last message", async () => {
    const { fake, clock } = await start();
    const all = helpMessages(250);
    fake.addMessages(HELP, all);
    const d = deps(fake, clock);

    const report = await pollDiscord(d);

    expect(d.sink.sent).toHaveLength(3);
    expect(ids(d.sink.messages())).toEqual(ids(all));
    const first = d.sink.sent[0]!;
    const body = JSON.parse(first.body) as Json;
    expect(first).toMatchObject({ source: "discord", eventType: "messages", deliveryId: `${HELP}:${all[0]!["id"]}-${all[99]!["id"]}` });
    expect(body["channel"]).toEqual({ id: HELP, name: "#help", type: "text", guild_id: GUILD });
    // Raw Discord objects, untouched.
    expect(body["messages"][0]).toEqual(all[0]);
    expect(d.cursors.values.get(HELP)).toBe(all[249]!["id"]);
    expect(report.channels[0]).toMatchObject({ channelId: HELP, pages: 3, messagesRead: 250, envelopesSent: 3, morePending: false, error: null });
    expect(report).toMatchObject({ messagesRead: 250, envelopesSent: 3, guildId: GUILD });

    // The next run asks only for what came after the cursor.
    const later = helpMessages(2, "2026-11-24T17:00:00.000Z");
    fake.addMessages(HELP, later);
    const again = await pollDiscord({ ...d, sink: d.sink });
    expect(again.channels[0]).toMatchObject({ pages: 1, messagesRead: 2, envelopesSent: 1 });
    expect(fake.requestsTo(MESSAGES).at(-1)!.query["after"]).toBe(all[249]!["id"]);
    expect(ids(d.sink.messages())).toEqual(ids([...all, ...later]));
  });

  it("stops after maxPagesPerRun and carries on from the cursor next run", async () => {
    const { fake, clock } = await start();
    const all = helpMessages(250);
    fake.addMessages(HELP, all);
    const d = deps(fake, clock, { discord: { maxPagesPerRun: 2 } });
    const first = await pollDiscord(d);
    expect(first.channels[0]).toMatchObject({ pages: 2, messagesRead: 200, morePending: true });
    const second = await pollDiscord(d);
    expect(second.channels[0]).toMatchObject({ pages: 1, messagesRead: 50, morePending: false });
    expect(ids(d.sink.messages())).toEqual(ids(all));
  });

  it("advances the cursor only after a send succeeded: a failed send is re-read next run, nothing skipped", async () => {
    const { fake, clock } = await start();
    const all = helpMessages(250);
    fake.addMessages(HELP, all);
    const d = deps(fake, clock, { sink: new MemorySink(2) });

    const failed = await pollDiscord(d);
    expect(failed.channels[0]!.error).toMatch(/SQS unavailable/);
    expect(failed.channels[0]!.envelopesSent).toBe(1);
    expect(d.cursors.values.get(HELP)).toBe(all[99]!["id"]);

    await pollDiscord(d);
    expect(ids(d.sink.messages())).toEqual(ids(all));
    // Each cursor write followed its envelope; the cursor never went past what was sent.
    const sentLastIds = d.sink.sent.map((e) => e.deliveryId!.split("-")[1]);
    expect(d.cursors.writes.map(([, id]) => id)).toEqual(sentLastIds);
  });

  it("a page whose send fails is read again next run, from the same cursor, and nothing after it is sent first", async () => {
    const { fake, clock } = await start();
    const all = helpMessages(250);
    fake.addMessages(HELP, all);
    // The second page (messages 100-199) cannot be queued on the first run.
    const d = deps(fake, clock, { sink: new RefusingSink(new Set([all[150]!["id"]])) });
    const sink = d.sink as RefusingSink;

    const failed = await pollDiscord(d);

    expect(failed.channels[0]).toMatchObject({ envelopesSent: 1, error: expect.stringMatching(/SQS unavailable/) });
    expect(sink.refused).toHaveLength(1);
    expect(ids(d.sink.messages())).toEqual(ids(all.slice(0, 100)));
    // The cursor stays at the last message queued, before the refused page; the third page was not read.
    expect(d.cursors.values.get(HELP)).toBe(all[99]!["id"]);
    expect(fake.requestsTo(MESSAGES)).toHaveLength(2);

    const requestsBefore = fake.requestsTo(MESSAGES).length;
    const again = await pollDiscord(d);

    expect(again.channels[0]).toMatchObject({ envelopesSent: 2, error: null });
    // The next run asks again from where the cursor stayed and queues the same page again.
    expect(fake.requestsTo(MESSAGES)[requestsBefore]!.query["after"]).toBe(all[99]!["id"]);
    expect(d.sink.sent[1]!.deliveryId).toBe(sink.refused[0]!.deliveryId);
    expect(ids(d.sink.messages())).toEqual(ids(all));
    expect(d.cursors.values.get(HELP)).toBe(all[249]!["id"]);
  });

  it("a refused first page leaves a stream without a cursor, and a refused thread page keeps the thread's cursor", async () => {
    const { fake, clock } = await start();
    const post = thread("2026-11-23T10:00:00.000Z", FORUM, "Keys", priya);
    const starter = message("2026-11-23T10:00:00.000Z", priya, "Keys?", { id: post["id"], channel_id: post["id"] });
    const answer = message("2026-11-23T11:00:00.000Z", felix, "Rotate them.", { channel_id: post["id"] });
    post["last_message_id"] = answer["id"];
    fake.addChannel(post).addMessages(post["id"], [starter, answer]);
    const help = helpMessages(3);
    fake.addMessages(HELP, help);
    const d = deps(fake, clock, {
      sink: new RefusingSink(new Set([help[0]!["id"], starter["id"]])),
      discord: { channels: [{ id: HELP, name: "#help", type: "text" }, { id: FORUM, name: "#q-and-a", type: "forum" }] },
    });

    const failed = await pollDiscord(d);
    expect(failed.channels.map((c) => c.error)).toEqual([expect.stringMatching(/SQS unavailable/), expect.stringMatching(/SQS unavailable/)]);
    expect(d.sink.sent).toHaveLength(0);
    expect(d.cursors.writes).toEqual([]);

    const again = await pollDiscord(d);
    expect(again.channels.map((c) => c.error)).toEqual([null, null]);
    expect(ids(d.sink.messages())).toEqual([...ids(help), starter["id"], answer["id"]]);
    expect(d.cursors.values.get(HELP)).toBe(help[2]!["id"]);
    expect(d.cursors.values.get(post["id"])).toBe(answer["id"]);
  });

  it("queues a page with a poison message whole; the normaliser keeps its good messages and names the bad one", async () => {
    const { fake, clock } = await start();
    const good = message("2026-11-23T09:00:00.000Z", priya, "How do I rotate the keys?");
    const odd = message("2026-11-23T09:01:00.000Z", felix, "They expire <t:99999999999999:R>");
    const { author: _gone, ...headless } = message("2026-11-23T09:02:00.000Z", felix, "no author");
    const after = message("2026-11-23T09:03:00.000Z", maria, "Run `keys rotate`.");
    fake.addMessages(HELP, [good, odd, headless, after]);
    const d = deps(fake, clock);

    const report = await pollDiscord(d);

    expect(report.channels[0]).toMatchObject({ messagesRead: 4, envelopesSent: 1, error: null });
    expect(d.cursors.values.get(HELP)).toBe(after["id"]);
    const skipped: SkippedMessage[] = [];
    const adapter = createDiscordAdapter({ onSkipped: (_envelope, s) => skipped.push(s) });
    const activities = d.sink.sent.flatMap((e) => adapter.normalize(e, d.config));
    expect(activities.map((a) => a.id)).toEqual([good, odd, after].map((m) => `discord:${HELP}:${m["id"]}`));
    expect(activities[1]!.excerpt).toBe("They expire <t:99999999999999:R>");
    expect(skipped).toEqual([{ index: 2, messageId: headless["id"], reason: expect.stringMatching(/author/) }]);
  });

  it("starts a channel without a cursor at a 7-day look-back, not at the beginning of time", async () => {
    const { fake, clock } = await start();
    const old = helpMessages(3, "2026-11-10T12:00:00.000Z");
    const recent = helpMessages(3, "2026-11-20T12:00:00.000Z");
    fake.addMessages(HELP, [...old, ...recent]);
    const d = deps(fake, clock);
    await pollDiscord(d);
    expect(fake.requestsTo(MESSAGES)[0]!.query["after"]).toBe(snowflakeAt(new Date("2026-11-17T18:00:00.000Z")));
    expect(ids(d.sink.messages())).toEqual(ids(recent));

    // A configurable look-back reaches further.
    const wide = deps(fake, clock, { lookbackDays: 30 });
    await pollDiscord(wide);
    expect(ids(wide.sink.messages())).toEqual(ids([...old, ...recent]));
  });

  it("splits a page whose envelope would pass the queue's size limit, and trims a message too big alone", async () => {
    const { fake, clock } = await start();
    const big = helpMessages(40).map((m, i) => ({ ...m, content: `${i} ${"ä\"x".repeat(700)}` }));
    const huge = { ...message("2026-11-23T00:00:00.000Z", priya, "How do I read this?"), embeds: [{ description: "y".repeat(30_000) }] };
    fake.addMessages(HELP, [...big, huge]);
    const limit = 20_000;
    const d = deps(fake, clock, { queue: { maxMessageBytes: limit } });

    const report = await pollDiscord(d);

    expect(report.channels[0]!.pages).toBe(1);
    expect(d.sink.sent.length).toBeGreaterThan(3);
    for (const envelope of d.sink.sent) expect(Buffer.byteLength(JSON.stringify(envelope))).toBeLessThanOrEqual(limit);
    const delivered = d.sink.messages();
    expect(ids(delivered)).toEqual(ids([...big, huge]));
    const trimmed = delivered.at(-1)!;
    expect(trimmed).toMatchObject({ content: "How do I read this?", community_signals_trimmed: true });
    expect(trimmed["embeds"]).toBeUndefined();
    expect(delivered[0]).toEqual(big[0]);
  });

  it("finds the guild through the channel when the config names none", async () => {
    const { fake, clock } = await start();
    fake.addMessages(HELP, helpMessages(1));
    const d = deps(fake, clock, { discord: { guildId: undefined } });
    const report = await pollDiscord(d);
    expect(report.guildId).toBe(GUILD);
    expect(fake.requestsTo("GET /channels/{id}")).toHaveLength(1);
    expect(fake.requestsTo("GET /guilds/{id}/threads/active")[0]!.path).toBe(`/guilds/${GUILD}/threads/active`);
  });
});

describe("pollDiscord: forum channels and threads", () => {
  function forumPost(iso: string, name: string, archived: boolean, replies: Json[] = []) {
    const post = thread(iso, FORUM, name, priya);
    const starter = message(iso, priya, `${name}?`, { id: post["id"], channel_id: post["id"] });
    const messages: Json[] = [starter, ...replies.map((r) => ({ ...r, channel_id: post["id"] }))];
    post["last_message_id"] = messages.at(-1)!["id"];
    post["thread_metadata"] = { ...post["thread_metadata"], archived, archive_timestamp: messages.at(-1)!["timestamp"] };
    return { post, messages };
  }

  it("polls active and archived posts from their starter message, with a cursor per thread", async () => {
    const { fake, clock } = await start();
    const active = forumPost("2026-11-23T10:00:00.000Z", "Tuning fsync on ZFS", false, [message("2026-11-23T11:00:00.000Z", felix, "Set sync=standard.")]);
    const archived = forumPost("2026-11-19T10:00:00.000Z", "ARM64 images", true, [message("2026-11-19T12:00:00.000Z", felix, "Use the arm64 tag.")]);
    const ancient = forumPost("2026-10-01T10:00:00.000Z", "Old post", true);
    const textThread = thread("2026-11-23T12:00:00.000Z", HELP, "in #help", felix);
    for (const { post, messages } of [active, archived, ancient]) {
      fake.addChannel(post).addMessages(post["id"], messages);
    }
    fake.addChannel(textThread);
    const d = deps(fake, clock, { discord: { channels: [{ id: FORUM, name: "#q-and-a", type: "forum" }] } });

    const report = await pollDiscord(d);

    expect(report.channels[0]).toMatchObject({ channelId: FORUM, threadsPolled: 2, messagesRead: 4, envelopesSent: 2, error: null });
    const bodies = d.sink.sent.map((e) => JSON.parse(e.body) as Json);
    expect(bodies.map((b) => b["thread"]["name"])).toEqual(["ARM64 images", "Tuning fsync on ZFS"]);
    for (const body of bodies) {
      expect(body["channel"]).toMatchObject({ id: FORUM, type: "forum" });
      // The starter message (id = thread id) is part of the first page.
      expect(body["messages"][0]["id"]).toBe(body["thread"]["id"]);
    }
    expect(d.sink.sent[0]!.deliveryId).toBe(`${archived.post["id"]}:${archived.post["id"]}-${archived.messages[1]!["id"]}`);
    expect(d.cursors.values.get(active.post["id"])).toBe(active.messages[1]!["id"]);
    expect(d.cursors.values.has(ancient.post["id"])).toBe(false);
    // A forum has no messages of its own: never asked for them.
    expect(fake.requestsTo(MESSAGES).map((r) => r.path)).not.toContain(`/channels/${FORUM}/messages`);

    // Nothing new: thread listings are read again, but no thread's messages are.
    const before = fake.requestsTo(MESSAGES).length;
    const quiet = await pollDiscord(d);
    expect(quiet.channels[0]).toMatchObject({ threadsPolled: 0, messagesRead: 0 });
    expect(fake.requestsTo(MESSAGES).length).toBe(before);
  });

  it("reads threads started in a watched text channel too, but never private threads", async () => {
    const { fake, clock } = await start();
    const question = message("2026-11-23T09:00:00.000Z", priya, "Why does the CLI hang?");
    const publicThread = thread("2026-11-23T09:05:00.000Z", HELP, "CLI hang", felix, { id: question["id"] });
    const answer = message("2026-11-23T09:30:00.000Z", felix, "Upgrade it.", { channel_id: publicThread["id"] });
    publicThread["last_message_id"] = answer["id"];
    const privateThread = thread("2026-11-23T10:00:00.000Z", HELP, "secret", felix, { type: 12 });
    const secret = message("2026-11-23T10:01:00.000Z", felix, "private", { channel_id: privateThread["id"] });
    privateThread["last_message_id"] = secret["id"];
    fake.addMessages(HELP, [question]).addChannel(publicThread).addMessages(publicThread["id"], [answer]);
    fake.addChannel(privateThread).addMessages(privateThread["id"], [secret]);
    const d = deps(fake, clock);

    await pollDiscord(d);

    expect(ids(d.sink.messages())).toEqual([question["id"], answer["id"]]);
    expect(fake.requests.some((r) => r.path.includes(privateThread["id"]))).toBe(false);
  });
});

describe("pollDiscord: Discord says no", () => {
  it("stops the whole run on 401 with a typed error that carries the report", async () => {
    const { fake, clock } = await start();
    fake.addMessages(HELP, helpMessages(3));
    const second = "816973248200704015";
    fake.addChannel({ id: second, type: 0, guild_id: GUILD, name: "general" });
    const d = deps(fake, clock, {
      token: "wrong",
      client: new DiscordClient({ baseUrl: fake.url, token: "wrong", now: clock.now, sleep: clock.sleep }),
      discord: { channels: [{ id: HELP, type: "text" }, { id: second, type: "text" }] },
    });
    const error = await pollDiscord(d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscordPollAbortedError);
    const aborted = error as DiscordPollAbortedError;
    expect(aborted.cause.status).toBe(401);
    expect(aborted.report.channels).toHaveLength(1);
    expect(aborted.report.channels[0]!.error).toMatch(/401/);
    // One invalid request, and not one more.
    expect(fake.requests).toHaveLength(1);
    expect(d.sink.sent).toHaveLength(0);
    expect(d.cursors.writes).toHaveLength(0);
  });

  it("waits out a 429's retry_after and reports the wait", async () => {
    const { fake, clock } = await start();
    fake.addMessages(HELP, helpMessages(5));
    fake.failNext({ match: (r) => r.route === MESSAGES, status: 429, retryAfter: 2.5 });
    const d = deps(fake, clock);
    const report = await pollDiscord(d);
    expect(clock.sleeps).toContain(2500);
    expect(report.channels[0]).toMatchObject({ messagesRead: 5, rateLimitWaits: 1, error: null });
    expect(fake.requestsTo(MESSAGES).map((r) => r.status)).toEqual([429, 200]);
  });

  it("keeps within the bucket from the headers instead of running into 429s", async () => {
    const { fake, clock } = await start({ bucketLimit: 2, bucketWindowMs: 1000 });
    fake.addMessages(HELP, helpMessages(450));
    const d = deps(fake, clock);
    const report = await pollDiscord(d);
    expect(report.channels[0]!.messagesRead).toBe(450);
    expect(fake.requests.filter((r) => r.status === 429)).toHaveLength(0);
    expect(report.rateLimitWaits).toBeGreaterThanOrEqual(2);
    expect(report.requests).toBe(fake.requests.length);
  });

  it("reports a channel Discord does not know and goes on with the next", async () => {
    const { fake, clock } = await start();
    fake.addMessages(HELP, helpMessages(2));
    const d = deps(fake, clock, { discord: { channels: [{ id: "999999999999999999", type: "text" }, { id: HELP, type: "text" }] } });
    const report = await pollDiscord(d);
    expect(report.channels[0]!.error).toMatch(/404/);
    expect(report.channels[1]).toMatchObject({ messagesRead: 2, error: null });
  });

  it("does nothing when the source is not configured", async () => {
    const { fake, clock } = await start();
    const d = deps(fake, clock);
    const report = await pollDiscord({ ...d, config: parseConfig({}) });
    expect(report.channels).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });
});
