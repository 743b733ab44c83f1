import { localDay, localTime } from "../../functions/digest/app.ts";
import type { Clock } from "../../shared/runtime/clock.ts";

/**
 * Plays a poller's rate schedule: a run now, then one every interval, never two at once (as
 * reserved concurrency 1 or a lease does in AWS). Resolves stop once the run in flight is done.
 */
export function startPolling(intervalSeconds: number, run: () => Promise<void>, onError: (err: Error) => void): () => Promise<void> {
  let current: Promise<void> | null = null;
  const tick = () => {
    if (current) return;
    current = run()
      .catch(onError)
      .finally(() => (current = null));
  };
  tick();
  const timer = setInterval(tick, intervalSeconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await current;
  };
}

/** The Discord poller's schedule (the first user of `startPolling`). */
export const startDiscordPolling = startPolling;

export interface DailySchedule {
  time: string;
  timeZone: string;
}

/**
 * The schedules due at `now`, each at most once per local day (`fired` remembers which ran).
 * It behaves as EventBridge Scheduler's crons with a time zone do: a time that does not exist
 * on the day clocks go forward is skipped that day, and a time that happens twice on the day
 * they go back runs once.
 */
export function dueSchedules<S extends DailySchedule>(schedules: readonly S[], now: Date, fired: Set<string>): S[] {
  const due: S[] = [];
  for (const schedule of schedules) {
    const { time, timeZone } = schedule;
    const key = `${time}@${timeZone}@${localDay(now, timeZone)}`;
    if (localTime(now, timeZone) === time && !fired.has(key)) {
      fired.add(key);
      due.push(schedule);
    }
  }
  return due;
}

/** The local stand-in for EventBridge Scheduler crons: each schedule fires once per local day at its time. */
export function startDailyTimer(
  clock: Clock,
  schedules: readonly DailySchedule[],
  send: (schedule: DailySchedule, at: Date) => Promise<void>,
  onError: (schedule: DailySchedule, err: Error) => void,
): NodeJS.Timeout {
  const fired = new Set<string>();
  const tick = () => {
    const now = clock();
    for (const schedule of dueSchedules(schedules, now, fired)) send(schedule, now).catch((err: Error) => onError(schedule, err));
  };
  // Every 20 s: each minute of the day is seen at least twice.
  const timer = setInterval(tick, 20_000);
  timer.unref();
  return timer;
}
