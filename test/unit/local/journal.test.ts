import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compactJournal, pendingMessages, QueueJournal, readJournal, redriveInJournal, type JournalEntry } from "../../../infra/local/journal.ts";

const dirs: string[] = [];
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "cs-journal-"));
  dirs.push(dir);
  return join(dir, "queue-journal.jsonl");
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const queued = (id: string, source = "github"): JournalEntry => ({ op: "queued", id, body: `{"id":"${id}"}`, source, eventType: "issues" });

describe("the queue journal", () => {
  it("keeps what is not done, where it last stood", () => {
    const pending = pendingMessages([
      queued("a"),
      queued("b"),
      queued("c", "slack"),
      { op: "done", id: "a" },
      { op: "dead", id: "b", reason: "not JSON", at: "2026-11-25T08:00:00.000Z" },
      { op: "dead", id: "c", reason: "failed 5 times", at: "2026-11-25T08:00:00.000Z" },
      { op: "redriven", id: "c" },
      { op: "done", id: "never-queued" },
    ]);
    expect(pending.map((m) => [m.id, m.dead?.reason ?? null])).toEqual([
      ["b", "not JSON"],
      ["c", null],
    ]);
  });

  it("a torn last line (a write the process died in) is skipped, the rest read", () => {
    const path = tempFile();
    writeFileSync(path, `${JSON.stringify(queued("a"))}\n${JSON.stringify(queued("b"))}\n{"op":"queued","id":"c","bo`);
    expect(pendingMessages(readJournal(path)).map((m) => m.id)).toEqual(["a", "b"]);
  });

  it("appends many entries at once with one sync each burst, and every one is on disk when its promise resolves", async () => {
    const path = tempFile();
    const journal = await QueueJournal.open(path);
    await Promise.all(Array.from({ length: 200 }, (_, i) => journal.appendDurably(queued(`m${i}`))));
    expect(readJournal(path)).toHaveLength(200);
    journal.append({ op: "done", id: "m0" });
    await journal.close();
    expect(pendingMessages(readJournal(path))).toHaveLength(199);
    await expect(journal.appendDurably(queued("late"))).rejects.toThrow("closed");
  });

  it("compaction rewrites only the live messages, dead letters with their reason", () => {
    const path = tempFile();
    const entries: JournalEntry[] = [queued("a"), queued("b"), { op: "done", id: "a" }, { op: "dead", id: "b", reason: "bad", at: "2026-11-25T08:00:00.000Z" }];
    writeFileSync(path, entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
    compactJournal(path, pendingMessages(readJournal(path)));
    expect(readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l).op)).toEqual(["queued", "dead"]);
    expect(pendingMessages(readJournal(path))).toEqual([{ id: "b", body: '{"id":"b"}', source: "github", eventType: "issues", dead: { reason: "bad", at: "2026-11-25T08:00:00.000Z" } }]);
  });

  it("redrives dead letters without a running stack, of one source when asked", () => {
    const path = tempFile();
    const at = "2026-11-25T08:00:00.000Z";
    const entries: JournalEntry[] = [queued("g"), queued("s", "slack"), { op: "dead", id: "g", reason: "x", at }, { op: "dead", id: "s", reason: "y", at }];
    appendFileSync(path, entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
    expect(redriveInJournal(path, "slack")).toEqual({ moved: 1, kept: 1 });
    expect(pendingMessages(readJournal(path)).map((m) => [m.id, !!m.dead])).toEqual([
      ["g", true],
      ["s", false],
    ]);
    expect(redriveInJournal(path)).toEqual({ moved: 1, kept: 0 });
    expect(pendingMessages(readJournal(path)).every((m) => !m.dead)).toBe(true);
  });
});
