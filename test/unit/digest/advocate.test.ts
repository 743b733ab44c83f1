import { describe, expect, it } from "vitest";
import { digestSchedules, recipientsFor } from "../../../functions/digest/app.ts";
import { verifyActionLink } from "../../../shared/actions/index.ts";
import { buildDigest, renderDigestHtml, renderDigestText, type BuildDigestInput } from "../../../shared/digest/index.ts";
import type { Thread } from "../../../shared/model/thread.ts";
import { NOW, actor, config, hoursAfter, hoursAgo, responded, thread } from "./fixtures.ts";

const SECRET = "digest-test-secret-0123456789";
const dana = { email: "dana@acme.example", name: "Dana", sources: [], channels: [] };

function build(input: Partial<BuildDigestInput> = {}) {
  return buildDigest({ now: NOW, config: config(), recipient: null, openQuestions: [], recentQuestions: [], ...input });
}

describe("the advocate digest: who asked", () => {
  it("marks a first-time asker (no earlier question), not a returning one, not the team, and says nothing when unknown", () => {
    const newcomer = thread({ title: "newcomer", author: actor("newbie"), createdAt: hoursAgo(10) });
    const regular = thread({ title: "regular", author: actor("regular"), createdAt: hoursAgo(9) });
    const stranger = thread({ title: "stranger", author: actor("stranger"), createdAt: hoursAgo(8) });
    const teamAsk = thread({ title: "team", author: actor("maria", { isTeam: true }), createdAt: hoursAgo(7) });
    const history = new Map([
      ["github:user:newbie", [{ threadId: newcomer.id, createdAt: newcomer.createdAt }]],
      ["github:user:regular", [{ threadId: "github:issue:old", createdAt: hoursAgo(500) }]],
      ["github:user:maria", [{ threadId: teamAsk.id, createdAt: teamAsk.createdAt }]],
    ]);
    const items = build({ openQuestions: [newcomer, regular, stranger, teamAsk], askerHistory: history }).unanswered;
    expect(items.map((i) => [i.title, i.firstTimeAsker, i.askerIsTeam])).toEqual([
      ["newcomer", true, false],
      ["regular", false, false],
      ["stranger", null, false],
      ["team", false, true],
    ]);
    const text = renderDigestText(build({ openQuestions: [newcomer, regular], askerHistory: history }));
    expect(text).toContain("asked by @newbie (first question) |");
    expect(text).toContain("asked by @regular |");
    expect(renderDigestHtml(build({ openQuestions: [newcomer], askerHistory: history }))).toContain(">FIRST QUESTION</span>");
  });

  it("of one asker's two open questions only the earlier is a first question", () => {
    const a = thread({ author: actor("twice"), createdAt: hoursAgo(20) });
    const b = thread({ author: actor("twice"), createdAt: hoursAgo(5) });
    const history = new Map([["github:user:twice", [{ threadId: a.id, createdAt: a.createdAt }]]]);
    expect(build({ openQuestions: [b, a], askerHistory: history }).unanswered.map((i) => i.firstTimeAsker)).toEqual([true, false]);
  });
});

describe("the advocate digest: statuses", () => {
  const snoozedUntil = hoursAfter(NOW.toISOString(), 2);
  it("lists needs-first-response and awaiting-team, leaves snoozed ones out until the snooze ends", () => {
    const waiting = thread({ title: "waiting", createdAt: hoursAgo(30), questionStatus: "needs-first-response" });
    const awaiting = thread({ title: "awaiting", createdAt: hoursAgo(20), questionStatus: "awaiting-team", replyCount: 1 });
    const snoozed = thread({ title: "snoozed", createdAt: hoursAgo(40), snoozedUntil });
    const digest = build({ openQuestions: [waiting, awaiting, snoozed] });
    expect(digest.unanswered.map((i) => [i.title, i.questionStatus])).toEqual([
      ["waiting", "needs-first-response"],
      ["awaiting", "awaiting-team"],
    ]);
    expect(digest.counts).toMatchObject({ open: 2, snoozed: 1 });
    const later = build({ now: new Date(Date.parse(snoozedUntil)), openQuestions: [waiting, awaiting, snoozed] });
    expect(later.unanswered.map((i) => i.title)).toEqual(["snoozed", "waiting", "awaiting"]);
    expect(renderDigestText(digest)).toContain("community replied, awaiting the team");
    expect(renderDigestText(digest)).toContain("1 snoozed.");
  });

  it("a quiet day with snoozed questions says so in one line", () => {
    const digest = build({ openQuestions: [thread({ snoozedUntil })] });
    const line = "Nothing is waiting: every open question has been answered. (1 question is snoozed.)";
    expect(renderDigestText(digest)).toContain(line);
    expect(renderDigestHtml(digest)).toContain(line);
  });

  it("nudges answered-unmarked questions in a list of their own, never among the unanswered", () => {
    const unmarked = responded(30, 2, actor("robin"), { title: "replied, unmarked", questionStatus: "answered-unmarked", acceptsAnswers: true });
    const marked = responded(30, 2, actor("robin"), { title: "marked", questionStatus: "answered", acceptedAt: hoursAgo(20), acceptedAnswerBy: actor("robin") });
    // Under `accepted` an unmarked one is still in the open index.
    const openUnmarked = thread({ title: "open, unmarked", questionStatus: "answered-unmarked", firstResponder: actor("maria", { isTeam: true }), firstResponseAt: hoursAgo(40) });
    const digest = build({ openQuestions: [openUnmarked], recentQuestions: [unmarked, marked, openUnmarked] });
    expect(digest.unanswered).toEqual([]);
    expect(digest.nudges.map((n) => [n.title, n.answeredBy, n.answeredByTeam])).toEqual([
      ["open, unmarked", "maria", true],
      ["replied, unmarked", "robin", false],
    ]);
    expect(digest.counts.nudges).toBe(2);
    const text = renderDigestText(digest);
    expect(text).toContain("== Answered, no answer marked ==");
    expect(text).toContain("replied to by @maria (team)");
  });

  it("shows who took a question", () => {
    const taken = thread({ assignee: { id: "advocate:sam@acme.example", login: "sam@acme.example", name: "Sam", isBot: false, isTeam: true } });
    const digest = build({ openQuestions: [taken] });
    expect(digest.unanswered[0]).toMatchObject({ assignee: "Sam", assigneeId: "advocate:sam@acme.example" });
    expect(renderDigestText(digest)).toContain("| taken by Sam");
  });
});

describe("the advocate digest: SLAs and filters", () => {
  it("holds each question to its channel's SLA, else the recipient's, else the digest's", () => {
    const cfg = config({ digest: { slaHours: 24, channelSlaHours: { "slack:C1": 4 }, recipients: [{ ...dana, slaHours: 12 }] } });
    const recipient = cfg.digest.recipients[0]!;
    const slack = thread({ title: "slack", source: "slack", channel: { id: "slack:C1", name: "#help" }, createdAt: hoursAgo(5) });
    const gh = thread({ title: "gh", createdAt: hoursAgo(13) });
    const young = thread({ title: "young", createdAt: hoursAgo(11) });
    const digest = build({ config: cfg, recipient, openQuestions: [slack, gh, young] });
    expect(digest.slaHours).toBe(12);
    expect(digest.unanswered.map((i) => [i.title, i.slaHours, i.overdue])).toEqual([
      ["gh", 12, true],
      ["young", 12, false],
      ["slack", 4, true],
    ]);
    expect(renderDigestText(digest)).toContain("5 h old, over the 4 h SLA by 1 h");
    // The SLA share uses each question's own SLA: a 5 h first response is within 12 h, not within 4 h.
    const recent = [
      responded(30, 5, actor("a"), { source: "slack", channel: { id: "slack:C1", name: "#help" } }),
      responded(30, 5, actor("b")),
    ];
    expect(build({ config: cfg, recipient, recentQuestions: recent }).metrics.last7Days.withinSlaRate).toBe(0.5);
  });

  it("keeps to the recipient's channels", () => {
    const cfg = config({ digest: { recipients: [{ ...dana, channels: ["github:acme/widgets:discussions"] }] } });
    const issues = thread({ title: "issue" });
    const discussion = thread({ title: "discussion", channel: { id: "github:acme/widgets:discussions", name: "Discussions" } });
    const digest = build({ config: cfg, recipient: cfg.digest.recipients[0]!, openQuestions: [issues, discussion], recentQuestions: [issues, discussion] });
    expect(digest.unanswered.map((i) => i.title)).toEqual(["discussion"]);
    expect(digest.metrics.last7Days.questions).toBe(1);
  });
});

describe("the advocate digest: the numbers", () => {
  it("keeps questions the team asked out of the community numbers and splits answers by team and community", () => {
    const teamie = actor("maria", { isTeam: true });
    const recent: Thread[] = [
      responded(30, 2, actor("robin"), { title: "community answered" }),
      responded(40, 3, teamie, { title: "team answered" }),
      responded(50, 1, actor("robin"), { title: "accepted from the team", acceptedAnswerBy: teamie, acceptedAt: hoursAgo(45) }),
      responded(20, 1, actor("robin"), { title: "asked by the team", author: teamie }),
      thread({ title: "roster asker", author: actor("Carol"), createdAt: hoursAgo(10) }),
    ];
    const cfg = config({ team: [{ name: "Carol", identities: { github: ["carol"] } }] });
    const { last7Days } = build({ config: cfg, recentQuestions: recent }).metrics;
    expect(last7Days).toMatchObject({ questions: 3, teamQuestions: 2, responded: 3, answeredByCommunity: 1, answeredByTeam: 2, medianFirstResponseHours: 2 });
    expect(build({ config: cfg, recentQuestions: recent }).counts.newLast24h).toBe(0); // both new ones were asked by the team
    expect(renderDigestText(build({ config: cfg, recentQuestions: recent }))).toContain("Answered by the community / the team: 1 / 2 (0 / 0)");
  });

  it("counts digest actions per week, from the action list, else from the threads' logs", () => {
    const log = (action: "snooze" | "take" | "resolved" | "not-a-question", hours: number) => ({ action, at: hoursAgo(hours), by: "advocate:dana@acme.example" });
    const t = thread({ actions: [log("take", 5), log("snooze", 30), log("snooze", 200)] });
    const fromLogs = build({ openQuestions: [t] }).metrics;
    expect(fromLogs.last7Days.actions).toEqual({ snooze: 1, "not-a-question": 0, resolved: 0, take: 1 });
    expect(fromLogs.previous7Days.actions).toEqual({ snooze: 1, "not-a-question": 0, resolved: 0, take: 0 });
    const records = [
      { action: "not-a-question" as const, at: hoursAgo(3), threadId: "x", source: "github" as const, channelId: "github:acme/widgets:issues" },
      { action: "resolved" as const, at: hoursAgo(4), threadId: "y", source: "slack" as const, channelId: "slack:C1" },
    ];
    const fromList = build({ openQuestions: [t], recentActions: records }).metrics.last7Days.actions;
    expect(fromList).toEqual({ snooze: 0, "not-a-question": 1, resolved: 1, take: 0 });
    const onlyGitHub = config({ digest: { recipients: [{ ...dana, sources: ["github"] }] } });
    expect(build({ config: onlyGitHub, recipient: onlyGitHub.digest.recipients[0]!, recentActions: records }).metrics.last7Days.actions["resolved"]).toBe(0);
  });
});

describe("the advocate digest: action links", () => {
  const cfg = config({ digest: { recipients: [dana] }, actions: { linkTtlHours: 48, baseUrl: "https://signals.acme.example" } });
  const links = { baseUrl: "https://signals.acme.example", secret: SECRET };

  it("gives each open question four signed links for its recipient that expire after linkTtlHours", () => {
    const q = thread({ title: "needs help" });
    const digest = build({ config: cfg, recipient: cfg.digest.recipients[0]!, openQuestions: [q], links });
    const actions = digest.unanswered[0]!.actions!;
    expect(Object.keys(actions).sort()).toEqual(["not-a-question", "resolved", "snooze", "take"]);
    for (const [action, href] of Object.entries(actions)) {
      const url = new URL(href);
      expect(url.origin + url.pathname).toBe(`https://signals.acme.example/actions/${action}`);
      const verdict = verifyActionLink(SECRET, action, url.searchParams, NOW);
      expect(verdict).toEqual({ ok: true, link: { action, threadId: q.id, recipient: "dana@acme.example", expiresAt: new Date(NOW.getTime() + 48 * 3_600_000) } });
    }
    const html = renderDigestHtml(digest, { snoozeHours: 24 });
    expect(html).toContain(`>I&#39;ll take it</a>`);
    expect(html).toContain(">Snooze 24 h</a>");
    expect(html).toContain(`href="${actions.take.replace(/&/g, "&amp;")}"`);
    expect(renderDigestText(digest)).toContain(`  I'll take it: ${actions.take}`);
  });

  it("has no links without a recipient, a key, or with actions off", () => {
    const q = thread();
    expect(build({ config: cfg, openQuestions: [q], links }).unanswered[0]!.actions).toBeNull();
    expect(build({ config: cfg, recipient: cfg.digest.recipients[0]!, openQuestions: [q] }).unanswered[0]!.actions).toBeNull();
    const off = config({ digest: { recipients: [dana] }, actions: { enabled: false } });
    expect(build({ config: off, recipient: off.digest.recipients[0]!, openQuestions: [q], links }).unanswered[0]!.actions).toBeNull();
  });
});

describe("escaping of everything new", () => {
  const EVIL = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`;
  it("never lets an assignee, a nudge or its responder become markup", () => {
    const digest = build({
      openQuestions: [thread({ assignee: { id: "advocate:x", login: "x", name: EVIL, isBot: false, isTeam: true } })],
      recentQuestions: [
        responded(30, 2, actor(EVIL), { title: EVIL, url: "javascript:alert(3)", questionStatus: "answered-unmarked", channel: { id: "c", name: EVIL } }),
      ],
    });
    const html = renderDigestHtml(digest);
    expect(html).not.toMatch(/<script|<img|javascript:/i);
    expect(html).toContain("taken by &lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;");
    expect(renderDigestText(digest)).toContain(`taken by ${EVIL}`);
  });

  it("drops an action link that is not http(s) (a tampered digest JSON)", () => {
    const digest = build({ openQuestions: [thread()] });
    const tampered = { ...digest, unanswered: digest.unanswered.map((i) => ({ ...i, actions: { take: "javascript:alert(1)", snooze: "https://ok.example/actions/snooze?x=1", resolved: "data:text/html,x", "not-a-question": "" } })) };
    const html = renderDigestHtml(tampered);
    expect(html).not.toContain("javascript:");
    expect(html).not.toContain("data:text");
    expect(html).toContain(`href="https://ok.example/actions/snooze?x=1"`);
  });
});

describe("schedules and who gets which", () => {
  const cfg = config({
    digest: {
      time: "08:00",
      timeZone: "UTC",
      recipients: [
        { email: "a@x.example", timeZone: "Europe/Berlin" },
        { email: "b@x.example", timeZone: "Europe/Berlin", time: "09:30" },
        { email: "c@x.example" },
        { email: "d@x.example", timeZone: "Europe/Berlin" },
      ],
    },
  });
  it("one schedule per distinct local time and zone", () => {
    expect(digestSchedules(cfg)).toEqual([
      { time: "08:00", timeZone: "Europe/Berlin" },
      { time: "09:30", timeZone: "Europe/Berlin" },
      { time: "08:00", timeZone: "UTC" },
    ]);
  });
  it("a schedule picks exactly its recipients; a zone alone picks those whose time has come", () => {
    const at = new Date("2026-11-21T07:00:00Z"); // 08:00 in Berlin
    const emails = (o: Parameters<typeof recipientsFor>[1]) => recipientsFor(cfg, o).map((r) => r.email);
    expect(emails({ at, time: "08:00", timeZone: "Europe/Berlin" })).toEqual(["a@x.example", "d@x.example"]);
    expect(emails({ at, time: "09:30", timeZone: "Europe/Berlin" })).toEqual(["b@x.example"]);
    expect(emails({ at, time: "08:00", timeZone: "UTC" })).toEqual(["c@x.example"]);
    expect(emails({ at, timeZone: "Europe/Berlin" })).toEqual(["a@x.example", "d@x.example"]);
    expect(emails({ at: new Date("2026-11-21T08:31:00Z"), timeZone: "Europe/Berlin" })).toEqual(["a@x.example", "b@x.example", "d@x.example"]);
    expect(emails({ at })).toHaveLength(4);
    expect(emails({ at, recipient: "B@X.example" })).toEqual(["b@x.example"]);
  });
});
