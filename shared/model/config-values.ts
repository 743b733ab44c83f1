// What the Lambda handlers read from an already validated config, without the zod schema:
// the config is validated when the stack is synthesised and inlined as its parsed JSON
// (infra/aws/constructs/signals-function.ts), so no schema library runs at cold start.
// shared/model/config.ts re-exports all of this; test/unit/model/config-values.test.ts pins
// the defaults below to the schema's.
import type {
  Config,
  DiscordSourceConfig,
  DiscourseSourceConfig,
  GitHubSourceConfig,
  Recipient,
  SlackSourceConfig,
  StackOverflowSourceConfig,
} from "./config.ts";
import type { Source } from "./activity.ts";
import type { AnswerPolicy } from "./thread.ts";

/**
 * A recipient's stable id, for the daily send claims, the signed links and `--recipient`: the
 * email address (lower case) when there is one, else `slack:<channel or user id>` or
 * `slack:webhook:<secret name>`, in lower case (links are signed over lower-case ids).
 */
export function recipientId(recipient: Pick<Recipient, "email" | "slack">): string {
  if (recipient.email !== undefined) return recipient.email.toLowerCase();
  const slack = recipient.slack;
  if (typeof slack !== "object" || slack === null) throw new RangeError("a recipient needs an email or a slack target");
  return ("channel" in slack ? `slack:${slack.channel}` : `slack:webhook:${slack.webhookSecretName}`).toLowerCase();
}

/** The configured recipient with this id (or email address, any case); undefined when none. */
export function findRecipient(config: Pick<Config, "digest">, id: string): Recipient | undefined {
  const wanted = id.toLowerCase();
  return config.digest.recipients.find((r) => recipientId(r) === wanted);
}

/** Team roster lookup: is this platform login one of ours? */
export function isRosterMember(config: Config, source: "github" | "discourse" | "slack" | "discord" | "stackoverflow", login: string): boolean {
  const needle = login.toLowerCase();
  return config.team.some((m) => (m.identities[source] ?? []).some((id) => id.toLowerCase() === needle));
}

/**
 * Each source's settings when the config has no section for it: what its schema gives for `{}`
 * (a fresh object each call). The normalisers fall back to these for envelopes of a source the
 * config does not name (archived or replayed ones).
 */
export const SOURCE_DEFAULTS = {
  github: (): GitHubSourceConfig => ({
    enabled: true,
    secretName: "GITHUB_WEBHOOK_SECRET",
    apiBaseUrl: "https://api.github.com",
    tokenSecretName: "GITHUB_TOKEN",
    repositories: [],
    issues: { questions: "non-team", labels: [] },
    discussions: { questions: "answerable" },
    answerPolicy: "any-reply",
    teamAssociations: ["OWNER", "MEMBER", "COLLABORATOR"],
  }),
  discourse: (): DiscourseSourceConfig => ({
    enabled: true,
    secretName: "DISCOURSE_WEBHOOK_SECRET",
    instances: [],
    questions: "all",
    solvedCategories: [],
    categories: {},
    answerPolicy: "any-reply",
    staffIsTeam: true,
    apiKeySecretName: "DISCOURSE_API_KEY",
    apiUsername: "system",
  }),
  slack: (): SlackSourceConfig => ({
    enabled: true,
    secretName: "SLACK_SIGNING_SECRET",
    channels: [],
    channelNames: {},
    answeredReactions: ["white_check_mark", "heavy_check_mark"],
    questionReactions: ["question"],
    questionThreshold: 0.5,
    answerPolicy: "any-reply",
    maxClockSkewSeconds: 300,
    botTokenSecretName: "SLACK_BOT_TOKEN",
    apiBaseUrl: "https://slack.com/api",
  }),
  discord: (): DiscordSourceConfig => ({
    enabled: true,
    secretName: "DISCORD_BOT_TOKEN",
    apiBaseUrl: "https://discord.com/api/v10",
    channels: [],
    pollIntervalSeconds: 60,
    lookbackDays: 7,
    maxPagesPerRun: 10,
    questionThreshold: 0.5,
    answerPolicy: "any-reply",
  }),
  stackoverflow: (): StackOverflowSourceConfig => ({
    enabled: false,
    site: "stackoverflow",
    tags: [],
    apiBaseUrl: "https://api.stackexchange.com/2.3",
    keySecretName: "STACKEXCHANGE_KEY",
    pollIntervalSeconds: 300,
    answerPolicy: "any-reply",
  }),
};

/** The answer policy a source's threads are folded with (the default when not configured). */
export function answerPolicyFor(config: Pick<Config, "sources">, source: Source): AnswerPolicy {
  const settings: { answerPolicy?: AnswerPolicy } | undefined = config.sources[source];
  return settings?.answerPolicy ?? "any-reply";
}
