// Secrets read in AWS: cached for a while, and read again at once (rate-limited) when the cached
// value was refused, so a secret stored after a container started is not ignored for its life.
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { createIngest } from "../../../functions/ingest/app.ts";
import { parseConfig } from "../../../shared/model/config.ts";
import { SECRET_REFRESH_MIN_INTERVAL_MS, SECRET_TTL_MS, SecretsManagerResolver } from "../../../shared/secrets/secrets-manager.ts";
import { signGitHubBody } from "../../../shared/sources/github/index.ts";

/** Secrets Manager as the resolver sees it: GetSecretValue answering what is stored now. */
function secretsManager(initial: string) {
  const state = { value: initial, reads: 0, failNext: false };
  const client = {
    send: async (command: { input: { SecretId?: string } }) => {
      state.reads++;
      if (state.failNext) {
        state.failNext = false;
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      }
      expect(command.input.SecretId).toBe("arn:aws:secretsmanager:us-east-1:1:secret:hook");
      return { SecretString: state.value };
    },
  } as unknown as SecretsManagerClient;
  return { client, state };
}

const env = { SECRET_ID_GITHUB_WEBHOOK_SECRET: "arn:aws:secretsmanager:us-east-1:1:secret:hook" };

describe("SecretsManagerResolver", () => {
  it("reads once per TTL; a value stored meanwhile is seen once the TTL has passed", async () => {
    const { client, state } = secretsManager("placeholder");
    let t = 0;
    const resolver = new SecretsManagerResolver(client, () => new Date(t), env);
    expect(await resolver.get("GITHUB_WEBHOOK_SECRET")).toBe("placeholder");
    state.value = "real-secret";
    t = SECRET_TTL_MS - 1;
    expect(await resolver.get("GITHUB_WEBHOOK_SECRET")).toBe("placeholder");
    expect(state.reads).toBe(1);
    t = SECRET_TTL_MS;
    expect(await resolver.get("GITHUB_WEBHOOK_SECRET")).toBe("real-secret");
    expect(state.reads).toBe(2);
    expect(await resolver.get("NOT_BOUND")).toBeNull();
  });

  it("refresh reads again at once, but not more often than every 30 s; a failed read is not kept", async () => {
    const { client, state } = secretsManager("placeholder");
    let t = 1_000_000;
    const resolver = new SecretsManagerResolver(client, () => new Date(t), env);
    await resolver.get("GITHUB_WEBHOOK_SECRET");
    state.value = "real-secret";
    t += SECRET_REFRESH_MIN_INTERVAL_MS;
    expect(await resolver.refresh("GITHUB_WEBHOOK_SECRET")).toBe("real-secret");
    state.value = "rotated";
    t += 1000;
    expect(await resolver.refresh("GITHUB_WEBHOOK_SECRET")).toBe("real-secret");
    expect(state.reads).toBe(2);

    state.failNext = true;
    t += SECRET_TTL_MS;
    await expect(resolver.get("GITHUB_WEBHOOK_SECRET")).rejects.toThrow("Rate exceeded");
    expect(await resolver.get("GITHUB_WEBHOOK_SECRET")).toBe("rotated");
  });

  it("lets ingest accept a delivery signed with a secret stored after the container read the placeholder", async () => {
    const { client, state } = secretsManager("generated-placeholder");
    let t = 5_000_000;
    const secrets = new SecretsManagerResolver(client, () => new Date(t), env);
    const sent: unknown[] = [];
    const ingest = createIngest({
      config: parseConfig({ sources: { github: { enabled: true } } }),
      secrets,
      queue: { send: async (e) => (sent.push(e), "m-1") },
      now: () => new Date("2026-11-25T10:00:00Z"),
      newId: () => "env-1",
    });
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    const ping = (secret: string) => ({
      method: "POST",
      path: "/webhooks/github",
      headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": "d-1", "x-hub-signature-256": signGitHubBody(secret, body) },
      body: Buffer.from(body),
    });
    expect((await ingest(ping("generated-placeholder"))).status).toBe(200);

    state.value = "the-secret-given-to-github";
    t += SECRET_REFRESH_MIN_INTERVAL_MS;
    expect((await ingest(ping("the-secret-given-to-github"))).status).toBe(200);
    // A forged signature still fails, and does not make every request read Secrets Manager.
    const reads = state.reads;
    expect((await ingest(ping("forged"))).status).toBe(401);
    expect((await ingest(ping("forged"))).status).toBe(401);
    expect(state.reads).toBe(reads);
  });
});
