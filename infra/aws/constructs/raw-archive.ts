import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { RAW_PREFIX } from "../../../shared/blob/raw-archive.ts";

export interface RawArchiveProps {
  /** `archive.retentionDays`: raw deliveries (bodies included) expire after this many days. */
  retentionDays: number;
  accessLogsBucket: IBucket;
}

/**
 * The raw archive: every delivery the normaliser receives (one gzip object per batch and day)
 * and the bodies too large for a queue message, all under `raw/`, expired after
 * `archive.retentionDays` (which is also how long a forgotten member's raw deliveries remain).
 */
export class RawArchiveBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: RawArchiveProps) {
    super(scope, id);
    this.bucket = new Bucket(this, "Bucket", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      // Not versioned: the retention must really remove what expires.
      versioned: false,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: "raw-archive/",
      lifecycleRules: [
        { id: "expire-raw-deliveries", prefix: RAW_PREFIX, expiration: Duration.days(props.retentionDays) },
        { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      // A stack deletion keeps the deliveries (they expire on their own).
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
