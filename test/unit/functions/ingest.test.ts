// The front door's contract, with an in-memory queue (the HTTP path against the real queue is
// in test/integration/pipeline.test.ts).
import { describe, expect, it } from "vitest";
import { createIngest, type EnvelopeSink } from "../../../functions/ingest/app.ts";
import { parseConfig } from "../../../shared/model/config.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";
import { EnvSecretResolver } from "../../../shared/secrets/resolver.ts";
import { signGitHubBody } from "../../../shared/sources/github/index.ts";

const SECRET = "unit-secret-0123456789";
const config = parseConfig({ sources: { github: { enabled: true } }, queue: { maxMessageBytes: 4096 } });
// The least an `issues` delivery must carry to pass the door's shape check (what normalize reads).
const issue = { id: 1, number: 7, title: "t", html_url: "https://github.com/a/b/issues/7", user: null, created_at: "2026-11-25T09:00:00Z", updated_at: "2026-11-25T09:00:00Z" };
const payload = { action: "opened", issue, repository: { id: 2, full_name: "a/b" }, sender: { id: 3, login: "x" } };
const body = JSON.stringify(payload);

function request(overrides: { path?: string; method?: string; body?: string; headers?: Record<string, string> } = {}) {
  const raw = overrides.body ?? body;
  return {
    method: overrides.method ?? "POST",
    path: overrides.path ?? "/webhooks/github",
    headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": "d-1", "x-hub-signature-256": signGitHubBody(SECRET, raw), ...overrides.headers },
    body: Buffer.from(raw),
  };
}

function setup(queue: EnvelopeSink = { send: async () => "m-1" }, secrets = new EnvSecretResolver({ GITHUB_WEBHOOK_SECRET: SECRET })) {
  const sent: Envelope[] = [];
  const ingest = createIngest({
    config,
    secrets,
    queue: { send: async (e) => (sent.push(e), queue.send(e)) },
    now: () => new Date("2026-11-25T10:00:00Z"),
    newId: () => "env-1",
  });
  return { ingest, sent };
}

describe("ingest", () => {
  it("queues a verified event with the raw body untouched", async () => {
    const { ingest, sent } = setup();
    const answer = await ingest(request());
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body)).toEqual({ queued: true, id: "env-1" });
    expect(sent).toEqual([
      expect.objectContaining({ id: "env-1", source: "github", eventType: "issues", deliveryId: "d-1", receivedAt: "2026-11-25T10:00:00.000Z", body }),
    ]);
    expect(sent[0]?.headers["x-hub-signature-256"]).toBeUndefined();
  });

  it("answers 503 when the queue fails, so the platform can redeliver", async () => {
    const { ingest } = setup({ send: async () => Promise.reject(new Error("queue down")) });
    expect((await ingest(request())).status).toBe(503);
  });

  it("answers 500 and queues nothing when the secret is not configured", async () => {
    const { ingest, sent } = setup(undefined, new EnvSecretResolver({}));
    const answer = await ingest(request());
    expect(answer.status).toBe(500);
    expect(sent).toEqual([]);
  });

  it("routes: 404 unknown path or disabled source, 405 wrong method", async () => {
    const { ingest, sent } = setup();
    expect((await ingest(request({ path: "/webhooks/slack" }))).status).toBe(404);
    const discord = await ingest(request({ path: "/webhooks/discord" }));
    expect(discord.status).toBe(404);
    expect(JSON.parse(discord.body).error).toMatch(/polled on a schedule/);
    const stackoverflow = await ingest(request({ path: "/webhooks/stackoverflow" }));
    expect(stackoverflow.status).toBe(404);
    expect(JSON.parse(stackoverflow.body).error).toMatch(/^stackoverflow is polled on a schedule/);
    expect((await ingest(request({ path: "/elsewhere" }))).status).toBe(404);
    expect((await ingest(request({ method: "PUT" }))).status).toBe(405);
    expect(sent).toEqual([]);
  });

  it("answers 413 for a body over the limit, and when escaping makes the envelope too large", async () => {
    const { ingest, sent } = setup();
    expect((await ingest(request({ body: JSON.stringify({ pad: "x".repeat(5000) }) }))).status).toBe(413);
    // Under the limit raw, over it once JSON-escaped inside the envelope.
    const quotes = JSON.stringify({ ...payload, pad: '"'.repeat(1000) });
    expect(Buffer.byteLength(quotes)).toBeLessThan(4096);
    expect((await ingest(request({ body: quotes }))).status).toBe(413);
    expect(sent).toEqual([]);
  });

  it("answers 400 naming the field, and queues nothing, when a supported event has the wrong shape", async () => {
    const { ingest, sent } = setup();
    const answer = await ingest(request({ body: JSON.stringify({ ...payload, issue: { ...issue, number: "7" } }) }));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error).toContain("issue.number: expected number");
    expect(sent).toEqual([]);
  });
});

describe("ingest with a claim-check store", () => {
  const big = JSON.stringify({ ...payload, issue: { ...issue, body: "log line\n".repeat(2_000) } });
  function withClaims(putBody: (day: string, id: string, body: Buffer) => Promise<{ key: string; bytes: number; sha256: string }>) {
    const sent: Envelope[] = [];
    const ingest = createIngest({
      config: parseConfig({ sources: { github: { enabled: true } }, queue: { maxMessageBytes: 4096, maxBodyBytes: 40_000 } }),
      secrets: new EnvSecretResolver({ GITHUB_WEBHOOK_SECRET: SECRET }),
      queue: { send: async (e) => (sent.push(e), "m-1") },
      claims: { putBody },
      now: () => new Date("2026-11-25T10:00:00Z"),
      newId: () => "env-2",
    });
    return { ingest, sent };
  }

  it("keeps a body too large for a queue message in the archive, and queues its key", async () => {
    const stored: { day: string; id: string; bytes: number }[] = [];
    const { ingest, sent } = withClaims(async (day, id, b) => (stored.push({ day, id, bytes: b.byteLength }), { key: `raw/dt=${day}/body-${id}.gz`, bytes: b.byteLength, sha256: "0".repeat(64) }));
    const answer = await ingest(request({ body: big }));
    expect(answer.status).toBe(202);
    expect(stored).toEqual([{ day: "2026-11-25", id: "env-2", bytes: Buffer.byteLength(big) }]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ body: "", bodyRef: { key: "raw/dt=2026-11-25/body-env-2.gz", bytes: Buffer.byteLength(big) } });
  });

  it("claim-checks an envelope that fits the limit alone but not with its message attributes (SQS counts both)", async () => {
    const stored: string[] = [];
    const { ingest, sent } = withClaims(async (day, id) => (stored.push(id), { key: `raw/dt=${day}/body-${id}.gz`, bytes: 1, sha256: "0".repeat(64) }));
    // An envelope of about 3,250 bytes: under maxMessageBytes (4096), not under it less the attribute headroom (1024).
    const edge = JSON.stringify({ ...payload, pad: "x".repeat(2_700) });
    expect((await ingest(request({ body: edge }))).status).toBe(202);
    expect(stored).toEqual(["env-2"]);
    expect(sent[0]).toMatchObject({ body: "" });
  });

  it("answers 413 only above queue.maxBodyBytes, and 503 (nothing queued) when the archive cannot take it", async () => {
    const { ingest, sent } = withClaims(async () => Promise.reject(new Error("connect ECONNREFUSED")));
    expect((await ingest(request({ body: big }))).status).toBe(503);
    const huge = JSON.stringify({ ...payload, pad: "x".repeat(41_000) });
    expect((await ingest(request({ body: huge }))).status).toBe(413);
    expect(sent).toEqual([]);
  });
});
