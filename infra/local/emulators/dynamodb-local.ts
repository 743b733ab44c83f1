/**
 * Starts AWS's DynamoDB Local (a Java process) for the local stack and the integration tests.
 * The jar is fetched by bin/fetch-dynamodb-local.js (the root package's postinstall).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { localClientConfig } from "./clients.ts";
import { freePort, isPortFree } from "./ports.ts";

export interface DynamoDbLocalOptions {
  /** Persist tables here (created if missing); without it the data lives in memory only. */
  dataDir?: string;
  /** Fixed port; without it a free one is picked (and another tried if that one gets taken). */
  port?: number;
  /** Every line DynamoDB Local prints on stdout or stderr. */
  onLog?: (line: string) => void;
  /** What the launcher itself has to say (an orphan stopped), for the stack's log. */
  onNotice?: (line: string) => void;
  /** How long to wait for the first successful ListTables; 30 s by default. */
  readyTimeoutMs?: number;
}

export interface DynamoDbLocal {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  pid: number;
  /** SIGTERM, SIGKILL after 5 s; resolves once the process has exited. Safe to call twice. */
  stop(): Promise<void>;
  /** Resolves when the process has exited, for whatever reason; `expected` when stop() asked for it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; expected: boolean }>;
}

export class DynamoDbLocalError extends Error {
  override name = "DynamoDbLocalError";
}

export const JAVA_MISSING_MESSAGE =
  "Java 17+ is needed to run DynamoDB Local: install it, e.g. apt-get install -y openjdk-17-jre-headless";

const JAR_NAME = "DynamoDBLocal.jar";
// Generous: a JVM on a busy 2-core machine can take many seconds to come up.
const DEFAULT_READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const PORT_ATTEMPTS = 3;
const KEPT_OUTPUT_LINES = 30;
// Measured on 2 cores: ready in about 3 s instead of 4 to 6.5 s. A local emulator serves a
// trickle of requests, so the optimising JIT and a parallel collector only cost start time.
// -XX:-UsePerfData: no /tmp/hsperfdata_<user>/<pid> file, which a killed JVM leaves behind.
const FAST_START_JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData"];

/**
 * Where DynamoDB Local lives: $DYNAMODB_LOCAL_HOME, else node_modules/.cache/dynamodb-local
 * of the community-signals package (the place bin/fetch-dynamodb-local.js fills).
 */
export function dynamoDbLocalHome(): string {
  const override = process.env.DYNAMODB_LOCAL_HOME;
  if (override) return resolve(override);
  return join(packageRoot(), "node_modules", ".cache", "dynamodb-local");
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const home = dynamoDbLocalHome();
  if (!existsSync(join(home, JAR_NAME))) {
    throw new DynamoDbLocalError(
      `DynamoDB Local is not installed (no ${JAR_NAME} in ${home}): run npm ci (postinstall fetches it) or node bin/fetch-dynamodb-local.js`,
    );
  }
  if (options.port !== undefined) {
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new DynamoDbLocalError(`DynamoDB Local port must be an integer from 1 to 65535, got ${options.port}`);
    }
    // DynamoDB Local binds every interface, and it does not exit when the bind fails; a
    // probe catches the common case before paying for a JVM start.
    if (!(await isPortFree(options.port))) {
      throw new DynamoDbLocalError(`cannot start DynamoDB Local: port ${options.port} is already in use`);
    }
  }
  if (options.dataDir !== undefined) {
    mkdirSync(options.dataDir, { recursive: true });
    await stopOrphan(options.dataDir, options.onNotice);
  }

  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch(home, port, options);
    } catch (error) {
      const lostPortRace = error instanceof PortInUseError && options.port === undefined && attempt < PORT_ATTEMPTS;
      if (!lostPortRace) throw error;
    }
  }
}

class PortInUseError extends DynamoDbLocalError {}

async function launch(home: string, port: number, options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const storage = options.dataDir === undefined ? ["-inMemory"] : ["-dbPath", resolve(options.dataDir)];
  // DynamoDB Local extracts its 900 KB sqlite library into java.io.tmpdir on every start and
  // deletes it only on a clean JVM exit; a folder of our own is removed however it ends.
  const scratchDir = mkdtempSync(join(tmpdir(), "community-signals-dynamodb-"));
  const removeScratch = () => rmSync(scratchDir, { recursive: true, force: true });
  const args = [
    ...FAST_START_JVM_FLAGS,
    `-Djava.io.tmpdir=${scratchDir}`,
    `-Djava.library.path=${join(home, "DynamoDBLocal_lib")}`,
    "-jar",
    join(home, JAR_NAME),
    "-port",
    String(port),
    "-sharedDb",
    "-disableTelemetry",
    ...storage,
  ];
  const child = spawn(javaExecutable(), args, { cwd: home, stdio: ["ignore", "pipe", "pipe"] });
  const output = new OutputTail(KEPT_OUTPUT_LINES, options.onLog);

  // What went wrong, if anything; the first failure wins.
  let failure:
    | { kind: "spawn-error"; error: NodeJS.ErrnoException }
    | { kind: "exited"; code: number | null; signal: NodeJS.Signals | null }
    | { kind: "fatal-output" }
    | undefined;
  let reportFailure!: () => void;
  const failed = new Promise<void>((resolveFailed) => (reportFailure = resolveFailed));

  const exited = new Promise<void>((resolveExit) =>
    child.once("exit", () => {
      removeScratch();
      resolveExit();
    }),
  );
  // 'close' comes after 'exit' once stdout and stderr are drained, so the output is complete.
  const closed = new Promise<void>((resolveClose) =>
    child.once("close", (code, signal) => {
      failure ??= { kind: "exited", code, signal };
      reportFailure();
      resolveClose();
    }),
  );
  // A missing binary surfaces as an 'error' event right after spawn (and never as 'exit').
  child.on("error", (error) => {
    failure ??= { kind: "spawn-error", error };
    reportFailure();
  });
  // "Failed to bind" leaves the JVM running (its non-daemon threads outlive the failed main),
  // so a fatal startup error has to be recognised in the output, not from an exit.
  output.onLine = (line) => {
    if (/^Exception in thread "main"|Address already in use|UnsupportedClassVersionError/.test(line)) {
      failure ??= { kind: "fatal-output" };
      reportFailure();
    }
  };
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk));

  const stop = stopper(child, exited);
  if (child.pid !== undefined) trackChild(child, removeScratch);
  // Who runs on these files, so the next start can stop it if our process dies without stopping it.
  const pidFile = options.dataDir === undefined ? null : join(resolve(options.dataDir), PID_FILE);
  if (pidFile && child.pid !== undefined) {
    writeFileSync(pidFile, JSON.stringify({ pid: child.pid, port }));
    void exited.then(() => rmSync(pidFile, { force: true }));
  }
  let stopRequested = false;
  const requestStop = () => {
    stopRequested = true;
    return stop();
  };
  const exitInfo = closed.then(() => ({
    code: child.exitCode,
    signal: child.signalCode,
    expected: stopRequested,
  }));

  const endpoint = `http://127.0.0.1:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const ready = await Promise.race([
    waitUntilServing(endpoint, readyTimeoutMs, () => failure !== undefined),
    failed.then(() => false),
  ]);

  // Read before stop(): killing the process produces an exit of its own.
  const cause = failure;
  if (ready && cause === undefined && child.pid !== undefined) {
    // The server runs in the background: it must not hold the event loop open by itself.
    child.unref();
    unrefStream(child.stdout);
    unrefStream(child.stderr);
    return { endpoint, port, pid: child.pid, stop: requestStop, exited: exitInfo };
  }

  await stop();
  if (child.pid !== undefined) await closed; // everything it printed before dying has arrived
  removeScratch(); // no 'exit' (and so no removal) when java could not be spawned at all
  output.flush();
  const log = output.lastLines();
  if (cause === undefined) {
    throw new DynamoDbLocalError(
      `DynamoDB Local did not answer ListTables on ${endpoint} within ${readyTimeoutMs} ms; its last output:\n${log}`,
    );
  }
  if (cause.kind === "spawn-error") {
    if (cause.error.code === "ENOENT") throw new DynamoDbLocalError(JAVA_MISSING_MESSAGE);
    throw new DynamoDbLocalError(`could not start java for DynamoDB Local: ${cause.error.message}`);
  }
  if (/Address already in use|Failed to bind/.test(log)) {
    throw new PortInUseError(`cannot start DynamoDB Local: port ${port} is already in use; its last output:\n${log}`);
  }
  if (/UnsupportedClassVersionError/.test(log)) {
    throw new DynamoDbLocalError(`${JAVA_MISSING_MESSAGE} (the java found is too old); its output:\n${log}`);
  }
  const how = cause.kind === "exited" ? `exited early (${cause.signal ?? `code ${cause.code}`})` : "failed to start";
  throw new DynamoDbLocalError(`DynamoDB Local ${how}; its last output:\n${log}`);
}

/** Polls ListTables until it succeeds (true), `gaveUp()` says stop, or the time is up (false). */
async function waitUntilServing(endpoint: string, timeoutMs: number, gaveUp: () => boolean): Promise<boolean> {
  const client = new DynamoDBClient({
    ...localClientConfig(endpoint),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
  const deadline = Date.now() + timeoutMs; // wall-clock: a start-up time-out
  try {
    while (Date.now() < deadline && !gaveUp()) { // wall-clock: the same time-out
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return true;
      } catch {
        await sleep(100);
      }
    }
    return false;
  } finally {
    client.destroy();
  }
}

/** Written beside the tables while DynamoDB Local runs on them: `{ pid, port }`. */
const PID_FILE = "dynamodb-local.pid";

/**
 * A DynamoDB Local still running on this data dir was left by a process that died without
 * stopping it (SIGKILL): whoever starts one now holds the data dir's lock, so it is an orphan.
 * Stop it before a second JVM opens the same files. Only a process whose command line is
 * DynamoDB Local on this very folder is touched.
 */
async function stopOrphan(dataDir: string, onLog?: (line: string) => void): Promise<void> {
  const pidFile = join(resolve(dataDir), PID_FILE);
  if (!existsSync(pidFile)) return;
  let pid: number | undefined;
  try {
    pid = (JSON.parse(readFileSync(pidFile, "utf8")) as { pid?: number }).pid;
  } catch {
    // unreadable: written by nobody alive
  }
  if (typeof pid === "number" && isDynamoDbLocalOn(pid, resolve(dataDir))) {
    onLog?.(`stopping an orphaned DynamoDB Local (pid ${pid}) left on ${dataDir} by a process that was killed`);
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 100 && isDynamoDbLocalOn(pid, resolve(dataDir)); i++) await sleep(50);
  }
  rmSync(pidFile, { force: true });
}

function isDynamoDbLocalOn(pid: number, dataDir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return cmdline.some((a) => a.endsWith(JAR_NAME)) && cmdline.includes(dataDir);
  } catch {
    return false; // gone (or no /proc: then nothing to compare, and nothing is killed)
  }
}

function stopper(child: ChildProcess, exited: Promise<unknown>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      // unref()ed while serving; awaiting the exit must keep the process alive until it happens.
      child.ref();
      child.kill("SIGTERM");
      let killTimer: NodeJS.Timeout | undefined;
      const escalate = new Promise<void>((resolveKill) => {
        killTimer = setTimeout(() => {
          child.kill("SIGKILL");
          resolveKill();
        }, STOP_GRACE_MS);
      });
      await Promise.race([exited, escalate]);
      await exited;
      clearTimeout(killTimer);
    })();
    return stopping;
  };
}

// Children still running when Node exits (normally, or via process.exit) are killed, so a
// crashed test or CLI never leaves a JVM holding 200 MB and a port.
const liveChildren = new Map<ChildProcess, () => void>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess, cleanUpAfter: () => void): void {
  liveChildren.set(child, cleanUpAfter);
  child.once("exit", () => liveChildren.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [running, cleanUp] of liveChildren) {
      running.kill("SIGKILL");
      cleanUp();
    }
  });
}

function unrefStream(stream: NodeJS.ReadableStream | null): void {
  (stream as { unref?: () => void } | null)?.unref?.();
}

/** Splits output into lines, forwards them, and keeps the last few for error messages. */
class OutputTail {
  private readonly lines: string[] = [];
  private partial = "";
  onLine: ((line: string) => void) | undefined;

  constructor(
    private readonly keep: number,
    private readonly onLog: ((line: string) => void) | undefined,
  ) {}

  push(chunk: Buffer): void {
    const pieces = (this.partial + chunk.toString("utf8")).split(/\r?\n/);
    this.partial = pieces.pop() ?? "";
    for (const line of pieces) this.add(line);
  }

  flush(): void {
    if (this.partial) this.add(this.partial);
    this.partial = "";
  }

  lastLines(): string {
    return this.lines.map((line) => `  ${line}`).join("\n");
  }

  private add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.shift();
    this.onLine?.(line);
    this.onLog?.(line);
  }
}

function javaExecutable(): string {
  const javaHome = process.env.JAVA_HOME;
  if (javaHome) {
    const candidate = join(javaHome, "bin", process.platform === "win32" ? "java.exe" : "java");
    if (existsSync(candidate)) return candidate;
  }
  return "java";
}

/** The folder of the community-signals package.json above this file. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && readPackageName(manifest) === "community-signals") return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new DynamoDbLocalError(
        `cannot find the community-signals package above ${fileURLToPath(import.meta.url)}; set DYNAMODB_LOCAL_HOME`,
      );
    }
    dir = parent;
  }
}

function readPackageName(manifest: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(manifest, "utf8"));
    return typeof parsed === "object" && parsed !== null && "name" in parsed && typeof parsed.name === "string"
      ? parsed.name
      : undefined;
  } catch {
    return undefined;
  }
}
