import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { CLOCK_ENV, clockFromEnv, ClockSettingError, clockStartingAt, fixedClock, parseIsoInstant, systemClock } from "../../../shared/runtime/clock.ts";

const ROOT = join(import.meta.dirname, "../../..");

describe("clocks", () => {
  it("a fixed clock always gives the same instant, and a fresh Date each time", () => {
    const clock = fixedClock(new Date("2028-02-29T23:59:59.999Z"));
    const a = clock();
    a.setUTCFullYear(1999);
    expect(clock().toISOString()).toBe("2028-02-29T23:59:59.999Z");
  });

  it("a clock starting at an instant runs at the speed of its timer", () => {
    let elapsed = 1_000;
    const clock = clockStartingAt(new Date("2026-12-31T23:59:30Z"), () => elapsed);
    expect(clock().toISOString()).toBe("2026-12-31T23:59:30.000Z");
    elapsed += 45_000;
    expect(clock().toISOString()).toBe("2027-01-01T00:00:15.000Z");
  });

  it("the entry point's clock is the system clock unless COMMUNITY_SIGNALS_CLOCK starts it elsewhere", () => {
    expect(clockFromEnv({})).toBe(systemClock);
    const clock = clockFromEnv({ [CLOCK_ENV]: "2031-06-01T08:00:00Z" });
    const t = clock().getTime();
    expect(t).toBeGreaterThanOrEqual(Date.parse("2031-06-01T08:00:00Z"));
    expect(t).toBeLessThan(Date.parse("2031-06-01T08:01:00Z"));
  });

  it("refuses a setting that is not a full ISO instant, naming the variable", () => {
    for (const bad of ["tomorrow", "2026-13-01T00:00:00Z", "2026-11-25 08:00", "2026-11-25T08:00:00", "1732521600"]) {
      expect(() => clockFromEnv({ [CLOCK_ENV]: bad })).toThrow(ClockSettingError);
      expect(() => clockFromEnv({ [CLOCK_ENV]: bad })).toThrow(CLOCK_ENV);
    }
    expect(parseIsoInstant("2026-11-25T09:00:00+01:00")?.toISOString()).toBe("2026-11-25T08:00:00.000Z");
    expect(parseIsoInstant("2026-11-25")?.toISOString()).toBe("2026-11-25T00:00:00.000Z");
  });
});

/** Every .ts file under a folder of the repo. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

// Reading the machine's time: `Date.now()`, `new Date()` with no argument, or `Date()` called bare.
const WALL_CLOCK = /\bDate\.now\(\)|\bnew Date\(\s*\)|(?<![.\w])Date\(\s*\)/;

describe("one clock", () => {
  it("nothing under functions/, shared/ or infra/ reads the machine's time except through the clock", () => {
    const offenders: string[] = [];
    for (const file of ["functions", "shared", "infra"].flatMap(sources)) {
      if (file === join("shared", "runtime", "clock.ts")) continue;
      const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
      lines.forEach((line, i) => {
        if (!WALL_CLOCK.test(line)) return;
        // A time-out, an uptime or a lock's start time may read it, saying so where it does.
        if (/\/\/ wall-clock: \S/.test(line) || /\/\/ wall-clock: \S/.test(lines[i - 1] ?? "")) return;
        offenders.push(`${relative(ROOT, join(ROOT, file))}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders, "take `now: Clock` from the caller, or mark a time-out with `// wall-clock: why`").toEqual([]);
  });

  it("the check above catches each way of reading the machine's time", () => {
    for (const line of ["const t = Date.now();", "at = new Date();", "at = new Date( )", "const s = Date();"]) expect(WALL_CLOCK.test(line), line).toBe(true);
    for (const line of ["new Date(value)", "new Date(ms + 1)", "clock()", "toDate()", "parseDate()"]) expect(WALL_CLOCK.test(line), line).toBe(false);
  });
});
