// The store against DynamoDB Local: idempotent writes, optimistic locking under concurrent
// writers, the sparse open-question index and the once-per-day digest claim.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localClientConfig } from "../../infra/local/emulators/clients.ts";
import { startDynamoDbLocal, type DynamoDbLocal } from "../../infra/local/emulators/dynamodb-local.ts";
import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "../../shared/store/client.ts";
import { ensureTable } from "../../shared/store/create-table.ts";
import { SignalStore } from "../../shared/store/store.ts";
import { activity, at, asker, ciBot, helper, opening, otherHelper, THREAD_ID } from "../unit/threads/build.ts";

let dynamo: DynamoDbLocal;
let store: SignalStore;
let table: string;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal({});
  table = `store-test-${process.pid}`;
  await ensureTable(new DynamoDBClient(localClientConfig(dynamo.endpoint)), table);
  expect(await ensureTable(new DynamoDBClient(localClientConfig(dynamo.endpoint)), table)).toBe("exists");
  store = new SignalStore(createDocumentClient(localClientConfig(dynamo.endpoint)), table);
});
afterAll(async () => {
  await dynamo?.stop();
});

/** Activities of a fresh thread (unique id per test, so tests never share state). */
function threadOf(suffix: string, createdAt = at(0)) {
  const id = `${THREAD_ID}-${suffix}`;
  const ref = { id, createdAt };
  return {
    id,
    opening: opening({ id, thread: ref }),
    reply: (n: number, actor = helper, version = "1") =>
      activity({ id: `${id}:reply:${n}`, kind: "reply", actor, occurredAt: at(10 + n), thread: ref, version }),
  };
}

describe("SignalStore", () => {
  it("stores an activity once, and keeps the newest version of an edit", async () => {
    const t = threadOf("versions");
    expect(await store.putActivity(t.opening)).toBe("stored");
    expect(await store.putActivity(t.opening)).toBe("duplicate");
    const edited = { ...t.reply(1, helper, "2026-01-02T00:00:00.000Z"), excerpt: "edited" };
    const original = { ...t.reply(1, helper, "2026-01-01T00:00:00.000Z"), excerpt: "original" };
    expect(await store.putActivity(edited)).toBe("stored");
    expect(await store.putActivity(original)).toBe("duplicate"); // older version arrives late
    const stored = await store.threadActivities(t.id);
    expect(stored.map((a) => a.excerpt).sort()).toEqual(["The widget will not spin.", "edited"]);
  });

  it("keeps every update when many writers refold one thread at once", async () => {
    const t = threadOf("concurrent");
    await store.putActivity(t.opening);
    const replies = Array.from({ length: 12 }, (_, n) => t.reply(n, n % 3 === 0 ? ciBot : n % 2 ? helper : otherHelper));
    await Promise.all(
      replies.map(async (r) => {
        await store.putActivity(r);
        await store.refreshThread(t.id, "any-reply");
      }),
    );
    const final = await store.getThread(t.id);
    expect(final?.thread.replyCount).toBe(12);
    expect(final?.thread.status).toBe("answered");
    expect(final?.thread.firstResponseAt).toBe(at(11)); // reply 0 is the bot's, reply 1 the first human's
    // A refold with nothing new is a no-op: the revision does not move.
    expect((await store.refreshThread(t.id, "any-reply")).changed).toBe(false);
    expect((await store.getThread(t.id))?.rev).toBe(final?.rev);
  });

  it("never lets a writer that folded a stale set overwrite a newer summary", async () => {
    const t = threadOf("stale-writer");
    await store.putActivity(t.opening);
    await store.putActivity(t.reply(1, helper));

    // Writer A reads the thread, then stalls (as a slow Lambda would) until B has finished.
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    let readDone!: () => void;
    const aHasRead = new Promise<void>((resolve) => (readDone = resolve));
    let armed = true;
    const real = createDocumentClient(localClientConfig(dynamo.endpoint));
    const slow = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== "send") return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          const result = await target.send(command as never);
          if (armed && command instanceof QueryCommand) {
            armed = false;
            readDone();
            await stalled;
          }
          return result;
        };
      },
    }) as DynamoDBDocumentClient;
    const writerA = new SignalStore(slow, table).refreshThread(t.id, "any-reply");
    await aHasRead;

    await store.putActivity(t.reply(2, otherHelper));
    await store.refreshThread(t.id, "any-reply");
    release();
    await writerA;

    expect((await store.getThread(t.id))?.thread.replyCount).toBe(2);
  });

  it("indexes only open questions, oldest first, and lets them leave the index", async () => {
    const older = threadOf("index-older", "2020-01-01T00:00:00.000Z");
    const newer = threadOf("index-newer");
    await store.putActivity(older.opening);
    await store.putActivity(newer.opening);
    await store.refreshThread(older.id, "any-reply");
    await store.refreshThread(newer.id, "any-reply");
    const ids = (await store.openQuestions()).map((q) => q.id);
    expect(ids.indexOf(older.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(newer.id));

    await store.putActivity(older.reply(1, asker)); // the asker's own reply: still open
    await store.refreshThread(older.id, "any-reply");
    expect((await store.openQuestions()).map((q) => q.id)).toContain(older.id);
    await store.putActivity(older.reply(2, helper));
    await store.refreshThread(older.id, "any-reply");
    expect((await store.openQuestions()).map((q) => q.id)).not.toContain(older.id);
    // ...but it is still a question created that day, for the metrics.
    const window = await store.questionsCreatedBetween(new Date("2019-12-31T00:00:00Z"), new Date("2020-01-02T00:00:00Z"));
    expect(window.map((q) => q.id)).toEqual([older.id]);
  });

  it("indexes each person's questions for the first-time asker mark", async () => {
    const person = { ...asker, id: "github:user:first-timer" };
    const later = threadOf("asker-later", "2026-03-02T00:00:00.000Z");
    const earlier = threadOf("asker-earlier", "2026-03-01T00:00:00.000Z");
    const notAQuestion = threadOf("asker-chat", "2026-02-01T00:00:00.000Z");
    expect(await store.firstQuestionBy(person.id)).toBeNull();
    for (const [t, isQuestion] of [[later, true], [earlier, true], [notAQuestion, false]] as const) {
      const open = opening({ id: t.id, actor: person, isQuestion, thread: { id: t.id, createdAt: t.opening.thread!.createdAt, author: person, isQuestion } });
      await store.putActivity(open);
      await store.refreshThread(t.id, "any-reply");
    }
    expect(await store.firstQuestionBy(person.id)).toEqual({ threadId: earlier.id, createdAt: "2026-03-01T00:00:00.000Z" });
    expect(await store.deleteAskerIndex(person.id)).toBe(2);
    expect(await store.firstQuestionBy(person.id)).toBeNull();
  });

  it("indexes the actions taken from digests by day", async () => {
    const t = threadOf("actions");
    const take = activity({ id: `action:${t.id}:take:1`, kind: "action_take", occurredAt: "2026-04-10T09:00:00.000Z", thread: { id: t.id } });
    const snooze = activity({ id: `action:${t.id}:snooze:1`, kind: "action_snooze", occurredAt: "2026-04-12T09:00:00.000Z", thread: { id: t.id } });
    await store.putActivity(take);
    await store.putActivity(snooze);
    expect(await store.putActivity(take)).toBe("duplicate"); // a second click adds nothing
    const all = await store.digestActionsBetween(new Date("2026-04-09T00:00:00Z"), new Date("2026-04-13T00:00:00Z"));
    expect(all.map((a) => [a.action, a.threadId, a.at])).toEqual([
      ["take", t.id, "2026-04-10T09:00:00.000Z"],
      ["snooze", t.id, "2026-04-12T09:00:00.000Z"],
    ]);
    const window = await store.digestActionsBetween(new Date("2026-04-11T00:00:00Z"), new Date("2026-04-13T00:00:00Z"));
    expect(window.map((a) => a.action)).toEqual(["snooze"]);
  });

  it("keeps a poller cursor per channel", async () => {
    expect(await store.getCursor("discord", "111")).toBeNull();
    await store.setCursor("discord", "111", "1300000000000000001", new Date("2026-11-25T08:00:00Z"));
    await store.setCursor("discord", "222", "1300000000000000009", new Date("2026-11-25T08:00:00Z"));
    await store.setCursor("discord", "111", "1300000000000000005", new Date("2026-11-25T08:05:00Z"));
    expect(await store.getCursor("discord", "111")).toBe("1300000000000000005");
    expect(await store.getCursor("discord", "222")).toBe("1300000000000000009");
  });

  it("claims a digest send once per recipient and day, and can give it back", async () => {
    expect(await store.claimDigestSend("Ana@Example.com", "2026-11-25", {})).toBe(true);
    expect(await store.claimDigestSend("ana@example.com", "2026-11-25", {})).toBe(false);
    expect(await store.claimDigestSend("ana@example.com", "2026-11-26", {})).toBe(true);
    await store.releaseDigestSend("ana@example.com", "2026-11-25");
    expect(await store.claimDigestSend("ana@example.com", "2026-11-25", {})).toBe(true);
  });
});
