import { appendFileSync, statSync, writeFileSync } from "node:fs";
import type { SchemaElement } from "hyparquet-writer";
import { ParquetWriter, fileWriter } from "hyparquet-writer";
import { SCHEMA_VERSION, type ColumnDef, type ColumnType } from "./schema.ts";
import type { CellValue, ExportRow } from "./rows.ts";

export const EXPORT_FORMATS = ["parquet", "csv", "jsonl"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Rows per Parquet row group: also the most rows a writer holds in memory at once. */
export const ROW_GROUP_ROWS = 10_000;

/** Fixed, so the same rows give byte-identical files (no version or time in the footer). */
const CREATED_BY = "community-signals export";

/** Appends rows to one local file in one format; rows must come in their final order. */
export interface TableFileWriter {
  append(rows: readonly ExportRow[]): Promise<void>;
  /** Flush and close; returns what the file holds. */
  finish(): Promise<{ rows: number; bytes: number }>;
}

export function fileExtension(format: ExportFormat): string {
  return format;
}

export function openTableWriter(format: ExportFormat, columns: readonly ColumnDef[], path: string): TableFileWriter {
  switch (format) {
    case "parquet":
      return new ParquetTableWriter(columns, path);
    case "csv":
      return new TextTableWriter(path, columns, csvLine, csvLine(columns.map((c) => c.name)));
    case "jsonl":
      return new TextTableWriter(path, columns, (cells) => JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, jsonValue(cells[i])]))), null);
  }
}

/** The Parquet schema of a published table: what Athena (Glue types) and DuckDB read natively. */
export function parquetSchema(columns: readonly ColumnDef[]): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: "root", num_children: columns.length }];
  for (const column of columns) schema.push(...parquetColumn(column));
  return schema;
}

function parquetColumn(c: ColumnDef): SchemaElement[] {
  const repetition_type = c.nullable ? "OPTIONAL" : "REQUIRED";
  const leaf: Record<Exclude<ColumnType, "list<string>">, SchemaElement> = {
    string: { name: c.name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type },
    boolean: { name: c.name, type: "BOOLEAN", repetition_type },
    int64: { name: c.name, type: "INT64", repetition_type },
    double: { name: c.name, type: "DOUBLE", repetition_type },
    // TIMESTAMP_MILLIS (not isAdjustedToUTC): DuckDB reads it as TIMESTAMP, Athena as timestamp,
    // both UTC wall-clock without a session time zone sneaking in.
    timestamp: { name: c.name, type: "INT64", converted_type: "TIMESTAMP_MILLIS", repetition_type },
  };
  if (c.type === "list<string>") {
    // The standard three-level LIST that Athena (Hive array<string>) and DuckDB (VARCHAR[]) read.
    return [
      { name: c.name, repetition_type, num_children: 1, converted_type: "LIST" },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      { name: "element", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    ];
  }
  return [leaf[c.type]];
}

class ParquetTableWriter implements TableFileWriter {
  private readonly writer: ParquetWriter;
  private buffer: ExportRow[] = [];
  private rows = 0;

  constructor(
    private readonly columns: readonly ColumnDef[],
    private readonly path: string,
  ) {
    this.writer = new ParquetWriter({
      writer: fileWriter(path),
      schema: parquetSchema(columns),
      createdBy: CREATED_BY,
      kvMetadata: [{ key: "community-signals.schema_version", value: String(SCHEMA_VERSION) }],
    });
  }

  async append(rows: readonly ExportRow[]): Promise<void> {
    for (const row of rows) {
      checkRow(row, this.columns);
      this.buffer.push(row);
      if (this.buffer.length >= ROW_GROUP_ROWS) await this.flushRowGroup();
    }
  }

  private async flushRowGroup(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.rows += batch.length;
    await this.writer.write({
      columnData: this.columns.map((c) => ({ name: c.name, data: batch.map((r) => r[c.name] ?? null) as unknown[] })),
      rowGroupSize: batch.length,
    });
  }

  async finish(): Promise<{ rows: number; bytes: number }> {
    await this.flushRowGroup();
    await this.writer.finish();
    return { rows: this.rows, bytes: statSync(this.path).size };
  }
}

export class ExportRowError extends Error {
  override readonly name = "ExportRowError";
}

/** A wrong value must fail loudly here, not as a corrupt file or a silent null in Athena. */
function checkRow(row: ExportRow, columns: readonly ColumnDef[]): void {
  for (const c of columns) {
    const v = row[c.name];
    if (v === null || v === undefined) {
      if (!c.nullable) throw new ExportRowError(`column ${c.name} is not nullable but the row has no value`);
      continue;
    }
    const ok =
      c.type === "string" ? typeof v === "string"
      : c.type === "boolean" ? typeof v === "boolean"
      : c.type === "int64" ? typeof v === "bigint"
      : c.type === "double" ? typeof v === "number"
      : c.type === "timestamp" ? v instanceof Date && !Number.isNaN(v.getTime())
      : Array.isArray(v) && v.every((x) => typeof x === "string");
    if (!ok) throw new ExportRowError(`column ${c.name} (${c.type}) got ${typeof v === "object" ? Object.prototype.toString.call(v) : typeof v}`);
  }
}

class TextTableWriter implements TableFileWriter {
  private rows = 0;
  constructor(
    private readonly path: string,
    private readonly columns: readonly ColumnDef[],
    private readonly line: (cells: CellValue[]) => string,
    header: string | null,
  ) {
    writeFileSync(path, header === null ? "" : `${header}\n`);
  }

  async append(rows: readonly ExportRow[]): Promise<void> {
    if (rows.length === 0) return;
    for (const row of rows) checkRow(row, this.columns);
    appendFileSync(this.path, rows.map((r) => this.line(this.columns.map((c) => r[c.name] ?? null))).join("\n") + "\n");
    this.rows += rows.length;
  }

  async finish(): Promise<{ rows: number; bytes: number }> {
    return { rows: this.rows, bytes: statSync(this.path).size };
  }
}

function textValue(v: CellValue | undefined): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return JSON.stringify(v);
  return String(v);
}

function csvLine(cells: readonly (CellValue | undefined)[]): string {
  return cells
    .map((cell) => {
      const text = textValue(cell);
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(",");
}

function jsonValue(v: CellValue | undefined): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return Number(v);
  return v;
}
