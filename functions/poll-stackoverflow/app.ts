import { randomUUID } from "node:crypto";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { Config } from "../../shared/model/config.ts";
import type { Envelope } from "../../shared/model/envelope.ts";
import { pollStackOverflow, type PollReport, type StackOverflowCursors } from "../../shared/sources/stackoverflow/index.ts";
import { runExclusively } from "../../shared/store/leases.ts";
import type { SignalStore } from "../../shared/store/store.ts";

/** The lease that keeps two runs of the poller from overlapping. */
export const STACKOVERFLOW_POLL_LEASE = "poll-stackoverflow";
/** How long a run may hold the lease: the function's timeout (5 minutes) and a margin. */
export const STACKOVERFLOW_LEASE_MS = 6 * 60_000;

/** The poller's positions and memory in the table (`CURSOR#stackoverflow#<site>:...`). */
export function stackOverflowCursors(store: SignalStore, now: Clock): StackOverflowCursors {
  return {
    get: (key) => store.getCursor("stackoverflow", key),
    set: (key, value) => store.setCursor("stackoverflow", key, value, now()),
  };
}

export interface StackOverflowPollDeps {
  config: Config;
  store: SignalStore;
  queue: { send(envelope: Envelope): Promise<string> };
  /** The app key, or null (the anonymous quota). */
  key: string | null;
  now: Clock;
  log?: (line: string) => void;
  /** Who holds the lease (the Lambda request id); a fresh id by default. */
  holder?: string;
}

export type StackOverflowPollOutcome = { ran: true; report: PollReport } | { ran: false; reason: string };

/**
 * One scheduled run, under the table lease: a run that finds the lease taken (the previous one
 * still going) does nothing. Serialising by lease rather than by reserved concurrency keeps the
 * stack deployable on accounts whose concurrency quota is 10 (issue #17).
 */
export async function runStackOverflowPoll(deps: StackOverflowPollDeps): Promise<StackOverflowPollOutcome> {
  const outcome = await runExclusively(
    deps.store.leases,
    { name: STACKOVERFLOW_POLL_LEASE, leaseMs: STACKOVERFLOW_LEASE_MS, holder: deps.holder ?? randomUUID(), now: deps.now },
    () =>
      pollStackOverflow({
        config: deps.config,
        key: deps.key,
        cursors: stackOverflowCursors(deps.store, deps.now),
        sink: deps.queue,
        now: deps.now,
        newId: randomUUID,
        ...(deps.log ? { log: deps.log } : {}),
      }),
  );
  if (!outcome.ran) {
    deps.log?.("stackoverflow: another poll is still running (lease taken); this run does nothing");
    return outcome;
  }
  return { ran: true, report: outcome.result };
}
