/**
 * Issue 15: question-weights.json carries the hashed weights as one base64 string of zigzag
 * varints, one per bucket (units of 1e-4), written by the trainer's `encodeHashedWeights` and read
 * at module load by the scorer's `decodeHashedWeights`. These check the two agree, that the bytes
 * are the documented ones, and that a damaged string is refused rather than read as other weights.
 */
import { readFileSync, statSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WEIGHTS_PATH, encodeHashedWeights } from "../../../bin/train-question-classifier.ts";
import { HASH_BUCKETS, decodeHashedWeights } from "../../../shared/sources/slack/question-classifier.ts";

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const base64 = (bytes: number[]) => Buffer.from(bytes).toString("base64");

describe("encodeHashedWeights and decodeHashedWeights", () => {
  it("round-trip zero, negatives, every varint length boundary and the extremes", () => {
    const values = [
      0, 1, -1, 2, -2, 63, -64, 64, -65, 8191, -8192, 8192, -8193, 1_048_575, -1_048_576, 1_048_576,
      // The committed model's range, in units of 1e-4.
      -37_943, 36_300,
      INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 0,
    ];
    const decoded = decodeHashedWeights(encodeHashedWeights(values), values.length);
    expect(Array.from(decoded)).toEqual(values);
  });

  it("round-trip a full model's worth of buckets, mostly small, some zero", () => {
    let seed = 12345;
    const units = Array.from({ length: HASH_BUCKETS }, (_, i) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return i % 7 === 0 ? 0 : (seed % 80_001) - 40_000;
    });
    expect(Array.from(decodeHashedWeights(encodeHashedWeights(units), HASH_BUCKETS))).toEqual(units);
  });

  it("write the documented bytes: zigzag (0, -1, 1, -2, 2 as 0..4), then little-endian base-128", () => {
    expect(encodeHashedWeights([0, -1, 1, -2, 2])).toBe(base64([0, 1, 2, 3, 4]));
    // 64 zigzags to 128: low 7 bits 0 with the continuation bit, then 1.
    expect(encodeHashedWeights([64])).toBe(base64([0x80, 0x01]));
    // -37943 zigzags to 75885 = 0b100_1010000_1101101.
    expect(encodeHashedWeights([-37_943])).toBe(base64([0xed, 0xd0, 0x04]));
    expect(encodeHashedWeights([INT32_MIN])).toBe(base64([0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(encodeHashedWeights([])).toBe("");
  });

  it("refuse to encode what is not a signed 32-bit integer", () => {
    expect(() => encodeHashedWeights([1.5])).toThrow("hashed weight 0 is 1.5: need a signed 32-bit integer");
    expect(() => encodeHashedWeights([0, INT32_MAX + 1])).toThrow("hashed weight 1 is 2147483648");
    expect(() => encodeHashedWeights([INT32_MIN - 1])).toThrow("need a signed 32-bit integer");
    expect(() => encodeHashedWeights([Number.NaN])).toThrow("need a signed 32-bit integer");
  });

  it("refuse a string that is not canonical base64", () => {
    const good = encodeHashedWeights([5, -5, 300]);
    expect(Array.from(decodeHashedWeights(good, 3))).toEqual([5, -5, 300]);
    for (const bad of [`${good.slice(0, -1)}!`, `${good} `, `*${good}`, good.replace(/=+$/, ""), "AA", "A===", "AAAA=", "AB=="]) {
      expect(() => decodeHashedWeights(bad, 3), bad).toThrow("hashed is not canonical base64");
    }
  });

  it("refuse too few weights, a weight cut off mid-varint, and too many weights", () => {
    expect(() => decodeHashedWeights(encodeHashedWeights([1, 2, 3]), 4)).toThrow("hashed ends after 3 of 4 weights");
    expect(() => decodeHashedWeights("", 1)).toThrow("hashed ends after 0 of 1 weights");
    // 0x80 promises another byte that never comes.
    expect(() => decodeHashedWeights(base64([0x02, 0x80]), 2)).toThrow("hashed ends after 1 of 2 weights");
    expect(() => decodeHashedWeights(encodeHashedWeights([1, 2, 3, 4, 5]), 4)).toThrow("hashed holds more than 4 weights (1 bytes left over");
    expect(() => decodeHashedWeights(encodeHashedWeights(new Array<number>(HASH_BUCKETS + 1).fill(0)), HASH_BUCKETS)).toThrow(
      `hashed holds more than ${HASH_BUCKETS} weights`,
    );
  });

  it("refuse a varint longer than 5 bytes or beyond 32 bits", () => {
    expect(() => decodeHashedWeights(base64([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 1)).toThrow("hashed weight 0 is longer than 5 bytes");
    expect(() => decodeHashedWeights(base64([0x00, 0xff, 0xff, 0xff, 0xff, 0x10]), 2)).toThrow("hashed weight 1 is out of range");
    expect(Array.from(decodeHashedWeights(base64([0xfe, 0xff, 0xff, 0xff, 0x0f]), 1))).toEqual([INT32_MAX]);
  });
});

describe("the committed question-weights.json", () => {
  const file = JSON.parse(readFileSync(WEIGHTS_PATH, "utf8")) as { about: string; buckets: number; hashed: unknown };

  it("holds one weight per bucket in the documented encoding, most of them kept", () => {
    expect(file.buckets).toBe(HASH_BUCKETS);
    expect(typeof file.hashed).toBe("string");
    const units = decodeHashedWeights(file.hashed as string, HASH_BUCKETS);
    const kept = units.filter((u) => u !== 0).length;
    expect(kept).toBeGreaterThan(HASH_BUCKETS / 2);
    expect(encodeHashedWeights(units)).toBe(file.hashed);
    expect(file.about).toContain("zigzag");
  });

  it("stays under 50 kB (41 kB in this format, 98 kB as JSON arrays of gaps and weights; it is bundled into normalize)", () => {
    expect(statSync(WEIGHTS_PATH).size).toBeLessThan(50_000);
  });
});

describe("loading the model", () => {
  const actual = JSON.parse(readFileSync(WEIGHTS_PATH, "utf8")) as Record<string, unknown>;

  afterEach(() => {
    vi.doUnmock("../../../shared/sources/slack/question-weights.json");
    vi.resetModules();
  });

  async function loadWith(file: Record<string, unknown>): Promise<unknown> {
    vi.resetModules();
    vi.doMock("../../../shared/sources/slack/question-weights.json", () => ({ default: file }));
    return import("../../../shared/sources/slack/question-classifier.ts");
  }

  it("fails at module load with a clear message on a short string, the old format or a wrong bucket count", async () => {
    const hashed = actual.hashed as string;
    await expect(loadWith({ ...actual, hashed: hashed.slice(0, 4_000) })).rejects.toThrow(`of ${HASH_BUCKETS} weights`);
    await expect(loadWith({ ...actual, hashed: { index: [1], weight: [1] } })).rejects.toThrow("hashed is not a base64 string (an older format?)");
    await expect(loadWith({ ...actual, buckets: 8192 })).rejects.toThrow(`question-weights.json has 8192 buckets, the scorer ${HASH_BUCKETS}`);
    await expect(loadWith({ ...actual, hashed: encodeHashedWeights(new Array<number>(8192).fill(0)) })).rejects.toThrow(
      `hashed ends after 8192 of ${HASH_BUCKETS} weights`,
    );
  });

  it("loads the committed file", async () => {
    const loaded = (await loadWith(actual)) as typeof import("../../../shared/sources/slack/question-classifier.ts");
    expect(loaded.scoreQuestion("How do I configure WAL retention for read replicas?").score).toBeGreaterThanOrEqual(0.5);
  });
});
