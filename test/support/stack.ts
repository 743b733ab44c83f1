import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, type ConfigInput } from "../../shared/model/config.ts";
import { signGitHubBody } from "../../shared/sources/github/index.ts";
import { startLocalStack, type LocalStack } from "../../infra/local/stack.ts";
import { clockStartingAt, type Clock } from "../../shared/runtime/clock.ts";

export const TEST_SECRET = "integration-test-secret-0123456789";

/**
 * "Now" for a test stack unless a test says otherwise: the morning after the bundled sample
 * week. The stack's clock starts here and runs, so the suite passes on any real date.
 */
export const TEST_NOW = new Date("2026-11-25T01:00:00Z");

export function testConfig(overrides: Partial<ConfigInput> = {}) {
  return parseConfig({
    name: "Acme Labs",
    sources: { github: { enabled: true } },
    team: [{ name: "Dana", identities: { github: ["dana-okafor"] } }],
    digest: { from: "signals@acme.example", minAgeHours: 0, slaHours: 24, recipients: [{ email: "dana@acme.example" }] },
    queue: { maxReceiveCount: 2, visibilityTimeoutSeconds: 30 },
    ...overrides,
  });
}

export async function startTestStack(
  opts: { config?: ReturnType<typeof testConfig>; dataDir?: string; env?: NodeJS.ProcessEnv; clock?: Clock } = {},
): Promise<{
  stack: LocalStack;
  dataDir: string;
  clock: Clock;
  cleanup(): Promise<void>;
}> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "cs-test-"));
  const clock = opts.clock ?? clockStartingAt(TEST_NOW);
  const stack = await startLocalStack({
    clock,
    config: opts.config ?? testConfig(),
    dataDir,
    port: 0,
    retryDelaySeconds: 1,
    schedule: false,
    env: { GITHUB_WEBHOOK_SECRET: TEST_SECRET, ...opts.env },
  });
  return {
    stack,
    dataDir,
    clock,
    async cleanup() {
      await stack.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let deliveries = 0;

/** POST a webhook the way GitHub does, signed with the test secret unless told otherwise. */
export async function postGitHub(
  stack: LocalStack,
  event: string,
  payload: unknown,
  opts: { secret?: string | null; body?: string; delivery?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  const body = opts.body ?? JSON.stringify(payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": opts.delivery ?? `00000000-0000-4000-8000-${String(++deliveries).padStart(12, "0")}`,
  };
  const secret = opts.secret === undefined ? TEST_SECRET : opts.secret;
  if (secret !== null) headers["x-hub-signature-256"] = signGitHubBody(secret, body);
  Object.assign(headers, opts.headers);
  const res = await fetch(`${stack.url}/webhooks/github`, { method: "POST", headers, body });
  return { status: res.status, body: await res.text() };
}
