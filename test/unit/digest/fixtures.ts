import { parseConfig } from "../../../shared/model/config.ts";
import type { Config, ConfigInput } from "../../../shared/model/config.ts";
import type { Actor } from "../../../shared/model/activity.ts";
import type { Thread } from "../../../shared/model/thread.ts";

export const NOW = new Date("2024-05-15T08:00:00.000Z");
const HOUR_MS = 3_600_000;

/** The instant `hours` before NOW (negative: after NOW). */
export function hoursAgo(hours: number): string {
  return new Date(NOW.getTime() - hours * HOUR_MS).toISOString();
}

/** An instant `hours` after `from`. */
export function hoursAfter(from: string, hours: number): string {
  return new Date(Date.parse(from) + hours * HOUR_MS).toISOString();
}

export function actor(login: string, extra: Partial<Actor> = {}): Actor {
  return { id: `github:user:${login}`, login, name: null, isBot: false, isTeam: false, ...extra };
}

export function config(input: Omit<ConfigInput, "digest"> & { digest?: Record<string, unknown> } = {}): Config {
  return parseConfig({ name: "Acme", ...input });
}

let counter = 0;

export function thread(overrides: Partial<Thread> = {}): Thread {
  counter += 1;
  const createdAt = overrides.createdAt ?? hoursAgo(48);
  return {
    id: `github:issue:acme/widgets#${counter}`,
    source: "github",
    instance: "acme/widgets",
    channel: { id: "github:acme/widgets:issues", name: "Issues" },
    title: `Question ${counter}`,
    url: `https://github.com/acme/widgets/issues/${counter}`,
    author: actor("asker"),
    isQuestion: true,
    questionScore: null,
    status: "open",
    createdAt,
    firstResponseAt: null,
    firstResponder: null,
    acceptedAt: null,
    acceptedAnswerBy: null,
    replyCount: 0,
    lastActivityAt: createdAt,
    closedAt: null,
    excerpt: "How do I do the thing?",
    hasOpening: true,
    acceptsAnswers: false,
    snoozedUntil: null,
    assignee: null,
    assignedAt: null,
    actions: [],
    ...overrides,
  };
}

/** A question created `createdHoursAgo` before NOW and first answered `responseHours` later. */
export function responded(createdHoursAgo: number, responseHours: number, responder: Actor, overrides: Partial<Thread> = {}): Thread {
  const createdAt = hoursAgo(createdHoursAgo);
  return thread({
    createdAt,
    firstResponseAt: hoursAfter(createdAt, responseHours),
    firstResponder: responder,
    status: "answered",
    replyCount: 1,
    ...overrides,
  });
}
