// The store's export access patterns against DynamoDB Local (late-arrival markers, a day
// paged through the by-day index, a member's keys) and the local S3 server.
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localClientConfig } from "../../../infra/local/emulators/clients.ts";
import { startDynamoDbLocal, type DynamoDbLocal } from "../../../infra/local/emulators/dynamodb-local.ts";
import { localS3ClientConfig, startS3, type LocalS3 } from "../../../infra/local/emulators/s3.ts";
import { S3ExportSink } from "../../../shared/export/sink.ts";
import { createDocumentClient } from "../../../shared/store/client.ts";
import { ensureTable } from "../../../shared/store/create-table.ts";
import { SignalStore } from "../../../shared/store/store.ts";
import { activity, helper, opening } from "../../unit/threads/build.ts";

let dynamo: DynamoDbLocal;
let store: SignalStore;
let s3: LocalS3;
const dir = mkdtempSync(join(tmpdir(), "cs-s3-test-"));

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynamoDbLocal({}), startS3({ directory: join(dir, "s3"), buckets: ["export-test"] })]);
  const table = `export-store-${process.pid}`;
  await ensureTable(new DynamoDBClient(localClientConfig(dynamo.endpoint)), table);
  store = new SignalStore(createDocumentClient(localClientConfig(dynamo.endpoint)), table);
});
afterAll(async () => {
  await Promise.all([dynamo?.stop(), s3?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("late-arrival bookkeeping", () => {
  it("marks the occurred day on the received day only when they differ", async () => {
    const thread = { id: "github:issue:late-1", createdAt: "2026-10-01T10:00:00.000Z" };
    await store.putActivity(opening({ id: thread.id, thread, occurredAt: "2026-10-01T10:00:00.000Z", receivedAt: "2026-10-01T10:00:05.000Z" }));
    expect(await store.touchedDays("2026-10-01")).toEqual([]);
    await store.putActivity(activity({ id: "late:reply", kind: "reply", actor: helper, thread, occurredAt: "2026-10-01T23:59:00.000Z", receivedAt: "2026-10-03T08:00:00.000Z" }));
    expect(await store.touchedDays("2026-10-03")).toEqual(["2026-10-01"]);
    // A duplicate changes nothing and marks nothing new.
    expect(await store.putActivity(activity({ id: "late:reply", kind: "reply", actor: helper, thread, occurredAt: "2026-10-01T23:59:00.000Z", receivedAt: "2026-10-04T08:00:00.000Z" }))).toBe("duplicate");
    expect(await store.touchedDays("2026-10-04")).toEqual([]);
  });

  it("marks the old day too when a newer version moves an activity to another day", async () => {
    const thread = { id: "github:issue:late-2" };
    await store.putActivity(activity({ id: "moved", kind: "reply", thread, occurredAt: "2026-10-05T10:00:00.000Z", receivedAt: "2026-10-05T10:00:00.000Z", version: "1" }));
    await store.putActivity(activity({ id: "moved", kind: "reply", thread, occurredAt: "2026-10-06T10:00:00.000Z", receivedAt: "2026-10-06T10:00:00.000Z", version: "2" }));
    expect(await store.touchedDays("2026-10-06")).toEqual(["2026-10-05"]);
  });
});

describe("a day through the by-day index", () => {
  it("pages in (occurredAt, id) order without losing or repeating an activity", async () => {
    const thread = { id: "github:issue:paged" };
    const ids = Array.from({ length: 23 }, (_, i) => `paged:${String(i).padStart(2, "0")}`);
    // Same instant for pairs, so the id decides their order.
    await Promise.all(ids.map((id, i) => store.putActivity(activity({ id, kind: "reply", thread, occurredAt: `2026-10-10T10:${String(Math.floor(i / 2)).padStart(2, "0")}:00.000Z`, receivedAt: "2026-10-10T12:00:00.000Z" }))));
    const pages: string[][] = [];
    for await (const page of store.activitiesOfDay("2026-10-10", 5)) pages.push(page.map((a) => a.id));
    expect(pages.every((p) => p.length <= 5)).toBe(true);
    expect(pages.flat()).toEqual(ids);
  });
});

describe("member index", () => {
  it("finds every key of a member's activities, with its day and thread", async () => {
    const member = { id: "github:user:forget-me", login: "forget-me", name: null, isBot: false, isTeam: false };
    await store.putActivity(activity({ id: "fm:1", kind: "reply", actor: member, thread: { id: "github:issue:fm" }, occurredAt: "2026-10-12T10:00:00.000Z" }));
    await store.putActivity(activity({ id: "fm:star", kind: "star", actor: member, thread: null, occurredAt: "2026-10-13T10:00:00.000Z" }));
    const keys = await store.memberActivityKeys(member.id);
    expect(keys).toEqual([
      { PK: "THREAD#github:issue:fm", SK: "ACT#fm:1", day: "2026-10-12", threadId: "github:issue:fm" },
      { PK: "ACT#fm:star", SK: "ACT", day: "2026-10-13", threadId: null },
    ]);
    for (const k of keys) await store.deleteActivity(k);
    expect(await store.memberActivityKeys(member.id)).toEqual([]);
  });
});

describe("local S3 server", () => {
  it("stores uploads byte for byte with the local client settings (no aws-chunked CRC32 framing)", async () => {
    const file = join(dir, "payload.bin");
    const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 251));
    writeFileSync(file, bytes);
    const client = new S3Client(localS3ClientConfig(s3.endpoint));
    await client.send(new PutObjectCommand({ Bucket: "export-test", Key: "a/dt=2026-10-01/part-0000.parquet", Body: createReadStream(file), ContentLength: bytes.length }));
    expect(readFileSync(s3.objectPath("export-test", "a/dt=2026-10-01/part-0000.parquet")).equals(bytes)).toBe(true);
    const got = await client.send(new GetObjectCommand({ Bucket: "export-test", Key: "a/dt=2026-10-01/part-0000.parquet" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes)).toBe(true);
  });

  it("lists and deletes through the export sink", async () => {
    const sink = new S3ExportSink(new S3Client(localS3ClientConfig(s3.endpoint)), "export-test");
    const file = join(dir, "small.txt");
    writeFileSync(file, "x");
    await sink.putFile("t/dt=2026-10-02/part-0000.parquet", file, "application/octet-stream");
    await sink.putFile("t/dt=2026-10-02/part-0001.parquet", file, "application/octet-stream");
    expect(await sink.list("t/dt=2026-10-02/")).toEqual(["t/dt=2026-10-02/part-0000.parquet", "t/dt=2026-10-02/part-0001.parquet"]);
    await sink.delete(["t/dt=2026-10-02/part-0001.parquet"]);
    expect(await sink.list("t/")).toEqual(["t/dt=2026-10-02/part-0000.parquet"]);
  });
});
