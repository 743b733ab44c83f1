/**
 * An in-process SES v2 server (aws-ses-v2-local) on a free port of 127.0.0.1. Sent mail is
 * kept in memory and shown on a web page (viewerUrl).
 *
 * The package keeps its mail store in a module-level variable: every SES server started in
 * one Node process shares one outbox, and clear() empties it for all of them.
 * It accepts invalid From addresses, which real SES rejects.
 */
import type { Server } from "node:http";
import * as sesLocal from "aws-ses-v2-local";
import { z } from "zod";
import { boundPort, closeServer } from "./http-server.ts";

/** One email the local SES server accepted. */
export interface SentMail {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  html: string | undefined;
  text: string | undefined;
  /** When the server accepted it (whole seconds: the store keeps epoch seconds). */
  at: Date;
}

export interface LocalSes {
  /** http://127.0.0.1:<port>, for the SES v2 client. */
  endpoint: string;
  port: number;
  /** The page that lists sent mail. */
  viewerUrl: string;
  /** Mail sent so far, oldest first. */
  outbox(): Promise<SentMail[]>;
  /** Forgets all sent mail (and stored templates). */
  clear(): Promise<void>;
  /** Closes the server and its connections. Safe to call twice. */
  stop(): Promise<void>;
}

export class LocalSesError extends Error {
  override name = "LocalSesError";
}

const HOST = "127.0.0.1";

// The shape of GET /store in aws-ses-v2-local 2.10.2 (its Store type); parsed so that a
// change in a later version fails here with a clear message, not deep in a test.
const storedEmailSchema = z.object({
  messageId: z.string(),
  from: z.string(),
  replyTo: z.array(z.string()),
  destination: z.object({ to: z.array(z.string()), cc: z.array(z.string()), bcc: z.array(z.string()) }),
  subject: z.string(),
  body: z.object({ html: z.string().optional(), text: z.string().optional() }),
  at: z.number(),
});
const storeSchema = z.object({ emails: z.array(storedEmailSchema) });

type CreateSesServer = (config?: { host?: string; port?: number }) => Promise<Server>;

// A CommonJS module with `exports.default`: Node's ESM loader hands the whole exports object
// to the default import, bundlers and vitest hand the function itself.
function createSesServerFunction(): CreateSesServer {
  const defaultImport: unknown = (sesLocal as { default?: unknown }).default;
  const found = typeof defaultImport === "function" ? defaultImport : (defaultImport as { default?: unknown } | undefined)?.default;
  if (typeof found !== "function") {
    throw new LocalSesError("aws-ses-v2-local does not export its server function as before (package layout changed?)");
  }
  return found as CreateSesServer;
}

export async function startSes(): Promise<LocalSes> {
  const server = await createSesServerFunction()({ host: HOST, port: 0 });
  // Its listen callback resolves even when listening failed.
  if (!server.listening) throw new LocalSesError(`the local SES server could not listen on ${HOST}`);
  const port = boundPort(server, "the local SES server");
  const endpoint = `http://${HOST}:${port}`;
  let stopping: Promise<void> | undefined;

  return {
    endpoint,
    port,
    viewerUrl: `${endpoint}/`,
    async outbox() {
      const response = await fetch(`${endpoint}/store`);
      if (!response.ok) throw new LocalSesError(`GET ${endpoint}/store answered ${response.status}`);
      const parsed = storeSchema.safeParse(await response.json());
      if (!parsed.success) {
        throw new LocalSesError(`GET ${endpoint}/store returned an unexpected shape: ${z.prettifyError(parsed.error)}`);
      }
      return parsed.data.emails.map(toSentMail);
    },
    async clear() {
      const response = await fetch(`${endpoint}/clear-store`, { method: "POST" });
      if (!response.ok) throw new LocalSesError(`POST ${endpoint}/clear-store answered ${response.status}`);
    },
    stop: () => (stopping ??= closeServer(server)),
  };
}

function toSentMail(email: z.infer<typeof storedEmailSchema>): SentMail {
  return {
    messageId: email.messageId,
    from: email.from,
    to: email.destination.to,
    cc: email.destination.cc,
    bcc: email.destination.bcc,
    replyTo: email.replyTo,
    subject: email.subject,
    html: email.body.html,
    text: email.body.text,
    at: new Date(email.at * 1000),
  };
}
