import * as z from "./zod.ts";
import { InstantSchema, SourceSchema } from "./activity.ts";

/**
 * What ingest puts on the queue: the verified raw body, untouched, with the headers that
 * matter. Normalisation happens later, so a normaliser bug can be fixed and the envelope
 * re-processed.
 */
export const EnvelopeSchema = z.object({
  v: z.literal(1),
  /** Our id for this delivery (uuid). */
  id: z.string().check(z.minLength(1)),
  source: SourceSchema,
  /** Platform event type (`X-GitHub-Event`, ...). */
  eventType: z.string().check(z.minLength(1)),
  /** Platform delivery id (`X-GitHub-Delivery`, ...), when it sends one. */
  deliveryId: z.nullable(z.string()),
  receivedAt: InstantSchema,
  contentType: z.string(),
  /** Lower-cased header names to values, only the ones adapters need; never secrets. */
  headers: z.record(z.string(), z.string()),
  /** The raw body exactly as received (UTF-8); "" when it is kept in the archive bucket (`bodyRef`). */
  body: z.string(),
  /**
   * A body too large for a queue message is stored gzip-compressed in the raw archive bucket
   * under `key` (claim check); `sha256` is of the uncompressed bytes.
   */
  bodyRef: z.optional(
    z.object({ key: z.string().check(z.minLength(1)), bytes: z.int().check(z.nonnegative()), sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)) }),
  ),
  /** Queued again from the raw archive by `reprocess` (not archived a second time). */
  replay: z.optional(z.boolean()),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;
