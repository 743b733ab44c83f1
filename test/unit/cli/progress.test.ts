// The backfill progress board: bars redrawn in place on a terminal, paced plain lines otherwise.
import { describe, expect, it } from "vitest";
import { duration, etaMs, ProgressBoard } from "../../../infra/cli/progress.ts";
import type { BackfillProgress } from "../../../shared/backfill/types.ts";

function output(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, out: { write: (t: string) => void chunks.push(t), isTTY, columns: 200 } };
}

const p = (over: Partial<BackfillProgress>): BackfillProgress => ({
  source: "github",
  scope: "acme/widgets",
  items: 0,
  pages: 0,
  rateLimitRemaining: null,
  fraction: 0,
  done: false,
  ...over,
});

describe("ProgressBoard on a terminal", () => {
  it("draws one bar per source and redraws them in place with items, pages, requests left, percentage and ETA", () => {
    const { chunks, out } = output(true);
    let t = 0;
    const board = new ProgressBoard(out, [{ name: "github", scopeCount: 2 }, { name: "slack", scopeCount: 1 }], () => t);
    t = 10_000;
    board.update(p({ items: 250, pages: 3, rateLimitRemaining: 4_990, fraction: 0.5 }));
    const first = chunks.join("");
    // Two scopes, the first half read: 25% of the source after 10 s, so 30 s to go.
    expect(first).toContain("github         [#####---------------]   25%  250 items  3 pages  4,990 requests left  ETA 30s  acme/widgets");
    expect(first).toContain("slack          [--------------------]    0%  0 items  0 pages");

    chunks.length = 0;
    board.update(p({ items: 400, pages: 4, fraction: 1, done: true }));
    board.update(p({ scope: "acme/gadgets", items: 10, pages: 1, fraction: 0.5 }));
    const redrawn = chunks.join("");
    // Moves up over the two lines it drew, clears, draws again.
    expect(redrawn.startsWith("\x1b[2F\x1b[J")).toBe(true);
    expect(redrawn).toContain("75%  410 items  5 pages");

    chunks.length = 0;
    board.log("github: secondary rate limit; retrying in 60s");
    expect(chunks.join("")).toMatch(/^\x1b\[2F\x1b\[Jgithub: secondary rate limit; retrying in 60s\n/);

    board.finish("github", null);
    board.finish("slack", "Slack refused SLACK_BOT_TOKEN");
    const last = chunks.slice(-2).join("");
    expect(last).toContain("github         [####################]  100%  410 items  5 pages");
    expect(last).toMatch(/github .* done/);
    expect(last).toMatch(/slack .* stopped/);
  });

  it("shows ?% when the source cannot tell how far it is", () => {
    const { chunks, out } = output(true);
    const board = new ProgressBoard(out, [{ name: "discord", scopeCount: 1 }], () => 0);
    board.update(p({ source: "discord", scope: "#help", items: 5, pages: 1, fraction: null }));
    expect(chunks.join("")).toContain("discord        [····················]    ?%  5 items  1 pages");
  });
});

describe("ProgressBoard in a log", () => {
  it("writes a line when a scope finishes and at most one per source per interval in between", () => {
    const { chunks, out } = output(false);
    let t = 0;
    const board = new ProgressBoard(out, [{ name: "github", scopeCount: 1 }], () => t, 10_000);
    for (let i = 1; i <= 30; i++) {
      t = i * 1000;
      board.update(p({ items: i * 100, pages: i, fraction: i / 40 }));
    }
    board.update(p({ items: 4000, pages: 40, fraction: 1, done: true }));
    expect(chunks).toHaveLength(4); // at 10 s, 20 s, 30 s, and done
    expect(chunks.every((c) => !c.includes("\x1b"))).toBe(true);
    expect(chunks[0]).toMatch(/^github +25%  1,000 items  10 pages  ETA 30s  acme\/widgets\n$/);
    expect(chunks.at(-1)).toMatch(/4,000 items  40 pages .*acme\/widgets done\n$/);
  });
});

describe("ETA", () => {
  it("needs some progress and some time, and formats hours, minutes and seconds", () => {
    expect(etaMs(null, 60_000)).toBeNull();
    expect(etaMs(0.001, 60_000)).toBeNull();
    expect(etaMs(0.5, 500)).toBeNull();
    expect(etaMs(0.25, 60_000)).toBe(180_000);
    expect(duration(42_000)).toBe("42s");
    expect(duration(185_000)).toBe("3m05s");
    expect(duration(3 * 3600_000 + 7 * 60_000)).toBe("3h07m");
  });
});
