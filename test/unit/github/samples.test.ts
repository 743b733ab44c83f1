import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ActivitySchema } from "../../../shared/model/activity.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import { githubAdapter, signGitHubBody } from "../../../shared/sources/github/index.ts";
import { configWith, envelopeFor } from "./helpers.ts";

const DIR = new URL("../../../infra/local/samples/github/", import.meta.url);
const FILE_NAME = /^(\d{3})-([a-z_]+)-([a-z_]+)\.json$/;
const WEEK_START = "2026-11-16T08:00:00.000Z";
const WEEK_END = "2026-11-24T18:00:00.000Z";

interface Sample {
  file: string;
  event: string;
  action: string;
  body: string;
  payload: Record<string, any>;
}

const samples: Sample[] = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((file) => {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`sample ${file} is not named NNN-<event>-<action>.json`);
    const parsed = JSON.parse(readFileSync(new URL(file, DIR), "utf8")) as { source: string; event: string; payload: Record<string, any> };
    expect(parsed.source).toBe("github");
    return { file, event: parsed.event, action: match[3]!, body: JSON.stringify(parsed.payload), payload: parsed.payload };
  });

const config = configWith({
  sources: { github: { repositories: ["acme-labs/rocketdb"] } },
  team: [{ name: "Maria", identities: { github: ["maria-acme"] } }],
});

function normalizeSample(sample: Sample, i: number): Activity[] {
  return githubAdapter.normalize(
    envelopeFor(sample.event, sample.body, { id: `sample-${i}`, deliveryId: `delivery-${sample.file}` }),
    config,
  );
}

describe("infra/local/samples/github", () => {
  it("holds a believable week of 20 to 30 deliveries", () => {
    expect(samples.length).toBeGreaterThanOrEqual(20);
    expect(samples.length).toBeLessThanOrEqual(30);
  });

  it.each(samples)("$file is named after its event and action", (sample) => {
    const [, , event] = FILE_NAME.exec(sample.file)!;
    expect(sample.event).toBe(event);
    // fork is the one event GitHub sends without an action.
    expect(sample.payload["action"] ?? "created").toBe(sample.action);
    expect(sample.payload["repository"]["full_name"]).toBe("acme-labs/rocketdb");
  });

  it.each(samples)("$file passes signature, classify and normalize", async (sample) => {
    const i = samples.indexOf(sample);
    const request = {
      headers: {
        "x-github-event": sample.event,
        "x-github-delivery": `delivery-${sample.file}`,
        "x-hub-signature-256": signGitHubBody("sample-secret", sample.body),
        "content-type": "application/json",
      },
      body: Buffer.from(sample.body),
    };
    expect(await githubAdapter.verify(request, "sample-secret", new Date())).toEqual({ ok: true });
    expect(githubAdapter.classify(request).action).toBe("queue");
    const activities = normalizeSample(sample, i);
    expect(activities.length).toBeGreaterThan(0);
    for (const activity of activities) {
      ActivitySchema.parse(activity);
      if (activity.kind !== "thread_opened" || activity.thread?.createdAt) {
        expect(activity.occurredAt >= WEEK_START && activity.occurredAt <= WEEK_END, `${activity.id} at ${activity.occurredAt}`).toBe(true);
      }
    }
  });

  it("leaves exactly the questions the README lists unanswered", () => {
    const activities = samples.flatMap((s, i) => normalizeSample(s, i));
    expect(openQuestionTitles(activities)).toEqual([
      "Build fails on Alpine 3.20: undefined reference to __atomic_load_8",
      "Does RocketDB support point-in-time restore from S3 backups?",
      "Memory usage keeps growing after upgrading to 3.2",
      "Recommended fsync settings on ZFS?",
    ]);
    const readme = readFileSync(new URL("README.md", DIR), "utf8");
    for (const title of openQuestionTitles(activities)) expect(readme).toContain(title);
  });

  it("credits the accepted answer to its author and marks team and bot actors", () => {
    const activities = samples.flatMap((s, i) => normalizeSample(s, i));
    const accepted = activities.find((a) => a.kind === "answer_accepted");
    expect(accepted?.actor.login).toBe("felixr");
    const byLogin = new Map(activities.map((a) => [a.actor.login, a.actor]));
    expect(byLogin.get("maria-acme")?.isTeam).toBe(true);
    expect(byLogin.get("tkowalski")?.isTeam).toBe(true);
    expect(byLogin.get("github-actions[bot]")?.isBot).toBe(true);
    expect(byLogin.get("priya-dev")).toMatchObject({ isTeam: false, isBot: false });
  });
});

/**
 * A deliberately small "any-reply" reading of the activities, only to check the story the
 * samples tell (the real folding lives in shared/threads): a question is open unless it was
 * closed, accepted, or got a reply from someone other than its author who is not a bot.
 */
function openQuestionTitles(activities: Activity[]): string[] {
  const threads = new Map<string, { title: string; authorId: string; isQuestion: boolean; createdAt: string; resolved: boolean }>();
  for (const a of activities) {
    if (a.kind === "thread_opened" && a.thread) {
      threads.set(a.thread.id, {
        title: a.thread.title,
        authorId: a.thread.author?.id ?? "",
        isQuestion: a.thread.isQuestion,
        createdAt: a.thread.createdAt ?? a.occurredAt,
        resolved: threads.get(a.thread.id)?.resolved ?? false,
      });
    }
  }
  for (const a of activities) {
    const thread = a.thread ? threads.get(a.thread.id) : undefined;
    if (!thread) continue;
    const qualifyingReply = a.kind === "reply" && a.actor.id !== thread.authorId && !a.actor.isBot;
    if (qualifyingReply || a.kind === "answer_accepted" || a.kind === "thread_closed" || a.kind === "deleted") thread.resolved = true;
  }
  return [...threads.values()]
    .filter((t) => t.isQuestion && !t.resolved)
    .sort((x, y) => x.createdAt.localeCompare(y.createdAt))
    .map((t) => t.title);
}
