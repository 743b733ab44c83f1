// Stack Overflow through the whole local stack: the dev poller reads a fake Stack Exchange API,
// queues envelopes, the normaliser stores them, and the digest lists the unanswered questions.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestAt } from "../../functions/digest/app.ts";
import { STACKOVERFLOW_POLL_LEASE, runStackOverflowPoll } from "../../functions/poll-stackoverflow/app.ts";
import type { LocalStack } from "../../infra/local/stack.ts";
import { parseConfig } from "../../shared/model/config.ts";
import { FakeStackExchange } from "../support/fake-stackexchange.ts";
import { startTestStack } from "../support/stack.ts";

const SAMPLES = new URL("../../infra/local/samples/stackoverflow/", import.meta.url);
const KEY = "sample((key))0123";

describe("Stack Overflow polled by the local stack", () => {
  let fake: FakeStackExchange;
  let stack: LocalStack;
  let cleanup: () => Promise<void>;
  let config: ReturnType<typeof parseConfig>;

  beforeAll(async () => {
    fake = (await FakeStackExchange.start({ key: KEY })).loadFile(new URL("site.json", SAMPLES));
    const sample = JSON.parse(readFileSync(new URL("config.json", SAMPLES), "utf8")) as { sources: { stackoverflow: Record<string, unknown> }; team: unknown[] };
    config = parseConfig({
      ...sample,
      sources: { stackoverflow: { ...sample.sources.stackoverflow, apiBaseUrl: fake.url, pollIntervalSeconds: 3600 } },
      digest: { recipients: [{ email: "maria@rocketdb.example" }] },
    });
    ({ stack, cleanup } = await startTestStack({ config, env: { STACKEXCHANGE_KEY: KEY } }));
  });
  afterAll(async () => {
    await cleanup?.();
    await fake?.close();
  });

  it("lists the unanswered Stack Overflow questions after the first poll", async () => {
    // The first poll starts with the stack; wait until it has queued and the queue is drained.
    // The wait ends well before the test's time-out, so a miss fails on the titles, not as a time-out.
    const deadline = Date.now() + 30_000;
    let items: { title: string; source: string; channelId: string }[] = [];
    while (Date.now() < deadline) {
      const health = await stack.drained();
      if (health.processed.succeeded > 0) {
        items = (await digestAt({ config, store: stack.store }, new Date("2026-11-25T08:00:00Z"), null)).unanswered.filter((u) => u.source === "stackoverflow");
        if (items.length >= 4) break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(items.map((u) => [u.title, u.channelId])).toEqual([
      ["Is RocketDB's compaction safe to run during backups?", "rocketdb"],
      ['rocketdb-cli import fails with "invalid UTF-8" on CSV files', "rocketdb-cli"],
      ["RocketDB operator keeps restarting pods after upgrade to 3.2", "rocketdb"],
      ["Why is my RocketDB query slower with an index?", "rocketdb"],
    ]);
    // Every request carried the key and asked for gzip; none was refused.
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(fake.requests.every((r) => r.error === null && r.query["key"] === KEY && /gzip/.test(r.acceptEncoding ?? ""))).toBe(true);
    // One listing per tag, then answers and comments of what changed: the request count of a first poll.
    expect(fake.requests.map((r) => r.method)).toEqual(["questions", "questions/{ids}/answers", "posts/{ids}/comments", "questions", "questions/{ids}/answers", "posts/{ids}/comments"]);
  });

  it("runs one poll at a time: a run that finds the lease taken does nothing", async () => {
    const now = new Date("2026-11-25T03:00:00Z");
    const queued: unknown[] = [];
    const deps = { config, store: stack.store, queue: { send: async (e: unknown) => (queued.push(e), "id") }, key: KEY, now: () => now };
    expect(await stack.store.leases.acquire(STACKOVERFLOW_POLL_LEASE, "another-run", now, new Date(now.getTime() + 60_000))).toBe(true);
    const before = fake.requests.length;
    expect(await runStackOverflowPoll(deps)).toEqual({ ran: false, reason: "lease taken" });
    expect(fake.requests.length).toBe(before);
    // Once the other run is over (or its lease has run out), the next run polls.
    await stack.store.leases.release(STACKOVERFLOW_POLL_LEASE, "another-run", now);
    const outcome = await runStackOverflowPoll(deps);
    expect(outcome.ran).toBe(true);
    expect(fake.requests.length).toBeGreaterThan(before);
    // Nothing changed on the site: nothing is queued again.
    expect(queued).toEqual([]);
    // An expired lease is taken over.
    expect(await stack.store.leases.acquire(STACKOVERFLOW_POLL_LEASE, "crashed-run", now, new Date(now.getTime() + 1000))).toBe(true);
    expect((await runStackOverflowPoll({ ...deps, now: () => new Date(now.getTime() + 2000) })).ran).toBe(true);
  });
});
