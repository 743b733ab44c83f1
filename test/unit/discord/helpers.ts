import { readFileSync } from "node:fs";
import { parseConfig } from "../../../shared/model/config.ts";
import type { Config, ConfigInput } from "../../../shared/model/config.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";

export type Json = Record<string, any>;

export const GUILD = "816973244006400000";
export const HELP = "816974502297600016";
export const FORUM = "1030087507968000017";
export const RECEIVED_AT = "2026-11-24T18:00:00.000Z";

const EPOCH = 1_420_070_400_000n;
let sequence = 0;

/** A snowflake for `iso` (distinct on every call, like Discord's increment bits). */
export function snowflake(iso: string): string {
  return (((BigInt(Date.parse(iso)) - EPOCH) << 22n) | (1n << 17n) | BigInt(sequence++ % 4096)).toString();
}

export function user(username: string, id: string, extra: Json = {}): Json {
  return { id, username, avatar: null, discriminator: "0", public_flags: 0, flags: 0, global_name: null, ...extra };
}

export const priya = user("priya.dev", "844877109657600003", { global_name: "Priya" });
export const maria = user("maria.acme", "584350433280000001", { global_name: "Maria (RocketDB)" });
export const felix = user("felixr", "650425820774400007");
export const rocketBot = user("RocketBot", "817335631872000014", { bot: true });
export const systemUser = user("Discord", "643945264868098049", { system: true });

/** A message as Discord lists it, timestamped `iso` with a matching id. */
export function message(iso: string, author: Json, content: string, extra: Json = {}): Json {
  return {
    type: 0,
    content,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    timestamp: iso.replace("Z", "000+00:00"),
    edited_timestamp: null,
    flags: 0,
    components: [],
    id: snowflake(iso),
    channel_id: HELP,
    author,
    pinned: false,
    mention_everyone: false,
    tts: false,
    ...extra,
  };
}

/** A reply (type 19) to `to`, carrying it as `referenced_message` the way Discord does (one level). */
export function reply(iso: string, author: Json, to: Json, content: string, extra: Json = {}): Json {
  const { referenced_message: _nested, ...parent } = to;
  return message(iso, author, content, {
    type: 19,
    channel_id: to["channel_id"],
    message_reference: { type: 0, channel_id: to["channel_id"], message_id: to["id"], guild_id: GUILD },
    referenced_message: parent,
    mentions: [to["author"]],
    ...extra,
  });
}

export function thread(iso: string, parentId: string, name: string, owner: Json, extra: Json = {}): Json {
  return {
    id: snowflake(iso),
    type: 11,
    guild_id: GUILD,
    parent_id: parentId,
    owner_id: owner["id"],
    name,
    last_message_id: null,
    thread_metadata: { archived: false, archive_timestamp: iso, auto_archive_duration: 1440, locked: false, create_timestamp: iso },
    ...extra,
  };
}

export function messagesEnvelope(body: Json, overrides: Partial<Envelope> = {}): Envelope {
  return {
    v: 1,
    id: "env-discord-1",
    source: "discord",
    eventType: "messages",
    deliveryId: "test",
    receivedAt: RECEIVED_AT,
    contentType: "application/json",
    headers: {},
    body: JSON.stringify(body),
    ...overrides,
  };
}

export function textBody(messages: Json[], channel: Json = {}): Json {
  return { channel: { id: HELP, name: "#help", type: "text", guild_id: GUILD, ...channel }, messages };
}

export function threadBody(threadObject: Json, messages: Json[], parent: Json = {}): Json {
  const forum = threadObject["parent_id"] === FORUM;
  return {
    channel: { id: threadObject["parent_id"], name: forum ? "#q-and-a" : "#help", type: forum ? "forum" : "text", guild_id: GUILD, ...parent },
    thread: threadObject,
    messages,
  };
}

export function configWith(input: ConfigInput = {}): Config {
  return parseConfig({
    sources: {
      discord: {
        guildId: GUILD,
        channels: [
          { id: HELP, name: "#help", type: "text" },
          { id: FORUM, name: "#q-and-a", type: "forum" },
        ],
      },
    },
    team: [{ name: "Maria", identities: { discord: [maria["id"]] } }],
    ...input,
  });
}

export function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`../../fixtures/discord/${name}`, import.meta.url), "utf8")) as Json;
}
