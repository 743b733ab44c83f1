import { randomUUID } from "node:crypto";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { Config } from "../../shared/model/config.ts";
import type { Envelope } from "../../shared/model/envelope.ts";
import { EnvelopeTooLargeError, MESSAGE_ATTRIBUTE_HEADROOM_BYTES, serializeEnvelope } from "../../shared/queue/envelope-queue.ts";
import type { SecretResolver } from "../../shared/secrets/resolver.ts";
// The door only (verify, classify): the ingest bundle carries no normaliser.
import { enabledDoor, isSource, POLLED_SOURCES } from "../../shared/sources/door.ts";
import { quote } from "../../shared/sources/shape.ts";
import type { Classification, HttpAnswer, VerifyResult, WebhookRequest } from "../../shared/sources/types.ts";

export interface IngestRequest extends WebhookRequest {
  method: string;
  path: string;
  /** The body's announced size (Content-Length) when the server refused to read a body that large. */
  declaredBytes?: number;
}

/** What the front door needs from the queue: resolve only once the message is durable. */
export interface EnvelopeSink {
  send(envelope: Envelope): Promise<string>;
}

/**
 * Counts what ingest did, for /health locally and metrics in AWS. `source` is always a known
 * source name or "-", never the client's path segment, so an observer may key a map by it.
 */
export interface IngestObserver {
  outcome(source: string, outcome: IngestOutcome, detail?: string): void;
}
export type IngestOutcome = "queued" | "handshake" | "ignored" | "unauthorized" | "malformed" | "too_large" | "not_found" | "error";

export interface IngestDeps {
  config: Config;
  secrets: SecretResolver;
  queue: EnvelopeSink;
  observer?: IngestObserver;
  /**
   * Where a body too large for a queue message is kept (the raw archive bucket); the message
   * then carries its key. Without it such a webhook gets 413.
   */
  claims?: { putBody(day: string, envelopeId: string, body: Buffer): Promise<{ key: string; bytes: number; sha256: string }> };
  /** The one clock: signature windows and received-at stamps. */
  now: Clock;
  newId?: () => string;
}

const json = (status: number, body: Record<string, unknown>): HttpAnswer => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

const WEBHOOK_PATH = /^\/webhooks\/([a-z0-9-]+)\/?$/;

/** What a client is told when the door itself failed: never the exception's text. */
const INTERNAL_ERROR = "the webhook could not be processed; please redeliver";

/**
 * The webhook front door, shared by the Lambda and the local HTTP server: verify the raw
 * bytes, classify (a body that is not UTF-8 JSON, or not the shape its event promises, is a 400
 * naming the problem), answer handshakes, queue the raw body in an Envelope, acknowledge.
 * Nothing unverified or malformed is queued. Answers say what was wrong with the request and
 * never carry internal messages.
 */
export function createIngest(deps: IngestDeps): (request: IngestRequest) => Promise<HttpAnswer> {
  const now = deps.now;
  const newId = deps.newId ?? randomUUID;
  const maxMessageBytes = deps.config.queue.maxMessageBytes;
  // Without a claim-check store, the queue message is the limit.
  const maxBytes = deps.claims ? deps.config.queue.maxBodyBytes : maxMessageBytes;

  return async function ingest(request) {
    const match = WEBHOOK_PATH.exec(request.path);
    if (!match) {
      deps.observer?.outcome("-", "not_found", quote(request.path));
      return json(404, { error: `no route for ${quote(request.method)} ${quote(request.path)}` });
    }
    const sourceName = match[1] ?? "";
    if (request.method !== "POST") {
      return { ...json(405, { error: "webhooks are delivered with POST" }), headers: { "content-type": "application/json", allow: "POST" } };
    }
    const source = enabledDoor(deps.config, sourceName);
    if (!source) {
      // The path segment is the client's: it is a count's key only when it names a source.
      if (isSource(sourceName)) deps.observer?.outcome(sourceName, "not_found", "source not enabled");
      else deps.observer?.outcome("-", "not_found", `unknown source ${quote(sourceName)}`);
      const polled = (POLLED_SOURCES as readonly string[]).includes(sourceName);
      return json(404, {
        error: polled
          ? `${sourceName} is polled on a schedule, not pushed: there is no webhook to send here`
          : `source ${quote(sourceName)} is not enabled in the configuration`,
      });
    }
    const observe = (outcome: IngestOutcome, detail?: string) => deps.observer?.outcome(sourceName, outcome, detail);

    // The raw body alone can already be too large to queue; no need to verify it first.
    if (Math.max(request.body.byteLength, request.declaredBytes ?? 0) > maxBytes) {
      observe("too_large");
      return json(413, { error: `body exceeds the ${maxBytes}-byte limit` });
    }

    const secret = await deps.secrets.get(source.secretName);
    if (!secret) {
      observe("error", `secret ${source.secretName} is not set`);
      return json(500, { error: "webhook secret is not configured on this server" });
    }
    // The adapter's steps read hostile input; they answer rather than throw, and should one
    // throw after all it is our fault: a 500 (the platform redelivers), the text only logged.
    let verdict: VerifyResult;
    let classified: Classification;
    try {
      verdict = await source.adapter.verify(request, secret, now());
      if (!verdict.ok && deps.secrets.refresh) {
        // The secret may have been stored (or rotated) after this container read it.
        const fresh = await deps.secrets.refresh(source.secretName);
        if (fresh && fresh !== secret) verdict = await source.adapter.verify(request, fresh, now());
      }
      if (!verdict.ok) {
        observe("unauthorized", verdict.reason);
        return json(401, { error: verdict.reason });
      }
      classified = source.adapter.classify(request);
    } catch (err) {
      observe("error", `${source.source}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      return json(500, { error: INTERNAL_ERROR });
    }
    switch (classified.action) {
      case "handshake":
        observe("handshake");
        return classified.answer;
      case "ignore":
        observe("ignored", classified.eventType);
        return json(202, { ignored: true, reason: classified.reason });
      case "malformed":
        observe("malformed", classified.reason);
        return json(400, { error: classified.reason });
      case "queue":
        break;
    }

    const envelope: Envelope = {
      v: 1,
      id: newId(),
      source: source.adapter.source,
      eventType: classified.eventType,
      deliveryId: classified.deliveryId,
      receivedAt: now().toISOString(),
      contentType: request.headers["content-type"] ?? "application/json",
      headers: classified.headers,
      body: request.body.toString("utf8"),
    };
    let queued = envelope;
    try {
      // Serialise here so the size check answers before anything is sent; SQS counts the
      // message attributes too, so an envelope just under the limit would be refused on every redelivery.
      serializeEnvelope(envelope, maxMessageBytes - MESSAGE_ATTRIBUTE_HEADROOM_BYTES);
    } catch (err) {
      if (!(err instanceof EnvelopeTooLargeError)) {
        observe("error", `envelope: ${(err as Error).message}`);
        return json(500, { error: INTERNAL_ERROR });
      }
      if (!deps.claims) {
        observe("too_large", err.message);
        return json(413, { error: `body exceeds the ${maxMessageBytes}-byte limit once queued (JSON escaping grows it)` });
      }
      // Claim check: the body goes to the archive bucket first, the message carries its key.
      try {
        const bodyRef = await deps.claims.putBody(envelope.receivedAt.slice(0, 10), envelope.id, request.body);
        queued = { ...envelope, body: "", bodyRef };
      } catch (putErr) {
        observe("error", `archive: ${(putErr as Error).message}`);
        return json(503, { error: "could not store the webhook; please redeliver" });
      }
    }
    try {
      await deps.queue.send(queued);
    } catch (err) {
      observe("error", `queue: ${(err as Error).message}`);
      // 503 tells the platform the delivery failed, so it can be redelivered.
      return json(503, { error: "could not queue the webhook; please redeliver" });
    }
    observe("queued", classified.eventType);
    return json(202, { queued: true, id: envelope.id });
  };
}
