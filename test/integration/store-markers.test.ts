// Day and member markers against DynamoDB Local: what the normaliser writes instead of an index
// entry per activity (once per thread and day, once per member and thread, nothing on a
// redelivery), and how the export's day and `forget` find both marked activities and those that
// carry the index keys (outside threads, without a snapshot, or stored before markers existed).
// Question markers: a question's creation day, found by the digest's 7-day numbers without a
// by-creation-day index entry (and summaries stored with that entry before, still found).
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetMember } from "../../functions/export/app.ts";
import { normalizeEnvelope } from "../../functions/normalize/app.ts";
import { loadSamples } from "../../infra/cli/replay.ts";
import { localClientConfig } from "../../infra/local/emulators/clients.ts";
import { startDynamoDbLocal, type DynamoDbLocal } from "../../infra/local/emulators/dynamodb-local.ts";
import type { Activity } from "../../shared/model/activity.ts";
import type { Envelope } from "../../shared/model/envelope.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { ensureTable } from "../../shared/store/create-table.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { INDEXES } from "../../shared/store/table.ts";
import { testConfig } from "../support/stack.ts";
import { activity, asker, helper, opening, otherHelper, person } from "../unit/threads/build.ts";

let dynamo: DynamoDbLocal;
let ddb: DynamoDBDocumentClient;
let store: SignalStore;
let table: string;
/** Every write sent, with the partition key it wrote and whether DynamoDB refused its condition. */
const writes: { command: string; pk: string; sk: string; refused: boolean }[] = [];
const config = testConfig();

beforeAll(async () => {
  dynamo = await startDynamoDbLocal({});
  table = `markers-test-${process.pid}`;
  await ensureTable(new DynamoDBClient(localClientConfig(dynamo.endpoint)), table);
  ddb = createDocumentClient(localClientConfig(dynamo.endpoint));
  const send = ddb.send.bind(ddb) as (command: unknown) => Promise<unknown>;
  (ddb as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    const name = (command as object).constructor.name;
    const input = (command as { input: { Item?: { PK?: string; SK?: string }; Key?: { PK?: string; SK?: string } } }).input;
    const entry = { command: name, pk: String(input.Item?.PK ?? input.Key?.PK ?? ""), sk: String(input.Item?.SK ?? input.Key?.SK ?? ""), refused: false };
    if (!["PutCommand", "DeleteCommand", "UpdateCommand"].includes(name)) return send(command);
    writes.push(entry);
    try {
      return await send(command);
    } catch (err) {
      if ((err as Error).name === "ConditionalCheckFailedException") entry.refused = true;
      throw err;
    }
  };
  store = new SignalStore(ddb, table);
});
afterAll(async () => {
  ddb?.destroy();
  await dynamo?.stop();
});

async function partition(pk: string): Promise<Record<string, unknown>[]> {
  const res = await ddb.send(new QueryCommand({ TableName: table, KeyConditionExpression: "PK = :pk", ExpressionAttributeValues: { ":pk": pk }, ConsistentRead: true }));
  return res.Items ?? [];
}

async function indexed(index: "byDay" | "byMember", pk: string): Promise<Record<string, unknown>[]> {
  const { indexName, partitionKey } = INDEXES[index];
  const res = await ddb.send(new QueryCommand({ TableName: table, IndexName: indexName, KeyConditionExpression: `${partitionKey} = :pk`, ExpressionAttributeValues: { ":pk": pk } }));
  return res.Items ?? [];
}

/** What the normaliser does for one envelope's activities of one thread: read once, then put with that snapshot. */
async function putWithSnapshot(threadId: string, ...activities: Activity[]): Promise<void> {
  await putAndRefold(threadId, false, ...activities);
}

/** The same, and the refold from that snapshot (as the normaliser does next). */
async function putAndRefold(threadId: string, refold: boolean, ...activities: Activity[]): Promise<void> {
  const snapshot = await store.readThread(threadId);
  for (const a of activities) {
    if ((await store.putActivity(a, snapshot)) === "stored") snapshot.activities.push(a);
  }
  if (refold) await store.refreshThread(threadId, "any-reply", snapshot);
}

async function dayIds(day: string, pageSize?: number, keepBytes?: number): Promise<string[][]> {
  const pages: string[][] = [];
  for await (const page of store.activitiesOfDay(day, pageSize, keepBytes)) pages.push(page.map((a) => `${a.id}@${a.version}`));
  return pages;
}

const writesTo = (prefix: string) => writes.filter((w) => w.pk.startsWith(prefix) && !w.refused).map((w) => w.pk);

describe("markers written by the normaliser", () => {
  it("marks a thread once per day and a member once per thread, whatever the number of activities", async () => {
    const thread = { id: "github:issue:markers-once", author: asker, createdAt: "2026-09-01T10:00:00.000Z" };
    writes.length = 0;
    await putWithSnapshot(
      thread.id,
      opening({ id: thread.id, thread, occurredAt: "2026-09-01T10:00:00.000Z" }),
      activity({ id: "mo:r1", kind: "reply", actor: helper, thread, occurredAt: "2026-09-01T11:00:00.000Z" }),
      activity({ id: "mo:r2", kind: "reply", actor: helper, thread, occurredAt: "2026-09-01T12:00:00.000Z" }),
    );
    // A later envelope: a day already marked, a member already marked, a new day, a new member.
    await putWithSnapshot(
      thread.id,
      activity({ id: "mo:r3", kind: "reply", actor: helper, thread, occurredAt: "2026-09-01T13:00:00.000Z" }),
      activity({ id: "mo:r4", kind: "reply", actor: asker, thread, occurredAt: "2026-09-02T09:00:00.000Z" }),
      activity({ id: "mo:r5", kind: "reply", actor: otherHelper, thread, occurredAt: "2026-09-02T10:00:00.000Z" }),
    );
    expect(writesTo("ACTDAY#").sort()).toEqual(["ACTDAY#2026-09-01", "ACTDAY#2026-09-02"]);
    // The asker's own ASKER# mark stands for their member marker; the helpers get one each.
    expect(writesTo("MEMBER#").sort()).toEqual([`MEMBER#${helper.id}`, `MEMBER#${otherHelper.id}`]);
    expect(writesTo("ASKER#")).toEqual([`ASKER#${asker.id}`]);
    // Marked activities carry no index keys: one unit each, no index entries.
    expect(await indexed("byDay", "ACTDAY#2026-09-01")).toEqual([]);
    expect(await indexed("byMember", `MEMBER#${helper.id}`)).toEqual([]);
    // The question's opening wrote its day's marker as the question marker: one item for both.
    expect((await partition("ACTDAY#2026-09-01")).map((m) => m.SK)).toEqual([`Q#THREAD#${thread.id}`]);
    expect((await partition("ACTDAY#2026-09-02")).map((m) => m.SK)).toEqual([`THREAD#${thread.id}`]);

    expect((await dayIds("2026-09-01")).flat()).toEqual([`${thread.id}@1`, "mo:r1@1", "mo:r2@1", "mo:r3@1"]);
    expect((await dayIds("2026-09-02")).flat()).toEqual(["mo:r4@1", "mo:r5@1"]);
    expect((await store.memberActivityKeys(asker.id)).map((k) => k.SK)).toEqual([`ACT#${thread.id}`, "ACT#mo:r4"]);
    expect(await store.memberActivityKeys(helper.id)).toEqual(
      ["mo:r1", "mo:r2", "mo:r3"].map((id) => ({ PK: `THREAD#${thread.id}`, SK: `ACT#${id}`, day: "2026-09-01", threadId: thread.id })),
    );
  });

  it("writes nothing when the sample week is delivered again, and marks every stored thread activity", async () => {
    const samples = loadSamples(join(import.meta.dirname, "../../infra/local/samples/github"));
    const envelopes: Envelope[] = samples.map((s, i) => {
      const body = JSON.stringify(s.payload);
      // Received when the latest time in the payload says, as live traffic is.
      const times = [...body.matchAll(/"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"/g)].map((m) => m[1]!).sort();
      return { v: 1, id: `week-${i}`, source: "github", eventType: s.event ?? "", deliveryId: `week-${i}`, receivedAt: new Date(times.at(-1)!).toISOString(), contentType: "application/json", headers: { "x-github-event": s.event ?? "" }, body };
    });
    writes.length = 0;
    const stored: Activity[] = [];
    for (const envelope of envelopes) stored.push(...(await normalizeEnvelope(envelope, { config, store })).activities);
    const inThreads = stored.filter((a) => a.thread !== null);
    // Once per thread and day, once per member and thread (or the asker's mark), never more; a
    // question marker besides only where a question's day was marked before its opening came.
    const threadDays = new Set(inThreads.map((a) => `ACTDAY#${a.occurredAt.slice(0, 10)} ${a.thread!.id}`));
    const dayWrites = writes.filter((w) => w.pk.startsWith("ACTDAY#") && !w.refused);
    expect(new Set(dayWrites.map((w) => `${w.pk} ${w.sk}`)).size).toBe(dayWrites.length);
    expect(new Set(dayWrites.map((w) => `${w.pk} ${w.sk.replace(/^(Q#)?THREAD#/, "")}`))).toEqual(threadDays);
    const threadIds = [...new Set(inThreads.map((a) => a.thread!.id))];
    const questions = (await Promise.all(threadIds.map((id) => store.getThread(id)))).filter((t) => t?.thread.isQuestion);
    expect(questions.length).toBeGreaterThan(0);
    expect(dayWrites.length).toBeLessThanOrEqual(threadDays.size + questions.length);
    // Every question is found by its creation day, through its marker (no by-creation-day index entry).
    for (const q of questions) {
      expect((await partition(`ACTDAY#${q!.thread.createdAt.slice(0, 10)}`)).map((m) => m.SK)).toContain(`Q#THREAD#${q!.thread.id}`);
      expect(q!.dayIndexed).toBe(false);
    }
    const memberThreads = new Set(inThreads.map((a) => `${a.actor.id} ${a.thread!.id}`));
    const askerMarks = writes.filter((w) => w.pk.startsWith("ASKER#")).length;
    expect(writesTo("MEMBER#").length + askerMarks).toBeGreaterThanOrEqual(memberThreads.size);
    expect(writesTo("MEMBER#").length).toBeLessThanOrEqual(memberThreads.size);
    for (const a of inThreads) {
      const days = await partition(`ACTDAY#${a.occurredAt.slice(0, 10)}`);
      expect(days.map((m) => String(m.SK).replace(/^Q#/, ""))).toContain(`THREAD#${a.thread!.id}`);
      const threadsOfMember = [...(await partition(`MEMBER#${a.actor.id}`)).map((m) => m.SK), ...(await partition(`ASKER#${a.actor.id}`)).map((m) => `THREAD#${String(m.threadId)}`)];
      expect(threadsOfMember).toContain(`THREAD#${a.thread!.id}`);
    }

    writes.length = 0;
    for (const envelope of envelopes) await normalizeEnvelope(envelope, { config, store });
    // Only the conditional puts of the activities outside threads (stars, the fork) are tried, and refused.
    expect(writes.filter((w) => !w.refused)).toEqual([]);
    expect(writes.filter((w) => w.refused)).toHaveLength(stored.filter((a) => a.thread === null).length);
  });
});

describe("the export's day and forget, over marked and indexed activities", () => {
  const member = person("mixed-member");
  const thread = { id: "github:issue:mixed", author: asker, createdAt: "2026-09-10T08:00:00.000Z" };
  const otherThread = { id: "github:issue:mixed-other", author: asker, createdAt: "2026-09-10T08:30:00.000Z" };

  it("finds a day's activities both ways, once each, in (occurredAt, id) order", async () => {
    // Without a snapshot (as before markers existed): the activities carry the index keys.
    await store.putActivity(opening({ id: thread.id, thread, occurredAt: "2026-09-10T08:00:00.000Z" }));
    await store.putActivity(activity({ id: "mx:old", kind: "reply", actor: member, thread, occurredAt: "2026-09-10T09:00:00.000Z" }));
    await store.putActivity(opening({ id: otherThread.id, thread: otherThread, occurredAt: "2026-09-10T08:30:00.000Z" }));
    await store.putActivity(activity({ id: "mx:star", kind: "star", actor: member, thread: null, occurredAt: "2026-09-10T09:30:00.000Z" }));
    expect((await indexed("byDay", "ACTDAY#2026-09-10")).length).toBe(4);
    // With a snapshot: markers. The indexed activities of the same thread and day do not count
    // as marked, so the day and member markers are written.
    writes.length = 0;
    await putWithSnapshot(thread.id, activity({ id: "mx:new", kind: "reply", actor: member, thread, occurredAt: "2026-09-10T09:00:00.000Z" }));
    expect(writesTo("ACTDAY#")).toEqual(["ACTDAY#2026-09-10"]);
    expect(writesTo("MEMBER#")).toEqual([`MEMBER#${member.id}`]);
    await putWithSnapshot(otherThread.id, activity({ id: "mx:other", kind: "reply", actor: member, thread: otherThread, occurredAt: "2026-09-10T23:59:59.999Z" }));

    const expected = [`${thread.id}@1`, `${otherThread.id}@1`, "mx:new@1", "mx:old@1", "mx:star@1", "mx:other@1"];
    expect((await dayIds("2026-09-10")).flat()).toEqual(expected);
    // Pages stay within their size; items not kept in memory are fetched again by key.
    const paged = await dayIds("2026-09-10", 4, 0);
    expect(paged.every((p) => p.length <= 4)).toBe(true);
    expect(paged.flat()).toEqual(expected);
    expect(await dayIds("2026-09-11")).toEqual([]);
  });

  it("forget finds and deletes both kinds and leaves no marker naming the member", async () => {
    const keys = await store.memberActivityKeys(member.id);
    expect(keys.map((k) => k.SK)).toEqual(["ACT#mx:new", "ACT#mx:old", "ACT", "ACT#mx:other"]);
    expect(keys.find((k) => k.SK === "ACT")).toEqual({ PK: "ACT#mx:star", SK: "ACT", day: "2026-09-10", threadId: null });

    const result = await forgetMember({ config, store, sink: undefined as never, now: () => new Date("2026-09-12T00:00:00Z") }, member.id, { reexport: false });
    expect(result.deletedActivities).toBe(4);
    expect(result.threads.refolded.sort()).toEqual([thread.id, otherThread.id].sort());
    expect(await store.memberActivityKeys(member.id)).toEqual([]);
    expect(await partition(`MEMBER#${member.id}`)).toEqual([]);
    expect(await indexed("byMember", `MEMBER#${member.id}`)).toEqual([]);
    expect((await dayIds("2026-09-10")).flat()).toEqual([`${thread.id}@1`, `${otherThread.id}@1`]);
    // Nothing of theirs left in the table's marker partitions: day markers name threads only.
    const dayMarkers = await partition("ACTDAY#2026-09-10");
    expect(dayMarkers.every((m) => /^(Q#)?THREAD#/.test(String(m.SK)) && !JSON.stringify(m).includes(member.id))).toBe(true);
  });
});

describe("an edit that moves an activity to another day", () => {
  it("is exported on its new day only, marks that day, and marks the old day touched", async () => {
    const thread = { id: "github:issue:moved-day" };
    const v1 = activity({ id: "md:reply", kind: "reply", actor: helper, thread, occurredAt: "2026-09-20T22:00:00.000Z", receivedAt: "2026-09-20T22:00:00.000Z", version: "1" });
    const v2 = { ...v1, occurredAt: "2026-09-21T01:00:00.000Z", receivedAt: "2026-09-21T01:00:00.000Z", version: "2" };
    await putWithSnapshot(thread.id, v1);
    writes.length = 0;
    await putWithSnapshot(thread.id, v2);
    expect(writesTo("ACTDAY#")).toEqual(["ACTDAY#2026-09-21"]);
    expect(writesTo("MEMBER#")).toEqual([]);
    expect(await store.touchedDays("2026-09-21")).toEqual(["2026-09-20"]);
    expect((await dayIds("2026-09-20")).flat()).toEqual([]);
    expect((await dayIds("2026-09-21")).flat()).toEqual(["md:reply@2"]);
  });

  it("keeps an activity stored before markers findable when a newer version drops its index keys", async () => {
    const thread = { id: "github:issue:moved-legacy" };
    const mover = person("legacy-mover");
    const v1 = activity({ id: "ml:reply", kind: "reply", actor: mover, thread, occurredAt: "2026-09-22T10:00:00.000Z", receivedAt: "2026-09-22T10:00:00.000Z", version: "1" });
    await store.putActivity(v1); // index keys, no markers
    await putWithSnapshot(thread.id, { ...v1, occurredAt: "2026-09-23T10:00:00.000Z", receivedAt: "2026-09-23T10:00:00.000Z", version: "2" });
    expect(await indexed("byMember", `MEMBER#${mover.id}`)).toEqual([]);
    expect((await dayIds("2026-09-22")).flat()).toEqual([]);
    expect((await dayIds("2026-09-23")).flat()).toEqual(["ml:reply@2"]);
    expect(await store.memberActivityKeys(mover.id)).toEqual([{ PK: `THREAD#${thread.id}`, SK: "ACT#ml:reply", day: "2026-09-23", threadId: thread.id }]);
    expect(await store.touchedDays("2026-09-23")).toEqual(["2026-09-22"]);
  });
});

describe("question markers: the digest's questions by creation day", () => {
  const between = async (from: string, to: string) => (await store.questionsCreatedBetween(new Date(from), new Date(to))).map((t) => t.id);

  it("a question's opening marks its day once for both, with no by-creation-day index entry", async () => {
    const thread = { id: "github:issue:q-opening", author: asker, createdAt: "2026-10-01T10:00:00.000Z" };
    writes.length = 0;
    await putAndRefold(thread.id, true, opening({ id: thread.id, thread, occurredAt: thread.createdAt }));
    expect(writes.filter((w) => w.pk.startsWith("ACTDAY#")).map((w) => w.sk)).toEqual([`Q#THREAD#${thread.id}`]);
    expect(await indexed("byDay", "QDAY#2026-10-01")).toEqual([]);
    expect((await store.getThread(thread.id))?.dayIndexed).toBe(false);
    expect(await between("2026-10-01T00:00:00.000Z", "2026-10-01T23:59:59.999Z")).toEqual([thread.id]);
    // The window is kept to the instant, as the index's sort key kept it.
    expect(await between("2026-10-01T10:00:00.001Z", "2026-10-02T00:00:00.000Z")).toEqual([]);
    // A reply the next day: a day marker, no question marker, and the summary write adds nothing.
    writes.length = 0;
    const snapshot = await store.readThread(thread.id);
    const reply = activity({ id: "qo:r1", kind: "reply", actor: helper, thread, occurredAt: "2026-10-02T09:00:00.000Z" });
    await store.putActivity(reply, snapshot);
    snapshot.activities.push(reply);
    await store.refreshThread(thread.id, "any-reply", snapshot);
    expect(writes.filter((w) => w.pk.startsWith("ACTDAY#")).map((w) => `${w.pk} ${w.sk}`)).toEqual([`ACTDAY#2026-10-02 THREAD#${thread.id}`]);
    // The day's export reads the question marker as the day marker it is.
    expect((await dayIds("2026-10-01")).flat()).toEqual([`${thread.id}@1`]);
  });

  it("a question whose day was marked before its opening came gets its marker with the summary", async () => {
    const thread = { id: "github:issue:q-late-opening", author: asker, createdAt: "2026-10-03T08:00:00.000Z" };
    // The reply first (as a webhook may arrive first): its day is marked, the thread is not yet a question.
    const olderRef = { ...thread, isQuestion: false, version: "2026-10-03T08:30:00.000Z" };
    await putAndRefold(thread.id, true, activity({ id: "ql:r1", kind: "reply", actor: asker, thread: olderRef, occurredAt: "2026-10-03T09:00:00.000Z" }));
    expect((await store.getThread(thread.id))?.thread.isQuestion).toBe(false);
    expect(await between("2026-10-03T00:00:00.000Z", "2026-10-03T23:59:59.999Z")).toEqual([]);
    writes.length = 0;
    const snapshot = await store.readThread(thread.id);
    const open = opening({ id: thread.id, thread: { ...thread, version: "2026-10-03T09:30:00.000Z" }, occurredAt: thread.createdAt, version: "2" });
    await store.putActivity(open, snapshot);
    snapshot.activities.push(open);
    await store.refreshThread(thread.id, "any-reply", snapshot);
    expect(writes.filter((w) => w.pk.startsWith("ACTDAY#")).map((w) => w.sk)).toEqual([`Q#THREAD#${thread.id}`]);
    expect(await between("2026-10-03T00:00:00.000Z", "2026-10-03T23:59:59.999Z")).toEqual([thread.id]);
    // Both markers of the day name one thread: its activities are exported once each.
    expect((await partition("ACTDAY#2026-10-03")).map((m) => m.SK).sort()).toEqual([`Q#THREAD#${thread.id}`, `THREAD#${thread.id}`]);
    expect((await dayIds("2026-10-03")).flat()).toEqual([`${thread.id}@2`, "ql:r1@1"]);
    // A conflicting writer re-reads; the marker is then known from the stored question summary.
    writes.length = 0;
    await store.refreshThread(thread.id, "any-reply");
    expect(writes).toEqual([]);
  });

  it("a marker left by a thread that is no longer a question, or was created on another day, finds nothing", async () => {
    const thread = { id: "github:issue:q-stale", author: asker, createdAt: "2026-10-05T08:00:00.000Z" };
    await putAndRefold(thread.id, true, opening({ id: thread.id, thread: { ...thread, isQuestion: false }, occurredAt: thread.createdAt, isQuestion: false }));
    expect((await store.getThread(thread.id))?.thread.isQuestion).toBe(false);
    await ddb.send(new PutCommand({ TableName: table, Item: { PK: "ACTDAY#2026-10-05", SK: `Q#THREAD#${thread.id}`, type: "question-day" } }));
    await ddb.send(new PutCommand({ TableName: table, Item: { PK: "ACTDAY#2026-10-06", SK: "Q#THREAD#github:issue:q-opening", type: "question-day" } }));
    expect(await between("2026-10-05T00:00:00.000Z", "2026-10-06T23:59:59.999Z")).toEqual([]);
  });

  it("a summary stored with the by-creation-day index entry keeps it and is found once, with no marker written", async () => {
    const thread = { id: "github:issue:q-legacy", author: asker, createdAt: "2026-10-07T08:00:00.000Z" };
    await putAndRefold(thread.id, true, opening({ id: thread.id, thread, occurredAt: thread.createdAt }));
    // As stored before question markers: the summary in the index, no question marker.
    await ddb.send(new DeleteCommand({ TableName: table, Key: { PK: "ACTDAY#2026-10-07", SK: `Q#THREAD#${thread.id}` } }));
    await ddb.send(new PutCommand({ TableName: table, Item: { PK: "ACTDAY#2026-10-07", SK: `THREAD#${thread.id}`, type: "day-thread" } }));
    await ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: { PK: `THREAD#${thread.id}`, SK: "SUMMARY" },
        UpdateExpression: "SET GSI2PK = :pk, GSI2SK = :sk",
        ExpressionAttributeValues: { ":pk": "QDAY#2026-10-07", ":sk": `${thread.createdAt}#${thread.id}` },
      }),
    );
    expect(await between("2026-10-07T00:00:00.000Z", "2026-10-07T23:59:59.999Z")).toEqual([thread.id]);
    writes.length = 0;
    await putAndRefold(thread.id, true, activity({ id: "qg:r1", kind: "reply", actor: asker, thread, occurredAt: "2026-10-07T09:00:00.000Z" }));
    expect(writes.filter((w) => w.pk.startsWith("ACTDAY#"))).toEqual([]);
    expect((await indexed("byDay", "QDAY#2026-10-07")).map((k) => k.PK)).toEqual([`THREAD#${thread.id}`]);
    expect((await store.getThread(thread.id))?.dayIndexed).toBe(true);
    // Both ways at once (a marker written later, the index entry kept): still once.
    await ddb.send(new PutCommand({ TableName: table, Item: { PK: "ACTDAY#2026-10-07", SK: `Q#THREAD#${thread.id}`, type: "question-day" } }));
    expect(await between("2026-10-07T00:00:00.000Z", "2026-10-07T23:59:59.999Z")).toEqual([thread.id]);
  });
});
