/**
 * Issue 10, "Hostile input": every function over user text takes time linear in its input. Each
 * one gets 200,000-character inputs built to make a backtracking pattern or a naive scan rescan
 * (long runs without a sentence end, many `<`, markup characters, mentions, entities, brackets,
 * spaces, newlines, ...) and must finish within a generous bound.
 *
 * The bound detects a complexity class, it is not a benchmark: these inputs take a few to a few
 * hundred milliseconds on linear code here, while the quadratic code they replaced took 13 s
 * (Slack title, 200,000 characters without a sentence end) and 14 s (Discourse tag strip,
 * 200,000 `<`). A call over the bound is timed a second time before it fails, so a busy machine
 * does not fail the test, and a quadratic one still takes many times the bound.
 */
import { describe, expect, it } from "vitest";
import { buildDigest } from "../../../shared/digest/build.ts";
import { renderDigestHtml, renderDigestText } from "../../../shared/digest/render.ts";
import { excerptOf } from "../../../shared/model/activity.ts";
import { discordContentToPlain, titleOf as discordTitleOf } from "../../../shared/sources/discord/text.ts";
import { cookedToPlain } from "../../../shared/sources/discourse/text.ts";
import { scoreQuestion } from "../../../shared/sources/slack/question-classifier.ts";
import { sentences, slackTextToPlain, titleOf as slackTitleOf } from "../../../shared/sources/slack/text.ts";
import { boundName, boundTitle, boundedHttpUrl, escapeHtml, oneLine, safeHttpUrl, stripTags, trimTrailingSlashes, truncate } from "../../../shared/text/index.ts";
import { NOW, actor, config, hoursAgo, thread } from "../digest/fixtures.ts";

const SIZE = 200_000;
const BOUND_MS = 1_000;

/** `unit` repeated to exactly SIZE characters, then `tail`. */
function run(unit: string, tail = ""): string {
  return unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE) + tail;
}

const INPUTS: Record<string, string> = {
  "words, no sentence end": run("word "),
  "one long word": run("a"),
  "sentence ends glued to words": run("a.", "x"),
  "dots": run("."),
  "?! runs": run("?!"),
  "'<' only": run("<"),
  "'<' then text, never '>'": run("<a "),
  "'<@' mentions, unclosed": run("<@"),
  "'<@U1|' labels, unclosed": run("<@U1|"),
  "'<#' and '<!' unclosed": run("<#C<!h"),
  "'</cmd:' and '<a:e:' unclosed": run("</x:<a:e:"),
  "'<t:' unclosed": run("<t:1"),
  "'<http' unclosed": run("<https://x|"),
  "tags": run("<b>x</b>"),
  "'>' only": run(">"),
  "markup * _ ~ `": run("*_~`"),
  "backticks": run("`"),
  "fences": run("```a\n"),
  "fence openers on one line": run("```"),
  "entities": run("&amp;&lt;&gt;"),
  "bare '&'": run("&"),
  "numeric entities": run("&#1"),
  "nested brackets": run("[(<{"),
  "spaces then a letter": run(" ", "x"),
  "spaces and letters": run(" x"),
  "newlines then a letter": run("\n", "x"),
  "mixed whitespace and controls": run(" \t\r\n\u2028\u00a0\u0000"),
  "greetings": run("hi all, "),
  "mentions": run("@a.b "),
  "fillers": run("so "),
  "stack frames without a paren": run("at a.b"),
  "python frame openers": run('File "x'),
  "dotted names without Exception": run("a.b"),
  "URL starts": run("http://"),
  "www": run("www."),
  "emoji codes, unclosed": run(":a"),
  "haha": run("haha", "x"),
  "versions": run("in 1.", "x"),
  "slashes": run("/", "x/"),
  "surrogate pairs": run("😀"),
  "question marks in words": run("how?x"),
};

const FUNCTIONS: Record<string, (text: string) => unknown> = {
  "slackTextToPlain": slackTextToPlain,
  "Slack titleOf": (t) => slackTitleOf(t),
  "Slack sentences": (t) => [...sentences(t)],
  "discordContentToPlain": (t) => discordContentToPlain(t, new Map([["1", "x"]]), new Map([["1", "y"]])),
  "Discord titleOf": (t) => discordTitleOf(t),
  "Discourse cookedToPlain": cookedToPlain,
  "stripTags": (t) => stripTags(t),
  "excerptOf": (t) => excerptOf(t, 2000),
  "scoreQuestion": scoreQuestion,
  "scoreQuestion over Slack plain text": (t) => scoreQuestion(slackTextToPlain(t)),
  "escapeHtml": escapeHtml,
  "oneLine": oneLine,
  "truncate": (t) => truncate(t, 300),
  "boundTitle": boundTitle,
  "boundName": boundName,
  "safeHttpUrl": (t) => safeHttpUrl(`https://example.com/${t}`),
  "boundedHttpUrl": (t) => boundedHttpUrl(t),
  "trimTrailingSlashes": trimTrailingSlashes,
};

function timed(f: () => unknown): number {
  const start = performance.now();
  f();
  return performance.now() - start;
}

/** Milliseconds of the faster of two runs when the first is over the bound (a busy machine), else of one. */
function costOf(f: () => unknown): number {
  const first = timed(f);
  return first <= BOUND_MS ? first : Math.min(first, timed(f));
}

describe(`text functions take linear time on ${SIZE.toLocaleString("en")}-character hostile input`, () => {
  for (const [fn, f] of Object.entries(FUNCTIONS)) {
    it(fn, () => {
      const slow: string[] = [];
      for (const [name, text] of Object.entries(INPUTS)) {
        const ms = costOf(() => f(text));
        if (ms > BOUND_MS) slow.push(`${name}: ${Math.round(ms)} ms`);
      }
      expect(slow, `over ${BOUND_MS} ms`).toEqual([]);
    });
  }

  it("digest build and both renderers, on a stored thread whose every field is hostile", () => {
    const slow: string[] = [];
    for (const [name, text] of Object.entries(INPUTS)) {
      const ms = costOf(() => {
        const stored = thread({
          title: text,
          excerpt: text,
          author: actor(text, { name: text }),
          channel: { id: "github:acme/widgets:issues", name: text },
          url: `https://example.com/${text}`,
          createdAt: hoursAgo(30),
        });
        const digest = buildDigest({ now: NOW, config: config(), recipient: null, openQuestions: [stored], recentQuestions: [stored] });
        renderDigestText(digest);
        renderDigestHtml(digest);
      });
      if (ms > BOUND_MS) slow.push(`${name}: ${Math.round(ms)} ms`);
    }
    expect(slow, `over ${BOUND_MS} ms`).toEqual([]);
  });
});
