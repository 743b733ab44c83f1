import * as z from "../../model/zod.ts";
import { isSlackTs } from "./timestamps.ts";

/**
 * Just the parts of Events API bodies that classify and normalize read. Loose objects: Slack
 * adds fields (blocks, authorizations, event_context, ...) we neither need nor want to pin down.
 */

export const SlackTs = z.string().check(z.refine(isSlackTs, { message: "not a Slack ts (seconds.micros)" }));
const SlackId = z.string().check(z.minLength(1));

/** The outer body of every Events API request; `type` decides the rest. */
export const OuterSchema = z.looseObject({ type: z.string().check(z.minLength(1)) });

export const UrlVerificationSchema = z.looseObject({
  type: z.literal("url_verification"),
  challenge: z.string().check(z.minLength(1)),
});

export const EventCallbackSchema = z.looseObject({
  type: z.literal("event_callback"),
  team_id: SlackId,
  api_app_id: z.optional(z.string()),
  event_id: SlackId,
  event_time: z.int().check(z.nonnegative()),
  event: z.looseObject({ type: z.string().check(z.minLength(1)) }),
});
export type SlackEventCallback = z.infer<typeof EventCallbackSchema>;

const EditedSchema = z.looseObject({ user: z.optional(z.string()), ts: SlackTs });

const BotProfileSchema = z.looseObject({ id: z.optional(z.string()), name: z.optional(z.string()) });
const UserProfileSchema = z.looseObject({
  real_name: z.optional(z.string()),
  display_name: z.optional(z.string()),
  name: z.optional(z.string()),
});

/** A message as Slack shows it: top-level, inside `message_changed`, or as `previous_message`. */
export const MessageSchema = z.looseObject({
  type: z.optional(z.literal("message")),
  subtype: z.optional(z.string()),
  user: z.optional(z.string()),
  bot_id: z.nullish(z.string()),
  bot_profile: z.nullish(BotProfileSchema),
  username: z.optional(z.string()),
  user_profile: z.optional(UserProfileSchema),
  text: z.nullish(z.string()),
  ts: SlackTs,
  thread_ts: z.optional(SlackTs),
  parent_user_id: z.optional(z.string()),
  edited: z.optional(EditedSchema),
});
export type SlackMessage = z.infer<typeof MessageSchema>;

const ChannelFields = {
  channel: z.string().check(z.regex(/^[CGD][A-Z0-9]+$/, "must be a Slack channel id")),
  channel_type: z.optional(z.string()),
};

/** A `message` event with no subtype, or one of the subtypes that are someone posting. */
export const PostedMessageEventSchema = z.extend(MessageSchema, ChannelFields);

export const MessageChangedEventSchema = z.looseObject({
  ...ChannelFields,
  subtype: z.literal("message_changed"),
  ts: SlackTs,
  event_ts: z.optional(SlackTs),
  message: MessageSchema,
  previous_message: z.optional(z.partial(MessageSchema)),
});

export const MessageDeletedEventSchema = z.looseObject({
  ...ChannelFields,
  subtype: z.literal("message_deleted"),
  ts: SlackTs,
  event_ts: z.optional(SlackTs),
  deleted_ts: SlackTs,
  // Slack sends the deleted message along; without it a reply's deletion cannot find its thread.
  previous_message: z.optional(z.partial(MessageSchema)),
});

export const ReactionEventSchema = z.looseObject({
  type: z.enum(["reaction_added", "reaction_removed"]),
  user: SlackId,
  reaction: z.string().check(z.minLength(1)),
  /** Absent for messages not authored by a user (incoming webhooks). */
  item_user: z.optional(z.string()),
  item: z.looseObject({ type: z.string(), channel: z.optional(z.string()), ts: z.optional(SlackTs) }),
  event_ts: z.optional(SlackTs),
  /**
   * Set only by backfill: Slack's history lists who reacted but not when, so `event_ts` is the
   * message's own time (the earliest possible; a live event always wins over it).
   */
  community_signals_time_unknown: z.optional(z.literal(true)),
});

export const TokensRevokedEventSchema = z.looseObject({
  type: z.literal("tokens_revoked"),
  tokens: z.looseObject({ oauth: z.optional(z.array(z.string())), bot: z.optional(z.array(z.string())) }),
});
