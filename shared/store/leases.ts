import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

const leaseKey = (name: string) => ({ PK: `LEASE#${name}`, SK: "LEASE" });

/**
 * Named leases in the table (its own aggregate, the same table definition): `LEASE#<name>`. A
 * scheduled job takes its lease before it runs and gives it back after, so two overlapping
 * invocations never run at once, without reserved concurrency (which a new account's
 * concurrency quota of 10 may not allow, issue #17). A lease ends by itself at `until`: a run
 * that crashed holds it no longer than that.
 */
export class Leases {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** True when `holder` now has the lease until `until`; false while someone else holds it. */
  async acquire(name: string, holder: string, now: Date, until: Date): Promise<boolean> {
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...leaseKey(name), type: "lease", holder, until: until.getTime(), takenAt: now.toISOString(), expiresAt: Math.ceil(until.getTime() / 1000) + 86_400 },
          ConditionExpression: "attribute_not_exists(PK) OR #until <= :now OR holder = :holder",
          ExpressionAttributeNames: { "#until": "until" },
          ExpressionAttributeValues: { ":now": now.getTime(), ":holder": holder },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** Gives the lease back (only if `holder` still has it). */
  async release(name: string, holder: string, now: Date): Promise<void> {
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...leaseKey(name), type: "lease", holder: "", until: 0, releasedAt: now.toISOString(), expiresAt: Math.ceil(now.getTime() / 1000) + 86_400 },
          ConditionExpression: "holder = :holder",
          ExpressionAttributeValues: { ":holder": holder },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }
}

export type ExclusiveOutcome<T> = { ran: true; result: T } | { ran: false; reason: string };

/**
 * Runs `job` only while holding lease `name` for at most `leaseMs` (the job's own time-out and a
 * margin); a run that finds the lease held by another does nothing. The lease is given back
 * after the job, whether it succeeded or threw.
 */
export async function runExclusively<T>(
  leases: Leases,
  lease: { name: string; leaseMs: number; holder: string; now: () => Date },
  job: () => Promise<T>,
): Promise<ExclusiveOutcome<T>> {
  const started = lease.now();
  if (!(await leases.acquire(lease.name, lease.holder, started, new Date(started.getTime() + lease.leaseMs)))) {
    return { ran: false, reason: "lease taken" };
  }
  try {
    return { ran: true, result: await job() };
  } finally {
    await leases.release(lease.name, lease.holder, lease.now());
  }
}
