import { BatchGetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** One cached display name: what a platform calls an id (a person, a channel, a workspace). */
export interface CachedName {
  name: string;
  /** ISO 8601: when it was read from the platform. */
  fetchedAt: string;
}

/** Cached names expire from the table a week after they were read (TTL); a day makes them stale. */
const NAME_TTL_SECONDS = 7 * 86_400;

const nameKey = (source: string, kind: string, id: string) => ({ PK: `NAME#${source}#${kind}#${id}`, SK: "NAME" });

/**
 * Display names by platform id, cached in the table (its own aggregate, the same table
 * definition as the store): `NAME#<source>#<kind>#<id>`. Read in batches, so a digest's names
 * cost one request per hundred.
 */
export class NameCache {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async getMany(source: string, kind: string, ids: readonly string[]): Promise<Map<string, CachedName>> {
    const found = new Map<string, CachedName>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] = unique.slice(i, i + 100).map((id) => nameKey(source, kind, id));
      // Unprocessed keys (throttling) are asked again, a few times.
      for (let attempt = 0; keys.length > 0 && attempt < 5; attempt++) {
        const res = await this.ddb.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }));
        for (const item of res.Responses?.[this.tableName] ?? []) {
          if (typeof item.id === "string" && typeof item.name === "string" && typeof item.fetchedAt === "string") {
            found.set(item.id, { name: item.name, fetchedAt: item.fetchedAt });
          }
        }
        keys = (res.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return found;
  }

  async put(source: string, kind: string, id: string, name: string, fetchedAt: Date): Promise<void> {
    await this.ddb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...nameKey(source, kind, id), type: "name", id, name, fetchedAt: fetchedAt.toISOString(), expiresAt: Math.floor(fetchedAt.getTime() / 1000) + NAME_TTL_SECONDS },
      }),
    );
  }
}
