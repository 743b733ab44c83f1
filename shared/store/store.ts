import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { ActivitySchema, type Activity } from "../model/activity.ts";
import { ThreadSchema, type AnswerPolicy, type Thread } from "../model/thread.ts";
import { foldThread } from "../threads/index.ts";
import { INDEXES } from "./table.ts";

export type PutOutcome = "stored" | "duplicate";

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

/**
 * DynamoDB access for activities, threads and digest sends. Every method is one of the
 * access patterns in DESIGN.md, and none of them scans.
 */
export class SignalStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Store an activity idempotently by natural id; a newer version (edit) replaces an older
   * one, an equal or older one changes nothing.
   */
  async putActivity(activity: Activity): Promise<PutOutcome> {
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...activityKey(activity),
            type: "activity",
            version: activity.version,
            data: activity,
            GSI2PK: `ACTDAY#${day(activity.occurredAt)}`,
            GSI2SK: `${activity.occurredAt}#${activity.id}`,
            GSI3PK: `MEMBER#${activity.actor.id}`,
            GSI3SK: `${activity.occurredAt}#${activity.id}`,
          },
          ConditionExpression: "attribute_not_exists(PK) OR #version < :version",
          ExpressionAttributeNames: { "#version": "version" },
          ExpressionAttributeValues: { ":version": activity.version },
        }),
      );
      return "stored";
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return "duplicate";
      throw err;
    }
  }

  /** All stored activities of one thread (its own partition), paged. */
  async threadActivities(threadId: string): Promise<Activity[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "PK = :pk AND begins_with(SK, :act)",
      ExpressionAttributeValues: { ":pk": threadPk(threadId), ":act": "ACT#" },
      ConsistentRead: true,
    });
    return items.map((item) => ActivitySchema.parse(item.data));
  }

  async getThread(threadId: string): Promise<{ thread: Thread; rev: number } | null> {
    const res = await this.ddb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { PK: threadPk(threadId), SK: "SUMMARY" },
        ConsistentRead: true,
      }),
    );
    if (!res.Item) return null;
    return { thread: ThreadSchema.parse(res.Item.data), rev: Number(res.Item.rev) };
  }

  /**
   * Recompute a thread from the set of its activities and store the summary, guarded by a
   * revision number so two writers on the same thread cannot lose an update.
   */
  async refreshThread(threadId: string, policy: AnswerPolicy): Promise<ThreadUpdate> {
    for (let attempt = 1; attempt <= MAX_THREAD_ATTEMPTS; attempt++) {
      const [stored, activities] = await Promise.all([this.getThread(threadId), this.threadActivities(threadId)]);
      const folded = foldThread(activities, policy);
      if (!folded) return { thread: null, changed: false };
      // Parsing gives the summary a canonical key order, so equal threads compare equal.
      const thread = ThreadSchema.parse(folded);
      if (stored && sameThread(stored.thread, thread)) return { thread, changed: false };
      try {
        await this.putThread(thread, stored?.rev ?? null);
        return { thread, changed: true };
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        // Someone else wrote the summary in between: fold again from what is stored now.
      }
    }
    throw new Error(`thread ${threadId}: gave up after ${MAX_THREAD_ATTEMPTS} conflicting updates`);
  }

  private async putThread(thread: Thread, expectedRev: number | null): Promise<void> {
    const openQuestion = thread.isQuestion && thread.status === "open";
    await this.ddb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          PK: threadPk(thread.id),
          SK: "SUMMARY",
          type: "thread",
          rev: (expectedRev ?? 0) + 1,
          data: thread,
          ...(openQuestion ? { GSI1PK: OPEN_QUESTIONS_PK, GSI1SK: `${thread.createdAt}#${thread.id}` } : {}),
          ...(thread.isQuestion ? { GSI2PK: `QDAY#${day(thread.createdAt)}`, GSI2SK: `${thread.createdAt}#${thread.id}` } : {}),
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

  /** Open question threads from the sparse index, oldest first. */
  async openQuestions(filter: { instance?: string; channelId?: string; createdBefore?: string } = {}): Promise<Thread[]> {
    const values: Record<string, unknown> = { ":pk": OPEN_QUESTIONS_PK };
    let keyCondition = "GSI1PK = :pk";
    if (filter.createdBefore) {
      keyCondition += " AND GSI1SK <= :before";
      values[":before"] = `${filter.createdBefore}#\uffff`;
    }
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: INDEXES.openQuestions.indexName,
      KeyConditionExpression: keyCondition,
      ExpressionAttributeValues: values,
    });
    return items
      .map((item) => ThreadSchema.parse(item.data))
      .filter(
        (t) =>
          (!filter.instance || t.instance === filter.instance) && (!filter.channelId || t.channel.id === filter.channelId),
      );
  }

  /** Question threads (any status) created in [from, to], one index partition per day. */
  async questionsCreatedBetween(from: Date, to: Date): Promise<Thread[]> {
    const days: string[] = [];
    for (let d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate())); d <= to; d = new Date(d.getTime() + 86_400_000)) {
      days.push(d.toISOString().slice(0, 10));
    }
    const lower = from.toISOString();
    const upper = `${to.toISOString()}#\uffff`;
    const perDay = await Promise.all(
      days.map((d) =>
        this.queryAll({
          TableName: this.tableName,
          IndexName: INDEXES.byDay.indexName,
          KeyConditionExpression: "GSI2PK = :pk AND GSI2SK BETWEEN :lo AND :hi",
          ExpressionAttributeValues: { ":pk": `QDAY#${d}`, ":lo": lower, ":hi": upper },
        }),
      ),
    );
    return perDay.flat().map((item) => ThreadSchema.parse(item.data));
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

  async setCursor(source: string, channel: string, value: string, at: Date = new Date()): Promise<void> {
    await this.ddb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { PK: `CURSOR#${source}#${channel}`, SK: "CURSOR", type: "cursor", value, updatedAt: at.toISOString() },
      }),
    );
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({ ...input, ExclusiveStartKey }));
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }
}

function sameThread(a: Thread, b: Thread): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
