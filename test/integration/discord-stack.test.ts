// Discord through the whole local stack: the dev poller reads a fake Discord server, queues
// envelopes, the normaliser stores them, and the digest lists the unanswered questions.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestAt } from "../../functions/digest/app.ts";
import { DISCORD_LEASE_MS, DISCORD_POLL_LEASE, discordTokenFrom, runDiscordPoll } from "../../functions/poll-discord/app.ts";
import type { LocalStack } from "../../infra/local/stack.ts";
import { parseConfig } from "../../shared/model/config.ts";
import { FakeDiscord } from "../support/fake-discord.ts";
import { startTestStack } from "../support/stack.ts";

const SAMPLES = new URL("../../infra/local/samples/discord/", import.meta.url);

describe("Discord polled by the local stack", () => {
  let fake: FakeDiscord;
  let stack: LocalStack;
  let cleanup: () => Promise<void>;
  let config: ReturnType<typeof parseConfig>;

  beforeAll(async () => {
    fake = (await FakeDiscord.start()).loadFolder(SAMPLES);
    const sample = JSON.parse(readFileSync(new URL("config.json", SAMPLES), "utf8")) as { sources: { discord: Record<string, unknown> }; team: unknown[] };
    config = parseConfig({
      ...sample,
      // The samples reach back about nine days from their last message.
      sources: { discord: { ...sample.sources.discord, apiBaseUrl: fake.url, lookbackDays: 30, pollIntervalSeconds: 3600 } },
    });
    ({ stack, cleanup } = await startTestStack({ config, env: { DISCORD_BOT_TOKEN: fake.token } }));
  });
  afterAll(async () => {
    await cleanup?.();
    await fake?.close();
  });

  it("lists the unanswered Discord questions after the first poll", async () => {
    // The first poll starts with the stack; wait until it has queued and the queue is drained.
    // The wait ends well before the test's time-out, so a miss fails on the titles, not as a time-out.
    const deadline = Date.now() + 30_000;
    let titles: string[] = [];
    while (Date.now() < deadline) {
      const health = await stack.drained();
      if (health.processed.succeeded > 0) {
        titles = (await digestAt({ config, store: stack.store }, new Date("2026-11-25T08:00:00Z"), null)).unanswered
          .filter((u) => u.source === "discord")
          .map((u) => u.title);
        if (titles.length >= 6) break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(titles).toEqual([
      "Is there a way to run compaction on a replica without blocking reads?",
      "Backing up to S3 with IAM roles instead of keys",
      "What is the recommended page cache size for a 64 GB machine?",
      "Sharding strategy for multi-tenant workloads",
      "Does the Go client support context cancellation for long scans?",
      "Tuning fsync on ZFS",
    ]);
    // Every request carried the bot token; none was refused.
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(fake.requests.every((r) => r.status < 400)).toBe(true);
  });

  it("runs one poll at a time: a run that finds the lease taken reads nothing; the placeholder token is no token", async () => {
    const now = () => new Date("2026-11-25T02:00:00Z");
    const queue = { send: async () => "unused" };
    expect(await stack.store.leases.acquire(DISCORD_POLL_LEASE, "a-run-still-going", now(), new Date(now().getTime() + DISCORD_LEASE_MS))).toBe(true);
    const before = fake.requests.length;
    expect(await runDiscordPoll({ config, store: stack.store, queue, token: fake.token, now })).toEqual({ ran: false, reason: "lease taken" });
    expect(fake.requests.length).toBe(before);
    // Once it is given back (or has expired), the next run reads.
    await stack.store.leases.release(DISCORD_POLL_LEASE, "a-run-still-going", now());
    const outcome = await runDiscordPoll({ config, store: stack.store, queue, token: fake.token, now, holder: "next-run" });
    expect(outcome.ran).toBe(true);
    expect(fake.requests.length).toBeGreaterThan(before);
    expect(await stack.store.leases.acquire(DISCORD_POLL_LEASE, "another", now(), new Date(now().getTime() + 1000))).toBe(true);

    expect(discordTokenFrom('{"note":"replace this whole value with the Discord bot token","placeholder":"abc"}')).toBeNull();
    expect(discordTokenFrom("  ")).toBeNull();
    expect(discordTokenFrom("MTA4.real.token")).toBe("MTA4.real.token");
  });
});
