// The raw archive and the claim check through the local stack: a webhook too large for a
// queue message is accepted and processed; every delivery is archived by received day; after
// the table is lost, `reprocess` of those days brings every thread back, and doing it twice
// changes nothing.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { localS3ClientConfig } from "../../infra/local/emulators/s3.ts";
import { reprocessDays } from "../../infra/cli/reprocess.ts";
import { JOURNAL_FILE, LOCAL_RAW_BUCKET, type LocalStack } from "../../infra/local/stack.ts";
import { RawArchive } from "../../shared/blob/raw-archive.ts";
import { issuesEvent, type IssueSpec } from "../support/github-payloads.ts";
import { postGitHub, startTestStack, testConfig } from "../support/stack.ts";

const config = testConfig({ queue: { maxReceiveCount: 2, visibilityTimeoutSeconds: 30, maxBodyBytes: 3 * 1024 * 1024 } });
const spec = (n: number, title: string): IssueSpec => ({ id: 91_000 + n, number: n, title, author: { id: 9000 + n, login: `archived-${n}` }, createdAt: "2026-11-24T09:00:00Z" });
const openTitles = async (stack: LocalStack) => (await stack.store.openQuestions({})).map((t) => t.title).sort();
const archiveOf = (stack: LocalStack) => new RawArchive(new S3Client(localS3ClientConfig(stack.endpoints.s3 ?? "")), LOCAL_RAW_BUCKET);

describe("raw archive, claim check and reprocess", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it("accepts a 1 MB webhook, archives every delivery, and reprocess restores a lost table", async () => {
    const first = await startTestStack({ config });
    const { stack, dataDir } = first;
    const specs = [1, 2, 3].map((n) => spec(n, `Archived question ${n}`));
    for (const s of specs) expect((await postGitHub(stack, "issues", issuesEvent("opened", s))).status).toBe(202);
    // A pasted log: far over a queue message (256 KiB), under queue.maxBodyBytes.
    const large = issuesEvent("opened", spec(4, "Crash with a 1 MB log attached"));
    large.issue.body = `Here is the log:\n\`\`\`\n${"2026-11-24T09:00:00Z worker-7 ERROR replication stalled\n".repeat(20_000)}\`\`\``;
    expect(Buffer.byteLength(JSON.stringify(large))).toBeGreaterThan(1_000_000);
    expect((await postGitHub(stack, "issues", large)).status).toBe(202);
    // Over the limit: refused before it is read.
    const tooLarge = issuesEvent("opened", spec(5, "Too large"));
    tooLarge.issue.body = "x".repeat(3 * 1024 * 1024);
    expect((await postGitHub(stack, "issues", tooLarge)).status).toBe(413);

    const drained = await stack.drained();
    expect(drained.dlq.depth).toBe(0);
    const expected = [...specs.map((s) => s.title), "Crash with a 1 MB log attached"].sort();
    expect(await openTitles(stack)).toEqual(expected);

    // Received "today" by the stack's clock (the morning after the sample week).
    const day = "2026-11-25";
    const archive = archiveOf(stack);
    const batches = await archive.batchKeys(day);
    expect(batches.length).toBeGreaterThan(0);
    const archived = (await Promise.all(batches.map((k) => archive.readBatch(k)))).flatMap((b) => b.envelopes);
    expect(archived).toHaveLength(4);
    const claimed = archived.find((e) => e.bodyRef);
    expect(claimed?.body).toBe("");
    expect(claimed?.bodyRef?.key).toMatch(new RegExp(`^raw/dt=${day}/body-`));

    // The table is lost (say, a bad migration): only the archive is left.
    await first.stack.stop();
    rmSync(join(dataDir, "dynamodb"), { recursive: true, force: true });
    rmSync(join(dataDir, JOURNAL_FILE), { force: true });
    const second = await startTestStack({ config, dataDir });
    cleanups.push(async () => {
      await second.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    });
    expect(await openTitles(second.stack)).toEqual([]);

    const enqueue = async (envelopes: unknown[]) => {
      const res = await fetch(`${second.stack.url}/admin/enqueue`, { method: "POST", body: envelopes.map((e) => JSON.stringify(e)).join("\n") });
      expect(res.status).toBe(200);
    };
    const progress: string[] = [];
    const result = await reprocessDays(archiveOf(second.stack), { from: day, to: day, source: "github" }, enqueue, (done, total) => progress.push(`${done}/${total}`));
    expect(result).toMatchObject({ days: 1, envelopes: 4, unreadable: 0 });
    expect(progress.at(-1)).toBe(`${batches.length}/${batches.length}`);
    await second.stack.drained();
    expect(await openTitles(second.stack)).toEqual(expected);
    const revs = await Promise.all((await second.stack.store.openQuestions({})).map(async (t) => (await second.stack.store.getThread(t.id))?.rev));

    // Twice changes nothing; replays are not archived a second time; another source finds nothing.
    await reprocessDays(archiveOf(second.stack), { from: day, to: day }, enqueue);
    await second.stack.drained();
    expect(await openTitles(second.stack)).toEqual(expected);
    expect(await archiveOf(second.stack).batchKeys(day)).toEqual(batches);
    expect((await reprocessDays(archiveOf(second.stack), { from: day, to: day, source: "slack" }, enqueue)).envelopes).toBe(0);
    const after = await Promise.all((await second.stack.store.openQuestions({})).map(async (t) => (await second.stack.store.getThread(t.id))?.rev));
    expect(after).toEqual(revs);
  });

  it("while the bucket server is down: a large webhook gets 503, small ones wait unprocessed, and none is lost once it is back", async () => {
    const started = await startTestStack({ config });
    cleanups.push(started.cleanup);
    const { stack } = started;
    await stack.faults.stopBucketServer();
    const large = issuesEvent("opened", spec(20, "Large while the bucket is down"));
    large.issue.body = "stack trace line\n".repeat(40_000);
    expect((await postGitHub(stack, "issues", large)).status).toBe(503);
    const specs = [21, 22, 23].map((n) => spec(n, `Small while the bucket is down ${n}`));
    for (const s of specs) expect((await postGitHub(stack, "issues", issuesEvent("opened", s))).status).toBe(202);
    // Not archivable, so not processed, and not dead-lettered either.
    await new Promise((r) => setTimeout(r, 3_000));
    const during = await stack.health();
    expect(during.status).toBe("degraded");
    expect(during.problems).toContainEqual(expect.stringContaining("the bucket server (S3) does not answer"));
    expect(during.dlq.depth).toBe(0);
    expect(await openTitles(stack)).toEqual([]);

    await stack.faults.startBucketServer();
    // The platform redelivers the refused one.
    expect((await postGitHub(stack, "issues", large)).status).toBe(202);
    const after = await stack.drained(60_000);
    expect(after).toMatchObject({ status: "ok", dlq: { depth: 0 } });
    expect(await openTitles(stack)).toEqual([...specs.map((s) => s.title), "Large while the bucket is down"].sort());
  });
});
