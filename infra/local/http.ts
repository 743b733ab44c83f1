import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createActions, type ActionRequest, type ActionsStore } from "../../functions/actions/app.ts";
import type { IngestRequest } from "../../functions/ingest/app.ts";
import type { Config } from "../../shared/model/config.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { SecretResolver } from "../../shared/secrets/resolver.ts";
import type { HttpAnswer } from "../../shared/sources/types.ts";

export interface FrontDoorRoutes {
  webhook(request: IngestRequest): Promise<HttpAnswer>;
  health(): Promise<object>;
  index(): string;
  /** `GET|POST /actions/<action>`: the digest's signed links (absent: 404, as before). */
  actions?(request: ActionRequest): Promise<HttpAnswer>;
  /** `POST /admin/redrive[?source=S]`: dead letters back to the queue (the local server listens on 127.0.0.1 only). */
  redrive?(source: string | undefined): Promise<object>;
  /** `POST /admin/enqueue`: envelopes (JSON lines) queued again, as `reprocess` does (127.0.0.1 only). */
  enqueue?(body: Buffer): Promise<object>;
  /** `/dev/slack…`: the dev stack's Slack (webhook and chat.postMessage doors, a page of what arrived); null: no such route. */
  devSlack?(method: string, path: string, contentType: string, body: Buffer): HttpAnswer | null;
}

/**
 * The actions route for the local front door, with the same code the Lambda runs: the stack
 * passes its store and secret resolver (`routes.actions = localActionsRoute({ config, store, secrets })`).
 */
export function localActionsRoute(deps: { config: Config; store: ActionsStore; secrets: SecretResolver; now: Clock; log?: (line: string) => void }): (request: ActionRequest) => Promise<HttpAnswer> {
  const { log } = deps;
  return createActions({
    config: deps.config,
    store: deps.store,
    secrets: deps.secrets,
    now: deps.now,
    ...(log ? { observer: { outcome: (outcome, detail) => log(`action: ${outcome}${detail ? ` (${detail})` : ""}`) } } : {}),
  });
}

/** Form posts from the confirmation page are tiny; this bounds what the route will buffer. */
const MAX_ACTION_BODY_BYTES = 16 * 1024;
/** A digest's Slack message is well under Slack's own limits (50 blocks); this bounds the dev sink. */
const MAX_DEV_SLACK_BODY_BYTES = 1024 * 1024;

/** Read the body, keeping at most `limit` bytes: past that it is drained, not buffered. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      if (size < limit) chunks.push(chunk.subarray(0, limit - size));
      size += chunk.byteLength;
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  res.writeHead(answer.status, { "content-type": "text/plain; charset=utf-8", ...answer.headers });
  res.end(answer.body);
}

/**
 * The local HTTP front door (what the Function URL is in AWS): webhook routes go to the
 * ingest code, `GET /health` reports the queue, `GET /` lists the endpoints.
 */
export interface FrontDoorOptions {
  port: number;
  maxBodyBytes: number;
  /**
   * A request's headers and body must arrive within this many ms (default 10 s; a platform
   * sends a webhook in well under a second), so slow or stalled clients cannot hold
   * connections: past it the connection gets 408 and is closed.
   */
  requestTimeoutMs?: number;
  /** Where an unexpected failure is reported; the client only hears that it failed. */
  onError?: (err: Error) => void;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export async function startFrontDoor(routes: FrontDoorRoutes, opts: FrontDoorOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const server = createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(requestTimeout, 5_000),
      // How often Node checks those time-outs (30 s by default: far too coarse for them).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(requestTimeout / 4))),
    },
    (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      try {
        if (req.method === "GET" && url.pathname === "/health") {
          send(res, { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(await routes.health()) });
          return;
        }
        if (req.method === "GET" && url.pathname === "/") {
          send(res, { status: 200, body: routes.index() });
          return;
        }
        if (url.pathname.startsWith("/webhooks/")) {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(req.headers)) {
            if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
          }
          // A body announced as too large is not read at all: ingest answers (and counts) the 413.
          const announced = Number(req.headers["content-length"] ?? 0);
          if (announced > opts.maxBodyBytes) {
            res.setHeader("connection", "close");
            send(res, await routes.webhook({ method: req.method ?? "GET", path: url.pathname, headers, body: Buffer.alloc(0), declaredBytes: announced }));
            return;
          }
          // One byte past the limit is enough for ingest to answer (and count) the 413.
          const body = await readBody(req, opts.maxBodyBytes + 1);
          send(res, await routes.webhook({ method: req.method ?? "GET", path: url.pathname, headers, body }));
          return;
        }
        if (routes.redrive && url.pathname === "/admin/redrive") {
          if (req.method !== "POST") {
            send(res, { status: 405, headers: { "content-type": "application/json", allow: "POST" }, body: JSON.stringify({ error: "redrive with POST" }) });
            return;
          }
          const source = url.searchParams.get("source") ?? undefined;
          send(res, { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(await routes.redrive(source)) });
          return;
        }
        if (routes.enqueue && url.pathname === "/admin/enqueue") {
          if (req.method !== "POST") {
            send(res, { status: 405, headers: { "content-type": "application/json", allow: "POST" }, body: JSON.stringify({ error: "enqueue with POST" }) });
            return;
          }
          const body = await readBody(req, opts.maxBodyBytes);
          send(res, { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(await routes.enqueue(body)) });
          return;
        }
        if (routes.actions && url.pathname.startsWith("/actions/")) {
          const body = await readBody(req, MAX_ACTION_BODY_BYTES);
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(req.headers)) {
            if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
          }
          const answer = await routes.actions({ method: req.method ?? "GET", path: url.pathname, query: url.search.replace(/^\?/, ""), headers, body });
          send(res, req.method === "HEAD" ? { ...answer, body: "" } : answer);
          return;
        }
        if (routes.devSlack && url.pathname.startsWith("/dev/slack")) {
          const body = await readBody(req, MAX_DEV_SLACK_BODY_BYTES);
          const answer = routes.devSlack(req.method ?? "GET", url.pathname, String(req.headers["content-type"] ?? ""), body);
          if (answer) {
            send(res, req.method === "HEAD" ? { ...answer, body: "" } : answer);
            return;
          }
        }
        send(res, { status: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: "no such route" }) });
      } catch (err) {
        // The reason goes to the log; the client learns only that this request failed.
        opts.onError?.(err as Error);
        if (!res.headersSent) send(res, { status: 500, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: "internal error; please retry" }) });
        else res.destroy();
      }
    })();
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
