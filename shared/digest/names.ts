import type { AdvocateDigest } from "./schema.ts";
import type { SlackNames } from "../sources/slack/directory.ts";
import type { CachedName } from "../store/names.ts";

/** Looks names up for Slack ids (the Slack directory, or anything with the same answer). */
export interface SlackNameSource {
  names(ids: { users?: readonly string[]; channels?: readonly string[]; teams?: readonly string[] }): Promise<SlackNames>;
}

const SLACK_USER = /^[UW][A-Z0-9]{2,30}$/;
const SLACK_USER_ACTOR = "slack:user:";

/**
 * The digest with Slack's ids replaced by the names people know (`U0…` by display names, `C0…`
 * by `#channel`, `T0…` by the workspace name) wherever it shows them; the `…Id` fields keep the
 * ids. A channel named in the config keeps that name. What cannot be looked up stays an id.
 */
export async function withSlackNames(digest: AdvocateDigest, source: SlackNameSource): Promise<AdvocateDigest> {
  const items = digest.unanswered.filter((i) => i.source === "slack");
  const nudges = digest.nudges.filter((n) => n.source === "slack");
  const helpers = digest.metrics.topHelpers.filter((h) => h.actorId.startsWith(SLACK_USER_ACTOR));
  const user = (login: string | null) => (login !== null && SLACK_USER.test(login) ? [login] : []);
  const ids = {
    teams: [...items, ...nudges].map((i) => i.instance),
    channels: [...items, ...nudges].map((i) => i.channelId),
    users: [...items.flatMap((i) => user(i.author)), ...nudges.flatMap((n) => [...user(n.author), ...user(n.answeredBy)]), ...helpers.map((h) => h.actorId.slice(SLACK_USER_ACTOR.length))],
  };
  if (ids.teams.length + ids.channels.length + ids.users.length === 0) return digest;
  const names = await source.names(ids);
  const person = (login: string | null) => (login === null ? null : (names.users.get(login) ?? login));
  // The fallback channel name is `#<id>`: only that is replaced, never a name from the config.
  const channel = (current: string, id: string) => (current === `#${id}` || current === id ? (names.channels.get(id) ?? current) : current);
  return {
    ...digest,
    unanswered: digest.unanswered.map((i) =>
      i.source !== "slack" ? i : { ...i, instance: names.teams.get(i.instance) ?? i.instance, channel: channel(i.channel, i.channelId), author: person(i.author) },
    ),
    nudges: digest.nudges.map((n) =>
      n.source !== "slack"
        ? n
        : { ...n, instance: names.teams.get(n.instance) ?? n.instance, channel: channel(n.channel, n.channelId), author: person(n.author), answeredBy: person(n.answeredBy) },
    ),
    metrics: {
      ...digest.metrics,
      topHelpers: digest.metrics.topHelpers.map((h) =>
        h.actorId.startsWith(SLACK_USER_ACTOR) ? { ...h, login: names.users.get(h.actorId.slice(SLACK_USER_ACTOR.length)) ?? h.login } : h,
      ),
    },
  };
}

/**
 * Names from the table's cache alone (what the digest last looked up), never from Slack: for the
 * queue page, which runs without the bot token and must answer fast. A name not cached stays an id.
 */
export function cachedSlackNames(cache: { getMany(source: string, kind: string, ids: readonly string[]): Promise<Map<string, CachedName>> }): SlackNameSource {
  return {
    async names(ids) {
      const out: SlackNames = { users: new Map(), channels: new Map(), teams: new Map() };
      for (const kind of ["users", "channels", "teams"] as const) {
        const wanted = ids[kind] ?? [];
        if (wanted.length === 0) continue;
        for (const [id, hit] of await cache.getMany("slack", kind, wanted)) out[kind].set(id, hit.name);
      }
      return out;
    },
  };
}
