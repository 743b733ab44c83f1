import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ActivitySchema } from "../../../shared/model/activity.ts";
import { ThreadSchema } from "../../../shared/model/thread.ts";
import { ACTIVITY_COLUMNS, EXPORT_TABLES, PARTITION_KEY, SCHEMA_VERSION, THREAD_COLUMNS, type ColumnDef } from "../../../shared/export/schema.ts";
import { EXAMPLE_ANALYSES } from "../../../shared/export/analyses.ts";
import { schemaProblems, snapshotOf, type PublishedTable } from "./published-schema.ts";

const published = JSON.parse(readFileSync(join(import.meta.dirname, "published-schema.json"), "utf8")) as { schemaVersion: number; tables: PublishedTable[] };
const current = Object.values(EXPORT_TABLES);

describe("the published export schema", () => {
  it("matches test/unit/export/published-schema.json (columns may only be added)", () => {
    expect(schemaProblems(published.tables, current)).toEqual([]);
    expect(published.schemaVersion).toBe(SCHEMA_VERSION);
  });

  it("fails on a rename or a retype, saying columns may only be added", () => {
    const renamed = ACTIVITY_COLUMNS.map((c) => (c.name === "actor_login" ? { ...c, name: "actor_handle" } : c));
    const retyped = THREAD_COLUMNS.map((c) => (c.name === "reply_count" ? { ...c, type: "double" as const } : c));
    const problems = schemaProblems(published.tables, [
      { name: "activities", columns: renamed },
      { name: "threads", columns: retyped },
    ]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/actor_login string not null.*actor_handle.*may only be added/);
    expect(problems[1]).toMatch(/reply_count int64 not null.*reply_count double.*may only be added/);
    const removed = schemaProblems(published.tables, [{ name: "activities", columns: ACTIVITY_COLUMNS.slice(0, -1) }, { name: "threads", columns: THREAD_COLUMNS }]);
    expect(removed.join("\n")).toMatch(/schema_version was removed: published columns may only be added/);
  });

  it("accepts an added column only once the snapshot lists it", () => {
    const extra: ColumnDef = { name: "language", type: "string", nullable: true, description: "detected language" };
    const grown = [{ name: "activities", columns: [...ACTIVITY_COLUMNS, extra] }, { name: "threads", columns: THREAD_COLUMNS }];
    expect(schemaProblems(published.tables, grown)).toEqual([
      "activities has new column(s) language: adding is allowed; add them to test/unit/export/published-schema.json to publish them",
    ]);
    expect(schemaProblems(snapshotOf(grown), grown)).toEqual([]);
  });

  it("has snake_case, unique column names, and dt only as the partition", () => {
    for (const table of current) {
      const names = table.columns.map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
      for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(names).not.toContain(PARTITION_KEY);
      expect(names).toContain("schema_version");
      for (const c of table.columns) expect(c.description.length).toBeGreaterThan(5);
    }
  });

  it("covers every field of the Activity and Thread models (flattened)", () => {
    // Model fields deliberately not exported: thread.version and thread.questionScore (internal
    // bookkeeping of the fold; the thread table carries question_score), actor.name of thread authors.
    const activityOmitted = new Set(["thread.version", "thread.questionScore", "thread.author.login", "thread.author.name", "thread.author.isBot", "thread.author.isTeam"]);
    // `actions` (a list of objects): every digest action is an action_* row in activities.
    const threadOmitted = new Set(["author.name", "author.isBot", "firstResponder.name", "firstResponder.isBot", "acceptedAnswerBy.name", "acceptedAnswerBy.isBot", "acceptedAnswerBy.isTeam", "assignee.name", "assignee.isBot", "assignee.isTeam", "actions"]);
    const columnFor = (path: string) =>
      path
        .replace(/\./g, "_")
        .replace(/([A-Z])/g, "_$1")
        .toLowerCase()
        .replace(/^actor_is_/, "actor_is_");
    const check = (schema: { shape: Record<string, unknown> }, columns: readonly ColumnDef[], omitted: Set<string>, rename: Record<string, string>) => {
      const names = new Set(columns.map((c) => c.name));
      const missing = leafPaths(schema).filter((p) => !omitted.has(p) && !names.has(rename[p] ?? columnFor(p)));
      expect(missing).toEqual([]);
    };
    check(ActivitySchema, ACTIVITY_COLUMNS, activityOmitted, {});
    check(ThreadSchema, THREAD_COLUMNS, threadOmitted, { "acceptedAnswerBy.id": "accepted_answer_by_id", "acceptedAnswerBy.login": "accepted_answer_by_login" });
  });
});

/** Dotted paths of the scalar leaves of a zod object schema (through nullable/optional/default). */
function leafPaths(schema: unknown, prefix = ""): string[] {
  let s = schema as { def?: { type: string; innerType?: unknown; shape?: Record<string, unknown> }; shape?: Record<string, unknown> };
  while (s.def && ["nullable", "optional", "default"].includes(s.def.type)) s = s.def.innerType as typeof s;
  if (s.def?.type !== "object") return [prefix];
  const shape = (s.shape ?? s.def.shape)!;
  return Object.entries(shape).flatMap(([key, value]) => leafPaths(value, prefix ? `${prefix}.${key}` : key));
}

describe("README", () => {
  it("docs/export.md carries every example analysis verbatim (the tests run exactly what analysts copy)", () => {
    const page = readFileSync(join(import.meta.dirname, "../../../docs/export.md"), "utf8");
    for (const [name, sql] of Object.entries(EXAMPLE_ANALYSES)) expect(page.includes(sql), `docs/export.md is missing the ${name} query`).toBe(true);
  });
});
