import * as z from "zod";

/**
 * Just the parts of Discord REST objects that the poller and the normaliser read. Loose objects:
 * the envelope keeps the raw objects Discord sent, and they carry many fields we do not pin down.
 */

/** Discord ids are 64-bit snowflakes sent as decimal strings. */
export const Snowflake = z.string().regex(/^\d{1,20}$/, "must be a snowflake (decimal string)");

const Timestamp = z.string().refine((s) => !Number.isNaN(new Date(s).getTime()), { message: "not a timestamp" });

export const DiscordUserSchema = z.looseObject({
  id: Snowflake,
  username: z.string(),
  global_name: z.string().nullish(),
  bot: z.boolean().optional(),
  system: z.boolean().optional(),
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
  type: z.number().int().optional(),
  message_id: Snowflake.optional(),
  channel_id: Snowflake.optional(),
  guild_id: Snowflake.optional(),
});

/** What a reply carries of the message it answers (Discord nests one level; deeper is null/absent). */
export const ReferencedMessageSchema = z.looseObject({
  id: Snowflake,
  channel_id: Snowflake.optional(),
  author: DiscordUserSchema,
  content: z.string().default(""),
  /** Always sent by Discord; the snowflake says the same when it is not. */
  timestamp: Timestamp.optional(),
  edited_timestamp: Timestamp.nullish(),
  type: z.number().int(),
  webhook_id: Snowflake.optional(),
  mentions: z.array(DiscordUserSchema).optional(),
  attachments: z.array(z.unknown()).optional(),
  message_reference: MessageReferenceSchema.optional(),
});
export type DiscordReferencedMessage = z.infer<typeof ReferencedMessageSchema>;

export const DiscordMessageSchema = ReferencedMessageSchema.extend({
  channel_id: Snowflake,
  referenced_message: ReferencedMessageSchema.nullish(),
});
export type DiscordMessage = z.infer<typeof DiscordMessageSchema>;

export const ThreadMetadataSchema = z.looseObject({
  archived: z.boolean().optional(),
  archive_timestamp: Timestamp.optional(),
  locked: z.boolean().optional(),
  create_timestamp: Timestamp.nullish(),
});

/** A thread is a channel (type 10, 11 or 12) with a parent and metadata. */
export const DiscordThreadSchema = z.looseObject({
  id: Snowflake,
  type: z.number().int().optional(),
  guild_id: Snowflake.optional(),
  parent_id: Snowflake.nullish(),
  owner_id: Snowflake.optional(),
  name: z.string(),
  last_message_id: Snowflake.nullish(),
  thread_metadata: ThreadMetadataSchema.optional(),
});
export type DiscordThread = z.infer<typeof DiscordThreadSchema>;

export const ThreadListSchema = z.looseObject({
  threads: z.array(DiscordThreadSchema),
  has_more: z.boolean().optional(),
});
export type DiscordThreadList = z.infer<typeof ThreadListSchema>;

export const DiscordChannelSchema = z.looseObject({
  id: Snowflake,
  /** 0 text, 5 announcement, 15 forum, 16 media, 10-12 threads. */
  type: z.number().int(),
  guild_id: Snowflake.optional(),
  name: z.string().nullish(),
  parent_id: Snowflake.nullish(),
});
export type DiscordChannel = z.infer<typeof DiscordChannelSchema>;

/** What the poller writes into an envelope's body (eventType `messages`). */
export const MessagesBodySchema = z.looseObject({
  channel: z.looseObject({
    id: Snowflake,
    name: z.string().nullish(),
    type: z.enum(["text", "forum"]),
    guild_id: Snowflake.nullish(),
  }),
  /** Present when the messages were read from a thread (a forum post, or a thread in a text channel). */
  thread: DiscordThreadSchema.optional(),
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
