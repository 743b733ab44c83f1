import * as z from "../../model/zod.ts";

/**
 * Just the parts of Discord REST objects that the poller and the normaliser read. Loose objects:
 * the envelope keeps the raw objects Discord sent, and they carry many fields we do not pin down.
 */

/** Discord ids are 64-bit snowflakes sent as decimal strings. */
export const Snowflake = z.string().check(z.regex(/^\d{1,20}$/, "must be a snowflake (decimal string)"));

const Timestamp = z.string().check(z.refine((s) => !Number.isNaN(new Date(s).getTime()), { message: "not a timestamp" }));

export const DiscordUserSchema = z.looseObject({
  id: Snowflake,
  username: z.string(),
  global_name: z.nullish(z.string()),
  bot: z.optional(z.boolean()),
  system: z.optional(z.boolean()),
});
export type DiscordUser = z.infer<typeof DiscordUserSchema>;

/**
 * What the client checks of a listed message: only that it has an id. The poller passes the raw
 * objects on untouched, and a message the normaliser cannot read must fail there, visibly, with
 * the envelope kept for reprocessing, not stall the channel's cursor here.
 */
export const RawMessageSchema = z.looseObject({ id: Snowflake });
export type RawMessage = z.infer<typeof RawMessageSchema>;

export const MessageReferenceSchema = z.looseObject({
  /** 0 = reply (DEFAULT), 1 = forward; absent on older messages, meaning a reply. */
  type: z.optional(z.int()),
  message_id: z.optional(Snowflake),
  channel_id: z.optional(Snowflake),
  guild_id: z.optional(Snowflake),
});

/** What a reply carries of the message it answers (Discord nests one level; deeper is null/absent). */
export const ReferencedMessageSchema = z.looseObject({
  id: Snowflake,
  channel_id: z.optional(Snowflake),
  author: DiscordUserSchema,
  content: z._default(z.string(), ""),
  /** Always sent by Discord; the snowflake says the same when it is not. */
  timestamp: z.optional(Timestamp),
  edited_timestamp: z.nullish(Timestamp),
  type: z.int(),
  webhook_id: z.optional(Snowflake),
  mentions: z.optional(z.array(DiscordUserSchema)),
  attachments: z.optional(z.array(z.unknown())),
  message_reference: z.optional(MessageReferenceSchema),
});
export type DiscordReferencedMessage = z.infer<typeof ReferencedMessageSchema>;

export const DiscordMessageSchema = z.extend(ReferencedMessageSchema, {
  channel_id: Snowflake,
  referenced_message: z.nullish(ReferencedMessageSchema),
});
export type DiscordMessage = z.infer<typeof DiscordMessageSchema>;

export const ThreadMetadataSchema = z.looseObject({
  archived: z.optional(z.boolean()),
  archive_timestamp: z.optional(Timestamp),
  locked: z.optional(z.boolean()),
  create_timestamp: z.nullish(Timestamp),
});

/** A thread is a channel (type 10, 11 or 12) with a parent and metadata. */
export const DiscordThreadSchema = z.looseObject({
  id: Snowflake,
  type: z.optional(z.int()),
  guild_id: z.optional(Snowflake),
  parent_id: z.nullish(Snowflake),
  owner_id: z.optional(Snowflake),
  name: z.string(),
  last_message_id: z.nullish(Snowflake),
  thread_metadata: z.optional(ThreadMetadataSchema),
});
export type DiscordThread = z.infer<typeof DiscordThreadSchema>;

export const ThreadListSchema = z.looseObject({
  threads: z.array(DiscordThreadSchema),
  has_more: z.optional(z.boolean()),
});
export type DiscordThreadList = z.infer<typeof ThreadListSchema>;

export const DiscordChannelSchema = z.looseObject({
  id: Snowflake,
  /** 0 text, 5 announcement, 15 forum, 16 media, 10-12 threads. */
  type: z.int(),
  guild_id: z.optional(Snowflake),
  name: z.nullish(z.string()),
  parent_id: z.nullish(Snowflake),
});
export type DiscordChannel = z.infer<typeof DiscordChannelSchema>;

/** What the poller writes into an envelope's body (eventType `messages`). */
export const MessagesBodySchema = z.looseObject({
  channel: z.looseObject({
    id: Snowflake,
    name: z.nullish(z.string()),
    type: z.enum(["text", "forum"]),
    guild_id: z.nullish(Snowflake),
  }),
  /** Present when the messages were read from a thread (a forum post, or a thread in a text channel). */
  thread: z.optional(DiscordThreadSchema),
  messages: z.array(z.unknown()),
});
export type MessagesBody = z.infer<typeof MessagesBodySchema>;

/** Discord's epoch (2015-01-01T00:00:00Z) in Unix milliseconds. */
export const DISCORD_EPOCH_MS = 1_420_070_400_000;

/** The creation time a snowflake encodes. */
export function snowflakeTime(id: string): Date {
  return new Date(Number(BigInt(id) >> 22n) + DISCORD_EPOCH_MS);
}

/** The lowest snowflake of the millisecond `at`: `?after=` it returns (almost exactly) what was posted since. */
export function snowflakeAt(at: Date): string {
  const ms = at.getTime() - DISCORD_EPOCH_MS;
  if (ms < 0) throw new RangeError(`${at.toISOString()} is before Discord's epoch`);
  return (BigInt(ms) << 22n).toString();
}

/** Numeric order of snowflakes (string order is wrong once lengths differ). */
export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
