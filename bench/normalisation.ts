// Normalisation throughput against a JSON.parse-only floor measured in the same run.
import { performance } from "node:perf_hooks";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import { parseConfig } from "../shared/model/config.ts";
import type { Envelope } from "../shared/model/envelope.ts";
import { GITHUB_SUPPORTED_EVENTS, normalizeGitHubEnvelope } from "../shared/sources/github/index.ts";

const config = parseConfig({ sources: { github: { enabled: true } } });
const supported = new Set<string>(GITHUB_SUPPORTED_EVENTS);

/** Every supported @octokit/webhooks-examples payload as the envelope ingest would queue. */
export function exampleEnvelopes(idPrefix = "bench"): Envelope[] {
  return (examples as { name: string; examples: unknown[] }[])
    .filter((entry) => supported.has(entry.name))
    .flatMap((entry) =>
      entry.examples.map((payload, i) => ({
        v: 1 as const,
        id: `${idPrefix}-${entry.name}-${i}`,
        source: "github" as const,
        eventType: entry.name,
        deliveryId: null,
        receivedAt: "2026-11-25T00:00:00.000Z",
        contentType: "application/json",
        headers: { "x-github-event": entry.name },
        body: JSON.stringify(payload),
      })),
    );
}

/** Best of `rounds` timings of `iterations` passes over all envelopes, in ms per pass. */
function measure(label: string, pass: () => number, rounds = 7, iterations = 40): number {
  let sink = 0;
  for (let i = 0; i < 5; i++) sink += pass(); // warm up the JIT
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) sink += pass();
    best = Math.min(best, (performance.now() - start) / iterations);
  }
  if (sink < 0) console.log(label); // keeps the work observable
  return best;
}

export function runNormalisationBench(): void {
  const envelopes = exampleEnvelopes();
  const bytes = envelopes.reduce((n, e) => n + Buffer.byteLength(e.body), 0);
  const floor = measure("JSON.parse", () => {
    let n = 0;
    for (const e of envelopes) n += Object.keys(JSON.parse(e.body) as object).length;
    return n;
  });
  const normalize = measure("normalize", () => {
    let n = 0;
    for (const e of envelopes) n += normalizeGitHubEnvelope(e, config).length;
    return n;
  });

  const perSecond = (msPerPass: number) => Math.round((envelopes.length / msPerPass) * 1000);
  console.log(`GitHub normalisation over ${envelopes.length} @octokit/webhooks-examples payloads (${(bytes / 1024).toFixed(0)} KiB per pass)`);
  console.log(`  JSON.parse only (floor):   ${perSecond(floor).toLocaleString("en")} payloads/s  (${floor.toFixed(3)} ms per pass)`);
  console.log(`  parse + normalise:         ${perSecond(normalize).toLocaleString("en")} payloads/s  (${normalize.toFixed(3)} ms per pass)`);
  console.log(`  ratio normalise / floor:   ${(normalize / floor).toFixed(2)}x the time of JSON.parse alone`);
}
