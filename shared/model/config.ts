import * as z from "zod";
import { ANSWER_POLICIES } from "./thread.ts";

// The lookups handlers use live in a zod-free module (no schema at cold start); re-exported here.
import { recipientId } from "./config-values.ts";
export { findRecipient, isRosterMember, recipientId, SOURCE_DEFAULTS } from "./config-values.ts";

// A classic copy of thread.ts's zod/mini enum (mini schemas have no `.default()` method).
const AnswerPolicySchema = z.enum(ANSWER_POLICIES);

const EnvVarName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, "must be an environment variable name such as GITHUB_WEBHOOK_SECRET");

const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24-hour)");

const TimeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be an IANA time zone such as Europe/Berlin" },
);

export const GitHubSourceConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /**
   * Name of the webhook secret: an environment variable locally, a Secrets Manager secret in AWS.
   * The secret itself never lives in this file.
   */
  secretName: EnvVarName.default("GITHUB_WEBHOOK_SECRET"),
  /** GitHub's REST API, for `backfill` (GitHub Enterprise Server: `https://HOST/api/v3`). */
  apiBaseUrl: z.url().default("https://api.github.com"),
  /** Name of the API token `backfill` reads history with (env var locally); never the token itself. */
  tokenSecretName: EnvVarName.default("GITHUB_TOKEN"),
  /** `owner/repo` names to accept; empty accepts any repository. */
  repositories: z.array(z.string().regex(/^[^/\s]+\/[^/\s]+$/, "must be owner/repo")).default([]),
  issues: z
    .object({
      /** Which issues are questions: opened by someone outside the team, all, those with given labels, none. */
      questions: z.enum(["non-team", "all", "labeled", "none"]).default("non-team"),
      labels: z.array(z.string()).default([]),
    })
    .default({ questions: "non-team", labels: [] }),
  discussions: z
    .object({
      /** Which discussions are questions: those in answerable categories (Q&A), all, none. */
      questions: z.enum(["answerable", "all", "none"]).default("answerable"),
    })
    .default({ questions: "answerable" }),
  answerPolicy: AnswerPolicySchema.default("any-reply"),
  /** `author_association` values that count as the team, besides the roster. */
  teamAssociations: z
    .array(z.enum(["OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR", "MANNEQUIN", "NONE"]))
    .default(["OWNER", "MEMBER", "COLLABORATOR"]),
});
export type GitHubSourceConfig = z.infer<typeof GitHubSourceConfigSchema>;

export const DiscourseSourceConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** Name of the webhook secret (env var locally, Secrets Manager in AWS); Discourse requires 12+ characters. */
  secretName: EnvVarName.default("DISCOURSE_WEBHOOK_SECRET"),
  /** Forum base URLs (`X-Discourse-Instance`) to accept; empty accepts any. */
  instances: z.array(z.url()).default([]),
  /**
   * Which topics are questions: every topic, none, or only topics in `solvedCategories`
   * (the categories where the Solved plugin's accepted answers are enabled).
   */
  questions: z.enum(["all", "none", "solved"]).default("all"),
  /** Category ids or slugs with accepted answers enabled (for `questions: "solved"`). */
  solvedCategories: z.array(z.string()).default([]),
  /** Per-category override by id or slug: `all` (questions), `none` (never). */
  categories: z.record(z.string(), z.enum(["all", "none"])).default({}),
  answerPolicy: AnswerPolicySchema.default("any-reply"),
  /** Discourse staff (admins, moderators) count as the team, besides the roster. */
  staffIsTeam: z.boolean().default(true),
  /** Name of the Discourse API key (env var locally, Secrets Manager in AWS), read by `backfill`. */
  apiKeySecretName: EnvVarName.default("DISCOURSE_API_KEY"),
  /** The user the API key acts as (`Api-Username`); `system` for an all-users key. */
  apiUsername: z.string().min(1).max(60).default("system"),
});
export type DiscourseSourceConfig = z.infer<typeof DiscourseSourceConfigSchema>;

export const SlackSourceConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** Name of the Slack app's signing secret (env var locally, Secrets Manager in AWS). */
  secretName: EnvVarName.default("SLACK_SIGNING_SECRET"),
  /** Watched channel ids (C…); empty watches every channel the app is in. */
  channels: z.array(z.string().regex(/^[CG][A-Z0-9]+$/, "must be a Slack channel id such as C0123456789")).default([]),
  /** Channel names for the digest, by channel id (Slack events carry only ids). */
  channelNames: z.record(z.string(), z.string()).default({}),
  /** Workspace URL for links, e.g. https://acme.slack.com; without it links use app.slack.com. */
  workspaceUrl: z.url().optional(),
  /** Reactions by someone other than the asker that mark a question answered. */
  answeredReactions: z.array(z.string()).default(["white_check_mark", "heavy_check_mark"]),
  /**
   * Reactions by which a team member marks a message as a question the classifier missed
   * (`question` is ❓); removing the reaction takes the mark back.
   */
  questionReactions: z.array(z.string()).default(["question"]),
  /** A top-level message with a question score at or above this opens a question thread. */
  questionThreshold: z.number().min(0).max(1).default(0.5),
  answerPolicy: AnswerPolicySchema.default("any-reply"),
  /** Requests whose X-Slack-Request-Timestamp is further than this from now are refused. */
  maxClockSkewSeconds: z.number().int().min(1).max(3600).default(300),
  /**
   * Optional bot token (scopes users:read, channels:read, team:read): with it the digest shows
   * people's, channels' and the workspace's names instead of Slack ids. Looked up by the digest,
   * cached in the table a day, never on a webhook's path.
   */
  botTokenSecretName: z.string().regex(/^[A-Za-z0-9_]+$/).default("SLACK_BOT_TOKEN"),
  /** Slack's Web API (a fake one in tests). */
  apiBaseUrl: z.url().default("https://slack.com/api"),
});
export type SlackSourceConfig = z.infer<typeof SlackSourceConfigSchema>;

export const DiscordChannelSchema = z.object({
  id: z.string().regex(/^\d{15,21}$/, "must be a Discord channel id (a snowflake)"),
  name: z.string().optional(),
  /** `text`: top-level messages that read as questions open threads; `forum`: every post is a question. */
  type: z.enum(["text", "forum"]).default("text"),
});

export const DiscordSourceConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** Name of the bot token (env var locally, Secrets Manager in AWS). The bot needs the MESSAGE_CONTENT intent. */
  secretName: EnvVarName.default("DISCORD_BOT_TOKEN"),
  /** The REST API base; tests point it at a local fake server. */
  apiBaseUrl: z.url().default("https://discord.com/api/v10"),
  guildId: z.string().regex(/^\d{15,21}$/, "must be a Discord guild id (a snowflake)").optional(),
  channels: z.array(DiscordChannelSchema).default([]),
  /** How often the poller reads every watched channel. */
  pollIntervalSeconds: z.number().int().min(10).max(86400).default(60),
  /** A channel or thread read for the first time starts this many days back. */
  lookbackDays: z.number().int().min(1).max(90).default(7),
  /** Pages of 100 messages read per channel per run at most (the rest waits for the next run). */
  maxPagesPerRun: z.number().int().min(1).max(100).default(10),
  questionThreshold: z.number().min(0).max(1).default(0.5),
  answerPolicy: AnswerPolicySchema.default("any-reply"),
});
export type DiscordSourceConfig = z.infer<typeof DiscordSourceConfigSchema>;

/** A Stack Exchange tag as the API spells it: lower case, no spaces or semicolons (`amazon-dynamodb`, `c#`, `.net`). */
const StackExchangeTag = z
  .string()
  .min(1)
  .max(35)
  .regex(/^[a-z0-9.#+-]+$/, "must be a Stack Exchange tag in lower case, such as amazon-dynamodb (letters, digits, . # + -)");

export const StackOverflowSourceConfigSchema = z
  .object({
    /** Off unless turned on: the anonymous quota is small, so polling is a deliberate choice. */
    enabled: z.boolean().default(false),
    /** The Stack Exchange site's API name: `stackoverflow`, `serverfault`, `superuser`, `dba`, ... */
    site: z
      .string()
      .regex(/^[a-z][a-z0-9.-]{0,62}$/, "must be a Stack Exchange site's API name such as stackoverflow")
      .default("stackoverflow"),
    /** Watched tags; a question in any of them is polled (one listing per tag: the API ANDs the tags of one request). */
    tags: z.array(StackExchangeTag).max(20).default([]),
    /** The API base; tests point it at a local fake server. */
    apiBaseUrl: z.url().default("https://api.stackexchange.com/2.3"),
    /**
     * Name of the optional app key (env var locally, Secrets Manager in AWS): with it the daily
     * quota is 10,000 requests, without it 300 per IP. A key is not a secret to Stack Exchange,
     * but it is kept like one here.
     */
    keySecretName: EnvVarName.default("STACKEXCHANGE_KEY"),
    /** How often the poller reads the watched tags (see docs/stackoverflow.md for the daily budget). */
    pollIntervalSeconds: z.number().int().min(60).max(86400).default(300),
    answerPolicy: AnswerPolicySchema.default("any-reply"),
  })
  .refine((so) => !so.enabled || so.tags.length > 0, {
    message: "list at least one tag to watch when the source is enabled",
    path: ["tags"],
  });
export type StackOverflowSourceConfig = z.infer<typeof StackOverflowSourceConfigSchema>;

export const TeamMemberSchema = z.object({
  name: z.string().min(1),
  email: z.email().optional(),
  identities: z
    .object({
      github: z.array(z.string()).default([]),
      discourse: z.array(z.string()).default([]),
      slack: z.array(z.string()).default([]),
      discord: z.array(z.string()).default([]),
      /** Stack Exchange user ids (the number in the profile URL, e.g. 22656), on the configured site. */
      stackoverflow: z.array(z.string().regex(/^\d{1,12}$/, "must be a Stack Exchange user id (digits)")).default([]),
    })
    .partial()
    .default({}),
});
export type TeamMember = z.infer<typeof TeamMemberSchema>;

/**
 * Where a recipient's digest is posted in Slack: an incoming webhook (its URL is a secret, named
 * here) or a conversation the Slack source's bot posts to with `chat.postMessage` (`chat:write`):
 * a channel id (C…, G…), a DM id (D…) or a user id (U…, W…: the app's DM with that person).
 */
export const RecipientSlackSchema = z.union([
  z.object({ webhookSecretName: EnvVarName }).strict(),
  z.object({ channel: z.string().regex(/^[CDGUW][A-Z0-9]{2,30}$/, "must be a Slack channel id (C…, G…, D…) or user id (U…, W…)") }).strict(),
]);
export type RecipientSlack = z.infer<typeof RecipientSlackSchema>;

export const RecipientSchema = z.object({
  /** Where the digest is mailed; a recipient has `email`, `slack` or both. */
  email: z.email().optional(),
  /** Where the digest is posted in Slack (see RecipientSlackSchema). */
  slack: RecipientSlackSchema.optional(),
  name: z.string().optional(),
  /** Overrides `digest.timeZone` for this person. */
  timeZone: TimeZone.optional(),
  /** Only these sources; empty means all. */
  sources: z.array(z.enum(["github", "discourse", "slack", "discord", "stackoverflow"])).default([]),
  /** Only these channel ids (as in the digest's `channelId`); empty means all. */
  channels: z.array(z.string()).default([]),
  /** Local send time for this person; overrides `digest.time`. */
  time: TimeOfDay.optional(),
  /** This person's first-response SLA; overrides `digest.slaHours` (channel SLAs still win). */
  slaHours: z.number().positive().optional(),
}).refine((r) => r.email !== undefined || r.slack !== undefined, {
  message: "a recipient needs an email, a slack target, or both",
  path: ["email"],
});
export type Recipient = z.infer<typeof RecipientSchema>;

export const DigestConfigSchema = z.object({
  from: z.email().default("community-signals@example.com"),
  subject: z.string().default("Unanswered community questions"),
  /** Local time of day the digest goes out, in `timeZone`. */
  time: TimeOfDay.default("08:00"),
  timeZone: TimeZone.default("UTC"),
  /** Questions younger than this are left out (someone may still be typing an answer). */
  minAgeHours: z.number().nonnegative().default(0),
  /** Questions older than this are left out; absent means no upper bound. */
  maxAgeDays: z.number().positive().optional(),
  /** A question older than this is overdue. */
  slaHours: z.number().positive().default(24),
  /** Per-channel SLA in hours by channel id; wins over the digest's and the recipient's. */
  channelSlaHours: z.record(z.string(), z.number().positive()).default({}),
  /** At most this many questions in the email (all are in `--json`). */
  maxItems: z.number().int().positive().default(50),
  recipients: z
    .array(RecipientSchema)
    .default([])
    // Two recipients with one id would share one daily send and one set of links.
    .refine(
      (rs) => {
        // Runs even when a recipient failed its own checks: those are skipped here, reported there.
        const ids = rs.flatMap((r) => {
          try {
            return [recipientId(r)];
          } catch {
            return [];
          }
        });
        return new Set(ids).size === ids.length;
      },
      { message: "two recipients have the same email (or the same slack target without an email)" },
    ),
});
export type DigestConfig = z.infer<typeof DigestConfigSchema>;

export const ActionsConfigSchema = z.object({
  /** Signed links in the digest (snooze, not a question, resolved, I'll take it). */
  enabled: z.boolean().default(true),
  /** Name of the HMAC key for the links (env var locally, Secrets Manager in AWS). */
  secretName: EnvVarName.default("ACTIONS_SIGNING_SECRET"),
  /** How long a link works. */
  linkTtlHours: z.number().int().min(1).max(24 * 30).default(72),
  /** Public base URL of the front door the links point at; locally the dev URL is used. */
  baseUrl: z.url().optional(),
  /** How long "snooze" hides a question. */
  snoozeHours: z.number().positive().default(24),
  /** How long the link to the whole queue (in every digest) works. */
  queuePageTtlHours: z.number().int().min(1).max(24 * 30).default(168),
});
export type ActionsConfig = z.infer<typeof ActionsConfigSchema>;

export const QueueConfigSchema = z.object({
  batchSize: z.number().int().min(1).max(10).default(10),
  maxReceiveCount: z.number().int().min(1).max(1000).default(5),
  visibilityTimeoutSeconds: z.number().int().min(1).max(43200).default(180),
  /**
   * Largest queue message. A webhook whose envelope is bigger has its body kept in the raw
   * archive bucket (compressed) and the message carries the key: SQS allows 262144 bytes.
   */
  maxMessageBytes: z.number().int().min(1024).max(262144).default(262144),
  /**
   * Largest webhook body accepted; bigger ones get 413. GitHub sends up to 25 MB. In AWS the
   * HTTP API and Lambda cap a request lower (about 6 MB reach the function).
   */
  maxBodyBytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(25 * 1024 * 1024),
});

export const ArchiveConfigSchema = z.object({
  /**
   * Days a raw delivery (body included) is kept in the archive bucket's `raw/` prefix, for
   * `reprocess`; then it expires. `forget` does not reach into the archive: this is how long a
   * forgotten member's raw deliveries may remain.
   */
  retentionDays: z.number().int().min(1).max(3650).default(90),
});

export const PrivacyConfigSchema = z.object({
  /** Characters of a body kept as an excerpt; 0 keeps none. */
  excerptLength: z.number().int().min(0).max(2000).default(280),
});

/**
 * The analytics export (Parquet on S3, Glue tables, Athena). `exportTime`/`timeZone` say when
 * the daily export starts; the rest only shapes the AWS resources.
 */
export const AnalyticsConfigSchema = z
  .object({
    /** Local time of day the daily export starts, in `timeZone` (partitions are UTC days either way). */
    exportTime: TimeOfDay.default("02:00"),
    timeZone: TimeZone.default("UTC"),
    lifecycle: z
      .object({
        /** Exported files move to S3 Standard-IA after this many days (S3 allows 30 at the earliest). */
        transitionToIaDays: z.number().int().min(30).default(90),
        /** Exported files are deleted after this many days; absent keeps them forever. */
        expireDays: z.number().int().min(1).optional(),
      })
      .refine((l) => l.expireDays === undefined || l.expireDays > l.transitionToIaDays, {
        message: "must be greater than transitionToIaDays (S3 rejects the lifecycle rule otherwise)",
        path: ["expireDays"],
      })
      .default({ transitionToIaDays: 90 }),
    /** An Athena query that would scan more than this many megabytes (10^6 bytes) is cancelled; Athena's minimum is 10. */
    athenaBytesScannedCutoffMb: z.number().int().min(10).max(1_000_000_000).default(1000),
    /** Athena query results are deleted after this many days. */
    athenaResultsExpireDays: z.number().int().min(1).max(3650).default(7),
  })
  .strict();
export type AnalyticsConfig = z.infer<typeof AnalyticsConfigSchema>;

/** Retention periods CloudWatch Logs accepts (any other number is rejected at deploy time). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** How the stack runs in AWS; the local stack ignores this block. */
export const AwsConfigSchema = z.object({
  /** Subscribed to the alarm topic by email (AWS sends a confirmation mail first). */
  alarmEmail: z.email().optional(),
  /** Send alarms to this existing SNS topic instead of one the stack creates. */
  alarmTopicArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, "must be an SNS topic ARN")
    .optional(),
  /**
   * The SES identity the digest is sent from: `email` creates an address identity for
   * `digest.from` (SES mails a verification link); `domain` creates a domain identity for its
   * domain with Easy DKIM (the stack outputs the three CNAME records to publish), so mail passes
   * DMARC; `existing` creates none and uses the identity already verified in the region (for a
   * second stack, or an address verified by hand).
   */
  sesIdentity: z.enum(["email", "domain", "existing"]).default("email"),
  /** SES configuration set for the digest mail; absent lets CloudFormation name it. */
  sesConfigurationSetName: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '-' or '_'")
    .optional(),
  logRetentionDays: z
    .number()
    .int()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(", ")}`,
    })
    .default(30),
  logLevel: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]).default("INFO"),
  ingest: z
    .object({
      /** Steady requests per second the HTTP API lets through before answering 429. */
      rateLimit: z.number().int().min(1).max(10000).default(50),
      /** Short bursts above the rate the HTTP API absorbs. */
      burstLimit: z.number().int().min(1).max(5000).default(100),
      /** Reserved concurrency for the ingest function; absent leaves it unreserved. */
      reservedConcurrency: z.number().int().min(1).max(1000).optional(),
    })
    .default({ rateLimit: 50, burstLimit: 100 }),
  normalizer: z
    .object({
      /** Most normaliser instances the queue may run at once (Lambda allows 2 to 1000). */
      maxConcurrency: z.number().int().min(2).max(1000).default(5),
      /**
       * Seconds the queue waits to fill a batch before invoking the normaliser. A longer window
       * means fuller batches: fewer invocations, SQS receives and raw-archive objects per webhook
       * (docs/cost.md); a webhook reaches the table up to this much later.
       */
      batchingWindowSeconds: z.number().int().min(0).max(300).default(60),
      /**
       * Most messages in one normaliser batch in AWS (Lambda allows up to 10,000 with a batching
       * window, 10 without). `queue.batchSize` is the local stack's batch (at most 10 a receive).
       */
      batchSize: z.number().int().min(1).max(10_000).default(100),
    })
    .default({ maxConcurrency: 5, batchingWindowSeconds: 60, batchSize: 100 })
    .refine((n) => n.batchSize <= 10 || n.batchingWindowSeconds >= 1, {
      message: "batchSize above 10 needs batchingWindowSeconds of at least 1 (a Lambda rule for SQS)",
      path: ["batchSize"],
    }),
});
export type AwsConfig = z.infer<typeof AwsConfigSchema>;

export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    /** Shown in the digest, e.g. the community's name. */
    name: z.string().default("Community"),
    sources: z
      .object({
        github: GitHubSourceConfigSchema.optional(),
        discourse: DiscourseSourceConfigSchema.optional(),
        slack: SlackSourceConfigSchema.optional(),
        discord: DiscordSourceConfigSchema.optional(),
        stackoverflow: StackOverflowSourceConfigSchema.optional(),
      })
      .default({}),
    team: z.array(TeamMemberSchema).default([]),
    digest: DigestConfigSchema.default(DigestConfigSchema.parse({})),
    actions: ActionsConfigSchema.default(ActionsConfigSchema.parse({})),
    queue: QueueConfigSchema.default(QueueConfigSchema.parse({})),
    privacy: PrivacyConfigSchema.default(PrivacyConfigSchema.parse({})),
    archive: ArchiveConfigSchema.default(ArchiveConfigSchema.parse({})),
    aws: AwsConfigSchema.default(AwsConfigSchema.parse({})),
    analytics: AnalyticsConfigSchema.default(AnalyticsConfigSchema.parse({})),
  })
  .strict()
  .superRefine((config, ctx) => {
    // chat.postMessage posts with the Slack source's bot token: no source, no token to post with.
    config.digest.recipients.forEach((r, i) => {
      if (r.slack && "channel" in r.slack && !config.sources.slack?.enabled) {
        ctx.addIssue({
          code: "custom",
          path: ["digest", "recipients", i, "slack", "channel"],
          message: "posting to a channel needs the Slack source (sources.slack, enabled) and its bot token; or use slack.webhookSecretName",
        });
      }
    });
  });
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly where: string,
    readonly problems: string[],
  ) {
    super(`${where} is not a valid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Validate a parsed config object; the error names every bad field by its path. */
export function parseConfig(raw: unknown, where = "config"): Config {
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join(".") : "(top level)";
    return `${path}: ${issue.message}`;
  });
  throw new ConfigError(where, problems);
}

/** Parse config file text (JSON); syntax errors are reported as ConfigError too. */
export function parseConfigText(text: string, where = "config"): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(where, [`not valid JSON: ${(err as Error).message}`]);
  }
  return parseConfig(raw, where);
}

/** JSON Schema for editors, generated from the zod schema so the two cannot drift. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigSchema, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
}

