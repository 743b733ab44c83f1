import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ActivitySchema } from "../../../shared/model/activity.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import type { AnswerPolicy } from "../../../shared/model/thread.ts";
import { replayRequest, slackAdapter } from "../../../shared/sources/slack/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { configWith, envelopeFor } from "./helpers.ts";

const DIR = new URL("../../../infra/local/samples/slack/", import.meta.url);
const FILE_NAME = /^(\d{3})-([a-z_]+)\.json$/;
const WEEK_START = "2026-11-16T08:00:00.000Z";
const WEEK_END = "2026-11-24T18:00:00.000Z";
const SECRET = "sample-signing-secret";

interface Sample {
  file: string;
  source: string;
  event: string;
  headers?: Record<string, string>;
  payload: Record<string, any>;
}

const samples: Sample[] = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(new URL(file, DIR), "utf8")) as Omit<Sample, "file">) }));

/** The configuration the samples README asks for. */
const config = configWith({
  sources: {
    slack: {
      channels: ["C0HELP0001", "C0GENERAL1"],
      channelNames: { C0HELP0001: "#help", C0GENERAL1: "#general" },
      workspaceUrl: "https://rocketdb-community.slack.com",
    },
  },
  team: [
    { name: "Maria Alvarez", identities: { slack: ["U0MARIA001"] } },
    { name: "Tomasz Kowalski", identities: { slack: ["U0TOMASZ01"] } },
  ],
});

/** Each sample as ingest would see it: replayed (signed for now), verified, classified, queued, normalised. */
async function deliver(sample: Sample, i: number): Promise<Activity[]> {
  const now = new Date();
  const { headers, body } = replayRequest(sample, SECRET, now);
  const request = { headers, body: Buffer.from(body) };
  expect(await slackAdapter.verify(request, SECRET, now)).toEqual({ ok: true });
  const classified = slackAdapter.classify(request);
  if (classified.action !== "queue") throw new Error(`${sample.file}: ${classified.action}`);
  expect(classified.eventType).toBe(sample.event);
  expect(classified.deliveryId).toBe(sample.payload["event_id"]);
  return slackAdapter.normalize(
    envelopeFor(body, { id: `sample-${i}`, eventType: classified.eventType, deliveryId: classified.deliveryId, headers: classified.headers }),
    config,
  );
}

async function everything(): Promise<Activity[]> {
  return (await Promise.all(samples.map((s, i) => deliver(s, i)))).flat();
}

function threads(activities: Activity[], policy: AnswerPolicy) {
  const byThread = new Map<string, Activity[]>();
  for (const a of activities) if (a.thread) byThread.set(a.thread.id, [...(byThread.get(a.thread.id) ?? []), a]);
  return [...byThread.values()].map((list) => foldThread(list, policy)!);
}

function unanswered(activities: Activity[], policy: AnswerPolicy = "any-reply"): string[] {
  return threads(activities, policy)
    .filter((t) => t.isQuestion && t.status === "open")
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map((t) => t.title);
}

describe("infra/local/samples/slack", () => {
  it("holds a believable week of 15 to 25 deliveries", () => {
    expect(samples.length).toBeGreaterThanOrEqual(15);
    expect(samples.length).toBeLessThanOrEqual(25);
  });

  it.each(samples)("$file is named after its event and belongs to T0ROCKETDB", (sample) => {
    const match = FILE_NAME.exec(sample.file);
    expect(match, `${sample.file} is not named NNN-<event>.json`).not.toBeNull();
    expect(sample.source).toBe("slack");
    expect(match![2]).toBe(sample.event);
    expect(sample.payload["event"].type).toBe(sample.event);
    expect(sample.payload["team_id"]).toBe("T0ROCKETDB");
  });

  it.each(samples)("$file passes signature, classify and normalize, inside the week", async (sample) => {
    const activities = await deliver(sample, samples.indexOf(sample));
    // 021 is the asker's own ✅: deliberately nothing. Every other delivery records something.
    if (sample.file === "021-reaction_added.json") expect(activities).toEqual([]);
    else expect(activities.length).toBeGreaterThan(0);
    for (const activity of activities) {
      ActivitySchema.parse(activity);
      expect(activity.occurredAt >= WEEK_START && activity.occurredAt <= WEEK_END, `${activity.id} at ${activity.occurredAt}`).toBe(true);
    }
  });

  it("leaves exactly the questions the README lists unanswered", async () => {
    const expected = [
      "Build fails on Alpine 3.20 when compiling from source:",
      "Anyone else seeing memory climb on the coordinator after upgrading to 3.2?",
      "Does the Spark connector support predicate pushdown?",
      "Recommended fsync settings on ZFS? We're on 3.2 with a mirrored pool, sync=standard and a SLOG device.",
    ];
    const activities = await everything();
    expect(unanswered(activities)).toEqual(expected);
    const readme = readFileSync(new URL("README.md", DIR), "utf8");
    for (const title of expected) expect(readme).toContain(title);
  });

  it("answers and deletes what the README says", async () => {
    const all = threads(await everything(), "any-reply");
    const status = (start: string) => all.find((t) => t.title.startsWith(start));
    expect(status("what's the recommended way to back up")).toMatchObject({ status: "answered", acceptedAnswerBy: { id: "slack:user:U0MARIA001" } });
    expect(status("rocket CLI says")).toMatchObject({ status: "answered", firstResponder: { id: "slack:user:U0CHENW001" } });
    expect(status("how do i reset the admin password")?.status).toBe("deleted");
    // A terse noun-phrase question: the question mark alone carries it over the threshold.
    const zfs = status("Recommended fsync settings on ZFS?");
    expect(zfs).toMatchObject({ isQuestion: true, status: "open" });
    expect(zfs!.questionScore).toBeGreaterThanOrEqual(0.5);
  });

  it("under team-reply, the community-answered questions stay open too", async () => {
    expect(unanswered(await everything(), "team-reply")).toEqual([
      "Is it safe to run 3.1 and 3.2 nodes in the same cluster during a rolling upgrade?",
      "Build fails on Alpine 3.20 when compiling from source:",
      "Anyone else seeing memory climb on the coordinator after upgrading to 3.2?",
      "rocket CLI says `unknown flag: --tls-ca` but it's right there in the docs. Am I on the wrong version?",
      "Does the Spark connector support predicate pushdown?",
      "Recommended fsync settings on ZFS? We're on 3.2 with a mirrored pool, sync=standard and a SLOG device.",
    ]);
  });

  it("dedupes the retried delivery (020) onto 019's natural id", async () => {
    const [first, retry] = await Promise.all([deliver(samples[18]!, 18), deliver(samples[19]!, 19)]);
    expect(samples[19]!.headers).toMatchObject({ "X-Slack-Retry-Num": "1" });
    expect(retry.map((a) => a.id)).toEqual(first.map((a) => a.id));
  });

  it("marks team members and bots", async () => {
    const byId = new Map((await everything()).map((a) => [a.actor.id, a.actor]));
    expect(byId.get("slack:user:U0MARIA001")?.isTeam).toBe(true);
    expect(byId.get("slack:user:U0TOMASZ01")?.isTeam).toBe(true);
    expect(byId.get("slack:bot:B0ROCKBOT1")?.isBot).toBe(true);
    expect(byId.get("slack:user:U0CHENW001")).toMatchObject({ isTeam: false, isBot: false });
  });
});
