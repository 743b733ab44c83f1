/**
 * Backfill progress on stderr: on a terminal, one bar per source redrawn in place (items, pages,
 * requests left in the rate-limit window, percentage and ETA); otherwise plain lines, one when a
 * scope finishes and at most one per source every `lineEveryMs` in between, so a log file stays
 * readable.
 */
import type { BackfillProgress, BackfillSourceName } from "../../shared/backfill/types.ts";

export interface ProgressOutput {
  write(text: string): void;
  isTTY?: boolean;
  columns?: number;
}

interface SourceState {
  source: BackfillSourceName;
  /** How many scopes the config lists (the source reads them one after another). */
  scopeCount: number;
  finishedScopes: Set<string>;
  current: BackfillProgress | null;
  items: number;
  pages: number;
  /** Items of finished scopes (the current scope's are in `current`). */
  finishedItems: number;
  finishedPages: number;
  startedAt: number;
  lastLineAt: number;
  done: boolean;
  stopped: string | null;
}

const BAR_WIDTH = 20;

export class ProgressBoard {
  private readonly states: SourceState[];
  private drawnLines = 0;

  constructor(
    private readonly out: ProgressOutput,
    sources: readonly { name: BackfillSourceName; scopeCount: number }[],
    /** Monotonic milliseconds (ETA and pacing only, never stored). */
    private readonly elapsed: () => number,
    private readonly lineEveryMs = 10_000,
  ) {
    const t = elapsed();
    this.states = sources.map((s) => ({
      source: s.name,
      scopeCount: Math.max(1, s.scopeCount),
      finishedScopes: new Set(),
      current: null,
      items: 0,
      pages: 0,
      finishedItems: 0,
      finishedPages: 0,
      startedAt: t,
      lastLineAt: t,
      done: false,
      stopped: null,
    }));
  }

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  update(p: BackfillProgress): void {
    const s = this.states.find((x) => x.source === p.source);
    if (!s) return;
    if (s.current && s.current.scope !== p.scope && !s.finishedScopes.has(s.current.scope)) this.closeScope(s, s.current);
    s.current = p;
    if (p.done) this.closeScope(s, p);
    s.items = s.finishedItems + (s.finishedScopes.has(p.scope) ? 0 : p.items);
    s.pages = s.finishedPages + (s.finishedScopes.has(p.scope) ? 0 : p.pages);
    if (this.tty) return this.redraw();
    const now = this.elapsed();
    if (p.done || now - s.lastLineAt >= this.lineEveryMs) {
      s.lastLineAt = now;
      this.out.write(`${this.line(s, p.done ? `${p.scope} done` : p.scope)}\n`);
    }
  }

  /** The source has returned: its bar shows the final state (or why it stopped). */
  finish(source: BackfillSourceName, stopped: string | null): void {
    const s = this.states.find((x) => x.source === source);
    if (!s) return;
    s.done = true;
    s.stopped = stopped;
    if (this.tty) this.redraw();
  }

  /** A log line printed above the bars (which are drawn again below it). */
  log(line: string): void {
    if (!this.tty) return this.out.write(`${line}\n`);
    this.clear();
    this.out.write(`${line}\n`);
    this.redraw();
  }

  /** Leaves the final bars on screen and the cursor below them. */
  close(): void {
    if (this.tty) this.redraw();
    this.drawnLines = 0;
  }

  private closeScope(s: SourceState, p: BackfillProgress): void {
    if (s.finishedScopes.has(p.scope)) return;
    s.finishedScopes.add(p.scope);
    s.finishedItems += p.items;
    s.finishedPages += p.pages;
  }

  /** 0..1 over all of the source's scopes, or null while the current scope cannot tell. */
  fraction(s: SourceState): number | null {
    if (s.done) return 1;
    const current = s.current && !s.finishedScopes.has(s.current.scope) ? s.current.fraction : 0;
    if (current === null) return null;
    return Math.min(1, (Math.min(s.finishedScopes.size, s.scopeCount) + current) / s.scopeCount);
  }

  line(s: SourceState, scope?: string): string {
    const f = this.fraction(s);
    const parts = [`${s.source.padEnd(13)}`];
    if (this.tty) parts.push(`[${bar(f)}]`);
    parts.push(f === null ? "  ?%" : `${String(Math.floor(f * 100)).padStart(3)}%`);
    parts.push(`${s.items.toLocaleString("en-US")} items`, `${s.pages.toLocaleString("en-US")} pages`);
    const left = s.current?.rateLimitRemaining;
    if (left !== null && left !== undefined) parts.push(`${left.toLocaleString("en-US")} requests left`);
    if (s.stopped) parts.push("stopped");
    else if (s.done) parts.push("done");
    else {
      const eta = etaMs(f, this.elapsed() - s.startedAt);
      if (eta !== null) parts.push(`ETA ${duration(eta)}`);
      const where = scope ?? s.current?.scope;
      if (where) parts.push(where);
    }
    return parts.join("  ");
  }

  private clear(): void {
    if (this.drawnLines > 0) this.out.write(`\x1b[${this.drawnLines}F\x1b[J`);
    this.drawnLines = 0;
  }

  private redraw(): void {
    this.clear();
    const width = this.out.columns ?? 120;
    for (const s of this.states) this.out.write(`${this.line(s).slice(0, Math.max(20, width - 1))}\n`);
    this.drawnLines = this.states.length;
  }
}

function bar(f: number | null): string {
  if (f === null) return "·".repeat(BAR_WIDTH);
  const full = Math.round(f * BAR_WIDTH);
  return "#".repeat(full) + "-".repeat(BAR_WIDTH - full);
}

/** Remaining time at the pace so far; null until there is enough to tell. */
export function etaMs(fraction: number | null, elapsedMs: number): number | null {
  if (fraction === null || fraction < 0.01 || elapsedMs < 1000) return null;
  if (fraction >= 1) return 0;
  return (elapsedMs * (1 - fraction)) / fraction;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
