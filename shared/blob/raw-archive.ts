import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { EnvelopeSchema, type Envelope } from "../model/envelope.ts";

/**
 * The raw archive: every delivery the normaliser receives is kept, gzip-compressed JSON lines
 * of envelopes, one object per normaliser batch and received day, so any day can be normalised
 * again (`reprocess`) after an adapter fix. Bodies too large for a queue message live here too
 * (claim check). Layout, all under `raw/` (one lifecycle rule expires it):
 *   raw/dt=YYYY-MM-DD/batch-<first envelope id>-<n>.jsonl.gz   archived envelopes
 *   raw/dt=YYYY-MM-DD/body-<envelope id>.gz                    a claim-checked body
 */
export const RAW_PREFIX = "raw/";

export const rawDayPrefix = (day: string) => `${RAW_PREFIX}dt=${day}/`;
export const bodyKey = (day: string, envelopeId: string) => `${rawDayPrefix(day)}body-${safeKeyPart(envelopeId)}.gz`;
export const batchKey = (day: string, firstEnvelopeId: string, count: number) => `${rawDayPrefix(day)}batch-${safeKeyPart(firstEnvelopeId)}-${count}.jsonl.gz`;

/** Envelope ids are ours (uuids); anything else is reduced to characters S3 keys take plainly. */
function safeKeyPart(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 200);
}

/** The body's claim could not be found: it will never be (a permanent failure). */
export class MissingBodyError extends Error {
  override readonly name = "MissingBodyError";
}

/**
 * An archive on `bucket` with an S3 client configured from the environment, as a Lambda's is.
 * Ingest imports this module lazily for its claim check: importing the client package itself
 * would bring every S3 command into its chunk, this module only the commands it uses.
 */
export function rawArchiveFromEnvironment(bucket: string): RawArchive {
  return new RawArchive(new S3Client({}), bucket);
}

export class RawArchive {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  /** Keeps a body too large for the queue; returns the reference the envelope carries. */
  async putBody(day: string, envelopeId: string, body: Buffer): Promise<{ key: string; bytes: number; sha256: string }> {
    const key = bodyKey(day, envelopeId);
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: gzipSync(body), ContentType: "application/gzip" }));
    return { key, bytes: body.byteLength, sha256: createHash("sha256").update(body).digest("hex") };
  }

  /** The envelope with its body in place (unchanged when it carried the body itself). */
  async withBody(envelope: Envelope): Promise<Envelope> {
    const ref = envelope.bodyRef;
    if (!ref) return envelope;
    let compressed: Uint8Array;
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: ref.key }));
      compressed = await res.Body!.transformToByteArray();
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === "NoSuchKey") throw new MissingBodyError(`the archived body ${ref.key} does not exist (expired or deleted)`);
      throw err;
    }
    const body = gunzipSync(compressed);
    const sha256 = createHash("sha256").update(body).digest("hex");
    if (sha256 !== ref.sha256) throw new MissingBodyError(`the archived body ${ref.key} does not match its checksum`);
    const { bodyRef: _ref, ...rest } = envelope;
    return { ...rest, body: body.toString("utf8") };
  }

  /** Archives envelopes: one object per received day (a batch rarely spans two). */
  async putBatch(envelopes: readonly Envelope[]): Promise<string[]> {
    const byDay = new Map<string, Envelope[]>();
    for (const e of envelopes) {
      const day = e.receivedAt.slice(0, 10);
      (byDay.get(day) ?? byDay.set(day, []).get(day)!).push(e);
    }
    const keys: string[] = [];
    for (const [day, list] of byDay) {
      const key = batchKey(day, list[0]!.id, list.length);
      const lines = list.map((e) => JSON.stringify(e)).join("\n") + "\n";
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: gzipSync(lines), ContentType: "application/gzip" }));
      keys.push(key);
    }
    return keys;
  }

  /** The archived batch objects of one received day. */
  async batchKeys(day: string): Promise<string[]> {
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${rawDayPrefix(day)}batch-`, ContinuationToken }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return keys.sort();
  }

  /** The envelopes of one archived batch object (a line that is not an envelope is skipped and counted). */
  async readBatch(key: string): Promise<{ envelopes: Envelope[]; unreadable: number }> {
    const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const text = gunzipSync(await res.Body!.transformToByteArray()).toString("utf8");
    const envelopes: Envelope[] = [];
    let unreadable = 0;
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        envelopes.push(EnvelopeSchema.parse(JSON.parse(line)));
      } catch {
        unreadable++;
      }
    }
    return { envelopes, unreadable };
  }
}
