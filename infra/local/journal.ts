import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * The local queue's write-ahead journal: what makes a local 202 as durable as SQS makes one in
 * AWS. The SQS emulator keeps messages in memory, so every message the stack queues is first
 * appended here and synced to disk (`queued`), and only then sent; the consumer appends `done`
 * once a message is processed and deleted, `dead` when it goes to the dead-letter queue, and
 * `redriven` when it is moved back. At the next start whatever is not done is queued again, to
 * the queue or to the dead-letter queue as it last stood, however the last process ended
 * (SIGKILL included). Processing is idempotent, so a message done but not yet journaled as done
 * is merely processed twice.
 *
 * Concurrent appends share one write and one fsync (group commit), so a burst of webhooks
 * costs one disk sync per batch, not one per webhook.
 */
export type JournalEntry =
  | { op: "queued"; id: string; body: string; source: string; eventType: string }
  | { op: "done"; id: string }
  | { op: "dead"; id: string; reason: string; at: string }
  | { op: "redriven"; id: string };

export interface PendingMessage {
  id: string;
  body: string;
  source: string;
  eventType: string;
  /** Present when the message stood in the dead-letter queue. */
  dead?: { reason: string; at: string };
}

/** Replays the entries: each message not done, where it last stood. */
export function pendingMessages(entries: Iterable<JournalEntry>): PendingMessage[] {
  const live = new Map<string, PendingMessage>();
  for (const e of entries) {
    if (e.op === "queued") live.set(e.id, { id: e.id, body: e.body, source: e.source, eventType: e.eventType });
    else if (e.op === "done") live.delete(e.id);
    else {
      const m = live.get(e.id);
      if (!m) continue;
      if (e.op === "dead") m.dead = { reason: e.reason, at: e.at };
      else delete m.dead;
    }
  }
  return [...live.values()];
}

/** Reads a journal; a torn last line (the process died mid-write, before the sync) is skipped. */
export function readJournal(path: string): JournalEntry[] {
  if (!existsSync(path)) return [];
  const entries: JournalEntry[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line) continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // only the last line can be torn, and it was never acknowledged
    }
  }
  return entries;
}

/** Rewrites the journal with only the live messages (atomically: a new file, synced, renamed). */
export function compactJournal(path: string, pending: readonly PendingMessage[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const lines: string[] = [];
  for (const m of pending) {
    lines.push(JSON.stringify({ op: "queued", id: m.id, body: m.body, source: m.source, eventType: m.eventType } satisfies JournalEntry));
    if (m.dead) lines.push(JSON.stringify({ op: "dead", id: m.id, reason: m.dead.reason, at: m.dead.at } satisfies JournalEntry));
  }
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    if (lines.length > 0) writeSync(fd, `${lines.join("\n")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDirectory(dirname(path));
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class QueueJournal {
  private pending: { line: string; done: (err?: Error) => void }[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
  ) {}

  static async open(path: string): Promise<QueueJournal> {
    mkdirSync(dirname(path), { recursive: true });
    return new QueueJournal(path, await open(path, "a", 0o600));
  }

  /** Resolves once the entry is on disk (synced): only then may a webhook be acknowledged. */
  appendDurably(entry: JournalEntry): Promise<void> {
    return this.enqueue(entry);
  }

  /** Appends without waiting for the disk: for `done`, whose loss only costs a reprocess. */
  append(entry: JournalEntry): void {
    this.enqueue(entry).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.file.close();
  }

  private enqueue(entry: JournalEntry): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the queue journal is closed"));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line: `${JSON.stringify(entry)}\n`, done: (err) => (err ? reject(err) : resolve()) });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.file.appendFile(batch.map((b) => b.line).join(""));
          await this.file.datasync();
          for (const b of batch) b.done();
        } catch (err) {
          for (const b of batch) b.done(err as Error);
        }
      }
    } finally {
      this.flushing = null;
    }
  }
}

/**
 * Redrive without a running stack: dead letters in the journal (of `source` when given) are
 * marked as moved back, and the next start queues them. The caller holds the data dir's lock.
 */
export function redriveInJournal(path: string, source?: string): { moved: number; kept: number } {
  const dead = pendingMessages(readJournal(path)).filter((m) => m.dead);
  const wanted = dead.filter((m) => !source || m.source === source);
  if (wanted.length > 0) {
    const fd = openSync(path, "a", 0o600);
    try {
      writeSync(fd, wanted.map((m) => `${JSON.stringify({ op: "redriven", id: m.id } satisfies JournalEntry)}\n`).join(""));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  return { moved: wanted.length, kept: dead.length - wanted.length };
}
