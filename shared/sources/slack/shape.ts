/**
 * The door's shape check for Slack's Events API: what `normalize` reads for an inner event
 * type (and message subtype), checked with the schemas it reads it with (payload.ts) before the
 * delivery is acknowledged. Mirrors normalize.ts (keep the two together). Extra fields are
 * always allowed; a subtype normalize does not record is not read, so not checked.
 */
import * as z from "../../model/zod.ts";
import { describeIssues, quote } from "../shape.ts";
import * as P from "./payload.ts";

/**
 * normalize.ts's SLACK_POSTED_SUBTYPES, not imported from there so classify does not import the
 * normaliser (a door test holds the two together).
 */
export const POSTED_SUBTYPES: readonly string[] = ["bot_message", "thread_broadcast", "file_share", "me_message"];

type Issue = z.core.$ZodIssue;

/**
 * A reaction's `item.channel` is a conversation id, as a message's `channel` is (payload.ts
 * checks that one); normalize looks its display name up by it, so nothing else may pass.
 */
const DoorReactionEventSchema = z.extend(P.ReactionEventSchema, {
  item: z.looseObject({
    type: z.string(),
    channel: z.optional(z.string().check(z.regex(/^[CGD][A-Z0-9]+$/, "must be a Slack channel id"))),
    ts: z.optional(P.SlackTs),
  }),
});

/** A message someone posted is credited to its `user`, or else its `bot_id`. */
function authorProblem(message: { user?: string | undefined; bot_id?: string | null | undefined }, path: string[]): Issue | null {
  if (message.user || message.bot_id) return null;
  return { code: "custom", path, message: "missing (a posted message needs user or bot_id)", input: undefined } as Issue;
}

/**
 * `event_time` (whole seconds) stamps events that carry no ts of their own; as a ts it must fit
 * Slack's 12 digits of seconds.
 */
const MAX_EVENT_TIME = 999_999_999_999;

function eventTimeProblem(callback: P.SlackEventCallback): Issue | null {
  if (callback.event_time <= MAX_EVENT_TIME) return null;
  return { code: "custom", path: ["event_time"], message: "expected epoch seconds (at most 12 digits)", input: undefined } as Issue;
}

/** Problems with a supported event's body, as `message: event.text: expected string, ...`, or null. */
export function slackShapeProblem(callback: P.SlackEventCallback): string | null {
  const event = callback.event;
  const subtype = typeof event["subtype"] === "string" ? event["subtype"] : undefined;
  const where = quote(subtype ? `${event.type}.${subtype}` : event.type);
  const issues: Issue[] = [];
  let timeIssue: Issue | null = null;
  const check = <S extends z.ZodMiniType>(schema: S): z.output<S> | null => {
    const result = schema.safeParse(event);
    if (result.success) return result.data;
    issues.push(...result.error.issues);
    return null;
  };

  switch (event.type) {
    case "message":
      switch (subtype) {
        case "message_changed": {
          const changed = check(P.MessageChangedEventSchema);
          const message = changed?.message;
          if (message && message.subtype !== "tombstone" && (message.subtype === undefined || POSTED_SUBTYPES.includes(message.subtype))) {
            const problem = authorProblem(message, ["message", "user"]);
            if (problem) issues.push(problem);
          }
          break;
        }
        case "message_deleted":
          check(P.MessageDeletedEventSchema);
          break;
        default: {
          // Housekeeping subtypes (channel_join, pinned_item, ...) are not recorded, so not read.
          if (subtype !== undefined && !POSTED_SUBTYPES.includes(subtype)) break;
          const posted = check(P.PostedMessageEventSchema);
          const problem = posted && authorProblem(posted, ["user"]);
          if (problem) issues.push(problem);
        }
      }
      break;
    case "reaction_added":
    case "reaction_removed": {
      const reaction = check(DoorReactionEventSchema);
      if (reaction && reaction.event_ts === undefined) timeIssue = eventTimeProblem(callback);
      break;
    }
    case "tokens_revoked":
      check(P.TokensRevokedEventSchema);
      timeIssue = eventTimeProblem(callback);
      break;
    case "app_uninstalled":
      // Reads nothing beyond the envelope, whose event_time stamps it.
      timeIssue = eventTimeProblem(callback);
      break;
  }
  const problems = [issues.length ? describeIssues(issues, "event.") : null, timeIssue ? describeIssues([timeIssue]) : null];
  const found = problems.filter((p): p is string => p !== null);
  return found.length ? `${where}: ${found.join("; ")}` : null;
}
