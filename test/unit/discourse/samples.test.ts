import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ActivitySchema } from "../../../shared/model/activity.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";
import type { AnswerPolicy } from "../../../shared/model/thread.ts";
import { discourseAdapter, replayRequest } from "../../../shared/sources/discourse/index.ts";
import { foldThread } from "../../../shared/threads/index.ts";
import { configWith } from "./helpers.ts";

const DIR = new URL("../../../infra/local/samples/discourse/", import.meta.url);
const FILE_NAME = /^(\d{3})-([a-z_]+)\.json$/;
const WEEK_START = "2026-11-16T08:00:00.000Z";
const WEEK_END = "2026-11-24T18:00:00.000Z";
const SECRET = "sample-secret-for-the-forum";

interface Sample {
  file: string;
  event: string;
  headers: Record<string, string>;
  payload: Record<string, any>;
}

const readme = readFileSync(new URL("README.md", DIR), "utf8");

/** "Received (UTC)" per file, from the README's table: the samples and their story cannot drift apart. */
const receivedAt = new Map(
  [...readme.matchAll(/^\| (\d{3}-[a-z_]+\.json) \| (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \|/gm)].map((m) => [
    m[1]!,
    new Date(`${m[2]!.replace(" ", "T")}Z`).toISOString(),
  ]),
);

const samples: Sample[] = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((file) => {
    const parsed = JSON.parse(readFileSync(new URL(file, DIR), "utf8")) as Sample & { source: string };
    expect(parsed.source).toBe("discourse");
    return { file, event: parsed.event, headers: parsed.headers, payload: parsed.payload };
  });

const config = configWith({ sources: { discourse: { questions: "solved", solvedCategories: ["5"] } } });

/** Each sample as it would travel: built by replayRequest, verified, classified, queued, normalised. */
async function deliver(sample: Sample): Promise<Activity[]> {
  const { headers, body } = replayRequest(sample, SECRET, new Date());
  const request = { headers, body: Buffer.from(body, "utf8") };
  expect(await discourseAdapter.verify(request, SECRET, new Date())).toEqual({ ok: true });
  const classified = discourseAdapter.classify(request);
  if (classified.action !== "queue") throw new Error(`${sample.file} was not queued: ${JSON.stringify(classified)}`);
  const at = receivedAt.get(sample.file);
  if (!at) throw new Error(`${sample.file} has no row in README.md`);
  const envelope: Envelope = {
    v: 1,
    id: `sample-${sample.file}`,
    source: "discourse",
    eventType: classified.eventType,
    deliveryId: classified.deliveryId,
    receivedAt: at,
    contentType: headers["content-type"] ?? "",
    headers: classified.headers,
    body,
  };
  return discourseAdapter.normalize(envelope, config);
}

async function deliverAll(): Promise<Activity[]> {
  const out: Activity[] = [];
  for (const sample of samples) out.push(...(await deliver(sample)));
  return out;
}

function openQuestionTitles(activities: Activity[], policy: AnswerPolicy): string[] {
  const byThread = new Map<string, Activity[]>();
  for (const a of activities) if (a.thread) byThread.set(a.thread.id, [...(byThread.get(a.thread.id) ?? []), a]);
  return [...byThread.values()]
    .map((list) => foldThread(list, policy)!)
    .filter((t) => t.isQuestion && t.status === "open")
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map((t) => t.title);
}

describe("infra/local/samples/discourse", () => {
  it("holds a believable week of 12 to 20 deliveries, each listed in the README", () => {
    expect(samples.length).toBeGreaterThanOrEqual(12);
    expect(samples.length).toBeLessThanOrEqual(20);
    expect([...receivedAt.keys()]).toEqual(samples.map((s) => s.file));
  });

  it.each(samples)("$file is named after its event and comes from the RocketDB forum", (sample) => {
    expect(FILE_NAME.exec(sample.file)?.[2]).toBe(sample.event);
    expect(sample.headers["X-Discourse-Instance"]).toBe("https://forum.rocketdb.example");
    expect(Object.keys(sample.payload)).toHaveLength(1);
  });

  it.each(samples)("$file passes signature, classify and normalize, within the week", async (sample) => {
    const activities = await deliver(sample);
    expect(activities.length).toBeGreaterThan(0);
    for (const activity of activities) {
      ActivitySchema.parse(activity);
      expect(activity.instance).toBe("forum.rocketdb.example");
      expect(activity.occurredAt >= WEEK_START && activity.occurredAt <= WEEK_END, `${activity.id} at ${activity.occurredAt}`).toBe(true);
      expect(activity.occurredAt <= activity.receivedAt, `${activity.id} happened before it was received`).toBe(true);
    }
  });

  it("leaves exactly the questions the README lists unanswered, under each answer policy", async () => {
    const activities = await deliverAll();
    const anyReply = openQuestionTitles(activities, "any-reply");
    expect(anyReply).toEqual([
      "Build fails on Alpine 3.20: undefined reference to __atomic_load_8",
      "Does RocketDB support point-in-time restore from S3 backups?",
      "Recommended fsync settings on ZFS?",
    ]);
    for (const title of anyReply) expect(readme).toContain(title);
    expect(openQuestionTitles(activities, "team-reply")).toEqual(anyReply);
    expect(openQuestionTitles(activities, "accepted")).toEqual(["How do I configure WAL retention for read replicas?", ...anyReply]);
  });

  it("tells the rest of the story: accepted credit, closed, deleted, not a question", async () => {
    const activities = await deliverAll();
    const threads = new Map<string, ReturnType<typeof foldThread>>();
    for (const id of new Set(activities.map((a) => a.thread!.id))) {
      threads.set(id, foldThread(activities.filter((a) => a.thread?.id === id), "any-reply"));
    }
    const topic = (n: number) => threads.get(`discourse:forum.rocketdb.example:topic:${n}`)!;
    expect(topic(101)).toMatchObject({ status: "answered", firstResponder: { login: "maria", isTeam: true } });
    expect(topic(102)).toMatchObject({ status: "answered", acceptedAnswerBy: { login: "chen.wei", isTeam: false }, replyCount: 2 });
    expect(topic(103)).toMatchObject({ isQuestion: false, channel: { name: "announcements" } });
    expect(topic(106)?.status).toBe("deleted");
    expect(topic(107)).toMatchObject({ status: "closed", closedAt: "2026-11-22T09:15:30.000Z" });
    expect(topic(108)?.excerpt).toMatch(/Edit: the pool is a mirror/);
    expect(activities.find((a) => a.actor.login === "system")?.actor.isBot).toBe(true);
  });
});
