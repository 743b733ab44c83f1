import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { buildDigest, DigestInputError } from "../../../shared/digest/build.ts";
import { digestSubject, renderDigestHtml, renderDigestText } from "../../../shared/digest/render.ts";
import { escapeHtml, safeHttpUrl } from "../../../shared/digest/escape.ts";
import type { Digest } from "../../../shared/model/digest.ts";
import type { Thread } from "../../../shared/model/thread.ts";
import { NOW, actor, config, hoursAgo, responded, thread } from "./fixtures.ts";

function digestOf(openQuestions: Thread[], recentQuestions: Thread[] = [], name = "Acme"): Digest {
  return buildDigest({ now: NOW, config: config({ name }), recipient: null, openQuestions, recentQuestions });
}

const EVIL_TITLE = `<script>alert("pwned")</script> **bold** [click](javascript:alert(1)) & 'quotes'`;
const EVIL_LOGIN = `<img src=x onerror=alert(1)>`;
const EVIL_EXCERPT = `</td></tr></table><a href="https://evil.example">free money</a> <!-- comment --> # heading`;
const EVIL_CHANNEL = `<b>Q&A</b>`;
const EVIL_INSTANCE = `acme/"><svg onload=alert(1)>`;

function evilDigest(): Digest {
  return digestOf(
    [
      thread({
        title: EVIL_TITLE,
        author: actor(EVIL_LOGIN),
        excerpt: EVIL_EXCERPT,
        channel: { id: "github:evil", name: EVIL_CHANNEL },
        instance: EVIL_INSTANCE,
        url: "javascript:alert(document.cookie)",
        createdAt: hoursAgo(30),
      }),
      thread({
        title: "Safe link with a query",
        url: `https://github.com/acme/widgets/issues/7?a=1&b="><script>`,
        createdAt: hoursAgo(5),
      }),
    ],
    [responded(20, 1, actor(`"><script>alert(2)</script>`))],
    `Acme <Devs>`,
  );
}

/** Every tag name the renderer itself may emit; anything else came from user text. */
const OUR_TAGS = new Set(["html", "head", "meta", "title", "body", "div", "table", "tr", "td", "th", "a", "span", "strong", "ol", "li"]);

function tagNames(html: string): string[] {
  return [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => (m[1] as string).toLowerCase());
}

describe("renderDigestHtml: user text never becomes markup", () => {
  const html = renderDigestHtml(evilDigest());

  it("escapes titles, logins, excerpts, channel names, instances and the community name", () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<svg/i);
    expect(html).not.toMatch(/<b>/);
    expect(html).not.toContain("<!-- comment");
    expect(html).toContain("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; **bold** [click](javascript:alert(1)) &amp; &#39;quotes&#39;");
    expect(html).toContain("@&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;a href=&quot;https://evil.example&quot;&gt;");
    expect(html).toContain("&lt;b&gt;Q&amp;A&lt;/b&gt;");
    expect(html).toContain("acme/&quot;&gt;&lt;svg onload=alert(1)&gt;");
    expect(html).toContain("Acme &lt;Devs&gt;");
    expect(html).toContain("@&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;");
    expect(tagNames(html).filter((tag) => !OUR_TAGS.has(tag))).toEqual([]);
  });

  it("links only http(s) URLs, escaped inside the attribute", () => {
    expect(html).not.toMatch(/href\s*=\s*["']?\s*javascript/i);
    expect(html).not.toContain("document.cookie");
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(["https://github.com/acme/widgets/issues/7?a=1&amp;b=%22%3E%3Cscript%3E"]);
    // The unlinked question is still listed, by title.
    expect(html).toContain("&lt;script&gt;alert(&quot;pwned&quot;)");
  });

  it("keeps the markup the same whatever the user text is (property)", () => {
    const skeleton = (s: string) => s.replace(/[^<>"]/g, "");
    const text = fc.string({ unit: "binary", maxLength: 40 });
    const make = (title: string, login: string, excerpt: string, channel: string, instance: string, community: string) =>
      renderDigestHtml(
        digestOf(
          [
            thread({ title, author: actor(login), excerpt, channel: { id: "c1", name: channel }, instance, createdAt: hoursAgo(40) }),
            thread({ title, author: actor(login), excerpt, channel: { id: "c2", name: channel }, instance, createdAt: hoursAgo(3) }),
          ],
          [responded(10, 1, actor(login))],
          community,
        ),
      );
    const baseline = skeleton(make("t", "l", "e", "c", "i", "n"));
    fc.assert(
      fc.property(text, text, fc.string({ unit: "binary", minLength: 1, maxLength: 40 }), text, text, text, (t, l, e, c, i, n) => {
        expect(skeleton(make(t, l, e, c, i, n))).toBe(baseline);
      }),
      { numRuns: 100 },
    );
  });
});

describe("renderDigestText: user text verbatim", () => {
  const text = renderDigestText(evilDigest());

  it("shows titles, logins, excerpts and channel names exactly as written", () => {
    expect(text).toContain(EVIL_TITLE);
    expect(text).toContain(`@${EVIL_LOGIN}`);
    expect(text).toContain(EVIL_EXCERPT);
    expect(text).toContain(`-- ${EVIL_CHANNEL} --`);
    expect(text).toContain(EVIL_INSTANCE);
    expect(text).toContain("Acme <Devs>");
    expect(text).not.toContain("&lt;");
  });

  it("prints only http(s) URLs", () => {
    expect(text).not.toContain("document.cookie");
    expect(text).toContain(`https://github.com/acme/widgets/issues/7?a=1&b=%22%3E%3Cscript%3E`);
  });

  it("keeps a title with line breaks on one line, so it cannot fake another entry", () => {
    const sneaky = thread({ title: "Real question\n* [OVERDUE] Fake entry\r\n  https://evil.example", createdAt: hoursAgo(3) });
    const out = renderDigestText(digestOf([sneaky]));
    expect(out).toContain("* Real question * [OVERDUE] Fake entry https://evil.example");
    expect(out.split("\n").filter((line) => line.startsWith("* "))).toHaveLength(1);
  });
});

describe("safeHttpUrl", () => {
  it.each([
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "/relative/path",
    "https://github.com@evil.example/",
    "not a url",
    "",
  ])("refuses %j", (raw) => {
    expect(safeHttpUrl(raw)).toBeNull();
  });

  it("accepts http and https, in canonical form", () => {
    expect(safeHttpUrl("https://github.com/acme/widgets/issues/1")).toBe("https://github.com/acme/widgets/issues/1");
    expect(safeHttpUrl("HTTP://Forum.Acme.dev/t/1")).toBe("http://forum.acme.dev/t/1");
  });

  it("escapeHtml covers every character that can open markup or close an attribute", () => {
    expect(escapeHtml(`<a href='x' title="y">&\``)).toBe("&lt;a href=&#39;x&#39; title=&quot;y&quot;&gt;&amp;&#96;");
  });
});

describe("the HTML is built for mail clients", () => {
  const html = renderDigestHtml(digestOf([thread({ createdAt: hoursAgo(30) }), thread({ createdAt: hoursAgo(3) })]));

  it("is a full document with table layout and inline styles only", () => {
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain("</html>");
    expect(html).toContain(`<meta name="color-scheme" content="light dark">`);
    expect(html).toContain("max-width:640px");
    expect(html).toContain(`<table role="presentation"`);
    expect(html).not.toMatch(/<style|<link|<script|<img|@import|url\(/i);
    expect(html).not.toMatch(/\sclass=/);
  });

  it("opens with a hidden preheader holding the summary", () => {
    const preheader = html.match(/<body[^>]*>\s*<div style="display:none;[^"]*">([^<]*)<\/div>/);
    expect(preheader?.[1]).toContain("2 unanswered questions, 1 overdue (SLA 24 h). In the last 24 h:");
  });

  it("marks overdue questions with a badge", () => {
    expect(html.match(/>OVERDUE</g)).toHaveLength(1);
  });
});

describe("content shared by text and HTML", () => {
  function sample(): Digest {
    return digestOf(
      [
        thread({ title: "GH issue newest", createdAt: hoursAgo(3) }),
        thread({ title: "Forum oldest", source: "discourse", instance: "forum.acme.dev", channel: { id: "d:help", name: "Help" }, createdAt: hoursAgo(100) }),
        thread({ title: "GH discussion", channel: { id: "gh:qa", name: "Discussions / Q&A" }, createdAt: hoursAgo(50), replyCount: 1 }),
        thread({ title: "Forum second", source: "discourse", instance: "forum.acme.dev", channel: { id: "d:ideas", name: "Ideas" }, createdAt: hoursAgo(40), author: null }),
        thread({ title: "GH issue older", createdAt: hoursAgo(20) }),
      ],
      [responded(30, 2, actor("helpful-hana")), responded(200, 5, actor("someone"))],
    );
  }

  it("groups by source then channel, each group in order of its oldest question", () => {
    const text = renderDigestText(sample());
    const headings = text.split("\n").filter((l) => /^(==|--) /.test(l));
    expect(headings).toEqual([
      "== Discourse ==",
      "-- Help --",
      "-- Ideas --",
      "== GitHub ==",
      "-- Discussions / Q&A --",
      "-- Issues --",
      "== Last 7 days (previous 7 days) ==",
    ]);
    expect(text.indexOf("GH issue older")).toBeLessThan(text.indexOf("GH issue newest"));
    const html = renderDigestHtml(sample());
    const order = ["Discourse", "Help", "Ideas", "GitHub", "Discussions / Q&amp;A", "Issues"].map((h) => html.indexOf(`>${h}</td>`));
    expect(order.every((pos) => pos > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("mentions the same titles in text and HTML", () => {
    const digest = sample();
    const text = renderDigestText(digest);
    const html = renderDigestHtml(digest);
    for (const item of digest.unanswered) {
      expect(text).toContain(item.title);
      expect(html).toContain(escapeHtml(item.title));
    }
  });

  it("shows asker, instance, age against the SLA, replies and excerpt for each question", () => {
    const text = renderDigestText(sample());
    expect(text).toContain("* [OVERDUE] Forum oldest");
    expect(text).toContain("forum.acme.dev | asked by @asker | 4 d 4 h old, over the 24 h SLA by 3 d 4 h | 0 replies");
    expect(text).toContain("forum.acme.dev | asker unknown | 40 h old, over the 24 h SLA by 16 h | 0 replies");
    expect(text).toContain("acme/widgets | asked by @asker | 3 h old (SLA 24 h) | 0 replies");
    expect(text).toContain("2 d 2 h old, over the 24 h SLA by 26 h");
    expect(text).toContain("| 1 reply");
    expect(text).toContain("  > How do I do the thing?");
    const html = renderDigestHtml(sample());
    expect(html).toContain("asked by @asker");
    expect(html).toContain("How do I do the thing?");
  });

  it("reports both weeks and the community helpers", () => {
    const digest = sample();
    const text = renderDigestText(digest);
    expect(text).toContain("Questions asked: 1 (1)");
    expect(text).toContain("Response rate: 100% (1 of 1) (100% (1 of 1))");
    expect(text).toContain("Median time to first response: 2 h (5 h)");
    expect(text).toContain("First response within SLA: 100% (100%)");
    expect(text).toContain("1. @helpful-hana: 1");
    expect(text).not.toContain("@someone"); // answered before this week
    const html = renderDigestHtml(digest);
    expect(html).toContain("Previous 7 days");
    expect(html).toContain("@helpful-hana: 1 first response");
  });

  it("says 'and N more' past maxItems, showing the oldest", () => {
    const many = Array.from({ length: 7 }, (_, i) => thread({ title: `Q-${i}`, createdAt: hoursAgo(10 + i) }));
    const digest = digestOf(many);
    const text = renderDigestText(digest, { maxItems: 3 });
    const html = renderDigestHtml(digest, { maxItems: 3 });
    for (const out of [text, html]) {
      expect(out).toContain("and 4 more questions not shown");
      expect(out).toContain("Q-6");
      expect(out).toContain("Q-4");
      expect(out).not.toContain("Q-3");
    }
    expect(renderDigestText(digest)).not.toContain("more question");
  });

  it("shows 50 by default", () => {
    const many = Array.from({ length: 51 }, (_, i) => thread({ createdAt: hoursAgo(10 + i) }));
    expect(renderDigestText(digestOf(many))).toContain("and 1 more question not shown");
  });

  it("has a footer that says what counts as unanswered", () => {
    const digest = sample();
    for (const out of [renderDigestText(digest), renderDigestHtml(digest)]) {
      expect(out).toMatch(/Unanswered means: an open question thread in which nobody but its author \(and no bot\) has replied yet/);
    }
  });
});

describe("a quiet day", () => {
  const digest = digestOf([]);

  it("says so in one line in both mails", () => {
    const text = renderDigestText(digest);
    const html = renderDigestHtml(digest);
    expect(text).toContain("Nothing is waiting: every open question has been answered.");
    expect(html).toContain("Nothing is waiting: every open question has been answered.");
    expect(text).not.toContain("== GitHub ==");
    expect(html).not.toContain(">OVERDUE<");
    expect(text).toContain("No unanswered questions. In the last 24 h: 0 new, 0 answered.");
    expect(text).toContain("Median time to first response: n/a (n/a)");
  });
});

describe("digestSubject", () => {
  it("names the count and the overdue ones", () => {
    expect(digestSubject(digestOf([thread({ createdAt: hoursAgo(30) }), thread({ createdAt: hoursAgo(3) }), thread({ createdAt: hoursAgo(4) })]))).toBe(
      "[Acme] 3 unanswered questions (1 overdue)",
    );
    expect(digestSubject(digestOf([thread({ createdAt: hoursAgo(3) })]))).toBe("[Acme] 1 unanswered question");
    expect(digestSubject(digestOf([]))).toBe("[Acme] No unanswered questions");
  });

  it("cannot be split into extra mail headers by the community name", () => {
    expect(digestSubject(digestOf([], [], "Acme\r\nBcc: everyone@example.com"))).toBe(
      "[Acme Bcc: everyone@example.com] No unanswered questions",
    );
  });
});

describe("bad input to the renderers", () => {
  it("rejects something that is not a digest, naming the field", () => {
    const broken = { ...digestOf([]), counts: { open: "many" } } as unknown as Digest;
    expect(() => renderDigestText(broken)).toThrow(DigestInputError);
    expect(() => renderDigestHtml(broken)).toThrow(/counts\.open/);
    expect(() => digestSubject(broken)).toThrow(DigestInputError);
  });

  it("rejects a maxItems that is not a positive integer", () => {
    const digest = digestOf([]);
    expect(() => renderDigestText(digest, { maxItems: 0 })).toThrow(RangeError);
    expect(() => renderDigestHtml(digest, { maxItems: 2.5 })).toThrow(/positive integer/);
  });
});
