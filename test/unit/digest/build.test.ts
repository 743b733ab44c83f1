import { describe, expect, it } from "vitest";
import { buildDigest, DigestInputError } from "../../../shared/digest/build.ts";
import type { BuildDigestInput } from "../../../shared/digest/build.ts";
import { DigestSchema } from "../../../shared/model/digest.ts";
import type { Thread } from "../../../shared/model/thread.ts";
import { RecipientSchema } from "../../../shared/model/config.ts";
import { NOW, actor, config, hoursAfter, hoursAgo, responded, thread } from "./fixtures.ts";

function build(overrides: Partial<BuildDigestInput> = {}) {
  const digest = buildDigest({
    now: NOW,
    config: config(),
    recipient: null,
    openQuestions: [],
    recentQuestions: [],
    ...overrides,
  });
  // Every digest this suite builds must satisfy the published contract.
  DigestSchema.parse(digest);
  return digest;
}

const DAY = 24;

describe("buildDigest: which questions are unanswered", () => {
  it("keeps open questions between minAgeHours and maxAgeDays (both inclusive), oldest first", () => {
    const tooYoung = thread({ createdAt: hoursAgo(1.9) });
    const justOldEnough = thread({ createdAt: hoursAgo(2) });
    const day = thread({ createdAt: hoursAgo(30) });
    const tenDays = thread({ createdAt: hoursAgo(10 * DAY) });
    const tooOld = thread({ createdAt: hoursAgo(10 * DAY + 0.1) });
    const digest = build({
      config: config({ digest: { minAgeHours: 2, maxAgeDays: 10 } }),
      openQuestions: [day, tooOld, justOldEnough, tenDays, tooYoung],
    });
    expect(digest.unanswered.map((i) => i.threadId)).toEqual([tenDays.id, day.id, justOldEnough.id]);
    expect(digest.counts.open).toBe(3);
  });

  it("has no upper age bound when maxAgeDays is absent", () => {
    const ancient = thread({ createdAt: hoursAgo(400 * DAY) });
    expect(build({ openQuestions: [ancient] }).unanswered).toHaveLength(1);
  });

  it("leaves out questions created after now, keeps one created exactly now", () => {
    const future = thread({ createdAt: hoursAgo(-0.5) });
    const atNow = thread({ createdAt: hoursAgo(0) });
    const digest = build({ openQuestions: [future, atNow] });
    expect(digest.unanswered.map((i) => i.threadId)).toEqual([atNow.id]);
    expect(digest.unanswered[0]?.ageHours).toBe(0);
  });

  it("re-checks the index: skips threads that are not open or not questions", () => {
    const open = thread();
    const digest = build({
      openQuestions: [
        thread({ status: "answered" }),
        thread({ status: "closed" }),
        thread({ status: "deleted" }),
        thread({ isQuestion: false }),
        open,
      ],
    });
    expect(digest.unanswered.map((i) => i.threadId)).toEqual([open.id]);
  });

  it("counts a thread listed twice by overlapping index pages once", () => {
    const t = thread();
    expect(build({ openQuestions: [t, { ...t, lastActivityAt: hoursAgo(1) }] }).unanswered).toHaveLength(1);
  });

  it("filters to the recipient's sources, and takes every source when the list is empty", () => {
    const gh = thread({ createdAt: hoursAgo(5) });
    const discourse = thread({ source: "discourse", instance: "forum.acme.dev", createdAt: hoursAgo(6) });
    const githubOnly = RecipientSchema.parse({ email: "ada@acme.dev", sources: ["github"] });
    const everything = RecipientSchema.parse({ email: "bob@acme.dev" });
    expect(build({ recipient: githubOnly, openQuestions: [gh, discourse] }).unanswered.map((i) => i.threadId)).toEqual([gh.id]);
    const all = build({ recipient: everything, openQuestions: [gh, discourse] });
    expect(all.unanswered.map((i) => i.threadId)).toEqual([discourse.id, gh.id]);
    expect(all.recipient).toBe("bob@acme.dev");
  });

  it("orders by creation time, then thread id", () => {
    const createdAt = hoursAgo(10);
    const b = thread({ id: "github:issue:acme/widgets#b", createdAt });
    const a = thread({ id: "github:issue:acme/widgets#a", createdAt });
    const older = thread({ id: "github:issue:acme/widgets#z", createdAt: hoursAgo(11) });
    expect(build({ openQuestions: [b, a, older] }).unanswered.map((i) => i.threadId)).toEqual([older.id, a.id, b.id]);
  });

  it("marks a question overdue only once it is strictly past the SLA", () => {
    const atSla = thread({ createdAt: hoursAgo(24) });
    const past = thread({ createdAt: hoursAgo(24.05) });
    const digest = build({ config: config({ digest: { slaHours: 24 } }), openQuestions: [atSla, past] });
    expect(digest.unanswered.map((i) => [i.threadId, i.overdue])).toEqual([
      [past.id, true],
      [atSla.id, false],
    ]);
    expect(digest.counts.overdue).toBe(1);
  });

  it("fills each item from the thread, with the age in hours to one decimal", () => {
    const t = thread({
      createdAt: hoursAgo(30 + 20 / 60),
      title: "Build fails on ARM",
      author: actor("ada", { id: "github:user:42" }),
      channel: { id: "github:acme/widgets:discussions:qa", name: "Discussions / Q&A" },
      excerpt: "It fails.",
      replyCount: 2,
    });
    const [item] = build({ openQuestions: [t] }).unanswered;
    expect(item).toEqual({
      threadId: t.id,
      source: "github",
      instance: "acme/widgets",
      channel: "Discussions / Q&A",
      channelId: "github:acme/widgets:discussions:qa",
      title: "Build fails on ARM",
      url: t.url,
      author: "ada",
      authorId: "github:user:42",
      createdAt: t.createdAt,
      ageHours: 30.3,
      overdue: true,
      excerpt: "It fails.",
      replyCount: 2,
      questionStatus: "needs-first-response",
      slaHours: 24,
      firstTimeAsker: null, // no asker history given
      askerIsTeam: false,
      assignee: null,
      assigneeId: null,
      actions: null, // no recipient, no links
    });
  });

  it("gives null author fields when the platform did not name the asker", () => {
    const [item] = build({ openQuestions: [thread({ author: null })] }).unanswered;
    expect(item?.author).toBeNull();
    expect(item?.authorId).toBeNull();
  });

  it("lists every question in the JSON, however many the email will show", () => {
    const many = Array.from({ length: 60 }, (_, i) => thread({ createdAt: hoursAgo(i + 1) }));
    const digest = build({ config: config({ digest: { maxItems: 5 } }), openQuestions: many });
    expect(digest.unanswered).toHaveLength(60);
  });
});

describe("buildDigest: the header and metadata", () => {
  it("carries the run's time, community, recipient and SLA", () => {
    const digest = build({ config: config({ name: "Widgets", digest: { slaHours: 12 } }) });
    expect(digest.generatedAt).toBe("2024-05-15T08:00:00.000Z");
    expect(digest.community).toBe("Widgets");
    expect(digest.recipient).toBeNull();
    expect(digest.slaHours).toBe(12);
    expect(digest.unanswered).toEqual([]);
    expect(digest.counts).toEqual({ open: 0, overdue: 0, newLast24h: 0, answeredLast24h: 0, snoozed: 0, nudges: 0 });
  });
});

/**
 * A fortnight worked out by hand. NOW = 2024-05-15T08:00Z, SLA 24 h.
 * Last 7 days = (May 8 08:00, May 15 08:00]; previous 7 days = (May 1 08:00, May 8 08:00].
 */
function fortnight() {
  const alice = actor("alice");
  const bob = actor("bob");
  const teamie = actor("teamie", { isTeam: true });
  const carol = actor("carol"); // on the roster, but folded before she joined: still team today
  const dave = actor("dave");
  const threads: Thread[] = [
    // last 7 days: first responses after 1, 2, 3, 10 and 30 hours
    responded(24, 1, alice, { title: "q1" }), // created exactly 24 h ago: not "new in 24 h"; answered in 24 h
    responded(48, 2, alice, { title: "q2" }),
    responded(72, 3, bob, { title: "q3" }),
    responded(96, 10, teamie, { title: "q4", status: "open" }), // e.g. team-reply policy not met yet
    responded(120, 30, carol, { title: "q5", acceptedAt: hoursAgo(12) }), // accepted within the last 24 h
    thread({ title: "q6", createdAt: hoursAgo(8) }), // unresponded, 8 h old: cannot miss the SLA yet
    thread({ title: "q7", createdAt: hoursAgo(144), status: "closed" }), // unresponded, past the SLA: a miss
    responded(72, 1, dave, { title: "deleted", status: "deleted" }),
    responded(72, 1, dave, { title: "not a question", isQuestion: false }),
    // previous 7 days
    responded(7 * DAY, 4, dave, { title: "q10" }), // exactly 7 days old: belongs to the previous week
    responded(10 * DAY, 6, dave, { title: "q11" }),
    thread({ title: "q12", createdAt: hoursAgo(13 * DAY) }),
    responded(14 * DAY, 1, dave, { title: "q13 exactly 14 days: in neither week" }),
  ];
  return { threads, cfg: config({ team: [{ name: "Carol", identities: { github: ["Carol"] } }] }) };
}

describe("buildDigest: counts over the last 24 hours", () => {
  it("counts new questions in (now - 24 h, now] and answers given in that window", () => {
    const { threads, cfg } = fortnight();
    const digest = build({ config: cfg, recentQuestions: threads });
    expect(digest.counts.newLast24h).toBe(1); // q6 only
    expect(digest.counts.answeredLast24h).toBe(2); // q1 (first response 23 h ago), q5 (accepted 12 h ago)
  });
});

describe("buildDigest: 7-day metrics", () => {
  it("computes the last 7 days by hand", () => {
    const { threads, cfg } = fortnight();
    const { last7Days } = build({ config: cfg, recentQuestions: threads }).metrics;
    expect(last7Days).toEqual({
      from: "2024-05-08T08:00:00.000Z",
      to: "2024-05-15T08:00:00.000Z",
      questions: 7, // q1..q7
      responded: 5, // q1..q5
      answered: 4, // q1, q2, q3, q5
      responseRate: 5 / 7,
      medianFirstResponseHours: 3, // [1, 2, 3, 10, 30]
      p90FirstResponseHours: 22, // rank 3.6: 10 + 0.6 * (30 - 10)
      withinSlaRate: 4 / 6, // within: 1, 2, 3, 10 h; decidable: 5 responded + q7 (q6 is too young to judge)
      answeredByTeam: 1, // q5: carol is on today's roster
      answeredByCommunity: 3, // q1, q2 (alice), q3 (bob); q4 is not answered
      teamQuestions: 0,
      actions: { snooze: 0, "not-a-question": 0, resolved: 0, take: 0 },
    });
  });

  it("computes the previous 7 days by hand", () => {
    const { threads, cfg } = fortnight();
    const { previous7Days } = build({ config: cfg, recentQuestions: threads }).metrics;
    expect(previous7Days).toEqual({
      from: "2024-05-01T08:00:00.000Z",
      to: "2024-05-08T08:00:00.000Z",
      questions: 3, // q10, q11, q12
      responded: 2,
      answered: 2,
      responseRate: 2 / 3,
      medianFirstResponseHours: 5, // [4, 6]
      p90FirstResponseHours: 5.8, // 4 + 0.9 * 2
      withinSlaRate: 2 / 3,
      answeredByTeam: 0,
      answeredByCommunity: 2, // q10, q11 (dave)
      teamQuestions: 0,
      actions: { snooze: 0, "not-a-question": 0, resolved: 0, take: 0 },
    });
  });

  it("gives nulls, not zeros, when there is nothing to measure", () => {
    const young = thread({ createdAt: hoursAgo(3) });
    const { last7Days, previous7Days } = build({ recentQuestions: [young] }).metrics;
    expect(last7Days).toMatchObject({
      questions: 1,
      responded: 0,
      responseRate: 0,
      medianFirstResponseHours: null,
      p90FirstResponseHours: null,
      withinSlaRate: null, // not responded, not yet past the SLA: undecidable
    });
    expect(previous7Days).toMatchObject({ questions: 0, responseRate: null, withinSlaRate: null });
  });

  it("counts a first response exactly at the SLA as within it, and rounds hours to one decimal", () => {
    const atSla = responded(50, 24, actor("x"));
    const quick = responded(50, 1 + 16 / 60, actor("y")); // 1.2667 h
    const { last7Days } = build({ config: config({ digest: { slaHours: 24 } }), recentQuestions: [atSla, quick] }).metrics;
    expect(last7Days.withinSlaRate).toBe(1);
    expect(last7Days.medianFirstResponseHours).toBe(12.6); // (1.2667 + 24) / 2 = 12.633
    expect(last7Days.p90FirstResponseHours).toBe(21.7); // 1.2667 + 0.9 * 22.7333 = 21.7267
  });

  it("ignores responses later than now (a digest re-built for an earlier morning)", () => {
    const createdAt = hoursAgo(30);
    const later = thread({ createdAt, firstResponseAt: hoursAfter(createdAt, 40), firstResponder: actor("z"), status: "answered" });
    const { last7Days, topHelpers } = build({ recentQuestions: [later] }).metrics;
    expect(last7Days.responded).toBe(0);
    expect(last7Days.withinSlaRate).toBe(0); // 30 h old without a response by now: a miss
    expect(topHelpers).toEqual([]);
  });

  it("counts a question answered with no response time (an asker's own accepted answer, a backfilled ✅) as neither a response nor an SLA miss", () => {
    const createdAt = hoursAgo(30);
    const untimed = thread({ createdAt, status: "answered", firstResponseAt: null, acceptedAt: null, acceptedAnswerBy: actor("y") });
    const waiting = thread({ createdAt: hoursAgo(40) });
    const { last7Days } = build({ recentQuestions: [untimed, waiting] }).metrics;
    expect(last7Days).toMatchObject({ questions: 2, responded: 0, answered: 1 });
    expect(last7Days.withinSlaRate).toBe(0); // only the waiting one is decidable: a miss
  });

  it("applies the recipient's sources to the numbers as well", () => {
    const gh = responded(10, 1, actor("a"));
    const forum = responded(10, 5, actor("b", { id: "discourse:user:b" }), { source: "discourse" });
    const recipient = RecipientSchema.parse({ email: "f@acme.dev", sources: ["discourse"] });
    const digest = build({ recipient, recentQuestions: [gh, forum] });
    expect(digest.metrics.last7Days.questions).toBe(1);
    expect(digest.metrics.last7Days.medianFirstResponseHours).toBe(5);
    expect(digest.metrics.topHelpers.map((h) => h.login)).toEqual(["b"]);
  });
});

describe("buildDigest: top community helpers", () => {
  it("counts first responses by people outside the team (flag or today's roster), never bots", () => {
    const { threads, cfg } = fortnight();
    // The roster match is case-insensitive: "Carol" in the config is carol on GitHub.
    const withBot = [...threads, responded(5, 1, actor("helper-bot", { isBot: true }))];
    expect(build({ config: cfg, recentQuestions: withBot }).metrics.topHelpers).toEqual([
      { actorId: "github:user:alice", login: "alice", isTeam: false, firstResponses: 2 },
      { actorId: "github:user:bob", login: "bob", isTeam: false, firstResponses: 1 },
    ]);
  });

  it("ranks by count, then login, and keeps five", () => {
    const responses: Thread[] = [];
    const tally: Array<[string, number]> = [
      ["zed", 3],
      ["amy", 1],
      ["kim", 3],
      ["lee", 2],
      ["bea", 1],
      ["cat", 1],
      ["old", 4],
    ];
    for (const [login, count] of tally) {
      for (let i = 0; i < count; i += 1) {
        responses.push(responded(20 + i, 1, actor(login)));
      }
    }
    // dave answered a lot, but only before this week: he does not rank
    for (let i = 0; i < 5; i += 1) responses.push(responded(9 * DAY, 1, actor("dave")));
    const helpers = build({ recentQuestions: responses }).metrics.topHelpers;
    expect(helpers.map((h) => [h.login, h.firstResponses])).toEqual([
      ["old", 4],
      ["kim", 3],
      ["zed", 3],
      ["lee", 2],
      ["amy", 1],
    ]);
  });
});

describe("buildDigest: bad input", () => {
  it("rejects an invalid clock", () => {
    expect(() => build({ now: new Date("nope") })).toThrow(DigestInputError);
  });

  it("names the thread whose timestamp cannot be read", () => {
    const broken = thread({ id: "github:issue:acme/widgets#broken", createdAt: "yesterday-ish" });
    expect(() => build({ openQuestions: [broken] })).toThrow(/github:issue:acme\/widgets#broken createdAt/);
  });
});
