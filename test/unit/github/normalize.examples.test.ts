import { describe, expect, it } from "vitest";
import { ActivitySchema, toInstant } from "../../../shared/model/activity.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import { GITHUB_SUPPORTED_EVENTS, normalizeGitHubEnvelope } from "../../../shared/sources/github/index.ts";
import { RECEIVED_AT, allExamples, configWith, envelopeFor } from "./helpers.ts";

const config = configWith({});
const supported = new Set<string>(GITHUB_SUPPORTED_EVENTS);
const THREAD_CHILD_KINDS = new Set(["reply", "review", "answer_accepted", "answer_unaccepted"]);

// Every example payload @octokit/webhooks-examples ships for api.github.com.
const cases = allExamples().map(({ event, payload }, i) => ({
  name: `${event}.${payload["action"] ?? "(no action)"} #${i}`,
  event,
  payload,
}));

describe("normalize over every real example", () => {
  it("covers every supported event", () => {
    const seen = new Set(cases.map((c) => c.event));
    for (const event of GITHUB_SUPPORTED_EVENTS) expect(seen.has(event), event).toBe(true);
  });

  it.each(cases)("$name", ({ event, payload }) => {
    const activities = normalizeGitHubEnvelope(envelopeFor(event, payload), config);
    if (!supported.has(event)) {
      expect(activities).toEqual([]);
      return;
    }
    // member.edited is the one real example whose action we deliberately do not record.
    if (event === "member" && payload["action"] === "edited") {
      expect(activities).toEqual([]);
      return;
    }
    expect(activities.length).toBeGreaterThan(0);
    for (const activity of activities) {
      expect(() => ActivitySchema.parse(activity)).not.toThrow();
      expect(activity.source).toBe("github");
      expect(activity.receivedAt).toBe(RECEIVED_AT);
      // Timestamps and versions are canonical instants, so string comparison orders them.
      expect(activity.occurredAt).toBe(toInstant(activity.occurredAt));
      if (activity.version !== "deleted") expect(activity.version).toBe(toInstant(activity.version));
    }
    // Natural ids are unique within one delivery.
    expect(new Set(activities.map((a) => a.id)).size).toBe(activities.length);
    checkThreadConsistency(activities, payload);
  });
});

function checkThreadConsistency(activities: Activity[], payload: Record<string, any>): void {
  const openings = activities.filter((a) => a.kind === "thread_opened");
  const openingIds = new Set(openings.map((a) => a.id));
  for (const opening of openings) {
    // The opening activity's id IS the thread id.
    expect(opening.thread?.id).toBe(opening.id);
    expect(opening.actor).toEqual(opening.thread?.author);
    expect(opening.occurredAt).toBe(opening.thread?.createdAt);
    expect(opening.isQuestion).toBe(opening.thread?.isQuestion);
  }
  for (const activity of activities) {
    if (THREAD_CHILD_KINDS.has(activity.kind) || activity.kind === "thread_closed" || activity.kind === "thread_reopened") {
      expect(activity.thread, activity.id).not.toBeNull();
      // Every reply, review and state change points at a thread the same payload also snapshots.
      expect(openingIds.has(activity.thread!.id), `${activity.id} -> ${activity.thread!.id}`).toBe(true);
      expect(activity.isQuestion).toBe(activity.thread!.isQuestion);
    }
  }
  const repo: string = payload["repository"]["full_name"];
  const movedTo: string | undefined = payload["changes"]?.["new_repository"]?.["full_name"];
  const movedId: number | undefined = (payload["changes"]?.["new_issue"] ?? payload["changes"]?.["new_discussion"])?.["id"];
  for (const activity of activities) {
    const isMovedCopy = movedId !== undefined && activity.thread?.id.endsWith(`:${movedId}`);
    expect(activity.instance).toBe(isMovedCopy ? movedTo : repo);
  }
}
