// Load: LOAD_RATE signed GitHub `issues.opened` webhooks a second for LOAD_SECONDS (200 x 60 =
// 12,000 by default) against the local stack on 127.0.0.1, then a reconciliation: every
// acknowledged delivery must be in the table exactly once, and nothing else. Prints the
// acknowledgement latency, the achieved rate, the drain time, status counts and the journal's
// size, with two baselines from the same run: a GitHub `ping` (a handshake: verified and
// answered, never journaled or queued) interleaved with the load, and one request at a time at
// idle.
//
// The client runs in a worker thread (its own event loop, so its timers do not wait behind the
// stack's work) on an open-loop schedule: request i is sent at start + i/rate whatever the
// answers before it did, and its latency runs from that scheduled time (a late send counts
// against the stack, not for it). In-flight requests are bounded (MAX_IN_FLIGHT; past it a
// request is not sent and is counted) and each is abandoned after GitHub's 10 s delivery
// time-out, so the run ends by itself.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import { JOURNAL_FILE, startLocalStack, type HealthReport, type LocalStack } from "../infra/local/stack.ts";
import { parseConfig } from "../shared/model/config.ts";
import { systemClock } from "../shared/runtime/clock.ts";
import { signGitHubBody } from "../shared/sources/github/index.ts";
import { issuesEvent } from "../test/support/github-payloads.ts";

const SECRET = "load-bench-secret-0123456789";
/** GitHub abandons a delivery after 10 s; so does this client. */
const TIMEOUT_MS = 10_000;
/** Keep-alive connections to the front door; requests past them wait in the client's queue. */
const CONNECTIONS = 256;
/** Requests sent and not yet answered, at most; a request due past it is not sent (and counted). */
const MAX_IN_FLIGHT = 4_000;
/** One `ping` per this many webhooks, interleaved: the handshake baseline under the same load. */
const PING_EVERY = 20;
/** Requests one at a time before the load: the idle baseline (half webhooks, half pings). */
const IDLE_REQUESTS = 100;
/** Issue ids start here, so a thread id names its issue number. */
const ISSUE_ID_BASE = 900_000_000;

const STATUS_TIMEOUT = -1;
const STATUS_ERROR = 0;
const STATUS_NOT_SENT = -2;

interface Schedule {
  /** 0: issues.opened webhook, 1: ping. */
  kind: Uint8Array;
  /** Issue number (0 for a ping). */
  issue: Int32Array;
  /** Ms after the start when the request is due (open loop); ignored when sequential. */
  due: Float64Array;
  /** Byte range of each body in `bodies`. */
  start: Int32Array;
  length: Int32Array;
  signature: string[];
  bodies: ArrayBuffer;
}

interface ClientResult {
  /** Ms from the scheduled (open loop) or actual (sequential) send to the end of the answer. */
  latency: Float64Array;
  status: Int16Array;
  /** performance.timeOrigin-based ms: when the request went out and when its answer ended. */
  sentAt: Float64Array;
  doneAt: Float64Array;
  /** Ms the client sent later than scheduled, per request. */
  lag: Float64Array;
  maxInFlight: number;
}

/**
 * The client, as plain JavaScript for a worker of its own (a data: URL module: tsx does not
 * load .ts files in workers). Posts a ClientResult, arrays transferred.
 */
const CLIENT = String.raw`
import { parentPort, workerData } from "node:worker_threads";
import http from "node:http";
import { performance } from "node:perf_hooks";
const { url, mode, kind, issue, due, start, length, signature, bodies, timeoutMs, connections, maxInFlight, runId } = workerData;
const n = kind.length;
const bytes = Buffer.from(bodies);
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
const latency = new Float64Array(n).fill(NaN), status = new Int16Array(n), sentAt = new Float64Array(n), doneAt = new Float64Array(n), lag = new Float64Array(n);
const abs = () => performance.timeOrigin + performance.now();
let inFlight = 0, maxSeen = 0;

function send(i, from, onDone) {
  if (inFlight >= maxInFlight) { status[i] = ${STATUS_NOT_SENT}; onDone(); return; }
  inFlight++; maxSeen = Math.max(maxSeen, inFlight);
  sentAt[i] = abs();
  let settled = false;
  const settle = (code) => {
    if (settled) return;
    settled = true; inFlight--;
    clearTimeout(timer);
    status[i] = code; doneAt[i] = abs(); latency[i] = performance.now() - from;
    onDone();
  };
  const body = bytes.subarray(start[i], start[i] + length[i]);
  const req = http.request({
    agent, host: target.hostname, port: target.port, path: target.pathname, method: "POST",
    headers: {
      "content-type": "application/json",
      "content-length": body.length,
      "user-agent": "GitHub-Hookshot/load-bench",
      "x-github-event": kind[i] === 0 ? "issues" : "ping",
      "x-github-delivery": runId + "-" + String(i).padStart(12, "0"),
      "x-github-hook-id": "424242",
      "x-hub-signature-256": signature[i],
    },
  }, (res) => { res.resume(); res.on("end", () => settle(res.statusCode ?? ${STATUS_ERROR})); res.on("error", () => settle(${STATUS_ERROR})); });
  const timer = setTimeout(() => { settle(${STATUS_TIMEOUT}); req.destroy(); }, timeoutMs);
  req.on("error", () => settle(${STATUS_ERROR}));
  req.end(body);
}

await new Promise((resolve) => {
  if (n === 0) return resolve();
  if (mode === "sequential") {
    let i = 0;
    const next = () => (i < n ? send(i++, performance.now(), next) : resolve());
    next();
    return;
  }
  let outstanding = n, next = 0;
  const t0 = performance.now() + 50;
  const done = () => { if (--outstanding === 0) resolve(); };
  const tick = () => {
    const now = performance.now();
    // Everything due by now goes out, in order: a late timer sends a burst, as a late platform would.
    while (next < n && t0 + due[next] <= now) {
      lag[next] = now - (t0 + due[next]);
      send(next, t0 + due[next], done);
      next++;
    }
    if (next < n) setTimeout(tick, Math.max(0, t0 + due[next] - performance.now()));
  };
  setTimeout(tick, Math.max(0, t0 - performance.now()));
});
agent.destroy();
parentPort.postMessage({ latency, status, sentAt, doneAt, lag, maxInFlight: maxSeen }, [latency.buffer, status.buffer, sentAt.buffer, doneAt.buffer, lag.buffer]);
`;

function runClient(url: string, mode: "sequential" | "open-loop", schedule: Schedule, runId: string): Promise<ClientResult> {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(CLIENT)}`), {
    workerData: { url, mode, ...schedule, timeoutMs: TIMEOUT_MS, connections: CONNECTIONS, maxInFlight: MAX_IN_FLIGHT, runId },
    transferList: [schedule.bodies, schedule.kind.buffer, schedule.issue.buffer, schedule.due.buffer, schedule.start.buffer, schedule.length.buffer] as ArrayBuffer[],
  });
  return new Promise((resolve, reject) => {
    worker.once("message", (result: ClientResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the load client stopped (exit ${code}) before reporting`)));
  });
}

const PING_BODY = JSON.stringify((examples as { name: string; examples: unknown[] }[]).find((e) => e.name === "ping")?.examples[0] ?? { zen: "Keep it logically awesome.", hook_id: 424242 });

/** Requests in send order: issues numbered `firstIssue` on, a ping after every PING_EVERY of them. */
function buildSchedule(issues: number, firstIssue: number, rate: number, pingEvery: number, createdAt: string): Schedule {
  const kind: number[] = [];
  const issue: number[] = [];
  const due: number[] = [];
  const chunks: Buffer[] = [];
  const signature: string[] = [];
  const interval = 1000 / rate;
  const ping = Buffer.from(PING_BODY);
  const pingSignature = signGitHubBody(SECRET, ping);
  for (let i = 0; i < issues; i++) {
    const number = firstIssue + i;
    const payload = issuesEvent("opened", {
      id: ISSUE_ID_BASE + number,
      number,
      title: `Replica ${number % 7} lags after upgrading to 4.${number % 13}: how do I get it to catch up?`,
      author: { id: 7_000_000 + (number % 2_000), login: `user-${number % 2_000}`, association: "NONE" },
      createdAt,
      body: `After the upgrade replica ${number % 7} stays ${number % 90} seconds behind. Is there a setting for the catch-up rate? (load bench issue ${number})`,
      labels: number % 3 === 0 ? ["question"] : [],
    });
    const body = Buffer.from(JSON.stringify(payload));
    kind.push(0);
    issue.push(number);
    due.push(i * interval);
    chunks.push(body);
    signature.push(signGitHubBody(SECRET, body));
    if (pingEvery > 0 && i % pingEvery === pingEvery - 1) {
      kind.push(1);
      issue.push(0);
      due.push((i + 0.5) * interval);
      chunks.push(ping);
      signature.push(pingSignature);
    }
  }
  const all = Buffer.concat(chunks);
  const bodies = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  const start = new Int32Array(chunks.length);
  const length = new Int32Array(chunks.length);
  let offset = 0;
  chunks.forEach((c, i) => {
    start[i] = offset;
    length[i] = c.byteLength;
    offset += c.byteLength;
  });
  return { kind: Uint8Array.from(kind), issue: Int32Array.from(issue), due: Float64Array.from(due), start, length, signature, bodies };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

interface Summary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  n: number;
}
function summarise(values: number[]): Summary {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, n: sorted.length };
}

const ms = (x: number) => (Number.isFinite(x) ? (x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x).toLocaleString("en")} ms`) : "-");
const line = (label: string, s: Summary) => `  ${label.padEnd(42)} p50 ${ms(s.p50).padStart(9)}  p95 ${ms(s.p95).padStart(9)}  p99 ${ms(s.p99).padStart(9)}  max ${ms(s.max).padStart(9)}  (n ${s.n})`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}x` : "-");

const statusName = (code: number) =>
  code === STATUS_TIMEOUT ? `timeout (${TIMEOUT_MS / 1000} s)` : code === STATUS_ERROR ? "connection error" : code === STATUS_NOT_SENT ? `not sent (${MAX_IN_FLIGHT} in flight)` : String(code);

function statusCounts(result: ClientResult, schedule: { kind: Uint8Array }, kind: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < result.status.length; i++) {
    if (schedule.kind[i] !== kind) continue;
    const code = result.status[i] ?? STATUS_ERROR;
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return counts;
}

async function fetchHealth(url: string): Promise<HealthReport> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
  return (await res.json()) as HealthReport;
}

interface Reconciliation {
  acked: number;
  inTable: number;
  lost: number[];
  extra: number[];
  duplicated: number[];
  openingActivities: number;
  activitiesLost: number;
}

/**
 * Acknowledged issue numbers against the table, two ways: the open-question threads (one per
 * issue, from the sparse index) and the opening activities of the day (from the by-day index).
 */
async function reconcile(stack: LocalStack, acked: Set<number>, day: string): Promise<Reconciliation> {
  const seen = new Map<number, number>();
  for (const thread of await stack.store.openQuestions()) {
    const match = /^github:issue:(\d+)$/.exec(thread.id);
    const number = match ? Number(match[1]) - ISSUE_ID_BASE : NaN;
    seen.set(number, (seen.get(number) ?? 0) + 1);
  }
  const openings = new Map<number, number>();
  for await (const page of stack.store.activitiesOfDay(day)) {
    for (const activity of page) {
      if (activity.kind !== "thread_opened") continue;
      const match = /^github:issue:(\d+)$/.exec(activity.thread?.id ?? "");
      const number = match ? Number(match[1]) - ISSUE_ID_BASE : NaN;
      openings.set(number, (openings.get(number) ?? 0) + 1);
    }
  }
  return {
    acked: acked.size,
    inTable: seen.size,
    lost: [...acked].filter((n) => !seen.has(n)),
    extra: [...seen.keys()].filter((n) => !acked.has(n)),
    duplicated: [...seen].filter(([, c]) => c > 1).map(([n]) => n),
    openingActivities: [...openings.values()].reduce((s, c) => s + c, 0),
    activitiesLost: [...acked].filter((n) => openings.get(n) !== 1).length,
  };
}

const envNumber = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${process.env[name]}`);
  return value;
};

export async function runLoadBench(
  options: { rate?: number; seconds?: number; drainSeconds?: number } = {},
): Promise<void> {
  const rate = options.rate ?? envNumber("LOAD_RATE", 200);
  const seconds = options.seconds ?? envNumber("LOAD_SECONDS", 60);
  const drainLimitMs = (options.drainSeconds ?? envNumber("LOAD_DRAIN_SECONDS", 600)) * 1000;
  const count = Math.round(rate * seconds);
  const dataDir = mkdtempSync(join(tmpdir(), "cs-load-bench-"));
  const problems: string[] = [];
  let problemCount = 0;
  const config = parseConfig({
    name: "Load bench",
    sources: { github: { enabled: true } },
    team: [{ name: "Dana", identities: { github: ["dana-okafor"] } }],
    digest: { minAgeHours: 0, recipients: [{ email: "dana@example.org" }] },
  });
  const stack = await startLocalStack({
    config,
    dataDir,
    port: 0,
    clock: systemClock, // an entry point: the machine's time
    schedule: false,
    env: { GITHUB_WEBHOOK_SECRET: SECRET },
    log: (text) => {
      if (!/failed|error|poller:|front door:|dead-letter|does not answer|restart/i.test(text)) return;
      problemCount++;
      if (problems.length < 5) problems.push(text);
    },
  });
  try {
    const url = stack.webhookUrls.github ?? "";
    const createdAt = new Date(systemClock().getTime() - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const day = createdAt.slice(0, 10);
    const runId = `load-${process.pid}`;

    // Idle: one request at a time, a webhook then a ping, before any load.
    const idleSchedule = buildSchedule(IDLE_REQUESTS / 2, count + 1, 1, 1, createdAt);
    const idleKind = idleSchedule.kind.slice();
    const idleIssue = idleSchedule.issue.slice();
    const idle = await runClient(url, "sequential", idleSchedule, `${runId}-idle`);
    await stack.drained(60_000);

    const buildStart = performance.now();
    const schedule = buildSchedule(count, 1, rate, PING_EVERY, createdAt);
    const kind = schedule.kind.slice();
    const issue = schedule.issue.slice();
    const payloadBytes = schedule.bodies.byteLength;
    const buildMs = performance.now() - buildStart;

    const load = await runClient(url, "open-loop", schedule, runId);

    // Drain: from the last 202 until GET /health says drained.
    let lastAck = 0;
    let firstSent = Infinity;
    let lastSent = 0;
    let acks = 0;
    const acked = new Set<number>();
    for (let i = 0; i < kind.length; i++) {
      if (kind[i] !== 0) continue;
      const sent = load.sentAt[i] ?? 0;
      if (sent > 0) {
        firstSent = Math.min(firstSent, sent);
        lastSent = Math.max(lastSent, sent);
      }
      if (load.status[i] === 202) {
        acks++;
        acked.add(issue[i] ?? 0);
        lastAck = Math.max(lastAck, load.doneAt[i] ?? 0);
      }
    }
    for (let i = 0; i < idleKind.length; i++) if (idleKind[i] === 0 && idle.status[i] === 202) acked.add(idleIssue[i] ?? 0);
    const idleAcked = acked.size - acks;
    // GET /health asks DynamoDB Local for DescribeTable, which counts the table's items (about
    // 10 ms per 1,000 here) on the one thread that also does every write: polled every 100 ms
    // it cuts the normaliser's write rate several times over. So it is polled about four times
    // per remaining drain (at the rate seen so far), at most every 5 s, at least every 100 ms.
    const now = () => performance.timeOrigin + performance.now();
    let health = await fetchHealth(stack.url);
    let healthPolls = 1;
    const backlogAtEnd = health.queue.depth + health.queue.retrying + health.queue.inFlight;
    let lastProgress = now();
    let drainedAt = health.drained ? now() : NaN;
    // The rate so far: what was normalised since the load began.
    let previous = { at: firstSent, succeeded: idleAcked };
    while (!health.drained && now() - lastAck < drainLimitMs) {
      const left = health.queue.depth + health.queue.retrying + health.queue.inFlight;
      const perMs = Math.max(1e-3, (health.processed.succeeded - previous.succeeded) / Math.max(1, now() - previous.at));
      previous = { at: now(), succeeded: health.processed.succeeded };
      await new Promise((r) => setTimeout(r, Math.min(5_000, Math.max(100, left / perMs / 4))));
      health = await fetchHealth(stack.url);
      healthPolls++;
      if (health.drained) drainedAt = now();
      else if (now() - lastProgress > 30_000) {
        lastProgress = now();
        console.error(`  load: draining, ${health.queue.depth} waiting, ${health.queue.inFlight} in the normaliser, ${health.processed.succeeded} normalised`);
      }
    }
    const drainMs = drainedAt - lastAck;

    const journalBytes = statSync(join(dataDir, JOURNAL_FILE)).size;
    const rec = await reconcile(stack, acked, day);

    // Latencies.
    const pick = (result: ClientResult, kinds: Uint8Array, k: number, ok: number) =>
      [...result.latency].filter((_, i) => kinds[i] === k && result.status[i] === ok);
    const loadIssues = summarise(pick(load, kind, 0, 202));
    const loadPings = summarise(pick(load, kind, 1, 200));
    const idleIssues = summarise(pick(idle, idleKind, 0, 202));
    const idlePings = summarise(pick(idle, idleKind, 1, 200));
    const lag = summarise([...load.lag].filter((_, i) => load.status[i] !== STATUS_NOT_SENT));
    const sentRate = ((kind.filter((k) => k === 0).length - 1) / (lastSent - firstSent)) * 1000;
    const ackRate = (acks / (lastAck - firstSent)) * 1000;

    console.log(
      `Load: ${count.toLocaleString("en")} signed GitHub issues.opened webhooks at ${rate}/s for ${seconds} s` +
        ` (+${Math.floor(count / PING_EVERY)} pings interleaved) against the local stack on 127.0.0.1, open loop`,
    );
    console.log(
      `  payloads: ${(payloadBytes / count / 1024).toFixed(1)} KiB a webhook (@octokit/webhooks-examples issues.opened), built in ${ms(buildMs)};` +
        ` client in a worker thread, ${CONNECTIONS} keep-alive connections, at most ${MAX_IN_FLIGHT} in flight, ${TIMEOUT_MS / 1000} s time-out`,
    );
    console.log("  acknowledgement latency (from the scheduled send to the end of the answer):");
    console.log(line("webhooks under load (202)", loadIssues));
    console.log(line(`pings under load (200; 1 per ${PING_EVERY} webhooks)`, loadPings));
    console.log(line("webhooks at idle, one at a time (202)", idleIssues));
    console.log(line("pings at idle, one at a time (200)", idlePings));
    console.log(
      `  ratios: webhook p99 under load / ping p99 under load ${ratio(loadIssues.p99, loadPings.p99)};` +
        ` webhook p99 under load / webhook p50 at idle ${ratio(loadIssues.p99, idleIssues.p50)};` +
        ` webhook p50 at idle / ping p50 at idle ${ratio(idleIssues.p50, idlePings.p50)} (journal fsync + SQS send)`,
    );
    console.log(
      `  rate: sent ${sentRate.toFixed(1)}/s (target ${rate}/s; send lag p99 ${ms(lag.p99)}, max ${ms(lag.max)}), acknowledged ${ackRate.toFixed(1)}/s;` +
        ` at most ${load.maxInFlight} requests in flight; ${backlogAtEnd.toLocaleString("en")} not yet normalised when the load ended`,
    );
    const statuses = (k: number) =>
      [...statusCounts(load, { kind }, k)].sort(([a], [b]) => a - b).map(([code, n]) => `${statusName(code)}: ${n.toLocaleString("en")}`).join(", ");
    console.log(`  status codes: webhooks ${statuses(0)}; pings ${statuses(1)}`);
    const idleBad = [...idle.status].filter((s, i) => s !== (idleKind[i] === 0 ? 202 : 200)).length;
    if (idleBad > 0) console.log(`  idle: ${idleBad} of ${idle.status.length} requests not answered 202/200`);
    console.log(
      Number.isFinite(drainMs)
        ? `  drain: ${ms(drainMs)} from the last 202 until GET /health said drained (${healthPolls} polls);` +
            ` normalised ${health.processed.succeeded.toLocaleString("en")} in ${health.processed.batches.toLocaleString("en")} batches, ${health.processed.failed} failed,` +
            ` ${((acks / (drainedAt - firstSent)) * 1000).toFixed(1)}/s from the first send to drained`
        : `  drain: NOT drained ${ms(drainLimitMs)} after the last 202: ${health.queue.depth} waiting, ${health.queue.inFlight} in the normaliser, ${health.processed.succeeded} normalised`,
    );
    console.log(
      `  journal: ${(journalBytes / 1024 / 1024).toFixed(1)} MiB on disk (${(journalBytes / acked.size / 1024).toFixed(1)} KiB per acknowledged webhook, until the next start compacts it)`,
    );
    const some = (xs: number[]) => (xs.length > 0 ? ` (issues ${xs.slice(0, 5).join(", ")}${xs.length > 5 ? ", ..." : ""})` : "");
    console.log(
      `  reconciliation (${rec.acked.toLocaleString("en")} acknowledged incl. ${IDLE_REQUESTS / 2} at idle): ${rec.inTable.toLocaleString("en")} open question threads,` +
        ` ${rec.lost.length} lost${some(rec.lost)}, ${rec.extra.length} extra${some(rec.extra)}, ${rec.duplicated.length} duplicated;` +
        ` opening activities of ${day}: ${rec.openingActivities.toLocaleString("en")}, ${rec.activitiesLost} acknowledged without exactly one;` +
        ` dead letters ${health.dlq.depth}; ingest counted ${health.webhooks.github?.queued ?? 0} queued`,
    );
    if (problemCount > 0) console.log(`  stack log: ${problemCount} problem line(s), first: ${problems.join(" | ")}`);
    const ok = rec.lost.length === 0 && rec.extra.length === 0 && rec.duplicated.length === 0 && rec.activitiesLost === 0 && Number.isFinite(drainMs);
    console.log(`  ${ok ? "PASS" : "FAIL"}: ${ok ? "nothing lost, nothing extra" : "see above"}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
