import { ActivitySchema, type Activity, type Actor, type ThreadRef } from "../../../shared/model/activity.ts";

/** Hand-made activities for thread-fold tests; every value is checked against the schema. */

export const THREAD_ID = "github:issue:acme/widgets#7";
const BASE_MS = Date.parse("2024-05-01T10:00:00.000Z");

/** The instant `minutes` after a fixed base, in `toISOString()` form. */
export function at(minutes: number): string {
  return new Date(BASE_MS + minutes * 60_000).toISOString();
}

export function person(key: string, traits: Partial<Pick<Actor, "isBot" | "isTeam">> = {}): Actor {
  return { id: `github:user:${key}`, login: key, name: null, isBot: false, isTeam: false, ...traits };
}

export const asker = person("asker");
export const helper = person("helper");
export const otherHelper = person("other-helper");
export const maintainer = person("maintainer", { isTeam: true });
export const ciBot = person("ci[bot]", { isBot: true });

export function threadRef(overrides: Partial<ThreadRef> = {}): ThreadRef {
  return {
    id: THREAD_ID,
    title: "How do I configure widgets?",
    url: "https://github.com/acme/widgets/issues/7",
    author: asker,
    createdAt: at(0),
    isQuestion: true,
    version: "2024-05-01T10:00:00.000Z",
    ...overrides,
  };
}

type ActivityInput = Partial<Omit<Activity, "thread">> & Pick<Activity, "id" | "kind"> & { thread?: Partial<ThreadRef> | null };

export function activity(input: ActivityInput): Activity {
  const { thread, ...rest } = input;
  return ActivitySchema.parse({
    source: "github",
    instance: "acme/widgets",
    channel: { id: "github:repo:acme/widgets", name: "acme/widgets" },
    actor: asker,
    occurredAt: at(0),
    receivedAt: at(0),
    url: null,
    excerpt: null,
    isQuestion: false,
    version: "1",
    target: null,
    reason: null,
    ...rest,
    thread: thread === null ? null : threadRef(thread),
  });
}

export function opening(overrides: Partial<ActivityInput> = {}): Activity {
  return activity({ id: THREAD_ID, kind: "thread_opened", actor: asker, excerpt: "The widget will not spin.", isQuestion: true, ...overrides });
}

export function reply(id: string, actor: Actor, minute: number, overrides: Partial<ActivityInput> = {}): Activity {
  return activity({ id: `reply:${id}`, kind: "reply", actor, occurredAt: at(minute), excerpt: `reply ${id}`, ...overrides });
}

export function review(id: string, actor: Actor, minute: number): Activity {
  return activity({ id: `review:${id}`, kind: "review", actor, occurredAt: at(minute) });
}

export function closed(id: string, minute: number, by: Actor = asker): Activity {
  return activity({ id: `closed:${id}`, kind: "thread_closed", actor: by, occurredAt: at(minute), reason: "completed" });
}

export function reopened(id: string, minute: number, by: Actor = asker): Activity {
  return activity({ id: `reopened:${id}`, kind: "thread_reopened", actor: by, occurredAt: at(minute) });
}

export function tombstone(targetId: string, minute: number, by: Actor = asker): Activity {
  return activity({ id: `deleted:${targetId}`, kind: "deleted", actor: by, occurredAt: at(minute), target: targetId });
}

/** `answerBy` is the answer's author: adapters credit the answer to them, not to whoever marked it. */
export function accepted(id: string, targetId: string, answerBy: Actor, minute: number): Activity {
  return activity({ id: `accepted:${id}`, kind: "answer_accepted", actor: answerBy, occurredAt: at(minute), target: targetId });
}

export function unaccepted(id: string, targetId: string, answerBy: Actor, minute: number): Activity {
  return activity({ id: `unaccepted:${id}`, kind: "answer_unaccepted", actor: answerBy, occurredAt: at(minute), target: targetId });
}
