/**
 * Issue 10, "Hostile input": untrusted fields leave every adapter bounded, and only http(s) URLs
 * leave at all (shared/text/limits.ts has the limits; `buildActivity` enforces them for every
 * adapter). A 150 KB title, name and body and a `javascript:` / `data:` URL go into each
 * adapter's normalise; what comes out is short, and carries no link that is not http(s). The
 * digest JSON built from a stored thread that predates the bounds is cleaned the same way.
 */
import { describe, expect, it } from "vitest";
import { buildDigest } from "../../../shared/digest/build.ts";
import { renderDigestHtml, renderDigestText } from "../../../shared/digest/render.ts";
import { ActivitySchema, type Activity } from "../../../shared/model/activity.ts";
import { normalizeDiscordMessages } from "../../../shared/sources/discord/index.ts";
import { normalizeDiscourseEnvelope } from "../../../shared/sources/discourse/index.ts";
import { normalizeGitHubEnvelope } from "../../../shared/sources/github/index.ts";
import { normalizeSlackEnvelope } from "../../../shared/sources/slack/index.ts";
import { normalizeStackOverflowEnvelope } from "../../../shared/sources/stackoverflow/index.ts";
import { NormalizeError } from "../../../shared/sources/types.ts";
import { MAX_NAME_LENGTH, MAX_TITLE_LENGTH, MAX_URL_LENGTH, boundedHttpUrl, truncate } from "../../../shared/text/index.ts";
import * as digestFixtures from "../digest/fixtures.ts";
import * as discord from "../discord/helpers.ts";
import * as discourse from "../discourse/helpers.ts";
import * as github from "../github/helpers.ts";
import * as slack from "../slack/helpers.ts";
import * as stackoverflow from "../stackoverflow/helpers.ts";

/** 150 KB of one line with no sentence end: the shape that once stalled the Slack title. */
const HUGE = "Why does this happen ".repeat(Math.ceil(150_000 / 21)).slice(0, 150_000);
const HUGE_NAME = "N".repeat(150_000);
/** Links that must never leave the normaliser: other schemes, credentials, over-long. */
const BAD_URL_CASES: ReadonlyArray<readonly [label: string, url: string]> = [
  ["javascript:", "javascript:alert(document.cookie)"],
  ["JavaScript: in capitals", "JavaScript:alert(1)//https://github.com/"],
  ["data:", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="],
  ["vbscript:", "vbscript:msgbox(1)"],
  ["credentials (https://github.com@evil.example)", "https://github.com@evil.example/acme/widgets/issues/1"],
  [`https over ${MAX_URL_LENGTH} characters`, `https://github.com/${"a".repeat(MAX_URL_LENGTH)}`],
];
const EXCERPT_LENGTH = 280;

/** Every URL an activity carries: its own and its thread's. */
function urlsOf(a: Activity): string[] {
  return [a.url, a.thread?.url].filter((u): u is string => u !== null && u !== undefined && u !== "");
}

/** What every activity from hostile input must satisfy, whatever the adapter. */
function expectBounded(activities: Activity[]): void {
  expect(activities.length).toBeGreaterThan(0);
  for (const a of activities) {
    ActivitySchema.parse(a);
    for (const url of urlsOf(a)) {
      expect(url).toMatch(/^https?:\/\//);
      expect(boundedHttpUrl(url)).toBe(url);
      expect(url.length).toBeLessThanOrEqual(MAX_URL_LENGTH);
    }
    if (a.thread) {
      expect(a.thread.title.length).toBeLessThanOrEqual(MAX_TITLE_LENGTH);
      expect(a.thread.title).not.toMatch(/[\n\r\t]/);
    }
    for (const actor of [a.actor, a.thread?.author ?? null]) {
      if (actor === null) continue;
      expect(actor.login.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
      expect((actor.name ?? "").length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    }
    expect(a.channel.name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    expect((a.excerpt ?? "").length).toBeLessThanOrEqual(EXCERPT_LENGTH);
    // Nothing else is allowed to carry the payload along either (ids are short here).
    expect(JSON.stringify(a).length).toBeLessThan(8_000);
    expect(JSON.stringify(a)).not.toMatch(/javascript:|data:text|vbscript:/i);
  }
}

describe("GitHub: hostile issue and comment", () => {
  const config = github.configWith();

  function issueComment(url: string): Activity[] {
    const payload = github.example("issue_comment", "created");
    payload["issue"].title = `${HUGE}\nOVERDUE`;
    payload["issue"].body = HUGE;
    payload["issue"].html_url = url;
    payload["issue"].user.name = HUGE_NAME;
    payload["comment"].body = HUGE;
    payload["comment"].html_url = url;
    payload["comment"].user.name = HUGE_NAME;
    return normalizeGitHubEnvelope(github.envelopeFor("issue_comment", payload), config);
  }

  it.each(BAD_URL_CASES)("drops a %s link and bounds a 150 KB title, name and body", (_label, url) => {
    const activities = issueComment(url);
    expectBounded(activities);
    const opening = activities.find((a) => a.kind === "thread_opened")!;
    expect(opening.thread!.title).toBe(truncate(HUGE, MAX_TITLE_LENGTH));
    expect(opening.thread!.title.endsWith("…")).toBe(true);
    expect(opening.thread!.url).toBe("");
    expect(opening.url).toBeNull();
    expect(opening.thread!.author!.name).toHaveLength(MAX_NAME_LENGTH);
    const reply = activities.find((a) => a.kind === "reply")!;
    expect(reply.url).toBeNull();
    expect(reply.excerpt).toHaveLength(EXCERPT_LENGTH);
  });

  it("keeps an ordinary https link as it was", () => {
    const payload = github.example("issues", "opened");
    const [opening] = normalizeGitHubEnvelope(github.envelopeFor("issues", payload), config);
    expect(opening!.url).toBe(payload["issue"].html_url);
    expect(opening!.thread!.url).toBe(payload["issue"].html_url);
    expect(opening!.thread!.title).toBe(payload["issue"].title);
  });
});

describe("Discourse: hostile topic and post", () => {
  const config = discourse.configWith();

  it("bounds a 150 KB title, username, name and cooked body", () => {
    const body = discourse.postBody("post_created.first.json", "post", {
      topic_title: HUGE,
      topic_slug: `x"><script>alert(1)</script>`,
      username: HUGE_NAME,
      name: HUGE_NAME,
      raw: undefined,
      cooked: `<p>${"<".repeat(80_000)}${HUGE}</p>`,
    });
    const activities = normalizeDiscourseEnvelope(discourse.envelopeFor("post_created", body), config);
    expectBounded(activities);
    const [opening] = activities;
    expect(opening!.thread!.title).toBe(truncate(HUGE, MAX_TITLE_LENGTH));
    expect(opening!.actor.login).toHaveLength(MAX_NAME_LENGTH);
    // The slug stays in the path, percent-encoded: it cannot break out of an attribute.
    expect(opening!.thread!.url).toMatch(/^https:\/\/discuss\.example\.org\/t\/x%22%3E%3Cscript%3E/);
  });

  it.each(BAD_URL_CASES.filter(([, u]) => !u.startsWith("https://")))("refuses a %s instance URL", (_label, url) => {
    const envelope = discourse.envelopeFor("post_created", discourse.fixture("post_created.first.json"));
    envelope.headers["x-discourse-instance"] = url;
    expect(() => normalizeDiscourseEnvelope(envelope, config)).toThrow(NormalizeError);
  });
});

describe("Slack: hostile message and workspace URL", () => {
  function normalize(workspaceUrl: string | undefined, text: string, change: Record<string, unknown> = {}): Activity[] {
    const payload = slack.fixture("message.json");
    payload["event"] = { ...payload["event"], text, ...change };
    const config = slack.configWith({ sources: { slack: workspaceUrl === undefined ? {} : { workspaceUrl } } });
    return normalizeSlackEnvelope(slack.envelopeFor(payload), config);
  }

  it("bounds a 150 KB first line and a 150 KB display name", () => {
    const activities = normalize(undefined, HUGE, { user_profile: { real_name: HUGE_NAME, display_name: "x" } });
    expectBounded(activities);
    expect(activities[0]!.thread!.title.length).toBeLessThanOrEqual(120);
    expect(activities[0]!.actor.name).toHaveLength(MAX_NAME_LENGTH);
  });

  it("never turns a javascript: link in the text into a URL", () => {
    const [opening] = normalize(undefined, "<javascript:alert(1)|click me> <data:text/html,x|and me>");
    expectBounded([opening!]);
    expect(opening!.thread!.title).toBe("click me and me");
  });

  it.each(["javascript:alert(1)//", "data:text/html,hello"])("drops links built on a workspace URL of %s", (workspaceUrl) => {
    const activities = normalize(workspaceUrl, "How do I rotate keys?");
    expectBounded(activities);
    expect(activities[0]!.url).toBeNull();
    expect(activities[0]!.thread!.url).toBe("");
  });
});

describe("Discord: hostile forum post and message", () => {
  const config = discord.configWith();
  const score = () => ({ score: 0.9, reasons: [] });
  const author = discord.user(HUGE_NAME, "844877109657600099", { global_name: HUGE_NAME });

  it("bounds a 150 KB forum post title, author and channel name", () => {
    const post = discord.thread("2026-11-18T10:30:00.000Z", discord.FORUM, HUGE, author);
    const starter = discord.message("2026-11-18T10:30:00.000Z", author, `${HUGE} <javascript:alert(1)> [x](javascript:alert(1))`, {
      id: post["id"],
      channel_id: post["id"],
    });
    const body = discord.threadBody(post, [starter], { name: HUGE_NAME });
    const activities = normalizeDiscordMessages(discord.messagesEnvelope(body), discord.configWith({ sources: { discord: { guildId: discord.GUILD } } }), score);
    expectBounded(activities);
    expect(activities[0]!.thread!.title).toBe(truncate(HUGE, MAX_TITLE_LENGTH));
    expect(activities[0]!.channel.name).toHaveLength(MAX_NAME_LENGTH);
  });

  it("bounds a 150 KB text-channel message", () => {
    const m = discord.message("2026-11-18T10:30:00.000Z", author, `${HUGE}\n<https://example.com/${"a".repeat(MAX_URL_LENGTH)}>`);
    const activities = normalizeDiscordMessages(discord.messagesEnvelope(discord.textBody([m])), config, score);
    expectBounded(activities);
    expect(activities[0]!.thread!.title.length).toBeLessThanOrEqual(120);
    expect(activities[0]!.url).toMatch(/^https:\/\/discord\.com\/channels\//);
  });
});

describe("Stack Overflow: hostile question and answer", () => {
  const config = stackoverflow.configWith();
  const owner = stackoverflow.user(21044781, HUGE_NAME);

  it("bounds a 150 KB title, body, name and tag", () => {
    const tag = "t".repeat(150_000);
    const q = stackoverflow.question(1, "2026-11-18T10:00:00Z", {
      title: `${HUGE}&#10;[OVERDUE] fake line`,
      body: `<p>${HUGE}</p>`,
      owner,
      tags: [tag],
      answer_count: 1,
      answers: [stackoverflow.answer(901, 1, "2026-11-18T11:00:00Z", owner, { body: `<a href="javascript:alert(1)">${HUGE}</a>` })],
    });
    const activities = normalizeStackOverflowEnvelope(stackoverflow.questionsEnvelope([q]), config);
    expectBounded(activities);
    expect(activities[0]!.thread!.title).not.toContain("\n");
    // A tag is at most 35 characters on Stack Exchange; the channel (id and name) is cut to 64.
    expect(activities[0]!.channel).toEqual({ id: "t".repeat(64), name: "t".repeat(64) });
  });

  it.each(BAD_URL_CASES)("drops a %s question link", (_label, url) => {
    const q = stackoverflow.question(2, "2026-11-18T10:00:00Z", { link: url, answer_count: 1, answers: [stackoverflow.answer(902, 2, "2026-11-18T11:00:00Z")] });
    const activities = normalizeStackOverflowEnvelope(stackoverflow.questionsEnvelope([q]), config);
    expectBounded(activities);
    expect(activities[0]!.url).toBeNull();
    expect(activities[0]!.thread!.url).toBe("");
  });
});

describe("digest JSON from stored threads that predate the bounds", () => {
  const { NOW, actor, config, hoursAgo, thread } = digestFixtures;

  it.each(BAD_URL_CASES)("carries no %s link, and bounded text, in JSON, text and HTML", (_label, url) => {
    const stored = thread({
      title: `${HUGE}\n[OVERDUE] fake line`,
      url,
      excerpt: HUGE,
      author: actor(HUGE_NAME, { id: "github:user:1" }),
      channel: { id: "github:acme/widgets:issues", name: HUGE_NAME },
      createdAt: hoursAgo(30),
    });
    const digest = buildDigest({ now: NOW, config: config(), recipient: null, openQuestions: [stored], recentQuestions: [stored] });
    const [item] = digest.unanswered;
    expect(item!.url).toBe("");
    expect(item!.title).toBe(truncate(HUGE, MAX_TITLE_LENGTH));
    expect(item!.author).toHaveLength(MAX_NAME_LENGTH);
    expect(item!.channel).toHaveLength(MAX_NAME_LENGTH);
    expect(item!.excerpt).toHaveLength(EXCERPT_LENGTH);
    const json = JSON.stringify(digest);
    expect(json).not.toMatch(/javascript:|data:text|vbscript:|evil\.example/i);
    expect(json.length).toBeLessThan(10_000);
    for (const rendered of [renderDigestText(digest), renderDigestHtml(digest)]) {
      expect(rendered).not.toMatch(/javascript:|data:text|vbscript:|evil\.example/i);
      expect(rendered.length).toBeLessThan(40_000);
    }
  });

  it("keeps an ordinary https link", () => {
    const stored = thread({ url: "https://github.com/acme/widgets/issues/7", createdAt: hoursAgo(30) });
    const digest = buildDigest({ now: NOW, config: config(), recipient: null, openQuestions: [stored], recentQuestions: [] });
    expect(digest.unanswered[0]!.url).toBe("https://github.com/acme/widgets/issues/7");
  });
});
