// bin/fetch-dynamodb-local.js as npm runs it (a child process). The download itself is not
// repeated here (56 MB); its failure path is, against a registry that refuses connections.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";

const script = fileURLToPath(new URL("../../../bin/fetch-dynamodb-local.js", import.meta.url));

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cs-fetch-test-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function runFetch(env: Record<string, string>) {
  const result = spawnSync(process.execPath, [script], {
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, COMMUNITY_SIGNALS_SKIP_DYNAMODB_FETCH: "", ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Port 9 (discard) on 127.0.0.1 refuses connections: npm fails fast and nothing is downloaded.
const unreachableRegistry = { npm_config_registry: "http://127.0.0.1:9/", npm_config_fetch_retries: "0" };

it("skips when asked to", () => {
  const home = join(tempDir(), "ddb");
  const run = runFetch({ COMMUNITY_SIGNALS_SKIP_DYNAMODB_FETCH: "1", DYNAMODB_LOCAL_HOME: home });
  expect(run.status).toBe(0);
  expect(run.stdout.trim()).toBe("fetch-dynamodb-local: skipped (COMMUNITY_SIGNALS_SKIP_DYNAMODB_FETCH=1)");
  expect(existsSync(home)).toBe(false);
});

it("leaves an installed copy alone", () => {
  const home = tempDir();
  writeFileSync(join(home, "DynamoDBLocal.jar"), "installed");
  writeFileSync(join(home, "fetched-from.json"), JSON.stringify({ package: "amplify-dynamodb-simulator@2.9.30" }));
  const run = runFetch({ DYNAMODB_LOCAL_HOME: home, ...unreachableRegistry });
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^fetch-dynamodb-local: DynamoDB Local already present in /);
  expect(readFileSync(join(home, "DynamoDBLocal.jar"), "utf8")).toBe("installed");
});

it("fails loudly when the download fails, leaving no half folder", () => {
  const parent = tempDir();
  const home = join(parent, "ddb");
  const run = runFetch({ DYNAMODB_LOCAL_HOME: home, ...unreachableRegistry });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain("fetch-dynamodb-local: FAILED to prepare DynamoDB Local");
  expect(run.stderr).toContain("npm pack amplify-dynamodb-simulator@2.9.30 failed");
  expect(run.stderr).toContain("ECONNREFUSED");
  expect(run.stderr).toContain("Retry with: node bin/fetch-dynamodb-local.js");
  expect(readdirSync(parent)).toEqual([]); // neither the target nor a staging folder
});

it("fetches again when the copy came from another package version, keeping it if that fails", () => {
  const home = tempDir();
  writeFileSync(join(home, "DynamoDBLocal.jar"), "older");
  mkdirSync(join(home, "DynamoDBLocal_lib"));
  writeFileSync(join(home, "fetched-from.json"), JSON.stringify({ package: "amplify-dynamodb-simulator@2.9.1" }));
  const run = runFetch({ DYNAMODB_LOCAL_HOME: home, ...unreachableRegistry });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain("npm pack amplify-dynamodb-simulator@2.9.30 failed");
  expect(readFileSync(join(home, "DynamoDBLocal.jar"), "utf8")).toBe("older");
});
