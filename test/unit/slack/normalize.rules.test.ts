import { describe, expect, it } from "vitest";
import { ActivitySchema } from "../../../shared/model/activity.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import { normalizeSlackEnvelope, scoreQuestion, slackTextToPlain } from "../../../shared/sources/slack/index.ts";
import { NormalizeError } from "../../../shared/sources/types.ts";
import { ASKER, HELP, HELPER, RECEIVED_AT, ROOT_TS, TEAM, THREAD_ID, configWith, envelopeFor, fixture } from "./helpers.ts";
import type { Payload } from "./helpers.ts";

const WORKSPACE = "https://rocketdb-community.slack.com";
const config = configWith({
  sources: { slack: { workspaceUrl: WORKSPACE, channelNames: { [HELP]: "#help" } } },
  team: [{ name: "Hira", identities: { slack: [HELPER] } }],
});
const defaults = configWith({});

function run(payload: unknown, cfg = config, overrides = {}): Activity[] {
  const activities = normalizeSlackEnvelope(envelopeFor(payload, overrides), cfg);
  for (const a of activities) ActivitySchema.parse(a);
  return activities;
}

function only(activities: Activity[]): Activity {
  expect(activities, activities.map((a) => a.kind).join(",")).toHaveLength(1);
  return activities[0]!;
}

const ROOT_AT = "2026-11-16T12:00:00.123Z";
const ROOT_URL = `${WORKSPACE}/archives/${HELP}/p1794830400123456`;

describe("top-level messages", () => {
  it("open a thread named after the message, with the classifier's verdict", () => {
    const payload = fixture("message.json");
    const opening = only(run(payload));
    const expectedScore = scoreQuestion(slackTextToPlain(payload["event"].text)).score;
    expect(expectedScore).toBeGreaterThanOrEqual(0.5);
    expect(opening).toMatchObject({
      id: THREAD_ID,
      source: "slack",
      instance: TEAM,
      channel: { id: HELP, name: "#help" },
      kind: "thread_opened",
      actor: { id: `slack:user:${ASKER}`, login: ASKER, isBot: false, isTeam: false },
      occurredAt: ROOT_AT,
      receivedAt: RECEIVED_AT,
      version: ROOT_TS,
      url: ROOT_URL,
      isQuestion: true,
      target: null,
      reason: null,
    });
    expect(opening.thread).toMatchObject({
      id: THREAD_ID,
      url: ROOT_URL,
      author: { id: `slack:user:${ASKER}` },
      createdAt: ROOT_AT,
      isQuestion: true,
      version: ROOT_TS,
      questionScore: expectedScore,
    });
    // Slack link markup is read as a person reads it, in the title and the excerpt alike.
    expect(opening.excerpt).toContain("The replication docs say it should recover on its own.");
    expect(opening.excerpt).not.toContain("<https");
    // The first line is 190 characters: the title keeps the sentences that fit in 120.
    expect(opening.thread!.title).toBe("Hi all! Replica lag keeps growing under write load on 3.2 and never catches up. Any idea what to check?");
  });

  it("cut a title with an ellipsis when not even its first sentence fits", () => {
    const payload = fixture("message.json");
    payload["event"].text = `${"replica lag ".repeat(20)}is growing, why`;
    const title = only(run(payload)).thread!.title;
    expect(title).toHaveLength(120);
    expect(title.endsWith("lag…")).toBe(true);
  });

  it("use the first line of prose as the title, skipping a leading code fence", () => {
    const payload = fixture("message.json");
    payload["event"].text = "```\nERROR: wal segment has wrong checksum\n```\nGetting this after upgrading to 3.2, how do I recover?\nmore detail";
    expect(only(run(payload)).thread?.title).toBe("Getting this after upgrading to 3.2, how do I recover?");
  });

  it("are not questions when the classifier says so, and keep the score", () => {
    const payload = fixture("message.json");
    payload["event"].text = "RocketDB 3.3.0 is out :tada: release notes: <https://rocketdb.dev/blog/3-3>";
    const opening = only(run(payload));
    expect(opening.kind).toBe("thread_opened");
    expect(opening.isQuestion).toBe(false);
    expect(opening.thread?.questionScore).toBeLessThan(0.5);
  });

  it("follow questionThreshold", () => {
    const payload = fixture("message.json");
    const score = only(run(payload)).thread!.questionScore!;
    const strict = configWith({ sources: { slack: { questionThreshold: Math.min(1, score + 0.01) } } });
    const lenient = configWith({ sources: { slack: { questionThreshold: score } } });
    expect(only(run(payload, strict)).isQuestion).toBe(score === 1);
    expect(only(run(payload, lenient)).isQuestion).toBe(true);
  });

  it("link to the web client and name channels by id when no workspace URL or names are configured", () => {
    const opening = only(run(fixture("message.json"), defaults));
    expect(opening.url).toBe(`https://app.slack.com/client/${TEAM}/${HELP}`);
    expect(opening.channel).toEqual({ id: HELP, name: `#${HELP}` });
  });

  it("from a bot are never questions, whatever they say", () => {
    const payload = fixture("message-bot_message.json");
    delete payload["event"].thread_ts;
    delete payload["event"].parent_user_id;
    payload["event"].text = "Is the nightly build green? How do I rerun it?";
    const opening = only(run(payload));
    expect(opening).toMatchObject({
      kind: "thread_opened",
      isQuestion: false,
      actor: { id: "slack:bot:B0GHBOT001", login: "B0GHBOT001", name: "GitHub", isBot: true },
    });
    expect(opening.thread?.questionScore).toBeNull();
  });

  it("from an app's bot user count as a bot too (user plus bot_id)", () => {
    const payload = fixture("message.json");
    payload["event"].bot_id = "B0DEPLOY01";
    expect(only(run(payload)).actor).toMatchObject({ id: `slack:user:${ASKER}`, isBot: true });
    expect(only(run(payload)).isQuestion).toBe(false);
  });

  it("mark roster members as team", () => {
    const payload = fixture("message.json");
    payload["event"].user = HELPER;
    expect(only(run(payload)).actor).toMatchObject({ id: `slack:user:${HELPER}`, isTeam: true });
  });
});

describe("replies", () => {
  it("carry a thread ref that knows only id, root author and root time, at version \"\"", () => {
    const reply = only(run(fixture("message-reply.json")));
    expect(reply).toMatchObject({
      id: `slack:${TEAM}:${HELP}:1794831300.000200`,
      kind: "reply",
      actor: { id: `slack:user:${HELPER}`, isTeam: true },
      occurredAt: "2026-11-16T12:15:00.000Z",
      version: "1794831300.000200",
      url: `${WORKSPACE}/archives/${HELP}/p1794831300000200?thread_ts=${ROOT_TS}&cid=${HELP}`,
      isQuestion: false,
    });
    expect(reply.thread).toEqual({
      id: THREAD_ID,
      title: "",
      url: ROOT_URL,
      author: { id: `slack:user:${ASKER}`, login: ASKER, name: null, isBot: false, isTeam: false },
      createdAt: ROOT_AT,
      isQuestion: false,
      version: "",
      questionScore: null,
    });
  });

  it("by a bot are replies by a bot", () => {
    expect(only(run(fixture("message-bot_message.json")))).toMatchObject({
      kind: "reply",
      actor: { id: "slack:bot:B0GHBOT001", isBot: true },
      thread: { id: THREAD_ID },
    });
  });

  it("broadcast to the channel are still replies in their thread", () => {
    expect(only(run(fixture("message-thread_broadcast.json")))).toMatchObject({
      id: `slack:${TEAM}:${HELP}:1794834000.000400`,
      kind: "reply",
      thread: { id: THREAD_ID, version: "" },
    });
  });

  it("shared as files (file_share) count like any message; housekeeping subtypes give nothing", () => {
    const shared = fixture("message-reply.json");
    shared["event"].subtype = "file_share";
    expect(only(run(shared)).kind).toBe("reply");
    expect(run(fixture("message-channel_join.json"))).toEqual([]);
    for (const subtype of ["channel_topic", "channel_purpose", "pinned_item", "message_replied"]) {
      const other = fixture("message.json");
      other["event"].subtype = subtype;
      expect(run(other)).toEqual([]);
    }
  });
});

describe("edits", () => {
  it("re-snapshot a top-level message at edited.ts, re-classified", () => {
    const opening = only(run(fixture("message-message_changed.json")));
    expect(opening).toMatchObject({
      id: THREAD_ID,
      kind: "thread_opened",
      occurredAt: ROOT_AT,
      version: "1794830700.000000",
      actor: { id: `slack:user:${ASKER}` },
      isQuestion: true,
    });
    expect(opening.thread?.title).toBe("Replica lag keeps growing under write load on 3.2 (3 nodes, NVMe). Any idea what to check?");
    expect(opening.version > only(run(fixture("message.json"))).version).toBe(true);

    const noLongerAsking = fixture("message-message_changed.json");
    noLongerAsking["event"].message.text = "Replica lag fixed itself after the upgrade to 3.2.1, thanks all";
    expect(only(run(noLongerAsking)).isQuestion).toBe(false);
  });

  it("of a reply are a newer version of the reply", () => {
    const reply = fixture("message-reply.json")["event"];
    const changed = fixture("message-message_changed.json");
    changed["event"].message = { ...reply, text: "Check wal_sender_timeout (edit: and apply_workers)", edited: { user: HELPER, ts: "1794831900.000000" } };
    expect(only(run(changed))).toMatchObject({ id: `slack:${TEAM}:${HELP}:1794831300.000200`, kind: "reply", version: "1794831900.000000" });
  });

  it("that Slack sends for housekeeping (no edited) keep the original version", () => {
    const changed = fixture("message-message_changed.json");
    changed["event"].message = { ...fixture("message.json")["event"], channel: undefined };
    expect(only(run(changed)).version).toBe(ROOT_TS);
  });
});

describe("deletions", () => {
  it("turn message_deleted into a tombstone of deleted_ts, credited to the deleted message's author", () => {
    expect(only(run(fixture("message-message_deleted.json")))).toMatchObject({
      id: `${THREAD_ID}:deleted`,
      kind: "deleted",
      target: THREAD_ID,
      actor: { id: `slack:user:${ASKER}` },
      occurredAt: "2026-11-16T14:06:40.000Z",
      version: "1794838000.000600",
      thread: { id: THREAD_ID, version: "" },
    });
  });

  it("find a deleted reply's thread through previous_message.thread_ts", () => {
    const deleted = fixture("message-message_deleted.json");
    deleted["event"].deleted_ts = "1794831300.000200";
    deleted["event"].previous_message = fixture("message-reply.json")["event"];
    expect(only(run(deleted))).toMatchObject({
      id: `slack:${TEAM}:${HELP}:1794831300.000200:deleted`,
      target: `slack:${TEAM}:${HELP}:1794831300.000200`,
      actor: { id: `slack:user:${HELPER}` },
      thread: { id: THREAD_ID, author: { id: `slack:user:${ASKER}` } },
    });
  });

  it("take a deletion without previous_message as a root's (documented limit)", () => {
    const deleted = fixture("message-message_deleted.json");
    delete deleted["event"].previous_message;
    expect(only(run(deleted))).toMatchObject({ target: THREAD_ID, actor: { id: "slack:user:unknown" }, thread: { id: THREAD_ID } });
  });

  it("treat the tombstone Slack leaves for a root with replies as its deletion", () => {
    expect(only(run(fixture("message-message_changed-tombstone.json")))).toMatchObject({
      id: `${THREAD_ID}:deleted`,
      kind: "deleted",
      target: THREAD_ID,
      thread: { id: THREAD_ID },
    });
  });
});

describe("reactions", () => {
  const TARGET = `${THREAD_ID}:reaction:white_check_mark:${HELPER}`;

  it("✅ by someone other than the author accepts, credited to the reactor, with its own target", () => {
    expect(only(run(fixture("reaction_added.json")))).toMatchObject({
      id: `${TARGET}:added`,
      kind: "answer_accepted",
      target: TARGET,
      actor: { id: `slack:user:${HELPER}`, isTeam: true },
      occurredAt: "2026-11-16T13:16:40.000Z",
      version: "1794835000.000900",
      url: ROOT_URL,
      thread: { id: THREAD_ID, author: { id: `slack:user:${ASKER}` }, version: "" },
    });
  });

  it("removing it unaccepts the same target at its own time", () => {
    expect(only(run(fixture("reaction_removed.json")))).toMatchObject({
      id: `${TARGET}:removed`,
      kind: "answer_unaccepted",
      target: TARGET,
      occurredAt: "2026-11-16T13:33:20.001Z",
      version: "1794836000.001000",
    });
  });

  it("by the author, with another emoji, or on a file count for nothing", () => {
    const own = fixture("reaction_added.json");
    own["event"].user = ASKER;
    expect(run(own)).toEqual([]);
    const thumbs = fixture("reaction_added.json");
    thumbs["event"].reaction = "+1";
    expect(run(thumbs)).toEqual([]);
    const onFile = fixture("reaction_added.json");
    onFile["event"].item = { type: "file", file: "F0LOGS0001" };
    expect(run(onFile)).toEqual([]);
  });

  it("ignore skin tones, accept heavy_check_mark by default, and follow answeredReactions", () => {
    const toned = fixture("reaction_added.json");
    toned["event"].reaction = "white_check_mark::skin-tone-3";
    expect(only(run(toned)).target).toBe(TARGET);
    const heavy = fixture("reaction_added.json");
    heavy["event"].reaction = "heavy_check_mark";
    expect(only(run(heavy)).kind).toBe("answer_accepted");
    const custom = configWith({ sources: { slack: { answeredReactions: ["solved"] } } });
    expect(run(fixture("reaction_added.json"), custom)).toEqual([]);
    const solved = fixture("reaction_added.json");
    solved["event"].reaction = "solved";
    expect(only(run(solved, custom)).target).toBe(`${THREAD_ID}:reaction:solved:${HELPER}`);
  });

  it("fall back to event_time without event_ts", () => {
    const payload = fixture("reaction_added.json");
    delete payload["event"].event_ts;
    expect(only(run(payload))).toMatchObject({ occurredAt: "2026-11-16T13:16:40.000Z", version: "1794835000.000000" });
  });
});

describe("the app itself", () => {
  it("app_uninstalled is an app_event outside any thread", () => {
    expect(only(run(fixture("app_uninstalled.json")))).toEqual({
      id: `slack:${TEAM}:app_uninstalled:Ev0AAAA00011`,
      source: "slack",
      instance: TEAM,
      channel: { id: TEAM, name: "Slack workspace" },
      kind: "app_event",
      thread: null,
      actor: { id: "slack:app:A0COMMSIG1", login: "A0COMMSIG1", name: null, isBot: true, isTeam: false },
      occurredAt: "2026-11-18T11:06:40.000Z",
      receivedAt: RECEIVED_AT,
      url: null,
      excerpt: null,
      isQuestion: false,
      version: "1795000000.000000",
      target: null,
      reason: "app_uninstalled",
    });
  });

  it("tokens_revoked says how many tokens went", () => {
    expect(only(run(fixture("tokens_revoked.json")))).toMatchObject({
      kind: "app_event",
      reason: "tokens_revoked",
      excerpt: "revoked tokens: 1 user, 1 bot",
      thread: null,
    });
  });
});

describe("watched channels", () => {
  it("keep only listed channels (empty watches all) for messages and reactions, never DMs", () => {
    const elsewhere = configWith({ sources: { slack: { channels: ["C0GENERAL1"] } } });
    expect(run(fixture("message.json"), elsewhere)).toEqual([]);
    expect(run(fixture("reaction_added.json"), elsewhere)).toEqual([]);
    expect(run(fixture("message-message_deleted.json"), elsewhere)).toEqual([]);
    const here = configWith({ sources: { slack: { channels: [HELP] } } });
    expect(run(fixture("message.json"), here)).toHaveLength(1);

    const dm = fixture("message.json");
    dm["event"].channel = "D0ASKERDM1";
    dm["event"].channel_type = "im";
    expect(run(dm, defaults)).toEqual([]);
  });

  it("do not filter app events", () => {
    const elsewhere = configWith({ sources: { slack: { channels: ["C0GENERAL1"] } } });
    expect(run(fixture("app_uninstalled.json"), elsewhere)).toHaveLength(1);
  });
});

describe("retries", () => {
  it("a retried delivery (X-Slack-Retry-Num) yields the same natural ids and versions", () => {
    for (const file of ["message.json", "message-reply.json", "reaction_added.json", "message-message_deleted.json"]) {
      const first = run(fixture(file));
      const retry = run(fixture(file), config, {
        id: "env-0002",
        receivedAt: "2026-11-20T12:01:00.000Z",
        headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" },
      });
      expect(retry.map((a) => [a.id, a.version])).toEqual(first.map((a) => [a.id, a.version]));
    }
  });
});

describe("malformed bodies", () => {
  function failure(payload: unknown, eventType?: string): NormalizeError {
    const envelope = envelopeFor(payload, { id: "env-bad", ...(eventType ? { eventType } : {}) });
    try {
      normalizeSlackEnvelope(envelope, config);
    } catch (err) {
      expect(err).toBeInstanceOf(NormalizeError);
      expect((err as NormalizeError).envelopeId).toBe("env-bad");
      return err as NormalizeError;
    }
    throw new Error("expected NormalizeError");
  }

  it("names a body that is not JSON, or not an event_callback", () => {
    expect(failure("{oops", "message").message).toMatch(/^slack message: body is not valid JSON/);
    expect(failure(fixture("url_verification.json"), "message").message).toMatch(/type: /);
  });

  it("names the missing or mistyped field", () => {
    const noTs: Payload = fixture("message.json");
    delete noTs["event"].ts;
    expect(failure(noTs).message).toMatch(/^slack message: event\.ts: /);

    const badTs: Payload = fixture("message-reply.json");
    badTs["event"].thread_ts = "2026-11-16T12:00:00Z";
    expect(failure(badTs).message).toMatch(/event\.thread_ts: not a Slack ts/);

    const noDeletedTs: Payload = fixture("message-message_deleted.json");
    delete noDeletedTs["event"].deleted_ts;
    expect(failure(noDeletedTs).message).toMatch(/^slack message\.message_deleted: event\.deleted_ts: /);

    const noReactor: Payload = fixture("reaction_added.json");
    delete noReactor["event"].user;
    expect(failure(noReactor).message).toMatch(/^slack reaction_added: event\.user: /);

    const noTeam: Payload = fixture("message.json");
    delete noTeam["team_id"];
    expect(failure(noTeam).message).toMatch(/team_id: /);
  });

  it("refuses a message with no author at all", () => {
    const anonymous: Payload = fixture("message.json");
    delete anonymous["event"].user;
    expect(failure(anonymous).message).toBe("slack message: message has neither user nor bot_id");
  });

  it("returns [] for event types it does not handle, whatever the body", () => {
    expect(normalizeSlackEnvelope(envelopeFor("{oops", { eventType: "member_joined_channel" }), config)).toEqual([]);
  });

  it("refuses an envelope from another source", () => {
    expect(() => normalizeSlackEnvelope({ ...envelopeFor(fixture("message.json")), source: "github" }, config)).toThrow(NormalizeError);
  });
});
