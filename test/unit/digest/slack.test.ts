// The digest as a Slack message: Block Kit within its documented limits, the email's content and
// order, and nothing cut silently (what does not fit is counted and linked to the queue page).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildDigest, renderDigestText } from "../../../shared/digest/index.ts";
import { blockKitProblems, mrkdwnEscape, mrkdwnLink, renderDigestSlack, slackFallbackText, SLACK_LIMITS, totalBlockText, type SlackBlock } from "../../../shared/digest/slack.ts";
import type { Thread } from "../../../shared/model/thread.ts";
import { blockProblems } from "../../support/fake-slack-delivery.ts";
import { actor, config, hoursAgo, NOW, responded, thread } from "./fixtures.ts";

const SECRET = "slack-render-secret-0123456789";
const LINKS = { baseUrl: "https://signals.acme.example", secret: SECRET };

function digestOf(open: Thread[], options: { maxItems?: number; links?: boolean; recent?: Thread[]; excerptLength?: number } = {}) {
  const cfg = config({
    digest: { slaHours: 24, maxItems: options.maxItems ?? 50, recipients: [{ email: "dana@acme.example" }] },
    privacy: { excerptLength: options.excerptLength ?? 280 },
  });
  const digest = buildDigest({
    now: NOW,
    config: cfg,
    recipient: cfg.digest.recipients[0]!,
    openQuestions: open,
    recentQuestions: options.recent ?? open,
    ...(options.links === false ? {} : { links: LINKS }),
  });
  return { digest, maxItems: cfg.digest.maxItems };
}

const sections = (blocks: SlackBlock[]) => blocks.flatMap((b) => (b.type === "section" ? [b.text.text] : []));
const questionSections = (blocks: SlackBlock[]) => sections(blocks).filter((t) => t.includes("/issues/"));

describe("the Slack digest (Block Kit)", () => {
  it("fits Block Kit's limits and leaves nothing out silently, for any number of questions, however long their text", () => {
    const longWord = "x".repeat(5000);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 1, max: 80 }),
        fc.boolean(),
        fc.constantFrom("", "<!channel> & <https://evil.example|click>", longWord, "*bold* _it_ ~x~ `code` > quote"),
        fc.constantFrom(0, 280, 2000),
        (count, maxItems, links, text, excerptLength) => {
          const open = Array.from({ length: count }, (_, i) =>
            thread({ title: `${text} question ${i}`, createdAt: hoursAgo(200 - i), excerpt: excerptLength === 0 ? null : `${text} ${longWord}`, author: actor(`${text || "a"}-asker`) }),
          );
          const { digest } = digestOf(open, { maxItems, links, excerptLength });
          const message = renderDigestSlack(digest, { maxItems });
          expect(blockKitProblems(message)).toEqual([]);
          // The fake Slack's own reading of the documented limits agrees.
          expect(blockProblems(message.blocks)).toEqual([]);
          expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
          expect(totalBlockText(message.blocks)).toBeLessThanOrEqual(SLACK_LIMITS.totalBlockText);
          expect(message.shown + message.hidden).toBe(count);
          expect(questionSections(message.blocks)).toHaveLength(message.shown);
          const all = sections(message.blocks).join("\n");
          if (message.hidden > 0) {
            expect(all).toContain(`${message.hidden} more question${message.hidden === 1 ? "" : "s"} not shown here`);
            if (links) expect(all).toContain("/actions/queue?");
          }
          // Slack's own markup stays ours: no mention, no link but the ones we made.
          expect(all).not.toContain("<!channel>");
          expect(all).not.toContain("<https://evil.example");
        },
      ),
      { numRuns: 80 },
    );
  });

  it("shows the questions of the email, in the email's order, up to maxItems", () => {
    const open = [
      thread({ createdAt: hoursAgo(80) }),
      thread({ createdAt: hoursAgo(5), channel: { id: "acme/widgets/discussions/1", name: "Discussions / Q&A" } }),
      thread({ createdAt: hoursAgo(50) }),
      thread({ createdAt: hoursAgo(30), channel: { id: "acme/widgets/discussions/1", name: "Discussions / Q&A" } }),
    ];
    const { digest } = digestOf(open, { maxItems: 3 });
    const message = renderDigestSlack(digest, { maxItems: 3 });
    const issueNumbers = (lines: string[]) => lines.map((l) => /issues\/(\d+)/.exec(l)?.[1]).filter((n) => n !== undefined);
    const emailOrder = issueNumbers(renderDigestText(digest, { maxItems: 3 }).split("\n"));
    expect(issueNumbers(questionSections(message.blocks))).toEqual(emailOrder);
    expect(emailOrder).toHaveLength(3);
    expect(message).toMatchObject({ shown: 3, hidden: 1 });
    // One section per source and channel, in the email's group order.
    expect(sections(message.blocks).filter((t) => t.startsWith("*GitHub* › "))).toEqual(["*GitHub* › Issues", "*GitHub* › Discussions / Q&amp;A"]);
  });

  it("gives each question its link, age, overdue mark and the four signed action buttons", () => {
    const overdue = thread({ title: "Crash on start", createdAt: hoursAgo(30) });
    const { digest } = digestOf([overdue]);
    const blocks = renderDigestSlack(digest).blocks;
    const at = blocks.findIndex((b) => b.type === "section" && b.text.text.includes("Crash on start"));
    const item = blocks[at] as Extract<SlackBlock, { type: "section" }>;
    expect(item.text.text).toContain(":rotating_light: *OVERDUE*");
    expect(item.text.text).toContain(`*${mrkdwnLink(overdue.url, "Crash on start")}*`);
    expect(item.text.text).toContain("30 h old, over the 24 h SLA by 6 h");
    const actions = blocks[at + 1] as Extract<SlackBlock, { type: "actions" }>;
    expect(actions.elements.map((e) => e.text.text)).toEqual(["I'll take it", "Snooze 24 h", "Resolved", "Not a question"]);
    expect(actions.elements.map((e) => e.url)).toEqual([digest.unanswered[0]!.actions!.take, digest.unanswered[0]!.actions!.snooze, digest.unanswered[0]!.actions!.resolved, digest.unanswered[0]!.actions!["not-a-question"]]);
  });

  it("opens with the counts and the queue button, and ends with the 7-day numbers and the helpers", () => {
    const open = [thread({ createdAt: hoursAgo(30) })];
    const { digest } = digestOf(open, { recent: [...open, responded(50, 2, actor("robin-helper"))] });
    const { blocks } = renderDigestSlack(digest);
    expect(blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "Acme: unanswered community questions", emoji: true } });
    const summary = blocks[1] as Extract<SlackBlock, { type: "section" }>;
    expect(summary.text.text).toContain("1 unanswered question, 1 overdue (SLA 24 h)");
    expect(summary.accessory?.url).toBe(digest.queueUrl);
    const last = sections(blocks).at(-1)!;
    expect(last).toContain("*Last 7 days* (previous 7 days)");
    expect(last).toContain("Median time to first response");
    expect(last).toContain("1. @robin-helper: 1");
    expect(blocks.at(-1)!.type).toBe("context");
  });

  it("says so on a quiet day", () => {
    const { digest } = digestOf([]);
    expect(sections(renderDigestSlack(digest).blocks)).toContain("Nothing is waiting: every open question has been answered.");
  });

  it("without a signing key: no buttons, and the questions left out are still counted", () => {
    const open = Array.from({ length: 40 }, (_, i) => thread({ createdAt: hoursAgo(100 - i) }));
    const { digest } = digestOf(open, { links: false, maxItems: 30 });
    const message = renderDigestSlack(digest, { maxItems: 30 });
    expect(message.blocks.some((b) => b.type === "actions")).toBe(false);
    expect(message.shown).toBe(30);
    expect(sections(message.blocks).join("\n")).toContain("...and 10 more questions not shown here");
  });

  it("escapes Slack's three special characters and keeps links from ending early", () => {
    expect(mrkdwnEscape("a < b && c > d")).toBe("a &lt; b &amp;&amp; c &gt; d");
    expect(mrkdwnLink("https://x.example/a?b=1&c=|>", "t|<x>")).toBe("<https://x.example/a?b=1&amp;c=%7C%3E|t|&lt;x&gt;>");
  });

  it("its plain-text fallback has every section and the queue link, under 40,000 characters", () => {
    const open = Array.from({ length: 60 }, (_, i) => thread({ createdAt: hoursAgo(100 - i) }));
    const { digest } = digestOf(open);
    const message = renderDigestSlack(digest);
    const text = slackFallbackText(message, digest.queueUrl);
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
    expect(text).toContain("Open the whole queue");
    for (const s of sections(message.blocks)) expect(text).toContain(s);
  });

  it("a hand-broken message is caught by its own check", () => {
    const bad = { text: "", blocks: [{ type: "header" as const, text: { type: "plain_text" as const, text: "h".repeat(151) } }] };
    expect(blockKitProblems(bad)).toEqual(["message text has 0 characters", "block 0 (header): text has 151 characters"]);
  });
});
