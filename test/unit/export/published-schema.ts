import type { ColumnDef } from "../../../shared/export/schema.ts";

export interface PublishedTable {
  name: string;
  columns: { name: string; type: string; nullable: boolean }[];
}

/**
 * Problems between the published (checked-in) schema and the current one. Published columns
 * must stay exactly as they are, in place; new columns are fine once the snapshot lists them.
 */
export function schemaProblems(published: readonly PublishedTable[], current: readonly { name: string; columns: readonly ColumnDef[] }[]): string[] {
  const problems: string[] = [];
  for (const table of published) {
    const now = current.find((t) => t.name === table.name);
    if (!now) {
      problems.push(`table ${table.name} was removed: published columns may only be added, never renamed, retyped or removed`);
      continue;
    }
    table.columns.forEach((col, i) => {
      const cur = now.columns[i];
      const was = `${col.name} ${col.type}${col.nullable ? "" : " not null"}`;
      if (!cur) problems.push(`${table.name}.${col.name} was removed: published columns may only be added, never renamed, retyped or removed`);
      else if (cur.name !== col.name || cur.type !== col.type || cur.nullable !== col.nullable) {
        problems.push(
          `${table.name} column ${i + 1} was "${was}", is now "${cur.name} ${cur.type}${cur.nullable ? "" : " not null"}": published columns may only be added (at the end), never renamed, retyped or removed`,
        );
      }
    });
    const added = now.columns.slice(table.columns.length);
    if (added.length > 0) {
      problems.push(`${table.name} has new column(s) ${added.map((c) => c.name).join(", ")}: adding is allowed; add them to test/unit/export/published-schema.json to publish them`);
    }
  }
  for (const t of current) if (!published.some((p) => p.name === t.name)) problems.push(`table ${t.name} is not in published-schema.json yet: add it to publish it`);
  return problems;
}

export function snapshotOf(tables: readonly { name: string; columns: readonly ColumnDef[] }[]): PublishedTable[] {
  return tables.map((t) => ({ name: t.name, columns: t.columns.map(({ name, type, nullable }) => ({ name, type, nullable })) }));
}
