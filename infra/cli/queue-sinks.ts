import type { Envelope } from "../../shared/model/envelope.ts";
import { serializeEnvelope } from "../../shared/queue/envelope-queue.ts";
import type { QueueJournal } from "../local/journal.ts";

/**
 * Where the CLI puts envelopes it reads (backfill, reprocess): a running dev's queue, or, with
 * no dev, the data dir's journal, which the next dev start queues.
 */
/** Sends envelopes to a running dev's `POST /admin/enqueue` (JSON lines), in bodies of at most ~1 MB. */
export function enqueueViaDev(httpUrl: string): (envelopes: Envelope[]) => Promise<void> {
  const post = async (lines: string[]) => {
    const res = await fetch(`${httpUrl}/admin/enqueue`, { method: "POST", body: lines.join("\n") });
    if (!res.ok) throw new Error(`the running dev answered ${res.status} to the enqueue`);
    const answer = (await res.json()) as { queued?: number; refused?: number };
    if (answer.refused) throw new Error(`the running dev refused ${answer.refused} envelope(s)`);
  };
  return async (envelopes) => {
    let batch: string[] = [];
    let bytes = 0;
    for (const e of envelopes) {
      const line = JSON.stringify(e);
      if (batch.length > 0 && bytes + line.length > 1_000_000) {
        await post(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(line);
      bytes += line.length + 1;
    }
    if (batch.length > 0) await post(batch);
  };
}

/** Appends envelopes to the journal (durably), each under `<id>:<tag>` so it never meets an earlier entry. */
export function journalSink(journal: QueueJournal, tag: string): (envelopes: Envelope[]) => Promise<void> {
  return async (envelopes) => {
    for (const e of envelopes) {
      await journal.appendDurably({ op: "queued", id: `${e.id}:${tag}`, body: serializeEnvelope(e), source: e.source, eventType: e.eventType });
    }
  };
}
