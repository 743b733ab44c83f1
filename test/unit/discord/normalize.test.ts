import { afterEach, describe, expect, it, vi } from "vitest";
import { ActivitySchema } from "../../../shared/model/activity.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import {
  createDiscordAdapter,
  discordAdapter,
  discordContentToPlain,
  normalizeDiscordMessages,
  normalizeDiscordPage,
  DISCORD_NOT_PUSHED,
  MAX_SKIP_REASON,
} from "../../../shared/sources/discord/index.ts";
import type { SkippedMessage } from "../../../shared/sources/discord/index.ts";
import type { ScoreQuestion } from "../../../shared/sources/discord/index.ts";
import { NormalizeError } from "../../../shared/sources/types.ts";
import {
  FORUM,
  GUILD,
  HELP,
  RECEIVED_AT,
  configWith,
  felix,
  fixture,
  maria,
  message,
  messagesEnvelope,
  priya,
  reply,
  rocketBot,
  systemUser,
  textBody,
  thread,
  threadBody,
  user,
} from "./helpers.ts";
import type { Json } from "./helpers.ts";

const config = configWith();
const noQuestion: ScoreQuestion = () => ({ score: 0, reasons: [] });

function run(body: Json, cfg = config): Activity[] {
  const activities = discordAdapter.normalize(messagesEnvelope(body), cfg);
  for (const activity of activities) ActivitySchema.parse(activity);
  return activities;
}

function only(activities: Activity[]): Activity {
  expect(activities).toHaveLength(1);
  return activities[0]!;
}

describe("the webhook front door refuses Discord", () => {
  it("verify says Discord is polled, whatever the request", async () => {
    const request = { headers: { "x-signature-ed25519": "00", "x-signature-timestamp": "1" }, body: Buffer.from('{"type":1}') };
    expect(await discordAdapter.verify(request, "secret", new Date())).toEqual({ ok: false, reason: DISCORD_NOT_PUSHED });
    expect(discordAdapter.classify(request)).toEqual({ action: "malformed", reason: DISCORD_NOT_PUSHED });
    expect(discordAdapter.source).toBe("discord");
  });
});

describe("top-level messages in a text channel", () => {
  it("opens a question thread when the classifier reads a question", () => {
    const question = message("2026-11-17T10:15:09.500Z", priya, "Is there a way to run compaction on a replica without blocking reads?\nWe see p99 jump to 2s.");
    const opening = only(run(textBody([question])));
    const id = `discord:${HELP}:${question["id"]}`;
    expect(opening).toMatchObject({
      id,
      source: "discord",
      instance: GUILD,
      channel: { id: HELP, name: "#help" },
      kind: "thread_opened",
      actor: { id: `discord:user:${priya["id"]}`, login: "priya.dev", name: "Priya", isBot: false, isTeam: false },
      occurredAt: "2026-11-17T10:15:09.500Z",
      receivedAt: RECEIVED_AT,
      version: "2026-11-17T10:15:09.500Z",
      url: `https://discord.com/channels/${GUILD}/${HELP}/${question["id"]}`,
      excerpt: "Is there a way to run compaction on a replica without blocking reads? We see p99 jump to 2s.",
      isQuestion: true,
      target: null,
      reason: null,
    });
    expect(opening.thread).toMatchObject({
      id,
      title: "Is there a way to run compaction on a replica without blocking reads?",
      url: opening.url,
      author: opening.actor,
      createdAt: "2026-11-17T10:15:09.500Z",
      isQuestion: true,
      version: "2026-11-17T10:15:09.500Z",
    });
    expect(opening.thread?.questionScore).toBeGreaterThanOrEqual(0.5);
  });

  it("opens a thread that is not a question for small talk, with its score", () => {
    const chat = only(run(textBody([message("2026-11-16T14:02:31.777Z", priya, "Just upgraded our staging cluster to 3.2, smooth ride so far 🎉")])));
    expect(chat.kind).toBe("thread_opened");
    expect(chat.isQuestion).toBe(false);
    expect(chat.thread?.questionScore).toBeLessThan(0.5);
  });

  it("compares the classifier's score with questionThreshold (at the threshold is a question)", () => {
    const fixed = (score: number): ScoreQuestion => () => ({ score, reasons: ["fixed"] });
    const body = textBody([message("2026-11-18T09:00:00.000Z", priya, "anything")]);
    const strict = configWith({ sources: { discord: { guildId: GUILD, questionThreshold: 0.8 } } });
    expect(normalizeDiscordMessages(messagesEnvelope(body), strict, fixed(0.8))[0]!.thread?.isQuestion).toBe(true);
    expect(normalizeDiscordMessages(messagesEnvelope(body), strict, fixed(0.79))[0]!.thread?.isQuestion).toBe(false);
    // A classifier that strays outside 0..1 cannot make the activity invalid.
    const wild = normalizeDiscordMessages(messagesEnvelope(body), strict, fixed(3))[0]!;
    expect(wild.thread?.questionScore).toBe(1);
    ActivitySchema.parse(wild);
  });

  it("scores readable text: mentions become names, not <@id> tokens", () => {
    const seen: string[] = [];
    const spy: ScoreQuestion = (text) => {
      seen.push(text);
      return { score: 0, reasons: [] };
    };
    const mentioned = message("2026-11-18T09:00:00.000Z", priya, `<@${maria["id"]}> is <#${HELP}> the right place? <:rocket:123456789012345678> <t:1795521600:F>`, {
      mentions: [maria],
    });
    const [activity] = normalizeDiscordMessages(messagesEnvelope(textBody([mentioned])), config, spy);
    expect(seen).toEqual(["@Maria (RocketDB) is #help the right place? :rocket: 2026-11-24 12:00"]);
    expect(activity?.thread?.title).toBe(seen[0]);
  });

  it("titles a message by its first prose line, bounded, skipping code blocks", () => {
    const long = "a".repeat(300);
    const code = message("2026-11-18T09:00:00.000Z", priya, "```\npanic: boom\n```\nWhy does this panic?\nmore");
    const lengthy = message("2026-11-18T09:01:00.000Z", priya, long);
    const attachmentOnly = message("2026-11-18T09:02:00.000Z", priya, "", { attachments: [{ id: "1", filename: "trace.png" }] });
    const [a, b, c] = run(textBody([code, lengthy, attachmentOnly]));
    expect(a!.thread?.title).toBe("Why does this panic?");
    expect(b!.thread?.title.length).toBe(120);
    expect(b!.thread?.title.endsWith("…")).toBe(true);
    expect(c!.thread?.title).toBe("(attachment)");
    expect(c!.excerpt).toBeNull();
  });

  it("uses the edit time as the version, and the post time as occurredAt", () => {
    const edited = message("2026-11-18T09:00:00.000Z", priya, "How do I rotate the TLS cert?", { edited_timestamp: "2026-11-18T09:05:30.250000+00:00" });
    const opening = only(run(textBody([edited])));
    expect(opening.occurredAt).toBe("2026-11-18T09:00:00.000Z");
    expect(opening.version).toBe("2026-11-18T09:05:30.250Z");
    expect(opening.thread?.version).toBe("2026-11-18T09:05:30.250Z");
  });

  it("falls back to the snowflake's time when a message has no timestamp", () => {
    const { timestamp: _drop, ...untimed } = message("2026-11-18T09:00:00.123Z", priya, "hello");
    expect(only(run(textBody([untimed]))).occurredAt).toBe("2026-11-18T09:00:00.123Z");
  });
});

describe("replies in a text channel", () => {
  const question = message("2026-11-16T09:10:12.345Z", priya, "How do I configure WAL retention for read replicas?");

  it("joins the thread of the message it answers, carrying the question from referenced_message", () => {
    const answer = reply("2026-11-16T09:41:03.120Z", maria, question, "Set `replication.wal_retention`.");
    const [opening, replied] = run(textBody([question, answer]));
    expect(replied).toMatchObject({
      id: `discord:${HELP}:${answer["id"]}`,
      kind: "reply",
      actor: { login: "maria.acme", isTeam: true, isBot: false },
      url: `https://discord.com/channels/${GUILD}/${HELP}/${answer["id"]}`,
      isQuestion: true,
    });
    // Built from the nested copy, the reply's ref equals the opening's own: either can stand alone.
    expect(replied!.thread).toEqual(opening!.thread);
  });

  it("reads the real-shaped fixture: an edited reply with a mention in the question", () => {
    const answer = fixture("reply-with-referenced-message.json");
    const replied = only(run(textBody([answer])));
    expect(replied.thread?.id).toBe(`discord:${HELP}:1571814636918013952`);
    expect(replied.thread?.title).toBe("How do I configure WAL retention for read replicas? @Maria (RocketDB) maybe you know?");
    expect(replied.thread?.author?.login).toBe("priya.dev");
    expect(replied.version).toBe("2026-11-16T09:43:10.500Z");
    expect(replied.occurredAt).toBe("2026-11-16T09:41:03.120Z");
  });

  it("attributes a reply to a reply to the grandparent's thread, with a ref that sorts lowest", () => {
    const answer = reply("2026-11-16T09:41:03.120Z", maria, question, "Set it in hours.");
    const thanks = reply("2026-11-16T09:50:44.002Z", priya, answer, "That worked, thanks!");
    const replied = only(run(textBody([thanks])));
    expect(replied.thread).toEqual({
      id: `discord:${HELP}:${question["id"]}`,
      title: "",
      url: `https://discord.com/channels/${GUILD}/${HELP}/${question["id"]}`,
      author: null,
      createdAt: "2026-11-16T09:10:12.345Z",
      isQuestion: false,
      version: "",
      questionScore: null,
    });
  });

  it("keeps only the answered message's id when Discord sends referenced_message null (deleted)", () => {
    const orphan = reply("2026-11-16T10:00:00.000Z", felix, question, "Try the docs.", { referenced_message: null });
    const replied = only(run(textBody([orphan])));
    expect(replied.kind).toBe("reply");
    expect(replied.thread).toMatchObject({ id: `discord:${HELP}:${question["id"]}`, version: "", author: null });
  });

  it("treats a forward (reference type 1) as a message of its own, not a reply", () => {
    const forward = message("2026-11-16T10:00:00.000Z", felix, "", {
      message_reference: { type: 1, channel_id: "1030087507968000017", message_id: "1571814636918013952", guild_id: GUILD },
      message_snapshots: [{ message: { content: "elsewhere" } }],
    });
    expect(only(run(textBody([forward]))).kind).toBe("thread_opened");
  });
});

describe("bots, system messages, webhooks and the team", () => {
  it("marks bots, Discord's system user and webhook posts as bots; their posts are never questions", () => {
    const botPost = message("2026-11-18T09:00:00.000Z", rocketBot, "How do I get started? Read the FAQ!");
    const systemPost = message("2026-11-18T09:01:00.000Z", systemUser, "What's new in Discord?");
    const hook = user("GitHub", "1203985301012480000");
    const webhookPost = message("2026-11-18T09:02:00.000Z", hook, "Did you see release v3.2.1?", { webhook_id: "1203985301012480000" });
    const activities = run(textBody([botPost, systemPost, webhookPost]));
    for (const activity of activities) {
      expect(activity.actor.isBot, activity.id).toBe(true);
      expect(activity.thread?.isQuestion, activity.id).toBe(false);
      expect(activity.thread?.questionScore, activity.id).toBeNull();
    }
  });

  it("counts roster members by Discord user id, not by name", () => {
    const byId = only(run(textBody([message("2026-11-18T09:00:00.000Z", maria, "hi")])));
    expect(byId.actor.isTeam).toBe(true);
    const namedLikeMaria = configWith({ team: [{ name: "Maria", identities: { discord: ["maria.acme"] } }] });
    expect(only(run(textBody([message("2026-11-18T09:00:00.000Z", maria, "hi")]), namedLikeMaria)).actor.isTeam).toBe(false);
  });

  it("turns a join line (type 7) into member_joined and ignores other system lines", () => {
    const join = message("2026-11-16T08:30:00.000Z", priya, "", { type: 7 });
    const pin = message("2026-11-16T08:31:00.000Z", maria, "", { type: 6 });
    const threadCreated = message("2026-11-16T08:32:00.000Z", maria, "Release planning", { type: 18 });
    const activities = run(textBody([join, pin, threadCreated]));
    expect(activities).toHaveLength(1);
    expect(activities[0]).toMatchObject({ id: `discord:${HELP}:${join["id"]}`, kind: "member_joined", thread: null, isQuestion: false });
  });
});

describe("forum posts", () => {
  const post = thread("2026-11-18T10:30:00.000Z", FORUM, "Backing up to S3 with IAM roles instead of keys", priya);
  const starter = message("2026-11-18T10:30:00.000Z", priya, "Our security team forbids static keys. Can rocketdb-backup use the instance role?", {
    id: post["id"],
    channel_id: post["id"],
  });

  it("opens a question thread named after the post, with the starter message as the opening", () => {
    const opening = only(run(threadBody(post, [starter])));
    const id = `discord:${FORUM}:${post["id"]}`;
    expect(opening).toMatchObject({
      id,
      kind: "thread_opened",
      channel: { id: FORUM, name: "#q-and-a" },
      url: `https://discord.com/channels/${GUILD}/${post["id"]}/${post["id"]}`,
      isQuestion: true,
    });
    expect(opening.thread).toMatchObject({ id, title: "Backing up to S3 with IAM roles instead of keys", isQuestion: true, questionScore: null });
  });

  it("files every other message as a reply that knows the post and its owner", () => {
    const answer = message("2026-11-18T11:00:00.000Z", felix, "Yes, it uses the default credential chain.", { channel_id: post["id"] });
    const replied = only(run(threadBody(post, [answer])));
    expect(replied).toMatchObject({ id: `discord:${post["id"]}:${answer["id"]}`, kind: "reply", isQuestion: true });
    expect(replied.thread).toMatchObject({
      id: `discord:${FORUM}:${post["id"]}`,
      title: post["name"],
      author: { id: `discord:user:${priya["id"]}` },
      createdAt: "2026-11-18T10:30:00.000Z",
      isQuestion: true,
      version: "",
    });
  });

  it("reads a real-shaped forum thread object", () => {
    const forumThread = fixture("forum-thread.json");
    const starterMessage = message("2026-11-16T15:00:00.000Z", user("ottoblau", "522382108262400011"), "exec format error on Graviton", {
      id: forumThread["id"],
      channel_id: forumThread["id"],
    });
    const opening = only(run(threadBody(forumThread, [starterMessage])));
    expect(opening.thread?.title).toBe("Docker image fails to start on ARM64");
    expect(opening.thread?.createdAt).toBe("2026-11-16T15:00:00.000Z");
  });

  it("does not count a bot's forum post as a question", () => {
    const notes = thread("2026-11-19T08:00:00.000Z", FORUM, "Community call notes", rocketBot);
    const botStarter = message("2026-11-19T08:00:00.000Z", rocketBot, "Notes from this week's call", { id: notes["id"], channel_id: notes["id"] });
    expect(only(run(threadBody(notes, [botStarter]))).thread?.isQuestion).toBe(false);
  });

  it("refuses forum messages that come without their thread", () => {
    const body = textBody([starter], { id: FORUM, type: "forum" });
    expect(() => run(body)).toThrow(/must come with their thread/);
  });
});

describe("threads on text-channel messages", () => {
  const question = message("2026-11-18T13:05:27.250Z", priya, "Why does rocketdb-cli hang with TLS 1.3?");
  const onQuestion = thread("2026-11-18T13:06:00.000Z", HELP, "rocketdb-cli hangs with TLS 1.3", felix, { id: question["id"] });

  it("files thread messages under the message the thread was started on; the starter mirror is skipped", () => {
    const mirror = message("2026-11-18T13:06:00.000Z", felix, "", {
      type: 21,
      channel_id: onQuestion["id"],
      message_reference: { type: 0, channel_id: HELP, message_id: question["id"], guild_id: GUILD },
    });
    const answer = message("2026-11-18T13:40:21.000Z", felix, "Upgrade the CLI to 3.1.4 or later.", { channel_id: onQuestion["id"] });
    const replied = only(run(threadBody(onQuestion, [mirror, answer])));
    expect(replied).toMatchObject({
      id: `discord:${onQuestion["id"]}:${answer["id"]}`,
      kind: "reply",
      channel: { id: HELP, name: "#help" },
      url: `https://discord.com/channels/${GUILD}/${onQuestion["id"]}/${answer["id"]}`,
    });
    // The thread's owner (felix) is not the question's author: the ref must not claim one.
    expect(replied.thread).toMatchObject({ id: `discord:${HELP}:${question["id"]}`, author: null, version: "", isQuestion: false });
  });
});

describe("bad input", () => {
  function fails(body: unknown, pattern: RegExp, overrides = {}) {
    const envelope = messagesEnvelope({}, { body: typeof body === "string" ? body : JSON.stringify(body), ...overrides });
    let caught: unknown;
    try {
      discordAdapter.normalize(envelope, config);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NormalizeError);
    expect((caught as NormalizeError).message).toMatch(pattern);
    expect((caught as NormalizeError).envelopeId).toBe("env-discord-1");
  }

  it("fails the envelope, naming what is wrong, only when it is not a page of messages", () => {
    fails("{not json", /not valid JSON/);
    fails({ messages: [] }, /channel/);
    fails({ channel: { id: HELP, type: "text", guild_id: GUILD }, messages: "not a list" }, /messages/);
    fails({ channel: { id: HELP, type: "voice", guild_id: GUILD }, messages: [] }, /channel\.type/);
  });

  it("skips a message Discord would not send, naming what is wrong with it, and keeps the page", () => {
    const cases: Array<[Json | string, RegExp]> = [
      [{ id: "123", channel_id: HELP, type: 0, content: "no author" }, /^discord messages: messages\[0\] \(id 123\): author/],
      [message("2026-11-18T09:00:00.000Z", priya, "x", { channel_id: FORUM }), /^discord messages: messages\[0\] \(id \d+\) is from channel/],
      [message("2026-11-18T09:00:00.000Z", priya, "x", { timestamp: "yesterday" }), /^discord messages: messages\[0\] \(id \d+\): timestamp/],
      [{ channel_id: HELP, type: 0, author: priya, content: "no id" }, /^discord messages: messages\[0\]: id/],
      ["not an object", /^discord messages: messages\[0\]: \(value\)/],
    ];
    for (const [bad, reason] of cases) {
      const good = message("2026-11-18T10:00:00.000Z", felix, "still here");
      const page = normalizeDiscordPage(messagesEnvelope(textBody([bad as Json, good])), config, noQuestion);
      expect(page.activities.map((a) => a.id)).toEqual([`discord:${HELP}:${good["id"]}`]);
      expect(page.skipped).toHaveLength(1);
      expect(page.skipped[0]).toMatchObject({ index: 0, reason: expect.stringMatching(reason) });
      expect(page.skipped[0]!.messageId).toBe(typeof bad === "object" && typeof bad["id"] === "string" ? bad["id"] : null);
    }
  });

  it("needs a guild id from the body or the config", () => {
    const noGuild = configWith({ sources: { discord: {} } });
    const envelope = messagesEnvelope(textBody([message("2026-11-18T09:00:00.000Z", priya, "x")], { guild_id: null }));
    expect(() => discordAdapter.normalize(envelope, noGuild)).toThrow(/no guild id/);
  });

  it("needs no guild id in the body when the config has one", () => {
    const body = textBody([message("2026-11-18T09:00:00.000Z", priya, "x")], { guild_id: null });
    expect(only(run(body)).instance).toBe(GUILD);
  });

  it("refuses an envelope of another source and ignores other event types", () => {
    expect(() => discordAdapter.normalize(messagesEnvelope(textBody([]), { source: "slack" }), config)).toThrow(NormalizeError);
    expect(discordAdapter.normalize(messagesEnvelope(textBody([]), { eventType: "reactions" }), config)).toEqual([]);
  });
});

describe("one message never takes its page with it (issue 11)", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const at = (minute: number) => `2026-11-18T09:${String(minute).padStart(2, "0")}:00.000Z`;

  it("renders a timestamp mention outside the Date range as typed, and the page's other messages as usual", () => {
    const first = message(at(0), priya, "How do I rotate the keys?");
    const poison = message(at(1), felix, "The cache expires <t:99999999999999:R>, fine?");
    const last = message(at(2), maria, "See the docs.");
    const page = normalizeDiscordPage(messagesEnvelope(textBody([first, poison, last])), config, noQuestion);
    expect(page.skipped).toEqual([]);
    expect(page.activities.map((a) => a.id)).toEqual([first, poison, last].map((m) => `discord:${HELP}:${m["id"]}`));
    for (const activity of page.activities) ActivitySchema.parse(activity);
    expect(page.activities[1]!.excerpt).toBe("The cache expires <t:99999999999999:R>, fine?");
    expect(page.activities[1]!.thread?.title).toBe("The cache expires <t:99999999999999:R>, fine?");
    // Through the adapter, as the normaliser calls it.
    expect(discordAdapter.normalize(messagesEnvelope(textBody([first, poison, last])), config)).toHaveLength(3);
  });

  it("renders every timestamp mention it can and leaves the rest as typed, never throwing", () => {
    const cases: Array<[string, string]> = [
      ["<t:1795521600:F>", "2026-11-24 12:00"],
      ["<t:1795521600>", "2026-11-24 12:00"],
      ["<t:-62167219200:d>", "0000-01-01 00:00"],
      ["<t:253402300799:R>", "9999-12-31 23:59"],
      // Past year 9999 and past what Date holds (8.64e15 ms), and far past it.
      ["<t:253402300800:R>", "<t:253402300800:R>"],
      ["<t:8640000000001:R>", "<t:8640000000001:R>"],
      ["<t:99999999999999:R>", "<t:99999999999999:R>"],
      [`<t:${"9".repeat(400)}>`, `<t:${"9".repeat(400)}>`],
      ["<t:-99999999999999>", "<t:-99999999999999>"],
      // Not a timestamp at all.
      ["<t:soon>", "<t:soon>"],
      ["<t:1e9>", "<t:1e9>"],
      ["<t:0x10>", "<t:0x10>"],
      ["<t:1795521600:X>", "<t:1795521600:X>"],
      ["<t:1795521600:R:x>", "<t:1795521600:R:x>"],
      ["<t::R>", "<t::R>"],
    ];
    for (const [token, plain] of cases) expect(discordContentToPlain(`at ${token}.`), token).toBe(`at ${plain}.`);
    // The other tokens with ids and names: odd ones read as a generic name, never a throw.
    expect(discordContentToPlain("<@99999999999999999999999> <@&x> <#__proto__> <:a:1> <a:b:x> </c:y> <@!constructor>")).toBe(
      "@user @role #channel :a: :b: /c @user",
    );
  });

  it("skips a message without its author, and the messages around it still give their activities", () => {
    const first = message(at(0), priya, "How do I rotate the keys?");
    const { author: _gone, ...headless } = message(at(1), felix, "I have no author");
    const last = message(at(2), maria, "See the docs.");
    const seen: SkippedMessage[] = [];
    const adapter = createDiscordAdapter({ onSkipped: (envelope, skipped) => seen.push({ ...skipped, reason: `${envelope.id}: ${skipped.reason}` }) });

    const activities = adapter.normalize(messagesEnvelope(textBody([first, headless, last])), config);

    expect(activities.map((a) => a.id)).toEqual([`discord:${HELP}:${first["id"]}`, `discord:${HELP}:${last["id"]}`]);
    expect(seen).toEqual([{ index: 1, messageId: headless["id"], reason: expect.stringMatching(/^env-discord-1: discord messages: messages\[1\] \(id \d+\): author/) }]);
    // The same, returned rather than told.
    const page = adapter.normalizeWithSkips(messagesEnvelope(textBody([first, headless, last])), config);
    expect(page.activities).toEqual(activities);
    expect(page.skipped).toEqual([{ index: 1, messageId: headless["id"], reason: expect.stringMatching(/author/) }]);
  });

  it("skips a message whose normalising fails for any other reason, with the error named and bounded", () => {
    const first = message(at(0), priya, "How do I rotate the keys?");
    const poison = message(at(1), felix, "boom");
    const last = message(at(2), maria, "See the docs.");
    const score: ScoreQuestion = (text) => {
      if (text === "boom") throw new TypeError(`cannot score ${"x".repeat(2_000)}`);
      return { score: 0, reasons: [] };
    };
    const page = normalizeDiscordPage(messagesEnvelope(textBody([first, poison, last])), config, score);
    expect(page.activities.map((a) => a.id)).toEqual([`discord:${HELP}:${first["id"]}`, `discord:${HELP}:${last["id"]}`]);
    expect(page.skipped).toHaveLength(1);
    expect(page.skipped[0]!.reason).toMatch(/^discord messages: messages\[1\] \(id \d+\): unexpected TypeError: cannot score x+…$/);
    expect(page.skipped[0]!.reason).toHaveLength(MAX_SKIP_REASON);
  });

  it("logs a skipped message by default: ids and the reason, never the message's text", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const secret = message(at(1), felix, "my password is hunter2", { timestamp: "not a time" });
    const fine = message(at(2), maria, "See the docs.");
    const activities = discordAdapter.normalize(messagesEnvelope(textBody([secret, fine]), { deliveryId: "d-1" }), config);
    expect(activities).toHaveLength(1);
    expect(warn).toHaveBeenCalledTimes(1);
    const line = warn.mock.calls[0]![0] as string;
    expect(JSON.parse(line)).toEqual({
      level: "WARN",
      message: "discord message skipped",
      envelopeId: "env-discord-1",
      deliveryId: "d-1",
      index: 0,
      messageId: secret["id"],
      reason: expect.stringMatching(/timestamp/),
    });
    expect(line).not.toContain("hunter2");
  });

  it("gives no activity and no failure for a page of only unreadable messages (each one named)", () => {
    const page = normalizeDiscordPage(messagesEnvelope(textBody([{ id: "1" }, { id: "2" }])), config, noQuestion);
    expect(page.activities).toEqual([]);
    expect(page.skipped.map((s) => s.messageId)).toEqual(["1", "2"]);
  });

  it("skips a bad message in a forum post's page too, keeping the post and the other replies", () => {
    const post = thread(at(0), FORUM, "Keys rotation", priya);
    const starter = message(at(0), priya, "How do I rotate the keys?", { id: post["id"], channel_id: post["id"] });
    const bad = message(at(1), felix, "x", { channel_id: post["id"], type: "reply" });
    const answer = message(at(2), maria, "Run `keys rotate` <t:99999999999999>", { channel_id: post["id"] });
    const page = normalizeDiscordPage(messagesEnvelope(threadBody(post, [starter, bad, answer])), config, noQuestion);
    expect(page.activities.map((a) => a.kind)).toEqual(["thread_opened", "reply"]);
    expect(page.activities[1]!.excerpt).toBe("Run `keys rotate` <t:99999999999999>");
    expect(page.skipped).toEqual([{ index: 1, messageId: bad["id"], reason: expect.stringMatching(/type/) }]);
  });
});
