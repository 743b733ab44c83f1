import { Duration, Stack } from "aws-cdk-lib";
import { Queue, QueueEncryption, RedrivePermission } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface IngestQueueProps {
  visibilityTimeout: Duration;
  maxReceiveCount: number;
  maxMessageBytes: number;
}

/** The webhook queue and its dead-letter queue. */
export class IngestQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: IngestQueueProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // A fixed name lets the DLQ's redrive allow policy name its source queue without the
    // circular reference (queue -> DLQ ARN -> queue ARN) that CloudFormation would reject.
    const queueName = `${stack.stackName.slice(0, 60)}-ingest`;
    const queueArn = stack.formatArn({ service: "sqs", resource: queueName });

    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Longer than the source queue's retention: a message keeps its original enqueue time.
      retentionPeriod: Duration.days(14),
      redriveAllowPolicy: {
        redrivePermission: RedrivePermission.BY_QUEUE,
        sourceQueues: [Queue.fromQueueArn(this, "SourceQueueRef", queueArn)],
      },
    });

    this.queue = new Queue(this, "Queue", {
      queueName,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      maxMessageSizeBytes: props.maxMessageBytes,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
