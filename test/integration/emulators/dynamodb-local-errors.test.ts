// Failure paths of the launcher. The real jar and java serve where they can; a stand-in
// "java" (a shell script found through JAVA_HOME) plays a JVM that prints a fatal error but
// keeps running, which is how DynamoDB Local behaves when its port is taken.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DynamoDbLocalError,
  JAVA_MISSING_MESSAGE,
  dynamoDbLocalHome,
  startDynamoDbLocal,
} from "../../../infra/local/emulators/dynamodb-local.ts";
import { isRunning } from "./process-state.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cs-ddb-errors-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A DYNAMODB_LOCAL_HOME whose jar exists (content irrelevant to a fake java). */
function homeWithJar(jarContent = ""): string {
  const home = tempDir();
  writeFileSync(join(home, "DynamoDBLocal.jar"), jarContent);
  mkdirSync(join(home, "DynamoDBLocal_lib"));
  return home;
}

/** JAVA_HOME whose bin/java records its pid, runs `script`, then stays alive like a JVM. */
function fakeJava(script: string): { javaHome: string; pids: () => number[] } {
  const javaHome = tempDir();
  mkdirSync(join(javaHome, "bin"));
  const pidFile = join(javaHome, "pids");
  writeFileSync(pidFile, "");
  writeFileSync(join(javaHome, "bin", "java"), `#!/bin/sh\necho $$ >> '${pidFile}'\n${script}\nexec sleep 30\n`);
  chmodSync(join(javaHome, "bin", "java"), 0o755);
  const pids = () => readFileSync(pidFile, "utf8").split("\n").filter(Boolean).map(Number);
  return { javaHome, pids };
}

async function occupyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("startDynamoDbLocal failures", () => {
  it("tells how to fetch the jar when it is missing", async () => {
    const emptyHome = tempDir();
    vi.stubEnv("DYNAMODB_LOCAL_HOME", emptyHome);
    expect(dynamoDbLocalHome()).toBe(emptyHome);
    const failure = startDynamoDbLocal();
    await expect(failure).rejects.toThrow(DynamoDbLocalError);
    await expect(failure).rejects.toThrow(/run npm ci \(postinstall fetches it\) or node bin\/fetch-dynamodb-local\.js/);
  });

  it("tells how to install Java when there is none", async () => {
    vi.stubEnv("DYNAMODB_LOCAL_HOME", homeWithJar());
    vi.stubEnv("JAVA_HOME", "");
    vi.stubEnv("PATH", tempDir()); // an empty folder: no java anywhere
    await expect(startDynamoDbLocal()).rejects.toThrow(JAVA_MISSING_MESSAGE);
  });

  it("refuses a port that is already taken, before starting a JVM", async () => {
    const port = await occupyPort();
    await expect(startDynamoDbLocal({ port })).rejects.toThrow(`port ${port} is already in use`);
  });

  it("rejects a port that is not a port", async () => {
    await expect(startDynamoDbLocal({ port: 70_000 })).rejects.toThrow(/integer from 1 to 65535, got 70000/);
  });

  it("reports an early exit with the JVM's own output", async () => {
    vi.stubEnv("DYNAMODB_LOCAL_HOME", homeWithJar("not a zip file"));
    const failure = startDynamoDbLocal();
    await expect(failure).rejects.toThrow(/exited early \(code 1\)/);
    await expect(failure).rejects.toThrow(/Invalid or corrupt jarfile/);
  });

  it("recognises a failed bind in a JVM that keeps running, retries other ports, and kills every attempt", { timeout: 15_000 }, async () => {
    const java = fakeJava(
      [
        `echo 'Exception in thread "main" java.io.IOException: Failed to bind to 0.0.0.0/0.0.0.0:1' >&2`,
        `echo '\tat org.eclipse.jetty.server.ServerConnector.openAcceptChannel(ServerConnector.java:349)' >&2`,
        `echo 'Caused by: java.net.BindException: Address already in use' >&2`,
      ].join("\n"),
    );
    vi.stubEnv("DYNAMODB_LOCAL_HOME", homeWithJar());
    vi.stubEnv("JAVA_HOME", java.javaHome);

    const failure = startDynamoDbLocal();
    await expect(failure).rejects.toThrow(/port \d+ is already in use; its last output:\n.*Failed to bind/);
    expect(java.pids()).toHaveLength(3);
    for (const pid of java.pids()) expect(isRunning(pid)).toBe(false);
  });

  it("gives up after the ready timeout, with the output so far, and kills the process", { timeout: 15_000 }, async () => {
    const java = fakeJava(`echo 'Initializing DynamoDB Local with the following configuration:'`);
    vi.stubEnv("DYNAMODB_LOCAL_HOME", homeWithJar());
    vi.stubEnv("JAVA_HOME", java.javaHome);

    await expect(startDynamoDbLocal({ readyTimeoutMs: 500 })).rejects.toThrow(
      /did not answer ListTables on http:\/\/127\.0\.0\.1:\d+ within 500 ms; its last output:\n\s+Initializing DynamoDB Local/,
    );
    expect(java.pids()).toHaveLength(1);
    expect(isRunning(java.pids()[0]!)).toBe(false);
  });
});
