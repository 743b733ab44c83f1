import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ActivitySchema, type Activity } from "../../../shared/model/activity.ts";
import { parseConfig } from "../../../shared/model/config.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";
import type { Thread } from "../../../shared/model/thread.ts";
import { DiscordClient, discordAdapter, pollDiscord, type PollReport } from "../../../shared/sources/discord/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { FakeDiscord, fakeClock } from "../../support/fake-discord.ts";

const DIR = new URL("../../../infra/local/samples/discord/", import.meta.url);
const WEEK_START = "2026-11-16T08:00:00.000Z";
const WEEK_END = "2026-11-24T18:00:00.000Z";

let fake: FakeDiscord;
let report: PollReport;
let activities: Activity[];
let config: ReturnType<typeof parseConfig>;

/** Poll the sample server once, the way the scheduled job would at the end of the week. */
beforeAll(async () => {
  const clock = fakeClock(WEEK_END);
  fake = (await FakeDiscord.start({ now: clock.now, bucketLimit: 5, bucketWindowMs: 1000 })).loadFolder(DIR);
  const sampleConfig = JSON.parse(readFileSync(new URL("config.json", DIR), "utf8")) as { sources: { discord: Record<string, unknown> } };
  sampleConfig.sources.discord["apiBaseUrl"] = fake.url;
  config = parseConfig(sampleConfig);
  const sent: Envelope[] = [];
  const cursors = new Map<string, string>();
  let n = 0;
  report = await pollDiscord({
    config,
    token: fake.token,
    client: new DiscordClient({ baseUrl: fake.url, token: fake.token, now: clock.now, sleep: clock.sleep }),
    cursors: { get: async (id) => cursors.get(id) ?? null, set: async (id, s) => void cursors.set(id, s) },
    sink: { send: async (e) => (sent.push(e), String(sent.length)) },
    now: () => new Date(clock.now()),
    newId: () => `sample-${++n}`,
    // The samples start eight and a half days before the poll.
    lookbackDays: 9,
  });
  activities = sent.flatMap((e) => discordAdapter.normalize(e, config));
});

afterAll(async () => {
  await fake.close();
});

function threads(policy: "any-reply" | "team-reply" | "accepted" = "any-reply"): Thread[] {
  const byThread = new Map<string, Activity[]>();
  for (const a of activities) if (a.thread) byThread.set(a.thread.id, [...(byThread.get(a.thread.id) ?? []), a]);
  return [...byThread.values()].map((list) => foldThread(list, policy)!);
}

function openQuestionTitles(policy: "any-reply" | "team-reply" | "accepted" = "any-reply"): string[] {
  return threads(policy)
    .filter((t) => t.isQuestion && t.status === "open")
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map((t) => t.title);
}

describe("infra/local/samples/discord, polled from the fake server", () => {
  it("reads every sample message once, within the week, as valid activities", () => {
    expect(report.channels.map((c) => c.error)).toEqual([null, null, null]);
    // 14 in #help, 3 in its thread, 7 in #general, 8 in the forum's five posts.
    expect(report.messagesRead).toBe(32);
    expect(new Set(activities.map((a) => a.id)).size).toBe(activities.length);
    for (const activity of activities) {
      ActivitySchema.parse(activity);
      expect(activity.occurredAt >= WEEK_START && activity.occurredAt <= WEEK_END, `${activity.id} at ${activity.occurredAt}`).toBe(true);
    }
    expect(activities.filter((a) => a.kind === "member_joined").map((a) => a.actor.login)).toEqual(["kai.n", "lena.codes"]);
  });

  it("leaves exactly the questions the README lists unanswered", () => {
    const open = openQuestionTitles();
    expect(open).toEqual([
      "Is there a way to run compaction on a replica without blocking reads?",
      "Backing up to S3 with IAM roles instead of keys",
      "What is the recommended page cache size for a 64 GB machine?",
      "Sharding strategy for multi-tenant workloads",
      "Does the Go client support context cancellation for long scans?",
      "Tuning fsync on ZFS",
    ]);
    const readme = readFileSync(new URL("README.md", DIR), "utf8");
    for (const title of open) expect(readme).toContain(title);
  });

  it("answers the others the way the README says", () => {
    const byTitle = new Map(threads().map((t) => [t.title, t]));
    expect(byTitle.get("How do I configure WAL retention for read replicas? The docs mention `wal_keep_segments` but that seems gone in 3.2.")?.firstResponder?.login).toBe(
      "maria.acme",
    );
    expect(byTitle.get("Why does rocketdb-cli hang when the server only allows TLS 1.3?")).toMatchObject({ status: "answered", firstResponder: { login: "felixr" } });
    expect(byTitle.get("Docker image fails to start on ARM64")?.status).toBe("answered");
    // A social question: nothing for the team to answer.
    expect(byTitle.get("Anyone going to KubeCon in March?")?.isQuestion).toBe(false);
    expect(byTitle.get("Community call notes, 19 November")?.isQuestion).toBe(false);
    // Marek's "thanks" (a reply to a reply) lands in his own question's thread, not a thread of its own.
    const restore = byTitle.get("Can I restore a single table from a snapshot, or only the whole database?");
    expect(restore).toMatchObject({ status: "answered", replyCount: 2 });
  });

  it("under team-reply only the team's answers count", () => {
    expect(openQuestionTitles("team-reply")).toEqual([
      "Is there a way to run compaction on a replica without blocking reads?",
      "Backing up to S3 with IAM roles instead of keys",
      "Why does rocketdb-cli hang when the server only allows TLS 1.3?",
      "What is the recommended page cache size for a 64 GB machine?",
      "Sharding strategy for multi-tenant workloads",
      "Does the Go client support context cancellation for long scans?",
      "Tuning fsync on ZFS",
    ]);
  });
});
