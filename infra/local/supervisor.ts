import { setTimeout as sleep } from "node:timers/promises";

/** A child process the local stack runs: it can be stopped, and it says when it has exited. */
export interface Supervised {
  stop(): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; expected: boolean }>;
}

export interface Supervisor {
  /** True while the child runs (false between a crash and the restart). */
  readonly up: boolean;
  readonly restarts: number;
  /** Stops the child for good; no restart after this. */
  stop(): Promise<void>;
}

/**
 * Keeps an emulator running: when it exits without being asked to, it is started again (same
 * port, same files) with a growing pause between failed attempts, and each step is logged.
 */
export function supervise(
  name: string,
  first: Supervised,
  restart: () => Promise<Supervised>,
  log: (line: string) => void,
  backoffMs: { first: number; max: number } = { first: 500, max: 30_000 },
): Supervisor {
  let current = first;
  let stopping = false;
  let up = true;
  let restarts = 0;
  const watch = async (): Promise<void> => {
    for (;;) {
      const exit = await current.exited;
      if (stopping || exit.expected) return;
      up = false;
      log(`${name} exited unexpectedly (${exit.signal ?? `code ${exit.code}`}); restarting it`);
      for (let pause = backoffMs.first; ; pause = Math.min(pause * 2, backoffMs.max)) {
        if (stopping) return;
        try {
          const next = await restart();
          if (stopping) {
            await next.stop();
            return;
          }
          current = next;
          restarts++;
          up = true;
          log(`${name} is back (restart ${restarts})`);
          break;
        } catch (err) {
          log(`${name} did not restart: ${(err as Error).message.split("\n")[0]}; trying again in ${Math.round(pause / 1000)} s`);
          await sleep(pause);
        }
      }
    }
  };
  const watching = watch();
  return {
    get up() {
      return up;
    },
    get restarts() {
      return restarts;
    },
    async stop() {
      stopping = true;
      await current.stop();
      await watching;
    },
  };
}
