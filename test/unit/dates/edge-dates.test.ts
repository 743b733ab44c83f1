// Dates that make good edge cases, set explicitly rather than hoped for: a month and a year
// end, the daylight-saving changes in the digest's time zones, and 29 February.
import { describe, expect, it } from "vitest";
import { localDay } from "../../../functions/digest/app.ts";
import { daysForDailyRun } from "../../../functions/export/app.ts";
import { dueSchedules, type DailySchedule } from "../../../infra/local/timers.ts";
import { buildDigest } from "../../../shared/digest/index.ts";
import type { SignalStore } from "../../../shared/store/store.ts";
import { config, thread } from "../digest/fixtures.ts";

const HOUR_MS = 3_600_000;

/**
 * Ticks from `from` to `to` and returns, per schedule, "local day  UTC instant" of each firing.
 * The local timer ticks every 20 s; one tick a minute (at :10) is enough to see every minute.
 */
function firings(schedules: DailySchedule[], from: string, to: string): Record<string, string[]> {
  const fired = new Set<string>();
  const out: Record<string, string[]> = Object.fromEntries(schedules.map((s) => [`${s.time} ${s.timeZone}`, []]));
  for (let t = Date.parse(from) + 10_000; t <= Date.parse(to); t += 60_000) {
    const now = new Date(t);
    for (const s of dueSchedules(schedules, now, fired)) out[`${s.time} ${s.timeZone}`]!.push(`${localDay(now, s.timeZone)} ${new Date(t - 10_000).toISOString()}`);
  }
  return out;
}

describe("the daily timers (as EventBridge Scheduler runs crons with a time zone)", () => {
  it("skips a time that does not exist on the day clocks go forward, and runs an ordinary time once", () => {
    // Europe/Berlin went from 02:00 straight to 03:00 on 2027-03-28.
    const runs = firings(
      [
        { time: "02:30", timeZone: "Europe/Berlin" },
        { time: "08:00", timeZone: "Europe/Berlin" },
      ],
      "2027-03-26T23:00:00Z",
      "2027-03-29T21:59:00Z",
    );
    expect(runs["02:30 Europe/Berlin"]).toEqual(["2027-03-27 2027-03-27T01:30:00.000Z", "2027-03-29 2027-03-29T00:30:00.000Z"]);
    // 08:00 is 07:00 UTC before the change and 06:00 UTC after.
    expect(runs["08:00 Europe/Berlin"]).toEqual([
      "2027-03-27 2027-03-27T07:00:00.000Z",
      "2027-03-28 2027-03-28T06:00:00.000Z",
      "2027-03-29 2027-03-29T06:00:00.000Z",
    ]);
  });

  it("runs a time that happens twice on the day clocks go back only once", () => {
    // America/New_York repeated 01:00-02:00 on 2027-11-07; Europe/Berlin repeated 02:00-03:00 on 2027-10-31.
    const newYork = firings([{ time: "01:30", timeZone: "America/New_York" }], "2027-11-06T12:00:00Z", "2027-11-08T12:00:00Z")["01:30 America/New_York"];
    // 05:30 UTC is the first 01:30 (EDT); the second, 06:30 UTC (EST), is not run again.
    expect(newYork).toEqual(["2027-11-07 2027-11-07T05:30:00.000Z", "2027-11-08 2027-11-08T06:30:00.000Z"]);
    const berlin = firings([{ time: "02:30", timeZone: "Europe/Berlin" }], "2027-10-30T12:00:00Z", "2027-11-01T12:00:00Z")["02:30 Europe/Berlin"];
    expect(berlin).toEqual(["2027-10-31 2027-10-31T00:30:00.000Z", "2027-11-01 2027-11-01T01:30:00.000Z"]);
  });

  it("fires on each side of a year end and on 29 February, in zones far apart", () => {
    const runs = firings(
      [
        { time: "00:00", timeZone: "Pacific/Auckland" },
        { time: "23:59", timeZone: "UTC" },
        { time: "08:00", timeZone: "Pacific/Honolulu" },
      ],
      "2026-12-30T00:00:00Z",
      "2027-01-02T10:00:00Z",
    );
    expect(runs["00:00 Pacific/Auckland"]!.map((r) => r.slice(0, 10))).toEqual(["2026-12-31", "2027-01-01", "2027-01-02"]);
    expect(runs["23:59 UTC"]!.map((r) => r.slice(0, 10))).toEqual(["2026-12-30", "2026-12-31", "2027-01-01"]);
    expect(runs["08:00 Pacific/Honolulu"]!.map((r) => r.slice(0, 10))).toEqual(["2026-12-30", "2026-12-31", "2027-01-01"]);

    const leap = firings([{ time: "08:00", timeZone: "UTC" }], "2028-02-27T12:00:00Z", "2028-03-01T12:00:00Z");
    expect(leap["08:00 UTC"]!.map((r) => r.slice(0, 10))).toEqual(["2028-02-28", "2028-02-29", "2028-03-01"]);
  });
});

describe("local days", () => {
  it("a recipient's day changes at their midnight, not at UTC's", () => {
    const at = new Date("2026-12-31T12:00:00Z");
    expect(localDay(at, "UTC")).toBe("2026-12-31");
    expect(localDay(at, "Pacific/Kiritimati")).toBe("2027-01-01");
    expect(localDay(new Date("2027-01-01T09:59:59Z"), "Pacific/Honolulu")).toBe("2026-12-31");
    expect(localDay(new Date("2028-02-29T23:30:00Z"), "Asia/Tokyo")).toBe("2028-03-01");
    expect(localDay(new Date("2028-02-29T23:30:00Z"), "America/Los_Angeles")).toBe("2028-02-29");
  });
});

/** The two reads daysForDailyRun makes, over a fixed last run and no late arrivals. */
function exportRuns(lastReceivedDay: string | null): SignalStore {
  const store = {
    lastExportRun: async () => (lastReceivedDay ? { receivedDay: lastReceivedDay, at: `${lastReceivedDay}T02:00:00.000Z` } : null),
    touchedDays: async () => [],
  };
  return store as unknown as SignalStore;
}

describe("the daily export's days", () => {
  it("exports 31 December on New Year's Day, and 29 February on 1 March", async () => {
    expect((await daysForDailyRun(exportRuns("2026-12-31"), new Date("2027-01-01T02:00:00Z"))).days).toEqual(["2026-12-31"]);
    expect((await daysForDailyRun(exportRuns("2028-02-29"), new Date("2028-03-01T02:00:00Z"))).days).toEqual(["2028-02-29"]);
    // A run missed over a month end leaves no gap: 30 Nov, then 1 Dec, exported together.
    expect((await daysForDailyRun(exportRuns("2026-11-30"), new Date("2026-12-02T02:00:00Z"))).days).toEqual(["2026-11-30", "2026-12-01"]);
    expect((await daysForDailyRun(exportRuns("2028-02-28"), new Date("2028-03-01T02:00:00Z"))).days).toEqual(["2028-02-28", "2028-02-29"]);
    // 2027 has no 29 February.
    expect((await daysForDailyRun(exportRuns("2027-02-28"), new Date("2027-03-02T02:00:00Z"))).days).toEqual(["2027-02-28", "2027-03-01"]);
  });
});

describe("the digest across a clock change and a leap day", () => {
  it("ages count real hours across the night clocks go forward", () => {
    // In Europe/Berlin the night of 2027-03-28 has 23 hours; 22:00 local to 08:00 local is 9 hours.
    const now = new Date("2027-03-28T06:00:00Z"); // 08:00 in Berlin
    const q = thread({ createdAt: "2027-03-27T21:00:00.000Z" }); // 22:00 in Berlin the evening before
    const digest = buildDigest({
      now,
      config: config({ digest: { from: "s@acme.example", timeZone: "Europe/Berlin", minAgeHours: 0, slaHours: 9 } }),
      recipient: null,
      openQuestions: [q],
      recentQuestions: [q],
    });
    expect(digest.unanswered.map((i) => i.ageHours)).toEqual([9]);
    expect(digest.unanswered[0]!.overdue).toBe(false);
  });

  it("the last 7 days before 1 March of a leap year hold 29 February and start on 23 February", () => {
    const now = new Date("2028-03-01T08:00:00Z");
    const at = (iso: string) => thread({ createdAt: iso, firstResponseAt: new Date(Date.parse(iso) + 2 * HOUR_MS).toISOString(), status: "answered" });
    const inside = [at("2028-02-23T08:30:00.000Z"), at("2028-02-29T12:00:00.000Z"), at("2028-02-29T23:59:00.000Z")];
    const before = [at("2028-02-23T07:30:00.000Z"), at("2028-02-16T08:30:00.000Z")];
    const digest = buildDigest({
      now,
      config: config({ digest: { from: "s@acme.example", minAgeHours: 0 } }),
      recipient: null,
      openQuestions: [],
      recentQuestions: [...inside, ...before],
    });
    expect(digest.metrics.last7Days.questions).toBe(3);
    expect(digest.metrics.previous7Days.questions).toBe(2);
  });
});
