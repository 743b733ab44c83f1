import * as z from "zod";
import { isSlackTs } from "./timestamps.ts";

/**
 * Just the parts of Events API bodies that classify and normalize read. Loose objects: Slack
 * adds fields (blocks, authorizations, event_context, ...) we neither need nor want to pin down.
 */

export const SlackTs = z.string().refine(isSlackTs, { message: "not a Slack ts (seconds.micros)" });
const SlackId = z.string().min(1);

/** The outer body of every Events API request; `type` decides the rest. */
export const OuterSchema = z.looseObject({ type: z.string().min(1) });

export const UrlVerificationSchema = z.looseObject({
  type: z.literal("url_verification"),
  challenge: z.string().min(1),
});

export const EventCallbackSchema = z.looseObject({
  type: z.literal("event_callback"),
  team_id: SlackId,
  api_app_id: z.string().optional(),
  event_id: SlackId,
  event_time: z.number().int().nonnegative(),
  event: z.looseObject({ type: z.string().min(1) }),
});
export type SlackEventCallback = z.infer<typeof EventCallbackSchema>;

const EditedSchema = z.looseObject({ user: z.string().optional(), ts: SlackTs });

const BotProfileSchema = z.looseObject({ id: z.string().optional(), name: z.string().optional() });
const UserProfileSchema = z.looseObject({
  real_name: z.string().optional(),
  display_name: z.string().optional(),
  name: z.string().optional(),
});

/** A message as Slack shows it: top-level, inside `message_changed`, or as `previous_message`. */
export const MessageSchema = z.looseObject({
  type: z.literal("message").optional(),
  subtype: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().nullish(),
  bot_profile: BotProfileSchema.nullish(),
  username: z.string().optional(),
  user_profile: UserProfileSchema.optional(),
  text: z.string().nullish(),
  ts: SlackTs,
  thread_ts: SlackTs.optional(),
  parent_user_id: z.string().optional(),
  edited: EditedSchema.optional(),
});
export type SlackMessage = z.infer<typeof MessageSchema>;

const ChannelFields = {
  channel: z.string().regex(/^[CGD][A-Z0-9]+$/, "must be a Slack channel id"),
  channel_type: z.string().optional(),
};

/** A `message` event with no subtype, or one of the subtypes that are someone posting. */
export const PostedMessageEventSchema = MessageSchema.extend(ChannelFields);

export const MessageChangedEventSchema = z.looseObject({
  ...ChannelFields,
  subtype: z.literal("message_changed"),
  ts: SlackTs,
  event_ts: SlackTs.optional(),
  message: MessageSchema,
  previous_message: MessageSchema.partial().optional(),
});

export const MessageDeletedEventSchema = z.looseObject({
  ...ChannelFields,
  subtype: z.literal("message_deleted"),
  ts: SlackTs,
  event_ts: SlackTs.optional(),
  deleted_ts: SlackTs,
  // Slack sends the deleted message along; without it a reply's deletion cannot find its thread.
  previous_message: MessageSchema.partial().optional(),
});

export const ReactionEventSchema = z.looseObject({
  type: z.enum(["reaction_added", "reaction_removed"]),
  user: SlackId,
  reaction: z.string().min(1),
  /** Absent for messages not authored by a user (incoming webhooks). */
  item_user: z.string().optional(),
  item: z.looseObject({ type: z.string(), channel: z.string().optional(), ts: SlackTs.optional() }),
  event_ts: SlackTs.optional(),
  /**
   * Set only by backfill: Slack's history lists who reacted but not when, so `event_ts` is the
   * message's own time (the earliest possible; a live event always wins over it).
   */
  community_signals_time_unknown: z.literal(true).optional(),
});

export const TokensRevokedEventSchema = z.looseObject({
  type: z.literal("tokens_revoked"),
  tokens: z.looseObject({ oauth: z.array(z.string()).optional(), bot: z.array(z.string()).optional() }),
});
