/**
 * A local S3-compatible server (s3rver, in process) on a free port of 127.0.0.1, storing
 * objects as plain files under a folder, so `dev` exports exactly as AWS would (same SDK
 * calls, same keys) and DuckDB can read the exported Parquet straight from disk.
 *
 * Why s3rver: pure Node, works offline, writes each object to
 * `<directory>/<bucket>/<key>._S3rver_object` (metadata beside it), which keeps the
 * `dt=YYYY-MM-DD/` folders a hive-partitioned DuckDB glob needs. It checks signatures against
 * the key pair S3RVER/S3RVER, and it predates the SDK's default CRC32 aws-chunked uploads:
 * clients must use localS3ClientConfig().
 */
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CreateBucketCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { LOCAL_REGION } from "./clients.ts";

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets?: { name: string }[];
}) => S3rverInstance;

const HOST = "127.0.0.1";
/** Suffix s3rver gives every stored object's file (its metadata sits in `._S3rver_metadata.json`). */
export const S3RVER_OBJECT_SUFFIX = "._S3rver_object";

export interface LocalS3 {
  endpoint: string;
  port: number;
  /** Folder holding one sub-folder per bucket. */
  directory: string;
  /** Where the object stored under `key` of `bucket` lives on disk. */
  objectPath(bucket: string, key: string): string;
  stop(): Promise<void>;
}

export class LocalS3Error extends Error {
  override name = "LocalS3Error";
}

/**
 * SDK v3 client settings for s3rver: path-style URLs (no bucket subdomains on 127.0.0.1),
 * its fixed key pair, and checksums only where an API requires them (s3rver cannot parse
 * the aws-chunked bodies the SDK sends with CRC32 checksums by default).
 */
export function localS3ClientConfig(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
}

/** `port` 0 (the default) picks a free one; a fixed one restarts a stopped server where its clients point. */
export async function startS3(options: { directory: string; buckets?: string[]; port?: number }): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  // CommonJS without types: loaded through require so the ESM build sees module.exports itself.
  const S3rver = createRequire(import.meta.url)("s3rver") as S3rverConstructor;
  const server = new S3rver({ address: HOST, port: options.port ?? 0, directory: options.directory, silent: true });
  let bound: { port: number };
  try {
    bound = await server.run();
  } catch (err) {
    throw new LocalS3Error(`the local S3 server could not listen on ${HOST}: ${(err as Error).message}`);
  }
  const endpoint = `http://${HOST}:${bound.port}`;
  const client = new S3Client(localS3ClientConfig(endpoint));
  for (const bucket of options.buckets ?? []) await ensureBucket(client, bucket);
  client.destroy();
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port: bound.port,
    directory: options.directory,
    objectPath: (bucket, key) => join(options.directory, bucket, ...key.split("/")) + S3RVER_OBJECT_SUFFIX,
    stop: () => (stopping ??= server.close()),
  };
}

/** Create a bucket unless it exists (s3rver keeps buckets as folders across restarts). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as Error).name;
    if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw err;
  }
}
