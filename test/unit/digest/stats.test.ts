import { describe, expect, it } from "vitest";
import { percentile, roundToTenth } from "../../../shared/digest/stats.ts";
import { formatAge, formatRate } from "../../../shared/digest/format.ts";

describe("percentile (linear interpolation between closest ranks, as numpy)", () => {
  it("matches numpy.percentile on small sets", () => {
    // numpy.percentile([1, 2, 3, 4, 10], q): rank = (n - 1) * q / 100
    expect(percentile([10, 1, 4, 3, 2], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 10], 90)).toBeCloseTo(7.6, 10); // 4 + 0.6 * (10 - 4)
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([4, 6], 90)).toBeCloseTo(5.8, 10);
    expect(percentile([1, 2, 3, 4, 10], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4, 10], 100)).toBe(10);
    expect(percentile([7], 90)).toBe(7);
  });

  it("gives null for no values and leaves its input alone", () => {
    expect(percentile([], 50)).toBeNull();
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it("rejects a percentile outside 0..100 and non-finite values", () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(/between 0 and 100/);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
    expect(() => percentile([1, Number.NaN], 50)).toThrow(/finite/);
  });

  it("roundToTenth keeps one decimal", () => {
    expect(roundToTenth(1.2667)).toBe(1.3);
    expect(roundToTenth(22)).toBe(22);
    expect(roundToTenth(0.04)).toBe(0);
  });
});

describe("formatAge", () => {
  it("reads as minutes, hours, then days and hours", () => {
    expect(formatAge(0)).toBe("0 min");
    expect(formatAge(0.5)).toBe("30 min");
    expect(formatAge(0.999)).toBe("1 h"); // 59.94 min must not read "60 min"
    expect(formatAge(1)).toBe("1 h");
    expect(formatAge(30.3)).toBe("30 h");
    expect(formatAge(47.4)).toBe("47 h");
    expect(formatAge(48)).toBe("2 d");
    expect(formatAge(77)).toBe("3 d 5 h");
    expect(formatAge(95.6)).toBe("4 d"); // 96 h after rounding: no "3 d 24 h"
  });

  it("rejects negative and non-finite ages", () => {
    expect(() => formatAge(-1)).toThrow(RangeError);
    expect(() => formatAge(Number.POSITIVE_INFINITY)).toThrow(/non-negative/);
  });

  it("formatRate shows whole percentages and n/a for no data", () => {
    expect(formatRate(2 / 3)).toBe("67%");
    expect(formatRate(1)).toBe("100%");
    expect(formatRate(null)).toBe("n/a");
  });
});
