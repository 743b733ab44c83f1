/**
 * What `backfill` knows about each source: whether the config gives it anything to read, which
 * secret holds its API credential and what that credential needs, and the function that reads.
 */
import { DiscourseSourceConfigSchema, type Config } from "../model/config.ts";
import { backfillDiscord } from "../sources/discord/backfill.ts";
import { backfillDiscourse, discourseBackfillScopes, discourseKeyHint } from "../sources/discourse/backfill.ts";
import { backfillGitHub } from "../sources/github/backfill.ts";
import { backfillSlack } from "../sources/slack/backfill.ts";
import { backfillStackOverflow } from "../sources/stackoverflow/backfill.ts";
import type { BackfillSourceName, SourceBackfill } from "./types.ts";

export interface BackfillSourceSpec {
  name: BackfillSourceName;
  /** The scopes (repositories, forums, channels, tags) it would read; empty: nothing configured. */
  scopes(config: Config): string[];
  /** Where to configure it when `scopes` is empty. */
  configureHint: string;
  secretName(config: Config): string;
  /** Without the secret the source cannot read at all (Stack Exchange reads anonymously). */
  secretRequired: boolean;
  /** What the credential is and what it needs, for the message when it is missing. */
  credentialHint(config: Config): string;
  run: SourceBackfill;
}

export const BACKFILL_SPECS: readonly BackfillSourceSpec[] = [
  {
    name: "github",
    scopes: (c) => (c.sources.github?.enabled ? c.sources.github.repositories : []),
    configureHint: "list the repositories in sources.github.repositories",
    secretName: (c) => c.sources.github?.tokenSecretName ?? "GITHUB_TOKEN",
    secretRequired: true,
    credentialHint: () =>
      "a GitHub token: public repositories need a classic token with no scope (or public_repo); private ones repo, or a fine-grained token with Issues: read and Discussions: read",
    run: backfillGitHub,
  },
  {
    name: "discourse",
    scopes: discourseBackfillScopes,
    configureHint: "list the forums' base URLs in sources.discourse.instances",
    secretName: (c) => c.sources.discourse?.apiKeySecretName ?? "DISCOURSE_API_KEY",
    secretRequired: true,
    credentialHint: (c) => discourseKeyHint(DiscourseSourceConfigSchema.parse(c.sources.discourse ?? {})),
    run: backfillDiscourse,
  },
  {
    name: "slack",
    // No channels listed means every channel the app is in, as for live events.
    scopes: (c) => (c.sources.slack?.enabled ? (c.sources.slack.channels.length > 0 ? c.sources.slack.channels : ["every channel the app is in"]) : []),
    configureHint: "enable sources.slack (and list the channels in sources.slack.channels, or none for every channel the app is in)",
    secretName: (c) => c.sources.slack?.botTokenSecretName ?? "SLACK_BOT_TOKEN",
    secretRequired: true,
    credentialHint: () => "the Slack app's bot token (xoxb-…) with channels:history (and groups:history for private channels); invite the app to each watched channel",
    run: backfillSlack,
  },
  {
    name: "discord",
    scopes: (c) => (c.sources.discord?.enabled ? c.sources.discord.channels.map((ch) => ch.id) : []),
    configureHint: "list the channels in sources.discord.channels",
    secretName: (c) => c.sources.discord?.secretName ?? "DISCORD_BOT_TOKEN",
    secretRequired: true,
    credentialHint: () => "the Discord bot's token (the bot needs the MESSAGE_CONTENT intent and Read Message History on the watched channels)",
    run: backfillDiscord,
  },
  {
    name: "stackoverflow",
    scopes: (c) => (c.sources.stackoverflow?.enabled ? c.sources.stackoverflow.tags.map((tag) => `${c.sources.stackoverflow!.site}:${tag}`) : []),
    configureHint: "enable sources.stackoverflow and list its tags",
    secretName: (c) => c.sources.stackoverflow?.keySecretName ?? "STACKEXCHANGE_KEY",
    // Stack Exchange reads anonymously, on a quota of 300 requests a day per address.
    secretRequired: false,
    credentialHint: () => "a Stack Apps key (optional: without it 300 requests a day per address)",
    run: backfillStackOverflow,
  },
];

export function backfillSpec(name: string): BackfillSourceSpec | undefined {
  return BACKFILL_SPECS.find((s) => s.name === name);
}
