/**
 * The door's shape check for Discourse: what `normalize` reads for an event, checked with the
 * schemas it reads it with (payload.ts) before the delivery is acknowledged. Mirrors
 * normalize.ts (keep the two together): the X-Discourse-Instance header must be an http(s) URL,
 * the body's one key is the event type (`topic`, `post`, `solved`) and that object must have the
 * fields normalize reads. Extra fields are always allowed.
 */
import * as z from "../../model/zod.ts";
import { describeIssues } from "../shape.ts";
import * as P from "./payload.ts";

/**
 * `deleted_by` is a user or `{}` (nobody); normalize reads any object that names a `username` as
 * a user, so such an object must be one.
 */
const DeletedBySchema = z.nullish(
  z.looseObject({}).check(
    z.refine((value) => !("username" in value) || P.BasicUserSchema.safeParse(value).success, {
      message: "expected a user (id, username) or {}",
    }),
  ),
);

/**
 * Small-action posts name what happened in `action_code`, which normalize looks up in a table:
 * a name every object has (`constructor`, `__proto__`, `toString`) is no Discourse action.
 */
const ActionCodeSchema = z.nullish(
  z.string().check(z.refine((code) => !(code in Object.prototype), { message: "not a Discourse action code" })),
);

const DoorTopicEventSchema = z.looseObject({ topic: z.extend(P.TopicSchema, { deleted_by: DeletedBySchema }) });
const DoorPostSchema = z.extend(P.PostSchema, { action_code: ActionCodeSchema });
const DoorPostEventSchema = z.looseObject({ post: DoorPostSchema });
const DoorSolvedEventSchema = z.looseObject({ solved: DoorPostSchema });

/** `https://forum.example.com/community/`: the same test normalize's `baseUrl` makes. */
export function isInstanceUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return false;
  }
  return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
}

/**
 * Problems with a supported event's body (`type` as `discourseEventType` gives it), as
 * `post_created: post.post_number: expected number, ...`, or null.
 */
export function discourseShapeProblem(
  event: string,
  type: "topic" | "post" | "solved",
  payload: Record<string, unknown>,
): string | null {
  const schema = type === "topic" ? DoorTopicEventSchema : type === "post" ? DoorPostEventSchema : DoorSolvedEventSchema;
  const result = schema.safeParse(payload);
  return result.success ? null : `${event}: ${describeIssues(result.error.issues)}`;
}
