import * as z from "zod";

/**
 * Just the parts of Discourse webhook payloads that normalize reads, as serialised by
 * WebHookTopicViewSerializer (topics), WebHookPostSerializer (posts, and the Solved plugin's
 * `solved` payload, which is the answer post). Loose objects: the rest is not ours to pin down.
 */

const DiscourseId = z.number().int();

/** Any string `Date` can read; `toInstant` later turns it into canonical form. */
const Timestamp = z.string().refine((s) => !Number.isNaN(new Date(s).getTime()), { message: "not a timestamp" });

/** BasicUserSerializer: what topic payloads say about `created_by`, `last_poster`, `deleted_by`. */
export const BasicUserSchema = z.looseObject({
  id: DiscourseId,
  username: z.string().min(1),
  name: z.string().nullish(),
});
export type DiscourseBasicUser = z.infer<typeof BasicUserSchema>;

export const TopicSchema = z.looseObject({
  id: DiscourseId,
  title: z.string(),
  slug: z.string().nullish(),
  category_id: DiscourseId.nullish(),
  archetype: z.string().nullish(),
  created_at: Timestamp,
  closed: z.boolean().nullish(),
  archived: z.boolean().nullish(),
  deleted_at: Timestamp.nullish(),
  user_id: DiscourseId.nullish(),
  created_by: BasicUserSchema.nullish(),
  // TopicViewSerializer sends `{}` when nobody deleted it.
  deleted_by: z.union([BasicUserSchema, z.looseObject({})]).nullish(),
});
export type DiscourseTopic = z.infer<typeof TopicSchema>;

/** Post.types: regular 1, moderator_action 2, small_action 3, whisper 4. */
export const POST_TYPES = { regular: 1, moderatorAction: 2, smallAction: 3, whisper: 4 } as const;

export const PostSchema = z.looseObject({
  id: DiscourseId,
  topic_id: DiscourseId,
  post_number: z.number().int().min(1),
  post_type: z.number().int().nullish(),
  username: z.string().min(1),
  user_id: DiscourseId.nullish(),
  name: z.string().nullish(),
  created_at: Timestamp,
  updated_at: Timestamp,
  raw: z.string().nullish(),
  cooked: z.string().nullish(),
  topic_title: z.string().nullish(),
  topic_slug: z.string().nullish(),
  topic_archetype: z.string().nullish(),
  category_id: DiscourseId.nullish(),
  category_slug: z.string().nullish(),
  deleted_at: Timestamp.nullish(),
  user_deleted: z.boolean().nullish(),
  version: z.number().int().nullish(),
  staff: z.boolean().nullish(),
  admin: z.boolean().nullish(),
  moderator: z.boolean().nullish(),
  /** On small-action posts: what happened (`closed.enabled`, `archived.disabled`, ...). */
  action_code: z.string().nullish(),
});
export type DiscoursePost = z.infer<typeof PostSchema>;

export const TopicEventSchema = z.looseObject({ topic: TopicSchema });
export const PostEventSchema = z.looseObject({ post: PostSchema });
export const SolvedEventSchema = z.looseObject({ solved: PostSchema });
