import { describe, expect, it } from "vitest";
import { slackTextToPlain, slackTsToInstant, slackTsVersion, titleOf } from "../../../shared/sources/slack/index.ts";

describe("slackTextToPlain", () => {
  it("reads mentions, channels, links, broadcasts, dates and escapes as a person does", () => {
    expect(slackTextToPlain("<@U0MARIA001> see <#C0HELP0001|help> and <https://rocketdb.dev/docs|the docs>")).toBe(
      "@U0MARIA001 see #help and the docs",
    );
    expect(slackTextToPlain("<!here> <!subteam^S0DEVS0001|@devs> <https://rocketdb.dev>")).toBe("@here @devs https://rocketdb.dev");
    expect(slackTextToPlain("posted <!date^1794830400^{date_short}|Nov 16, 2026>")).toBe("posted Nov 16, 2026");
    expect(slackTextToPlain("a &lt; b &amp;&amp; c &gt; d")).toBe("a < b && c > d");
  });
});

describe("titleOf", () => {
  it("takes the first prose line, skipping fences and blank lines", () => {
    expect(titleOf("\n```\nselect 1\n```\n\n  Why is this slow?  \nmore")).toBe("Why is this slow?");
    expect(titleOf("```one-line fence```\nreal title")).toBe("real title");
    expect(titleOf("")).toBe("");
  });
});

describe("Slack ts", () => {
  it("becomes an instant (milliseconds) and a fixed-width version", () => {
    expect(slackTsToInstant("1794830400.123456")).toBe("2026-11-16T12:00:00.123Z");
    expect(slackTsToInstant("1794830400")).toBe("2026-11-16T12:00:00.000Z");
    expect(slackTsVersion("1794830400.1")).toBe("1794830400.100000");
    expect(slackTsVersion("999999999.000001") < slackTsVersion("1000000000.000000")).toBe(true);
  });

  it("refuses what is not one", () => {
    expect(() => slackTsToInstant("2026-11-16T12:00:00Z")).toThrow(RangeError);
    expect(() => slackTsVersion("12.3.4")).toThrow(RangeError);
  });
});
