import { ActivitySchema, type Activity, type Actor } from "../model/activity.ts";
import type { Config } from "../model/config.ts";
import { findRecipient } from "../model/config-values.ts";
import type { Thread } from "../model/thread.ts";
import { actionActivityId, type ActionLink } from "./links.ts";

const HOUR_MS = 3_600_000;

const KIND_OF = {
  snooze: "action_snooze",
  "not-a-question": "action_not_a_question",
  resolved: "action_resolved",
  take: "action_take",
} as const satisfies Record<ActionLink["action"], Activity["kind"]>;

/**
 * The advocate behind a recipient id (the address, or a Slack-only recipient's `slack:…` id), as
 * an actor: named from the recipient list or the roster.
 */
export function advocateActor(config: Config, email: string): Actor {
  const address = email.toLowerCase();
  const recipient = findRecipient(config, address);
  const member = config.team.find((m) => m.email?.toLowerCase() === address);
  return { id: `advocate:${address}`, login: address, name: recipient?.name ?? member?.name ?? null, isBot: false, isTeam: true };
}

/**
 * The activity a verified link stores in its thread's partition. Its version is fixed, so the
 * first click is the one kept: a later click of the same link cannot move a snooze's end.
 */
export function actionActivity(config: Config, link: ActionLink, thread: Thread, now: Date): Activity {
  const at = now.toISOString();
  return ActivitySchema.parse({
    id: actionActivityId(link),
    source: thread.source,
    instance: thread.instance,
    channel: { ...thread.channel },
    kind: KIND_OF[link.action],
    // An empty version: the platform's own refs always decide the thread's facts.
    thread: {
      id: thread.id,
      title: thread.title,
      url: thread.url,
      author: thread.author,
      createdAt: thread.createdAt,
      isQuestion: thread.isQuestion,
      version: "",
    },
    actor: advocateActor(config, link.recipient),
    occurredAt: at,
    receivedAt: at,
    url: null,
    excerpt: null,
    isQuestion: false,
    version: "1",
    target: null,
    reason: null,
    until: link.action === "snooze" ? new Date(now.getTime() + config.actions.snoozeHours * HOUR_MS).toISOString() : null,
  });
}
