// Real DynamoDB Local JVMs. The tests run concurrently: each JVM start costs about 3 s of
// CPU, and running them side by side keeps the suite fast on two cores.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, type TestContext } from "vitest";
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { localClientConfig } from "../../../infra/local/emulators/clients.ts";
import { startDynamoDbLocal, type DynamoDbLocal } from "../../../infra/local/emulators/dynamodb-local.ts";
import { isRunning } from "./process-state.ts";

// Cleanups go through each test's own context: with concurrent tests the global
// onTestFinished would attach them to whichever test happens to be current.
type Finish = TestContext["onTestFinished"];

function tempDir(onTestFinished: Finish): string {
  const dir = mkdtempSync(join(tmpdir(), "cs-ddb-test-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(onTestFinished: Finish, options: Parameters<typeof startDynamoDbLocal>[0] = {}): Promise<DynamoDbLocal> {
  const ddb = await startDynamoDbLocal(options);
  onTestFinished(() => ddb.stop());
  return ddb;
}

function client(onTestFinished: Finish, ddb: DynamoDbLocal, maxAttempts?: number): DynamoDBClient {
  const c = new DynamoDBClient({ ...localClientConfig(ddb.endpoint), ...(maxAttempts ? { maxAttempts } : {}) });
  onTestFinished(() => c.destroy());
  return c;
}

async function createNotesTable(c: DynamoDBClient, name: string): Promise<void> {
  await c.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: "PK", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "PK", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
}

/** The JVM's java.io.tmpdir, read from its command line (Linux). */
function scratchDirOf(pid: number): string | undefined {
  const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  return args.find((arg) => arg.startsWith("-Djava.io.tmpdir="))?.slice("-Djava.io.tmpdir=".length);
}

describe.concurrent("startDynamoDbLocal", () => {
  it("serves DynamoDB in memory on 127.0.0.1 and stops for good", { timeout: 120_000 }, async ({ onTestFinished }) => {
    const logLines: string[] = [];
    const ddb = await start(onTestFinished, { onLog: (line) => logLines.push(line) });

    expect(ddb.endpoint).toBe(`http://127.0.0.1:${ddb.port}`);
    expect(isRunning(ddb.pid)).toBe(true);
    expect(logLines.some((line) => /InMemory:\s+true/.test(line))).toBe(true);
    const scratch = scratchDirOf(ddb.pid);
    expect(scratch && existsSync(scratch)).toBe(true);

    const c = client(onTestFinished, ddb);
    expect((await c.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    await createNotesTable(c, "notes");
    await c.send(new PutItemCommand({ TableName: "notes", Item: { PK: { S: "n1" }, body: { S: "hello" } } }));
    const got = await c.send(new GetItemCommand({ TableName: "notes", Key: { PK: { S: "n1" } } }));
    expect(got.Item?.body?.S).toBe("hello");

    await ddb.stop();
    expect(isRunning(ddb.pid)).toBe(false);
    expect(existsSync(scratch!)).toBe(false);
    await ddb.stop(); // a second stop is a no-op, not an error
    await expect(client(onTestFinished, ddb, 1).send(new ListTablesCommand({}))).rejects.toThrow(/ECONNREFUSED/);
  });

  it("keeps tables in dataDir across restarts", { timeout: 120_000 }, async ({ onTestFinished }) => {
    const dataDir = join(tempDir(onTestFinished), "nested", "ddb"); // created on demand
    const first = await start(onTestFinished, { dataDir });
    const firstClient = client(onTestFinished, first);
    await createNotesTable(firstClient, "notes");
    await firstClient.send(new PutItemCommand({ TableName: "notes", Item: { PK: { S: "kept" }, n: { N: "42" } } }));
    await first.stop();
    expect(isRunning(first.pid)).toBe(false);

    const second = await start(onTestFinished, { dataDir });
    expect(second.pid).not.toBe(first.pid);
    const got = await client(onTestFinished, second).send(new GetItemCommand({ TableName: "notes", Key: { PK: { S: "kept" } } }));
    expect(got.Item?.n?.N).toBe("42");
  });

  it("does not keep Node alive, and does not outlive it", { timeout: 120_000 }, async ({ onTestFinished }) => {
    const fixture = fileURLToPath(new URL("./fixtures/start-dynamodb-and-return.ts", import.meta.url));
    // A private TMPDIR shows whether a JVM killed with SIGKILL leaves anything behind.
    const privateTmp = tempDir(onTestFinished);
    const node = spawn(process.execPath, ["--import", "tsx", fixture], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, TMPDIR: privateTmp },
    });
    let stdout = "";
    let stderr = "";
    node.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    node.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => node.once("close", resolve));

    expect(exitCode, stderr).toBe(0);
    const { pid } = JSON.parse(stdout.trim()) as { pid: number };
    expect(pid).toBeGreaterThan(0);
    // SIGKILL is sent from Node's exit hook; give the kernel a moment to finish it.
    for (let waited = 0; isRunning(pid) && waited < 2_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(isRunning(pid)).toBe(false);
    expect(readdirSync(privateTmp).filter((name) => !name.startsWith("tsx-"))).toEqual([]); // tsx keeps a cache there
  });
});
