import { z } from "zod";
import { InstantSchema, SourceSchema } from "./activity.ts";

/**
 * What ingest puts on the queue: the verified raw body, untouched, with the headers that
 * matter. Normalisation happens later, so a normaliser bug can be fixed and the envelope
 * re-processed.
 */
export const EnvelopeSchema = z.object({
  v: z.literal(1),
  /** Our id for this delivery (uuid). */
  id: z.string().min(1),
  source: SourceSchema,
  /** Platform event type (`X-GitHub-Event`, ...). */
  eventType: z.string().min(1),
  /** Platform delivery id (`X-GitHub-Delivery`, ...), when it sends one. */
  deliveryId: z.string().nullable(),
  receivedAt: InstantSchema,
  contentType: z.string(),
  /** Lower-cased header names to values, only the ones adapters need; never secrets. */
  headers: z.record(z.string(), z.string()),
  /** The raw body exactly as received (UTF-8). */
  body: z.string(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;
