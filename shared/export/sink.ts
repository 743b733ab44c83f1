import { createReadStream, mkdirSync, readdirSync, renameSync, rmSync, copyFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

/** Where exported files go: the S3 bucket (AWS, or the local S3 server) or a plain folder. */
export interface ExportSink {
  /** Store a local file under `key`, replacing what was there (readers see old or new, never half). */
  putFile(key: string, path: string, contentType: string): Promise<void>;
  /** Every key under `prefix`. */
  list(prefix: string): Promise<string[]>;
  delete(keys: readonly string[]): Promise<void>;
  /** Human-readable location of a key, for messages. */
  locate(key: string): string;
}

export class S3ExportSink implements ExportSink {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async putFile(key: string, path: string, contentType: string): Promise<void> {
    // Streamed from disk with a known length: a large day is never held in memory.
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: createReadStream(path), ContentLength: statSync(path).size, ContentType: contentType }),
    );
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return keys;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      const res = await this.s3.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }),
      );
      if (res.Errors && res.Errors.length > 0) {
        throw new Error(`could not delete ${res.Errors.map((e) => `${e.Key} (${e.Code})`).join(", ")} from s3://${this.bucket}`);
      }
    }
  }

  locate(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}

/** A plain folder: `export --out DIR` (files a person can open). */
export class DirectoryExportSink implements ExportSink {
  constructor(readonly root: string) {}

  async putFile(key: string, path: string): Promise<void> {
    const target = join(this.root, key);
    mkdirSync(dirname(target), { recursive: true });
    const staged = `${target}.tmp-${process.pid}`;
    copyFileSync(path, staged);
    renameSync(staged, target);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = (dir: string) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else keys.push(relative(this.root, full).split(sep).join("/"));
      }
    };
    walk(this.root);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) rmSync(join(this.root, key), { force: true });
  }

  locate(key: string): string {
    return join(this.root, key);
  }
}
