import type { Clock } from "../../shared/runtime/clock.ts";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { SourceSchema } from "../../shared/model/activity.ts";
import { latestSlackTime, shiftSlackTimes } from "../../shared/sources/slack/index.ts";
import type { ReplayRequestBuilder } from "../../shared/sources/types.ts";

/** One sample webhook: `{ source, event?, headers?, payload }` (a file may hold one or an array). */
export const SampleSchema = z.object({
  source: SourceSchema,
  event: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  payload: z.record(z.string(), z.unknown()),
});
export type Sample = z.infer<typeof SampleSchema> & { file: string };

export function loadSamples(path: string): Sample[] {
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new Error(`${path}: no .json sample files`);
  return files.flatMap((file) => {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
    }
    const list = Array.isArray(raw) ? raw : [raw];
    return list.map((item, i) => {
      const parsed = SampleSchema.safeParse(item);
      if (!parsed.success) {
        const where = Array.isArray(raw) ? `${file}[${i}]` : file;
        throw new Error(`${where}: not a sample webhook ({ "source": "github", "event": ..., "payload": {...} }): ${parsed.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
      }
      return { ...parsed.data, file };
    });
  });
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function mapInstants(value: unknown, fn: (iso: string) => string): unknown {
  if (typeof value === "string") return ISO_INSTANT.test(value) ? fn(value) : value;
  if (Array.isArray(value)) return value.map((v) => mapInstants(v, fn));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapInstants(v, fn)]));
  return value;
}

/**
 * Move every timestamp in the samples by the same amount so the latest lands at `target`:
 * recorded traffic then reads as if it happened just now (ages and 7-day metrics make sense).
 * ISO timestamps everywhere; Slack's epoch-seconds `ts` fields in Slack samples.
 */
/** The latest instant any sample carries (epoch ms), or -Infinity when none carries one. */
export function latestSampleTime(samples: Sample[]): number {
  let latest = -Infinity;
  for (const s of samples) {
    if (s.source === "slack") latest = Math.max(latest, (latestSlackTime(s.payload) ?? -Infinity) * 1000);
    mapInstants(s.payload, (iso) => ((latest = Math.max(latest, Date.parse(iso))), iso));
  }
  return latest;
}

export function rebaseSamples(samples: Sample[], target: Date): Sample[] {
  const latest = latestSampleTime(samples);
  if (!Number.isFinite(latest)) return samples;
  const shift = target.getTime() - latest;
  const move = (iso: string) => new Date(Date.parse(iso) + shift).toISOString().replace(".000Z", "Z");
  return samples.map((s) => {
    let payload = mapInstants(s.payload, move) as Sample["payload"];
    if (s.source === "slack") payload = shiftSlackTimes(payload, shift / 1000) as Sample["payload"];
    return { ...s, payload };
  });
}

export interface ReplayResult {
  file: string;
  event: string;
  status: number;
  body: string;
}

/** The URL a sample goes to: `--url` is either the stack's base URL or a full webhook URL. */
export function webhookUrl(base: string, source: string): string {
  const trimmed = base.replace(/\/+$/, "");
  return /\/webhooks\/[a-z]+$/.test(trimmed) ? trimmed : `${trimmed}/webhooks/${source}`;
}

/** Sign and POST each sample in order, as the platform would. */
export async function replaySamples(
  samples: Sample[],
  opts: {
    url: string;
    /** The signing secret and request builder of each sample's source. */
    signer: (source: Sample["source"]) => { secret: string; replay: ReplayRequestBuilder };
    /** The one clock: the signing time (Slack signs a timestamp the receiver checks). */
    now: Clock;
    onResult?: (r: ReplayResult) => void;
  },
): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for (const sample of samples) {
    const { secret, replay } = opts.signer(sample.source);
    const request = replay(sample, secret, opts.now());
    const res = await fetch(webhookUrl(opts.url, sample.source), { method: "POST", headers: request.headers, body: request.body });
    const result = { file: sample.file, event: sample.event ?? sample.source, status: res.status, body: await res.text() };
    results.push(result);
    opts.onResult?.(result);
  }
  return results;
}
