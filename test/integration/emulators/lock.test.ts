import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  DevAlreadyRunningError,
  DevLockError,
  acquireDevLock,
  devLockPath,
  readDevLock,
  type DevLock,
  type DevLockInfo,
} from "../../../infra/local/emulators/lock.ts";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cs-lock-test-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function acquire(...args: Parameters<typeof acquireDevLock>): DevLock {
  const lock = acquireDevLock(...args);
  cleanups.push(() => lock.release());
  return lock;
}

/** The pid of a process that has exited (and been reaped), so nothing answers to it. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

const startedAt = "2026-03-01T08:00:00.000Z";
const claim = { pid: process.pid, startedAt, port: 3900 };
const endpoints: DevLockInfo["endpoints"] = {
  dynamodb: "http://127.0.0.1:41001",
  sqs: "http://127.0.0.1:41002",
  ses: "http://127.0.0.1:41003",
  queueUrl: "http://127.0.0.1:41002/123456789012/ingest",
  dlqUrl: "http://127.0.0.1:41002/123456789012/ingest-dlq",
  http: "http://127.0.0.1:3900",
};

describe("dev lock", () => {
  it("is taken before the emulators exist and filled in once they run", () => {
    const dir = dataDir();
    const lock = acquire(dir, claim);
    expect(lock.path).toBe(join(dir, "dev.lock.json"));
    expect(JSON.parse(readFileSync(lock.path, "utf8"))).toEqual(claim);
    expect(readDevLock(dir)).toBeNull(); // starting: nothing to reuse yet

    lock.update({ ...claim, endpoints });
    expect(readDevLock(dir)).toEqual({ ...claim, endpoints });
    expect(readdirSync(dir)).toEqual(["dev.lock.json"]); // no staging files left behind

    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    expect(readDevLock(dir)).toBeNull();
    lock.release(); // idempotent
  });

  it("refuses a second dev on the same data dir while the first is alive", () => {
    const dir = dataDir();
    const first = acquire(dir, claim);
    first.update({ ...claim, endpoints });

    let refusal: unknown;
    try {
      acquireDevLock(dir, { pid: process.pid, startedAt: new Date().toISOString(), port: 3901 });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DevAlreadyRunningError);
    expect((refusal as Error).message).toBe(
      `community-signals dev is already running on ${dir} (pid ${process.pid}, http://127.0.0.1:3900); stop it first or use another --data-dir`,
    );
    expect(readDevLock(dir)?.port).toBe(3900); // the holder's lock is untouched
  });

  it("names the command, not dev, when another command holds the data dir", () => {
    const dir = dataDir();
    acquire(dir, { ...claim, port: 0, command: "backfill" });
    expect(() => acquireDevLock(dir, { ...claim, port: 0, command: "digest" })).toThrow(
      `community-signals backfill is using ${dir} (pid ${process.pid}, since ${claim.startedAt}); wait for it to finish, or start dev on it so both can share it, or use another --data-dir`,
    );
  });

  it("names the port of a dev that is still starting", () => {
    const dir = dataDir();
    acquire(dir, claim);
    expect(() => acquireDevLock(dir, { ...claim, startedAt: new Date().toISOString() })).toThrow(
      `(pid ${process.pid}, http://127.0.0.1:3900)`,
    );
  });

  it("replaces a lock left by a dev that died", () => {
    const dir = dataDir();
    const gone = deadPid();
    writeFileSync(devLockPath(dir), JSON.stringify({ pid: gone, startedAt, port: 3900, endpoints }));
    expect(readDevLock(dir)).toBeNull(); // stale: its emulators are gone too

    const lock = acquire(dir, { ...claim, port: 3901 });
    expect(JSON.parse(readFileSync(lock.path, "utf8")).pid).toBe(process.pid);
    expect(readdirSync(dir)).toEqual(["dev.lock.json"]);
  });

  it("treats an unreadable lock file as stale", () => {
    const dir = dataDir();
    writeFileSync(devLockPath(dir), "{ not json");
    expect(readDevLock(dir)).toBeNull();
    const lock = acquire(dir, claim);
    expect(JSON.parse(readFileSync(lock.path, "utf8"))).toEqual(claim);
  });

  it("never removes or overwrites a lock that is no longer its own", () => {
    const dir = dataDir();
    const lock = acquire(dir, claim);
    const takeover = { pid: process.pid, startedAt: "2026-03-01T09:00:00.000Z", port: 3905, endpoints };
    writeFileSync(lock.path, JSON.stringify(takeover));

    expect(() => lock.update({ ...claim, endpoints })).toThrow(/no longer belongs to pid/);
    lock.release();
    expect(JSON.parse(readFileSync(devLockPath(dir), "utf8"))).toEqual(takeover);
  });

  it("rejects bad lock info with a clear error", () => {
    const dir = dataDir();
    expect(() => acquireDevLock(dir, { pid: 0, startedAt: "yesterday", port: 3900 })).toThrow(DevLockError);
    expect(() => acquireDevLock(dir, { pid: 0, startedAt: "yesterday", port: 3900 })).toThrow(/pid[\s\S]*startedAt/);
    expect(existsSync(devLockPath(dir))).toBe(false);

    const lock = acquire(dir, claim);
    expect(() => lock.update({ ...claim, pid: process.pid + 1, endpoints })).toThrow(/must keep pid and startedAt/);
  });

  it("creates the data dir when it does not exist yet", () => {
    const dir = join(dataDir(), "fresh", "data");
    const lock = acquire(dir, claim);
    expect(existsSync(lock.path)).toBe(true);
  });
});
