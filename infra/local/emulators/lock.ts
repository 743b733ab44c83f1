/**
 * One `community-signals dev` per data dir: DynamoDB Local's files and the local archive are
 * not safe for two writers, and other commands (replay, digest, redrive) reuse the running
 * dev's emulators by reading the lock instead of starting their own.
 *
 * Lifecycle: acquireDevLock() before any emulator starts (endpoints not known yet: the lock
 * is "starting"), update() once they are up, release() on shutdown. A lock whose pid is dead
 * is stale and gets replaced; a lock left by a normal exit is removed by an exit hook.
 * A command that wants its own emulators on a data dir must acquire the lock too: readDevLock
 * returns null both when no dev runs and while one is still starting.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

export interface DevEndpoints {
  dynamodb: string;
  sqs: string;
  ses: string;
  queueUrl: string;
  dlqUrl: string;
  /** The local HTTP front door (webhooks, health). */
  http: string;
  /** The local S3 server (analytics export); absent in locks written before it existed. */
  s3?: string;
}

export interface DevLockInfo {
  pid: number;
  /** ISO 8601. */
  startedAt: string;
  /** Port of the HTTP front door. */
  port: number;
  endpoints: DevEndpoints;
  /** The command holding the data dir when it is not `dev` (`digest`, `backfill`, ...). */
  command?: string;
}

/** What acquireDevLock needs: the endpoints come later, through update(). */
export type DevLockClaim = Omit<DevLockInfo, "endpoints"> & { endpoints?: DevEndpoints };

export interface DevLock {
  /** <dataDir>/dev.lock.json */
  readonly path: string;
  /** Replaces the lock's content (same pid and startedAt as the claim), e.g. once endpoints are known. */
  update(info: DevLockInfo): void;
  /** Removes the lock if it is still ours. Safe to call twice. */
  release(): void;
}

export class DevAlreadyRunningError extends Error {
  override name = "DevAlreadyRunningError";
  constructor(
    readonly dataDir: string,
    readonly holder: DevLockClaim,
  ) {
    const where = holder.endpoints?.http ?? (holder.port > 0 ? `http://127.0.0.1:${holder.port}` : "still starting");
    super(
      holder.command && holder.command !== "dev"
        ? `community-signals ${holder.command} is using ${dataDir} (pid ${holder.pid}, since ${holder.startedAt}); wait for it to finish, or start dev on it so both can share it, or use another --data-dir`
        : `community-signals dev is already running on ${dataDir} (pid ${holder.pid}, ${where}); stop it first or use another --data-dir`,
    );
  }
}

export class DevLockError extends Error {
  override name = "DevLockError";
}

export const DEV_LOCK_FILE = "dev.lock.json";

const endpointsSchema = z.object({
  dynamodb: z.string(),
  sqs: z.string(),
  ses: z.string(),
  queueUrl: z.string(),
  dlqUrl: z.string(),
  http: z.string(),
  s3: z.string().optional(),
});
const claimSchema = z.object({
  pid: z.number().int().positive(),
  startedAt: z.iso.datetime({ offset: true }),
  port: z.number().int().min(0).max(65535),
  endpoints: endpointsSchema.optional(),
  command: z.string().max(40).optional(),
});

export function devLockPath(dataDir: string): string {
  return join(dataDir, DEV_LOCK_FILE);
}

export function acquireDevLock(dataDir: string, claim: DevLockClaim): DevLock {
  const owner = validClaim(claim, "acquireDevLock");
  mkdirSync(dataDir, { recursive: true });
  const path = devLockPath(dataDir);

  // A few rounds: each one either takes the lock, finds a live holder, or clears a stale one.
  for (let round = 0; round < 5; round++) {
    if (createExclusive(path, owner)) return heldLock(path, owner);
    const existing = readRaw(path);
    if (existing === undefined) continue; // released between our attempt and our read
    const holder = parseClaim(existing);
    if (holder && isAlive(holder.pid)) throw new DevAlreadyRunningError(dataDir, holder);
    removeIfUnchanged(path, existing);
  }
  throw new DevLockError(`could not take ${path}: it keeps changing (another community-signals dev starting?)`);
}

/** The running dev's info; null when there is none, it is still starting, or its lock is stale. */
export function readDevLock(dataDir: string): DevLockInfo | null {
  const raw = readRaw(devLockPath(dataDir));
  if (raw === undefined) return null;
  const holder = parseClaim(raw);
  if (!holder?.endpoints || !isAlive(holder.pid)) return null;
  return { pid: holder.pid, startedAt: holder.startedAt, port: holder.port, endpoints: holder.endpoints };
}

function heldLock(path: string, owner: DevLockClaim): DevLock {
  let released = false;
  const releaseOnExit = () => removeIfOurs(path, owner);
  process.on("exit", releaseOnExit);
  return {
    path,
    update(info) {
      if (released) throw new DevLockError(`cannot update ${path}: the lock was released`);
      const next = validClaim(info, "DevLock.update");
      if (next.pid !== owner.pid || next.startedAt !== owner.startedAt) {
        throw new DevLockError(
          `DevLock.update must keep pid and startedAt (${owner.pid}, ${owner.startedAt}); got (${next.pid}, ${next.startedAt})`,
        );
      }
      if (!isOurs(path, owner)) throw new DevLockError(`cannot update ${path}: it no longer belongs to pid ${owner.pid}`);
      writeAtomically(path, next);
    },
    release() {
      if (released) return;
      released = true;
      process.removeListener("exit", releaseOnExit);
      removeIfOurs(path, owner);
    },
  };
}

/** Creates the lock with its full content, or returns false if one exists (no reader sees a partial file). */
function createExclusive(path: string, claim: DevLockClaim): boolean {
  const staged = stagingPath(path);
  writeFileSync(staged, serialise(claim), { flag: "wx" });
  try {
    linkSync(staged, path); // atomic, and fails with EEXIST like O_EXCL
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(staged);
  }
}

function writeAtomically(path: string, claim: DevLockClaim): void {
  const staged = stagingPath(path);
  writeFileSync(staged, serialise(claim), { flag: "wx" });
  renameSync(staged, path);
}

/**
 * Removes a stale lock without removing a fresh one that replaced it meanwhile: move it
 * aside, and if what was moved is not the stale content, put it back.
 */
function removeIfUnchanged(path: string, staleContent: string): void {
  const aside = `${path}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (readRaw(aside) !== staleContent) {
    try {
      linkSync(aside, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  unlinkSync(aside);
}

function removeIfOurs(path: string, owner: DevLockClaim): void {
  if (!isOurs(path, owner)) return;
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

function isOurs(path: string, owner: DevLockClaim): boolean {
  const raw = readRaw(path);
  const holder = raw === undefined ? undefined : parseClaim(raw);
  return holder?.pid === owner.pid && holder.startedAt === owner.startedAt;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readRaw(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** A lock file we cannot parse was not written by a live dev (writes are atomic): stale. */
function parseClaim(raw: string): DevLockClaim | undefined {
  try {
    const parsed = claimSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function validClaim(claim: DevLockClaim, caller: string): DevLockClaim {
  const parsed = claimSchema.safeParse(claim);
  if (!parsed.success) throw new DevLockError(`${caller}: invalid lock info: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function serialise(claim: DevLockClaim): string {
  return JSON.stringify(claim, null, 2) + "\n";
}

function stagingPath(path: string): string {
  return `${path}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
}
