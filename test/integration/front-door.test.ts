// The local front door against hostile clients: stalled bodies, announced giants, and a route
// that fails with an internal message the client must never see.
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startFrontDoor } from "../../infra/local/http.ts";

type Door = Awaited<ReturnType<typeof startFrontDoor>>;
let door: Door | null = null;
afterEach(async () => {
  await door?.close();
  door = null;
});

const webhookCalls: number[] = [];
async function start(opts: { requestTimeoutMs?: number; onError?: (err: Error) => void; webhook?: () => Promise<never> } = {}): Promise<Door> {
  door = await startFrontDoor(
    {
      webhook:
        opts.webhook ??
        (async (req) => {
          webhookCalls.push(req.body.byteLength);
          return req.declaredBytes ? { status: 413, body: `body exceeds the limit (${req.declaredBytes} announced)` } : { status: 202, body: "queued" };
        }),
      health: async () => ({ status: "ok" }),
      index: () => "index",
    },
    { port: 0, maxBodyBytes: 1_000, ...opts },
  );
  return door;
}

/** Opens a raw connection, writes `text`, and resolves with what the server sent once it closes. */
function rawRequest(url: string, text: string): { socket: Socket; closed: Promise<string> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = "";
  socket.on("data", (d: Buffer) => (received += d.toString()));
  socket.write(text);
  const closed = new Promise<string>((resolve) => socket.on("close", () => resolve(received)));
  socket.on("error", () => {});
  return { socket, closed };
}

describe("the local front door", () => {
  it("closes connections whose announced body never arrives, and keeps serving others", async () => {
    const { url } = await start({ requestTimeoutMs: 600 });
    const stalled = Array.from({ length: 50 }, () =>
      rawRequest(url, "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 900\r\n\r\n{\"a\":"),
    );
    // Meanwhile an honest client is answered.
    const ok = await fetch(`${url}/webhooks/github`, { method: "POST", body: "{}" });
    expect(ok.status).toBe(202);
    // Every stalled connection is answered 408 and closed by the server (none is left to the client).
    const answers = await Promise.all(stalled.map((s) => s.closed));
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(stalled.every((s) => s.socket.destroyed)).toBe(true);
  });

  it("refuses a body announced over the limit at once, without reading it", async () => {
    const before = webhookCalls.length;
    const { url } = await start();
    const { closed } = rawRequest(url, "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n");
    const answer = await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain("50000000 announced");
    // The route was asked with no body: nothing of the announced 50 MB was read.
    expect(webhookCalls.slice(before)).toEqual([0]);
  });

  it("answers an internal failure with 500 and no internal message, and reports it", async () => {
    const errors: Error[] = [];
    const { url } = await start({
      onError: (err) => errors.push(err),
      webhook: async () => {
        throw new Error("connect ECONNREFUSED 127.0.0.1:41234 at /srv/secret/path.ts");
      },
    });
    const res = await fetch(`${url}/webhooks/github`, { method: "POST", body: "{}" });
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).not.toContain("ECONNREFUSED");
    expect(body).not.toContain("/srv/secret");
    expect(JSON.parse(body)).toEqual({ error: "internal error; please retry" });
    expect(errors.map((e) => e.message)).toEqual(["connect ECONNREFUSED 127.0.0.1:41234 at /srv/secret/path.ts"]);
  });
});
