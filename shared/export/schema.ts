/**
 * The published analytics schema: one definition for the Parquet writer, the local DuckDB
 * views and the AWS Glue tables, so the three cannot drift. Columns may be added (bump nothing,
 * append at the end); an existing column is never renamed, retyped or removed — analysts' SQL
 * and old partitions depend on it. test/unit/export/published-schema.json guards this.
 *
 * Every table is partitioned by `dt` (the UTC day, `<prefix>dt=YYYY-MM-DD/`); `dt` is a
 * partition column only, never stored inside the files.
 */

export const SCHEMA_VERSION = 1;

export type ColumnType = "string" | "boolean" | "int64" | "double" | "timestamp" | "list<string>";

export interface ColumnDef {
  name: string;
  type: ColumnType;
  nullable: boolean;
  description: string;
}

const activityColumns = [
  { name: "id", type: "string", nullable: false, description: "Stable natural id of the activity, e.g. github:issue_comment:1234567" },
  { name: "source", type: "string", nullable: false, description: "Platform: github, discourse, slack, discord, stackoverflow" },
  { name: "instance", type: "string", nullable: false, description: "org/repo, forum host, Slack team, Discord guild or Stack Exchange site" },
  { name: "channel_id", type: "string", nullable: false, description: "Channel id (platform-scoped)" },
  { name: "channel_name", type: "string", nullable: false, description: "Channel display name" },
  { name: "kind", type: "string", nullable: false, description: "thread_opened, reply, comment, answer_accepted, answer_unaccepted, question_marked, question_unmarked, thread_closed, thread_reopened, deleted, restored, review, reaction, star, unstar, fork, member_joined, member_left, app_event" },
  { name: "thread_id", type: "string", nullable: true, description: "Thread this activity belongs to (null for activity outside a thread, e.g. a star)" },
  { name: "thread_title", type: "string", nullable: true, description: "Thread title as this activity knew it" },
  { name: "thread_url", type: "string", nullable: true, description: "Thread URL" },
  { name: "thread_author_id", type: "string", nullable: true, description: "Thread author's actor id, when known" },
  { name: "thread_created_at", type: "timestamp", nullable: true, description: "Thread creation time on the platform (UTC), when known" },
  { name: "thread_is_question", type: "boolean", nullable: true, description: "Whether the thread counts as a question (as this activity knew it)" },
  { name: "thread_accepts_answers", type: "boolean", nullable: true, description: "Whether an answer can be marked on the thread (as this activity knew it; null when unknown)" },
  { name: "actor_id", type: "string", nullable: false, description: "Platform-scoped stable person id, e.g. github:user:583231" },
  { name: "actor_login", type: "string", nullable: false, description: "Login / handle" },
  { name: "actor_name", type: "string", nullable: true, description: "Display name, when the platform gives one" },
  { name: "actor_is_bot", type: "boolean", nullable: false, description: "The actor is a bot or an app" },
  { name: "actor_is_team", type: "boolean", nullable: false, description: "The actor is on the team (roster or platform role)" },
  { name: "occurred_at", type: "timestamp", nullable: false, description: "When it happened on the platform (UTC, ms); decides the dt partition" },
  { name: "received_at", type: "timestamp", nullable: false, description: "When we received it (UTC, ms)" },
  { name: "url", type: "string", nullable: true, description: "Link to the activity" },
  { name: "excerpt", type: "string", nullable: true, description: "Body excerpt, at most privacy.excerptLength characters (null when 0)" },
  { name: "is_question", type: "boolean", nullable: false, description: "This activity opens a question thread" },
  { name: "version", type: "string", nullable: false, description: "Platform version of this activity (the newest stored version is exported)" },
  { name: "target", type: "string", nullable: true, description: "deleted: the removed activity's id; answer_(un)accepted: the answer's activity id" },
  { name: "reason", type: "string", nullable: true, description: "thread_closed / app_event: why (completed, not_planned, locked, ...)" },
  { name: "until", type: "timestamp", nullable: true, description: "action_snooze: when the snooze ends" },
  { name: "schema_version", type: "int64", nullable: false, description: "Version of this published schema the row was written with" },
] as const satisfies readonly ColumnDef[];

const threadColumns = [
  { name: "id", type: "string", nullable: false, description: "Thread id (joins activities.thread_id)" },
  { name: "source", type: "string", nullable: false, description: "Platform" },
  { name: "instance", type: "string", nullable: false, description: "org/repo, forum host, Slack team or Discord guild" },
  { name: "channel_id", type: "string", nullable: false, description: "Channel id" },
  { name: "channel_name", type: "string", nullable: false, description: "Channel display name" },
  { name: "title", type: "string", nullable: false, description: "Thread title" },
  { name: "url", type: "string", nullable: false, description: "Thread URL" },
  { name: "author_id", type: "string", nullable: true, description: "Author's actor id (null while unknown)" },
  { name: "author_login", type: "string", nullable: true, description: "Author's login" },
  { name: "author_is_team", type: "boolean", nullable: true, description: "Author is on the team" },
  { name: "is_question", type: "boolean", nullable: false, description: "The thread counts as a question" },
  { name: "question_score", type: "double", nullable: true, description: "Question classifier score (0..1) where a classifier decided; null where a rule did" },
  { name: "status", type: "string", nullable: false, description: "open, answered, closed, deleted" },
  { name: "created_at", type: "timestamp", nullable: false, description: "Platform creation time (UTC)" },
  { name: "first_response_at", type: "timestamp", nullable: true, description: "First qualifying reply (not the author, not a bot; team only under team-reply)" },
  { name: "first_responder_id", type: "string", nullable: true, description: "Who gave the first qualifying reply" },
  { name: "first_responder_login", type: "string", nullable: true, description: "First responder's login" },
  { name: "first_responder_is_team", type: "boolean", nullable: true, description: "First responder is on the team" },
  { name: "accepted_at", type: "timestamp", nullable: true, description: "When an answer was accepted (and not later unaccepted)" },
  { name: "accepted_answer_by_id", type: "string", nullable: true, description: "Author of the accepted answer" },
  { name: "accepted_answer_by_login", type: "string", nullable: true, description: "Accepted answer author's login" },
  { name: "reply_count", type: "int64", nullable: false, description: "Surviving replies by anyone (author's and bots' included)" },
  { name: "last_activity_at", type: "timestamp", nullable: false, description: "Latest activity in the thread" },
  { name: "closed_at", type: "timestamp", nullable: true, description: "When it was closed (null while open)" },
  { name: "excerpt", type: "string", nullable: true, description: "Opening body excerpt, at most privacy.excerptLength characters" },
  { name: "has_opening", type: "boolean", nullable: false, description: "The opening activity has been received (false while only replies arrived)" },
  { name: "question_status", type: "string", nullable: true, description: "needs-first-response, awaiting-team, answered-unmarked, answered, resolved, not-a-question (never snoozed: see snoozed_until); null on states stored before it existed" },
  { name: "accepts_answers", type: "boolean", nullable: false, description: "An answer can be marked on this thread" },
  { name: "snoozed_until", type: "timestamp", nullable: true, description: "Hidden from the digest until then (null if never snoozed)" },
  { name: "assignee_id", type: "string", nullable: true, description: "Advocate who said \"I'll take it\" last" },
  { name: "assignee_login", type: "string", nullable: true, description: "That advocate's login" },
  { name: "assigned_at", type: "timestamp", nullable: true, description: "When it was taken" },
  { name: "state_revision", type: "int64", nullable: false, description: "Revision of the stored thread state; per id, the row with the greatest state_revision is the newest state" },
  { name: "schema_version", type: "int64", nullable: false, description: "Version of this published schema the row was written with" },
] as const satisfies readonly ColumnDef[];

export type ActivityColumnName = (typeof activityColumns)[number]["name"];
export type ThreadColumnName = (typeof threadColumns)[number]["name"];

export const ACTIVITY_COLUMNS: readonly ColumnDef[] = activityColumns;
export const THREAD_COLUMNS: readonly ColumnDef[] = threadColumns;

export const EXPORT_TABLES: {
  activities: { name: "activities"; prefix: "activities/"; columns: readonly ColumnDef[] };
  threads: { name: "threads"; prefix: "threads/"; columns: readonly ColumnDef[] };
} = {
  activities: { name: "activities", prefix: "activities/", columns: ACTIVITY_COLUMNS },
  threads: { name: "threads", prefix: "threads/", columns: THREAD_COLUMNS },
};

export type ExportTableName = keyof typeof EXPORT_TABLES;

/** Partitions are `<prefix>dt=YYYY-MM-DD/`; `dt` is the UTC day (activities: of occurred_at). */
export const PARTITION_KEY = "dt";
