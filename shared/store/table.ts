/**
 * The single table's shape: one definition used by the store code, the local stack (which
 * creates the table in DynamoDB Local) and the CDK construct, so they cannot drift.
 *
 * Items (PK / SK):
 * - activity        THREAD#<threadId> / ACT#<activityId>   (non-thread activity: ACT#<id> / ACT)
 * - day marker      ACTDAY#<occurred yyyy-mm-dd> / THREAD#<threadId>  (the thread has activity that day;
 *                   written once per thread and day, before the activity; for the export's day)
 * - question marker ACTDAY#<created yyyy-mm-dd> / Q#THREAD#<threadId>  (a question thread created that day,
 *                   for the digest's 7-day numbers; also the day marker when the opening wrote it)
 * - member marker   MEMBER#<actorId> / THREAD#<threadId>  (the member acted in the thread; written once,
 *                   before the activity; the ASKER# mark stands in for it in a question they opened; for forget)
 * - thread summary  THREAD#<threadId> / SUMMARY            (+ GSI1 while an open question; + GSI2 `QDAY#<created day>`
 *                   only on a question summary stored with it before question markers existed)
 * - digest sent     DIGEST#<recipient> / DAY#<yyyy-mm-dd>
 * - digest action   DIGESTACTIONS#<yyyy-mm-dd> / <at>#<activityId>  (expires after 30 days)
 * - asked question  ASKER#<actorId> / <createdAt>#<threadId>       (first-time asker mark; forget reads it too)
 * - poller cursor   CURSOR#<source>#<channel> / CURSOR  (value: the last position read)
 * - lease           LEASE#<name> / LEASE  (holder, until in epoch ms: one scheduled run at a time; TTL a day after)
 * - late arrival    TOUCHED#<received yyyy-mm-dd> / DAY#<occurred yyyy-mm-dd>  (no index keys; TTL 35 days;
 *                   an export partition changed after its day: re-export it)
 * - export record   EXPORT#<table> / DAY#<yyyy-mm-dd>  (rows, bytes, key, schemaVersion, exportedAt)
 * - export run      EXPORT#RUN / LAST  (received day the last daily export run covered)
 * Activities the normaliser stores with its thread snapshot carry no index keys (the markers find them).
 * The others carry GSI2 (`ACTDAY#<day>`, for export) and GSI3 (`MEMBER#<actorId>`, to forget a person):
 * activities outside threads (one request writes the item and both lookups), activities put without a
 * snapshot (digest actions), and every activity stored before markers (the readers merge both).
 */
export const TABLE_KEYS = { partitionKey: "PK", sortKey: "SK" } as const;

/** Attribute that marks an item for TTL deletion (epoch seconds). */
export const TTL_ATTRIBUTE = "expiresAt";

export interface IndexDefinition {
  indexName: string;
  partitionKey: string;
  sortKey: string;
  /** Why the index exists (which access pattern of DESIGN.md it serves). */
  purpose: string;
  /**
   * ALL where readers need the item; KEYS_ONLY where they only need to find it (cheaper writes:
   * a keys-only index is written only when its keys change, and then with a tiny item). Every
   * index is keys only: its readers fetch the items they list with BatchGetItem.
   */
  projection: "ALL" | "KEYS_ONLY";
}

export const INDEXES = {
  /** Sparse: only open question threads carry these keys; oldest first. */
  openQuestions: {
    indexName: "GSI1",
    partitionKey: "GSI1PK",
    sortKey: "GSI1SK",
    purpose: "open question threads, oldest first (digest)",
    projection: "KEYS_ONLY",
  },
  /** Question threads by creation day (metrics) and indexed activities by day (export, with the day markers). */
  byDay: {
    indexName: "GSI2",
    partitionKey: "GSI2PK",
    sortKey: "GSI2SK",
    purpose: "question threads per creation day, as stored before question markers (metrics); indexed activities per day (export)",
    projection: "KEYS_ONLY",
  },
  /** One member's indexed activities (to forget a person, with the member markers). */
  byMember: {
    indexName: "GSI3",
    partitionKey: "GSI3PK",
    sortKey: "GSI3SK",
    purpose: "a member's indexed activities (forget)",
    projection: "KEYS_ONLY",
  },
} as const satisfies Record<string, IndexDefinition>;

export const ALL_INDEXES: IndexDefinition[] = Object.values(INDEXES);

/** Every key attribute is a string. */
export const KEY_ATTRIBUTES: string[] = [
  TABLE_KEYS.partitionKey,
  TABLE_KEYS.sortKey,
  ...ALL_INDEXES.flatMap((i) => [i.partitionKey, i.sortKey]),
];
