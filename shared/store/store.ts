import { deflateRawSync, inflateRawSync } from "node:zlib";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { ActivitySchema, type Activity } from "../model/activity.ts";
import { ThreadSchema, type AnswerPolicy, type Thread } from "../model/thread.ts";
import { ACTION_KINDS, foldThread, isActionActivity } from "../threads/index.ts";
import { Leases } from "./leases.ts";
import { NameCache } from "./names.ts";
import { INDEXES } from "./table.ts";

export type PutOutcome = "stored" | "duplicate";

/** A thread's summary (null before its first fold) and its stored activities, read together. */
export interface ThreadSnapshot {
  stored: StoredThread | null;
  activities: Activity[];
  /**
   * The thread's day and member markers known to exist: the occurred days and actors of its
   * stored activities that were written with markers (not those carrying index keys instead).
   * `putActivity` adds the markers it writes; absent means none are known (all are written).
   */
  marked?: ThreadMarkers;
}

/** A thread's stored summary, its revision, and whether it still carries the old by-creation-day index keys. */
export interface StoredThread {
  thread: Thread;
  rev: number;
  /**
   * The summary item carries `QDAY#<day>` keys in the by-day index (written before question
   * markers existed): while it stays a question its rewrites keep them, and it needs no marker.
   */
  dayIndexed?: boolean;
}

/** Which `ACTDAY#<day>` and `MEMBER#<actor>` markers name one thread (see `putActivity`). */
export interface ThreadMarkers {
  days: Set<string>;
  members: Set<string>;
  /** Days with the thread's question marker (`ACTDAY#<day>` / `Q#THREAD#<id>`, see `putThread`). */
  questionDays?: Set<string>;
}

export interface ThreadUpdate {
  thread: Thread | null;
  /** False when the recomputed summary equalled the stored one (a duplicate delivery). */
  changed: boolean;
}

/** Optimistic-lock conflicts tolerated before giving up (the record is then retried by SQS). */
const MAX_THREAD_ATTEMPTS = 8;

const OPEN_QUESTIONS_PK = "OPENQ";

export const threadPk = (threadId: string) => `THREAD#${threadId}`;
const activityKey = (a: Activity) =>
  a.thread ? { PK: threadPk(a.thread.id), SK: `ACT#${a.id}` } : { PK: `ACT#${a.id}`, SK: "ACT" };
const day = (instant: string) => instant.slice(0, 10);
const DAY_MARKER = "ACTDAY#";
/** The sort key prefix of a day marker that also says "this question thread was created this day". */
const QUESTION_MARK = "Q#";
const MEMBER_MARKER = "MEMBER#";
/** The thread partition key a day marker names (`THREAD#<id>` or `Q#THREAD#<id>`). */
const markedThread = (sk: string) => (sk.startsWith(QUESTION_MARK) ? sk.slice(QUESTION_MARK.length) : sk);
/**
 * An activity item that carries the by-day and by-member index keys (an activity outside a
 * thread, one stored without a thread snapshot, or one stored before markers existed) is found
 * through the indexes; any other activity item was written after its thread's markers.
 */
const isIndexed = (item: Record<string, unknown>) => item["GSI2PK"] !== undefined;

/**
 * Activities and thread summaries keep their document deflated in one binary attribute: the
 * JSON of an activity (1.2 to 1.7 KB with its excerpt and thread reference) deflates to well
 * under 1 KB, so each write is one unit instead of two. Items written before this carry `data`
 * as a map; both are read.
 */
const PACKED = "dz";
const pack = (document: unknown) => ({ [PACKED]: deflateRawSync(JSON.stringify(document)) });
function unpack(item: Record<string, unknown>): unknown {
  const packed = item[PACKED];
  if (packed instanceof Uint8Array) return JSON.parse(inflateRawSync(packed).toString("utf8"));
  return item["data"];
}

/** BatchGetItem's limit per request. */
const BATCH_GET_MAX = 100;

/** Late-arrival markers live this long: far longer than any gap between two export runs. */
const TOUCHED_TTL_SECONDS = 35 * 86_400;

/** A stored activity's key, as found through a member's markers or the member index. */
export interface ActivityKey {
  PK: string;
  SK: string;
  /** UTC day the activity occurred (its export partition). */
  day: string;
  /** Thread it belongs to, or null for an activity outside a thread. */
  threadId: string | null;
}

/** What one export of one table and day wrote (the `EXPORT#<table>` / `DAY#<date>` item). */
export interface ExportRecord {
  table: string;
  day: string;
  rows: number;
  bytes: number;
  /** Object key written, or null when the day had no rows (its old files were removed). */
  key: string | null;
  schemaVersion: number;
  exportedAt: string;
}

/**
 * DynamoDB access for activities, threads and digest sends. Every method is one of the
 * access patterns in DESIGN.md, and none of them scans.
 */
export class SignalStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** The display-name cache: its own aggregate (names.ts) on the same table and client. */
  get names(): NameCache {
    return new NameCache(this.ddb, this.tableName);
  }

  /** Leases that keep scheduled runs from overlapping: their own aggregate (leases.ts). */
  get leases(): Leases {
    return new Leases(this.ddb, this.tableName);
  }

  /**
   * Store an activity idempotently by natural id; a newer version (edit) replaces an older
   * one, an equal or older one changes nothing.
   *
   * How the export's day and `forget` find it again, without an index entry per activity (each
   * would be one more write unit):
   * - An activity in a thread, given `known` (its thread as read before this writer's puts, as
   *   the normaliser does), writes small table items instead: `ACTDAY#<occurred day>` /
   *   `THREAD#<id>` unless the thread already has a stored activity of that day, and
   *   `MEMBER#<actor id>` / `THREAD#<id>` unless it already has one by that actor (or the
   *   `ASKER#` mark of the asker's own opening, written here too, names them). They are
   *   written before the activity, so a stored activity always has its markers (a crash in
   *   between leaves a marker that finds nothing more). `known.marked` learns what is written.
   * - Otherwise (an activity outside a thread, or a caller without a snapshot) the activity
   *   carries the by-day and by-member index keys, as every activity did before markers: the
   *   same three units, written in one request, and a repeated put is refused at one.
   */
  async putActivity(activity: Activity, known?: ThreadSnapshot): Promise<PutOutcome> {
    const withMarkers = activity.thread !== null && known !== undefined;
    const askerMarked = withMarkers ? await this.markThreadActivity(activity, known) : false;
    try {
      const replaced = await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...activityKey(activity),
            type: "activity",
            version: activity.version,
            ...pack(activity),
            ...(withMarkers
              ? {}
              : {
                  GSI2PK: `${DAY_MARKER}${day(activity.occurredAt)}`,
                  GSI2SK: `${activity.occurredAt}#${activity.id}`,
                  GSI3PK: `${MEMBER_MARKER}${activity.actor.id}`,
                  GSI3SK: `${activity.occurredAt}#${activity.id}`,
                }),
          },
          ConditionExpression: "attribute_not_exists(PK) OR #version < :version",
          ExpressionAttributeNames: { "#version": "version" },
          ExpressionAttributeValues: { ":version": activity.version },
          ReturnValues: "ALL_OLD",
        }),
      );
      const previous = replaced.Attributes ? (unpack(replaced.Attributes) as Activity) : null;
      await this.markLateDays(activity, previous);
      await this.indexForDigest(activity, previous, askerMarked);
      return "stored";
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return "duplicate";
      throw err;
    }
  }

  /**
   * The day and member markers an activity of a thread needs and `known` does not show yet,
   * with the `ASKER#` mark of a question's opening when `known` shows it is new (true if written).
   */
  private async markThreadActivity(activity: Activity, known: ThreadSnapshot): Promise<boolean> {
    const marked = (known.marked ??= { days: new Set(), members: new Set() });
    const questionDays = (marked.questionDays ??= new Set());
    const thread = activity.thread as NonNullable<Activity["thread"]>;
    const pk = threadPk(thread.id);
    const occurred = day(activity.occurredAt);
    const asked = askedMark(activity);
    const askerNeeded = asked !== null && !sameMark(asked, askedMark(known.activities.find((a) => a.id === activity.id)));
    const puts: Record<string, unknown>[] = askerNeeded ? [asked] : [];
    if (!marked.days.has(occurred)) {
      // A question's opening on its creation day: one marker says both "active this day" and
      // "a question created this day" (what the by-creation-day index entry said, one unit more).
      const opensQuestion = activity.kind === "thread_opened" && activity.id === thread.id && thread.isQuestion && day(thread.createdAt ?? activity.occurredAt) === occurred;
      puts.push({ PK: `${DAY_MARKER}${occurred}`, SK: opensQuestion ? `${QUESTION_MARK}${pk}` : pk, type: opensQuestion ? "question-day" : "day-thread" });
      if (opensQuestion) questionDays.add(occurred);
    }
    // The asker's mark names them and the thread: it is their member marker for it too.
    const askerIsActor = askerNeeded && asked.PK === `ASKER#${activity.actor.id}`;
    if (!marked.members.has(activity.actor.id) && !askerIsActor) {
      puts.push({ PK: `${MEMBER_MARKER}${activity.actor.id}`, SK: pk, type: "member-thread" });
    }
    await Promise.all(puts.map((Item) => this.ddb.send(new PutCommand({ TableName: this.tableName, Item }))));
    marked.days.add(occurred);
    marked.members.add(activity.actor.id);
    return askerNeeded;
  }

  /** All stored activities of one thread (its own partition), paged. */
  async threadActivities(threadId: string): Promise<Activity[]> {
    return (await this.threadItems(threadId)).map((item) => ActivitySchema.parse(unpack(item)));
  }

  private threadItems(threadId: string): Promise<Record<string, unknown>[]> {
    return this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "PK = :pk AND begins_with(SK, :act)",
      ExpressionAttributeValues: { ":pk": threadPk(threadId), ":act": "ACT#" },
      ConsistentRead: true,
    });
  }

  async getThread(threadId: string): Promise<StoredThread | null> {
    const res = await this.ddb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { PK: threadPk(threadId), SK: "SUMMARY" },
        ConsistentRead: true,
      }),
    );
    if (!res.Item) return null;
    return { thread: ThreadSchema.parse(unpack(res.Item)), rev: Number(res.Item.rev), dayIndexed: res.Item["GSI2PK"] !== undefined };
  }

  /** A thread as stored now: its summary (with its revision), its activities and its known markers. */
  async readThread(threadId: string): Promise<ThreadSnapshot> {
    const [stored, items] = await Promise.all([this.getThread(threadId), this.threadItems(threadId)]);
    // A summary stored as a question (without the old index keys) was written after its
    // creation day's question marker (putThread), so that marker is known to exist.
    const questionDays = new Set(stored?.thread.isQuestion && !stored.dayIndexed ? [day(stored.thread.createdAt)] : []);
    const marked: ThreadMarkers = { days: new Set(), members: new Set(), questionDays };
    const activities = items.map((item) => {
      const activity = ActivitySchema.parse(unpack(item));
      if (!isIndexed(item)) {
        marked.days.add(day(activity.occurredAt));
        marked.members.add(activity.actor.id);
      }
      return activity;
    });
    return { stored, activities, marked };
  }

  /**
   * Recompute a thread from the set of its activities and store the summary, guarded by a
   * revision number so two writers on the same thread cannot lose an update. `known` is a
   * snapshot read before this writer's own activities were put, plus those activities: the
   * first attempt folds it instead of reading again (the revision read with it still guards
   * the write; on a conflict the thread is read afresh).
   */
  async refreshThread(threadId: string, policy: AnswerPolicy, known?: ThreadSnapshot): Promise<ThreadUpdate> {
    // Question markers known to exist, kept across attempts (a fresh read shows only the stored summary's).
    const questionDays = new Set(known?.marked?.questionDays ?? []);
    for (let attempt = 1; attempt <= MAX_THREAD_ATTEMPTS; attempt++) {
      const { stored, activities, marked } = attempt === 1 && known ? known : await this.readThread(threadId);
      for (const d of marked?.questionDays ?? []) questionDays.add(d);
      const folded = foldThread(activities, policy);
      if (!folded) return { thread: null, changed: false };
      // Parsing gives the summary a canonical key order, so equal threads compare equal.
      const thread = ThreadSchema.parse(folded);
      if (stored && sameThread(stored.thread, thread)) return { thread, changed: false };
      try {
        await this.putThread(thread, stored, questionDays);
        return { thread, changed: true };
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        // Someone else wrote the summary in between: fold again from what is stored now.
      }
    }
    throw new Error(`thread ${threadId}: gave up after ${MAX_THREAD_ATTEMPTS} conflicting updates`);
  }

  /**
   * Write a summary (its revision one past `stored`'s, or the first). A question is found by its
   * creation day (the digest's 7-day numbers) through its question marker, `ACTDAY#<created
   * day>` / `Q#THREAD#<id>`, written here first unless `questionDays` shows it exists (usually
   * the opening wrote it as its day marker, for no extra unit). A summary that carried the old
   * `QDAY#<day>` index keys keeps them instead while it stays a question. A marker left behind
   * (the thread is no longer a question, or its creation time moved) is harmless: the reader
   * checks each summary.
   */
  private async putThread(thread: Thread, stored: StoredThread | null, questionDays: Set<string>): Promise<void> {
    const expectedRev = stored?.rev ?? null;
    const openQuestion = thread.isQuestion && thread.status === "open";
    const dayIndexed = thread.isQuestion && stored?.dayIndexed === true;
    const created = day(thread.createdAt);
    if (thread.isQuestion && !dayIndexed && !questionDays.has(created)) {
      await this.ddb.send(
        new PutCommand({ TableName: this.tableName, Item: { PK: `${DAY_MARKER}${created}`, SK: `${QUESTION_MARK}${threadPk(thread.id)}`, type: "question-day" } }),
      );
      questionDays.add(created);
    }
    await this.ddb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          PK: threadPk(thread.id),
          SK: "SUMMARY",
          type: "thread",
          rev: (expectedRev ?? 0) + 1,
          ...pack(thread),
          ...(openQuestion ? { GSI1PK: OPEN_QUESTIONS_PK, GSI1SK: `${thread.createdAt}#${thread.id}` } : {}),
          ...(dayIndexed ? { GSI2PK: `QDAY#${created}`, GSI2SK: `${thread.createdAt}#${thread.id}` } : {}),
        },
        ...(expectedRev === null
          ? { ConditionExpression: "attribute_not_exists(PK)" }
          : {
              ConditionExpression: "rev = :rev",
              ExpressionAttributeValues: { ":rev": expectedRev },
            }),
      }),
    );
  }

  /**
   * Open question threads from the sparse index (keys only), oldest first; the summaries are
   * read from the table in batches. The index is eventually consistent, so a thread that left
   * it a moment ago is dropped here by its current state.
   */
  async openQuestions(filter: { instance?: string; channelId?: string; createdBefore?: string } = {}): Promise<Thread[]> {
    const values: Record<string, unknown> = { ":pk": OPEN_QUESTIONS_PK };
    let keyCondition = "GSI1PK = :pk";
    if (filter.createdBefore) {
      keyCondition += " AND GSI1SK <= :before";
      values[":before"] = `${filter.createdBefore}#\uffff`;
    }
    const keys = await this.queryAll({
      TableName: this.tableName,
      IndexName: INDEXES.openQuestions.indexName,
      KeyConditionExpression: keyCondition,
      ExpressionAttributeValues: values,
    });
    return (await this.batchGet(keys))
      .map((item) => ThreadSchema.parse(unpack(item)))
      .filter(
        (t) =>
          t.isQuestion &&
          t.status === "open" &&
          (!filter.instance || t.instance === filter.instance) &&
          (!filter.channelId || t.channel.id === filter.channelId),
      );
  }

  /**
   * Question threads (any status) created in [from, to]. Per day: the question markers
   * (`ACTDAY#<day>` / `Q#…`, read by key prefix, so the day's other markers are not read) and
   * the by-day index's `QDAY#<day>` entries (summaries stored before question markers); each
   * summary is then read and checked, since a marker stays when its thread stops being a question.
   */
  async questionsCreatedBetween(from: Date, to: Date): Promise<Thread[]> {
    const days: string[] = [];
    for (let d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate())); d <= to; d = new Date(d.getTime() + 86_400_000)) {
      days.push(d.toISOString().slice(0, 10));
    }
    const lower = from.toISOString();
    const upper = `${to.toISOString()}#\uffff`;
    const perDay = await Promise.all(
      days.flatMap((d) => [
        this.queryAll({
          TableName: this.tableName,
          IndexName: INDEXES.byDay.indexName,
          KeyConditionExpression: "GSI2PK = :pk AND GSI2SK BETWEEN :lo AND :hi",
          ExpressionAttributeValues: { ":pk": `QDAY#${d}`, ":lo": lower, ":hi": upper },
        }),
        this.queryAll({
          TableName: this.tableName,
          KeyConditionExpression: "PK = :pk AND begins_with(SK, :q)",
          ExpressionAttributeValues: { ":pk": `${DAY_MARKER}${d}`, ":q": QUESTION_MARK },
        }).then((markers) => markers.map((marker) => ({ PK: markedThread(String(marker.SK)), SK: "SUMMARY" }))),
      ]),
    );
    const keys = new Map(perDay.flat().map((key) => [String(key.PK), { PK: key.PK, SK: key.SK }]));
    return (await this.batchGet([...keys.values()]))
      .map((item) => ThreadSchema.parse(unpack(item)))
      .filter((thread) => {
        const order = `${thread.createdAt}#${thread.id}`;
        return thread.isQuestion && order >= lower && order <= upper;
      })
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Claim the one digest send of a recipient for a local day. True if this caller won the
   * claim and should send; false if it was already sent (or is being sent).
   */
  async claimDigestSend(recipient: string, localDay: string, details: Record<string, unknown>): Promise<boolean> {
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { PK: `DIGEST#${recipient.toLowerCase()}`, SK: `DAY#${localDay}`, type: "digest-send", ...details },
          ConditionExpression: "attribute_not_exists(PK)",
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** Give a claim back when the send itself failed, so a retry may send. */
  async releaseDigestSend(recipient: string, localDay: string): Promise<void> {
    await this.ddb.send(
      new DeleteCommand({ TableName: this.tableName, Key: { PK: `DIGEST#${recipient.toLowerCase()}`, SK: `DAY#${localDay}` } }),
    );
  }

  /** A poller's position in one channel (e.g. the last Discord message id read). */
  async getCursor(source: string, channel: string): Promise<string | null> {
    const res = await this.ddb.send(
      new GetCommand({ TableName: this.tableName, Key: { PK: `CURSOR#${source}#${channel}`, SK: "CURSOR" }, ConsistentRead: true }),
    );
    return typeof res.Item?.value === "string" ? res.Item.value : null;
  }

  async setCursor(source: string, channel: string, value: string, at: Date): Promise<void> {
    await this.ddb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { PK: `CURSOR#${source}#${channel}`, SK: "CURSOR", type: "cursor", value, updatedAt: at.toISOString() },
      }),
    );
  }

  /**
   * Small items the digest reads instead of walking all recent traffic: each action taken from
   * a digest under its day (`DIGESTACTIONS#<day>`, expiring after 30 days), and each question a
   * person opened under their id (`ASKER#<actor id>`, for the first-time asker mark).
   */
  private async indexForDigest(activity: Activity, previous: Activity | null, askerMarked: boolean): Promise<void> {
    const thread = activity.thread;
    if (!thread) return;
    const asked = askedMark(activity);
    if (isActionActivity(activity)) {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            PK: `DIGESTACTIONS#${day(activity.occurredAt)}`,
            SK: `${activity.occurredAt}#${activity.id}`,
            type: "digest-action",
            action: ACTION_KINDS[activity.kind],
            at: activity.occurredAt,
            threadId: thread.id,
            source: activity.source,
            channelId: activity.channel.id,
            expiresAt: Math.floor(Date.parse(activity.occurredAt) / 1000) + 30 * 86_400,
          },
        }),
      );
    } else if (asked && !askerMarked && !sameMark(asked, askedMark(previous))) {
      // An edit of an opening that was already marked (same asker, same creation time) writes nothing.
      await this.ddb.send(new PutCommand({ TableName: this.tableName, Item: asked }));
    }
  }

  /** Digest actions taken in [from, to], one small partition per day. */
  async digestActionsBetween(
    from: Date,
    to: Date,
  ): Promise<{ action: (typeof ACTION_KINDS)[keyof typeof ACTION_KINDS]; at: string; threadId: string; source: Activity["source"]; channelId: string }[]> {
    const days: string[] = [];
    for (let d = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); d <= to.getTime(); d += 86_400_000) {
      days.push(new Date(d).toISOString().slice(0, 10));
    }
    const perDay = await Promise.all(
      days.map((d) =>
        this.queryAll({
          TableName: this.tableName,
          KeyConditionExpression: "PK = :pk AND SK BETWEEN :lo AND :hi",
          ExpressionAttributeValues: { ":pk": `DIGESTACTIONS#${d}`, ":lo": from.toISOString(), ":hi": `${to.toISOString()}#\uffff` },
        }),
      ),
    );
    return perDay.flat().map((item) => ({
      action: item.action as (typeof ACTION_KINDS)[keyof typeof ACTION_KINDS],
      at: String(item.at),
      threadId: String(item.threadId),
      source: item.source as Activity["source"],
      channelId: String(item.channelId),
    }));
  }

  /** The earliest question thread a person opened that is still a question, or null. */
  async firstQuestionBy(actorId: string): Promise<{ threadId: string; createdAt: string } | null> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "PK = :pk",
          ExpressionAttributeValues: { ":pk": `ASKER#${actorId}` },
          Limit: 10,
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const stored = await this.getThread(String(item.threadId));
        // A thread later marked "not a question" (or deleted) no longer counts.
        if (stored?.thread.isQuestion && stored.thread.status !== "deleted") return { threadId: stored.thread.id, createdAt: stored.thread.createdAt };
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return null;
  }

  /** Forget a person's question index (with their activities, by `forget`). */
  async deleteAskerIndex(actorId: string): Promise<number> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "PK = :pk",
      ExpressionAttributeValues: { ":pk": `ASKER#${actorId}` },
    });
    for (const item of items) {
      await this.ddb.send(new DeleteCommand({ TableName: this.tableName, Key: { PK: item.PK, SK: item.SK } }));
    }
    return items.length;
  }

  /** Late-arrival markers this process already wrote (a marker is the same item all day long). */
  private readonly markersWritten = new Set<string>();

  /**
   * Late arrivals: an activity stored on a day other than the day it occurred changes an
   * export partition that may already be written. Mark that day as touched on the received
   * day (`TOUCHED#<received day>` / `DAY#<occurred day>`, no index keys, expires after 35
   * days), so the next export run re-exports it. An edit that moved an activity to another
   * day (the replaced version occurred on another day) marks the old day too, so the stale row
   * is removed.
   */
  private async markLateDays(activity: Activity, replaced: Activity | null): Promise<void> {
    const received = day(activity.receivedAt);
    const days = new Set<string>();
    if (day(activity.occurredAt) !== received) days.add(day(activity.occurredAt));
    const previous = replaced ? day(replaced.occurredAt) : null;
    if (previous && previous !== day(activity.occurredAt)) days.add(previous);
    for (const occurred of days) {
      const marker = `${received}/${occurred}`;
      if (this.markersWritten.has(marker)) continue;
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            PK: `TOUCHED#${received}`,
            SK: `DAY#${occurred}`,
            type: "touched-day",
            expiresAt: Math.floor(Date.parse(activity.receivedAt) / 1000) + TOUCHED_TTL_SECONDS,
          },
        }),
      );
      // Bounded: a long-lived process forgets the oldest days (a repeated write is only a cost).
      if (this.markersWritten.size >= 1_000) this.markersWritten.clear();
      this.markersWritten.add(marker);
    }
  }

  /** Export partitions (occurred days) marked touched by late arrivals received on `receivedDay`. */
  async touchedDays(receivedDay: string): Promise<string[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "PK = :pk AND begins_with(SK, :day)",
      ExpressionAttributeValues: { ":pk": `TOUCHED#${receivedDay}`, ":day": "DAY#" },
      ConsistentRead: true,
    });
    return items.map((item) => String(item.SK).slice("DAY#".length)).sort();
  }

  /**
   * One UTC day's activities (by occurredAt), in (occurredAt, id) order (a stable order), one
   * page at a time. Found two ways, merged: the day's markers (`ACTDAY#<day>`, one per thread
   * active that day), each thread's partition then read in one Query (billed by size, cheaper
   * than fetching item by item) and kept to that day; and the by-day index (keys only) for the
   * activities carrying index keys (outside threads, stored without a snapshot, or stored
   * before markers existed: existing tables lose nothing), fetched in batches unless their
   * thread is read anyway. Memory: one small sort key per activity of the day, plus the items
   * read from thread partitions up to `keepBytes` (past that, they are fetched again by key
   * when their page comes). Reads are eventually consistent, like the index: a write from the
   * last second may be missing.
   */
  async *activitiesOfDay(dayIso: string, pageSize = 500, keepBytes = DAY_ITEMS_KEPT_BYTES): AsyncGenerator<Activity[]> {
    const threads = new Set<string>();
    for await (const markers of this.queryPages({
      TableName: this.tableName,
      KeyConditionExpression: "PK = :pk",
      ExpressionAttributeValues: { ":pk": `${DAY_MARKER}${dayIso}` },
    })) {
      for (const marker of markers) threads.add(markedThread(String(marker.SK)));
    }
    const entries: DayEntry[] = [];
    for await (const keys of this.queryPages({
      TableName: this.tableName,
      IndexName: INDEXES.byDay.indexName,
      KeyConditionExpression: "GSI2PK = :pk",
      ExpressionAttributeValues: { ":pk": `${DAY_MARKER}${dayIso}` },
    })) {
      for (const key of keys) {
        if (!threads.has(String(key.PK))) entries.push({ order: String(key.GSI2SK), PK: key.PK, SK: key.SK, item: null });
      }
    }
    let kept = 0;
    for (const pk of threads) {
      for await (const items of this.queryPages({
        TableName: this.tableName,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :act)",
        ExpressionAttributeValues: { ":pk": pk, ":act": "ACT#" },
      })) {
        for (const item of items) {
          const activity = unpack(item) as Activity;
          if (day(activity.occurredAt) !== dayIso) continue;
          const size = itemBytes(item);
          const keep = kept + size <= keepBytes;
          if (keep) kept += size;
          entries.push({ order: `${activity.occurredAt}#${activity.id}`, PK: item.PK, SK: item.SK, item: keep ? item : null });
        }
      }
    }
    entries.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    for (let start = 0; start < entries.length; start += pageSize) {
      const page = entries.slice(start, start + pageSize);
      const fetched = new Map((await this.batchGet(page.flatMap((e) => (e.item === null ? [{ PK: e.PK, SK: e.SK }] : [])))).map((item) => [itemId(item), item]));
      const activities = page.flatMap((e) => {
        const item = e.item ?? fetched.get(itemId(e));
        const activity = item ? ActivitySchema.parse(unpack(item)) : null;
        // An index entry can lag behind an edit that moved the activity to another day.
        return activity && day(activity.occurredAt) === dayIso ? [activity] : [];
      });
      if (activities.length > 0) yield activities;
    }
  }

  /**
   * Keys of every activity one member did, oldest first: the threads named by their markers
   * (`MEMBER#<actor id>`, and `ASKER#<actor id>` for questions they opened), each partition
   * read and kept to their activities, and the member index (keys only) for the activities
   * carrying index keys (outside threads, stored without a snapshot, or stored before markers).
   */
  async memberActivityKeys(actorId: string): Promise<ActivityKey[]> {
    const threads = new Set<string>();
    for (const marker of await this.memberMarkers(actorId)) threads.add(String(marker.SK));
    // The asker's mark of a question they opened stands in for their member marker there.
    for (const asked of await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "PK = :pk",
      ExpressionAttributeValues: { ":pk": `ASKER#${actorId}` },
      ConsistentRead: true,
    })) {
      threads.add(threadPk(String(asked.threadId)));
    }
    const found = new Map<string, ActivityKey & { order: string }>();
    const keyOf = (PK: string, SK: string, order: string): ActivityKey & { order: string } => ({
      PK,
      SK,
      day: order.slice(0, 10),
      threadId: PK.startsWith("THREAD#") ? PK.slice("THREAD#".length) : null,
      order,
    });
    for (const key of await this.queryAll({
      TableName: this.tableName,
      IndexName: INDEXES.byMember.indexName,
      KeyConditionExpression: "GSI3PK = :pk",
      ExpressionAttributeValues: { ":pk": `${MEMBER_MARKER}${actorId}` },
    })) {
      if (!threads.has(String(key.PK))) found.set(itemId(key), keyOf(String(key.PK), String(key.SK), String(key.GSI3SK)));
    }
    for (const pk of threads) {
      for (const item of await this.threadItems(pk.slice("THREAD#".length))) {
        const activity = unpack(item) as Activity;
        if (activity.actor.id === actorId) found.set(itemId(item), keyOf(pk, String(item.SK), `${activity.occurredAt}#${activity.id}`));
      }
    }
    return [...found.values()]
      .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
      .map(({ order: _order, ...key }) => key);
  }

  /** Forget a person's member markers (after their activities, by `forget`). */
  async deleteMemberMarkers(actorId: string): Promise<number> {
    const markers = await this.memberMarkers(actorId);
    for (const marker of markers) {
      await this.ddb.send(new DeleteCommand({ TableName: this.tableName, Key: { PK: marker.PK, SK: marker.SK } }));
    }
    return markers.length;
  }

  private memberMarkers(actorId: string): Promise<Record<string, unknown>[]> {
    return this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "PK = :pk",
      ExpressionAttributeValues: { ":pk": `${MEMBER_MARKER}${actorId}` },
      ConsistentRead: true,
    });
  }

  /** Remove one stored activity for good (forgetting a member); the caller refolds its thread. */
  async deleteActivity(key: Pick<ActivityKey, "PK" | "SK">): Promise<void> {
    await this.ddb.send(new DeleteCommand({ TableName: this.tableName, Key: { PK: key.PK, SK: key.SK } }));
  }

  /**
   * Blank a member out of the thread refs that OTHER people's activities carry (a reply
   * stores the thread's author), so forgetting the asker leaves no id or login behind in the
   * thread's surviving activities. Returns how many activities were changed.
   */
  async redactThreadAuthor(threadId: string, actorId: string): Promise<number> {
    let changed = 0;
    for (const item of await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "PK = :pk AND begins_with(SK, :act)",
      ExpressionAttributeValues: { ":pk": threadPk(threadId), ":act": "ACT#" },
      ConsistentRead: true,
    })) {
      const activity = ActivitySchema.parse(unpack(item));
      if (activity.thread?.author?.id !== actorId) continue;
      const redacted: Activity = { ...activity, thread: { ...activity.thread, author: null } };
      const { data: _legacy, ...rest } = item;
      try {
        await this.ddb.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...rest, ...pack(redacted) },
            // Only if the same version is still stored (a concurrent edit would carry the author again).
            ConditionExpression: "#version = :version",
            ExpressionAttributeNames: { "#version": "version" },
            ExpressionAttributeValues: { ":version": activity.version },
          }),
        );
        changed++;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    }
    return changed;
  }

  /** Drop a thread summary whose every activity is gone (with its index entries). */
  async deleteThreadSummary(threadId: string): Promise<void> {
    await this.ddb.send(new DeleteCommand({ TableName: this.tableName, Key: { PK: threadPk(threadId), SK: "SUMMARY" } }));
  }

  /** Record one export of one table and day (replaces the previous record of that day). */
  async recordExport(record: ExportRecord): Promise<void> {
    await this.ddb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { PK: `EXPORT#${record.table}`, SK: `DAY#${record.day}`, type: "export", ...record },
      }),
    );
  }

  async getExport(table: string, dayIso: string): Promise<ExportRecord | null> {
    const res = await this.ddb.send(
      new GetCommand({ TableName: this.tableName, Key: { PK: `EXPORT#${table}`, SK: `DAY#${dayIso}` }, ConsistentRead: true }),
    );
    if (!res.Item) return null;
    const { PK: _pk, SK: _sk, type: _type, ...record } = res.Item;
    return record as ExportRecord;
  }

  /** The received day the last daily export run started from (null before the first run). */
  async lastExportRun(): Promise<{ receivedDay: string; at: string } | null> {
    const res = await this.ddb.send(new GetCommand({ TableName: this.tableName, Key: { PK: "EXPORT#RUN", SK: "LAST" }, ConsistentRead: true }));
    return res.Item ? { receivedDay: String(res.Item.receivedDay), at: String(res.Item.at) } : null;
  }

  async recordExportRun(receivedDay: string, at: Date): Promise<void> {
    await this.ddb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { PK: "EXPORT#RUN", SK: "LAST", type: "export-run", receivedDay, at: at.toISOString() },
      }),
    );
  }

  /**
   * The table's items for `keys` (any items carrying PK and SK, e.g. a keys-only index page), in
   * the order given; keys whose item is gone are left out. Eventually consistent, like the index.
   */
  private async batchGet(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const id = itemId;
    const found = new Map<string, Record<string, unknown>>();
    const wanted = [...new Map(keys.map((k) => [id(k), { PK: k.PK, SK: k.SK }])).values()];
    for (let start = 0; start < wanted.length; start += BATCH_GET_MAX) {
      let pending: Record<string, unknown>[] = wanted.slice(start, start + BATCH_GET_MAX);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
        if (attempt > 10) throw new Error(`BatchGetItem: ${pending.length} keys still unprocessed after ${attempt} attempts`);
        const res = await this.ddb.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }));
        for (const item of res.Responses?.[this.tableName] ?? []) found.set(id(item), item);
        pending = (res.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return keys.map((k) => found.get(id(k))).filter((item): item is Record<string, unknown> => item !== undefined);
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const page of this.queryPages(input)) items.push(...page);
    return items;
  }

  private async *queryPages(input: QueryCommandInput): AsyncGenerator<Record<string, unknown>[]> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({ ...input, ExclusiveStartKey }));
      yield (page.Items ?? []) as Record<string, unknown>[];
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
}

/**
 * The `ASKER#<author id>` / `<createdAt>#<thread id>` mark of a question's opening (first-time
 * asker mark; it also leads `forget` to the thread), or null for any other activity.
 */
function askedMark(a: Activity | null | undefined): { PK: string; SK: string; type: "asked"; threadId: string; createdAt: string } | null {
  const thread = a?.thread;
  if (!a || !thread || a.kind !== "thread_opened" || a.id !== thread.id || !thread.isQuestion || !thread.author || thread.author.isBot) return null;
  const createdAt = thread.createdAt ?? a.occurredAt;
  return { PK: `ASKER#${thread.author.id}`, SK: `${createdAt}#${thread.id}`, type: "asked", threadId: thread.id, createdAt };
}

const sameMark = (a: { PK: string; SK: string } | null, b: { PK: string; SK: string } | null) => a !== null && b !== null && a.PK === b.PK && a.SK === b.SK;

/** One activity of a day being exported: its sort key, its item key, and the item if kept in memory. */
interface DayEntry {
  order: string;
  PK: unknown;
  SK: unknown;
  item: Record<string, unknown> | null;
}

/** Items of a day read from thread partitions and kept for their page (past this, read again by key). */
const DAY_ITEMS_KEPT_BYTES = 32 * 1024 * 1024;

const itemId = (item: { PK?: unknown; SK?: unknown }) => `${String(item.PK)}\u0000${String(item.SK)}`;

/** About what an item holds in memory: its packed document, or its legacy map's JSON. */
function itemBytes(item: Record<string, unknown>): number {
  const packed = item[PACKED];
  return 200 + (packed instanceof Uint8Array ? packed.byteLength : JSON.stringify(item["data"] ?? null).length);
}

function sameThread(a: Thread, b: Thread): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
