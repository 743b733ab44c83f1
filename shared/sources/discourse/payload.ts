import * as z from "../../model/zod.ts";

/**
 * Just the parts of Discourse webhook payloads that normalize reads, as serialised by
 * WebHookTopicViewSerializer (topics), WebHookPostSerializer (posts, and the Solved plugin's
 * `solved` payload, which is the answer post). Loose objects: the rest is not ours to pin down.
 */

const DiscourseId = z.int();

/** Any string `Date` can read; `toInstant` later turns it into canonical form. */
const Timestamp = z.string().check(z.refine((s) => !Number.isNaN(new Date(s).getTime()), { message: "not a timestamp" }));

/** BasicUserSerializer: what topic payloads say about `created_by`, `last_poster`, `deleted_by`. */
export const BasicUserSchema = z.looseObject({
  id: DiscourseId,
  username: z.string().check(z.minLength(1)),
  name: z.nullish(z.string()),
});
export type DiscourseBasicUser = z.infer<typeof BasicUserSchema>;

export const TopicSchema = z.looseObject({
  id: DiscourseId,
  title: z.string(),
  slug: z.nullish(z.string()),
  category_id: z.nullish(DiscourseId),
  archetype: z.nullish(z.string()),
  created_at: Timestamp,
  closed: z.nullish(z.boolean()),
  archived: z.nullish(z.boolean()),
  deleted_at: z.nullish(Timestamp),
  user_id: z.nullish(DiscourseId),
  created_by: z.nullish(BasicUserSchema),
  // TopicViewSerializer sends `{}` when nobody deleted it.
  deleted_by: z.nullish(z.union([BasicUserSchema, z.looseObject({})])),
});
export type DiscourseTopic = z.infer<typeof TopicSchema>;

/** Post.types: regular 1, moderator_action 2, small_action 3, whisper 4. */
export const POST_TYPES = { regular: 1, moderatorAction: 2, smallAction: 3, whisper: 4 } as const;

export const PostSchema = z.looseObject({
  id: DiscourseId,
  topic_id: DiscourseId,
  post_number: z.int().check(z.minimum(1)),
  post_type: z.nullish(z.int()),
  username: z.string().check(z.minLength(1)),
  user_id: z.nullish(DiscourseId),
  name: z.nullish(z.string()),
  created_at: Timestamp,
  updated_at: Timestamp,
  raw: z.nullish(z.string()),
  cooked: z.nullish(z.string()),
  topic_title: z.nullish(z.string()),
  topic_slug: z.nullish(z.string()),
  topic_archetype: z.nullish(z.string()),
  category_id: z.nullish(DiscourseId),
  category_slug: z.nullish(z.string()),
  deleted_at: z.nullish(Timestamp),
  user_deleted: z.nullish(z.boolean()),
  version: z.nullish(z.int()),
  staff: z.nullish(z.boolean()),
  admin: z.nullish(z.boolean()),
  moderator: z.nullish(z.boolean()),
  /** On small-action posts: what happened (`closed.enabled`, `archived.disabled`, ...). */
  action_code: z.nullish(z.string()),
});
export type DiscoursePost = z.infer<typeof PostSchema>;

export const TopicEventSchema = z.looseObject({ topic: TopicSchema });
export const PostEventSchema = z.looseObject({ post: PostSchema });
export const SolvedEventSchema = z.looseObject({ solved: PostSchema });
