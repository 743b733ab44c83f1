import { trimTrailingSlashes } from "../../text/index.ts";
import { WrapperSchema, type Wrapper } from "./payload.ts";

export const STACKEXCHANGE_USER_AGENT = "community-signals (https://github.com/community-signals)";

/**
 * The built-in filter `withbody`: the default fields of every type plus `body`. Built-in
 * filters are documented and never expire, so nothing has to be created through
 * `/filters/create` (which cannot be called offline, in tests or at build time).
 */
export const DEFAULT_FILTER = "withbody";

/** Stack Exchange accepts up to 100 ids in one `{ids}` and up to 100 items in one page. */
export const MAX_IDS = 100;
export const PAGE_SIZE = 100;

/** A request Stack Exchange refused, or one we gave up on. */
export class StackExchangeApiError extends Error {
  override readonly name: string = "StackExchangeApiError";
  constructor(
    message: string,
    /** HTTP status; 0 when no response arrived. Stack Exchange answers every error with 400. */
    readonly status: number,
    /** The method, e.g. `questions/{ids}/answers` (never the key, never a query). */
    readonly method: string,
    /** `error_id` and `error_name` of the wrapper, when it had them (`502`, `throttle_violation`). */
    readonly errorId: number | null = null,
    readonly errorName: string | null = null,
  ) {
    super(message);
  }
}

/**
 * The daily quota is (nearly) spent: either `quota_remaining` fell to the reserve we keep, or
 * Stack Exchange answered `throttle_violation` (502). Every further request would fail too.
 */
export class StackExchangeQuotaError extends StackExchangeApiError {
  override readonly name = "StackExchangeQuotaError";
  constructor(
    message: string,
    method: string,
    readonly reason: "reserve" | "throttle",
    /** Seconds until Stack Exchange allows requests again, when it said. */
    readonly retryAfterSeconds: number | null,
    readonly quotaRemaining: number | null,
    readonly quotaMax: number | null,
  ) {
    super(message, reason === "throttle" ? 400 : 0, method, reason === "throttle" ? 502 : null, reason === "throttle" ? "throttle_violation" : null);
  }
}

/** The key (or the site) was refused: `bad_parameter` on `key`, `access_denied`, `key_required`, ... */
export class StackExchangeKeyError extends StackExchangeApiError {
  override readonly name = "StackExchangeKeyError";
}

export interface StackExchangeClientOptions {
  /** `https://api.stackexchange.com/2.3`, or a fake server in tests. */
  baseUrl: string;
  /** The site's API name, sent as `site=` with every request. */
  site: string;
  /** The app key; without one the anonymous quota (300 a day per IP) applies. */
  key?: string | null;
  filter?: string;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; injectable so tests control time. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds per second of a wait Stack Exchange states (`backoff`, throttle); tests shorten it. Default 1000. */
  secondMs?: number;
  /** Retries of one request after a network error, a 5xx, `internal_error` or `temporarily_unavailable`. */
  maxRetries?: number;
  /** The longest wait (in Stack Exchange's seconds) a run accepts; a longer one ends the request. */
  maxWaitSeconds?: number;
  /** Spacing between requests: 10 a second at most, a third of the 30 a second that gets an IP banned. */
  minIntervalMs?: number;
  /** Requests kept in reserve: the client refuses to go below it. Default max(10, 5% of quota_max). */
  quotaReserve?: (quotaMax: number) => number;
  requestTimeoutMs?: number;
}

export interface StackExchangeClientStats {
  requests: number;
  /** Times a request waited for a method's `backoff` (or a stated throttle) before going out. */
  backoffWaits: number;
  /** Milliseconds waited for backoffs, in real time (after `secondMs` scaling). */
  backoffWaitedMs: number;
  /** The longest `backoff` the API asked for, in its seconds. */
  largestBackoffSeconds: number;
  quotaMax: number | null;
  quotaRemaining: number | null;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The app key from its secret, or null when the secret is unset or still holds the placeholder
 * the AWS stack creates it with: a Stack Apps key is a short string of letters, digits and `*()`.
 */
export function stackExchangeKeyFrom(value: string | null | undefined): string | null {
  const key = value?.trim() ?? "";
  return /^[A-Za-z0-9*()._-]{8,100}$/.test(key) ? key : null;
}

export function defaultQuotaReserve(quotaMax: number): number {
  return Math.max(10, Math.ceil(quotaMax * 0.05));
}

/**
 * A small Stack Exchange API 2.3 client for reading questions, answers and comments. Plain
 * fetch (there is no official JavaScript client); every response is gzip-compressed, which
 * fetch decompresses. Requests run one at a time and:
 * - wait out a method's `backoff` before calling that method again (other methods go on);
 * - track `quota_remaining` and refuse to spend the reserve (StackExchangeQuotaError);
 * - stop on `throttle_violation` unless the stated wait is short, retry `internal_error`,
 *   `temporarily_unavailable`, 5xx and network errors a few times, and stop on a refused key.
 */
export class StackExchangeClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly secondMs: number;
  private readonly maxRetries: number;
  private readonly maxWaitSeconds: number;
  private readonly minIntervalMs: number;
  private readonly reserveFor: (quotaMax: number) => number;
  private readonly requestTimeoutMs: number;
  private readonly filter: string;

  /** Method -> when (ms) it may be called again. */
  private readonly blockedUntil = new Map<string, number>();
  private lastRequestAt: number | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly counters: StackExchangeClientStats = {
    requests: 0,
    backoffWaits: 0,
    backoffWaitedMs: 0,
    largestBackoffSeconds: 0,
    quotaMax: null,
    quotaRemaining: null,
  };

  constructor(private readonly options: StackExchangeClientOptions) {
    this.base = trimTrailingSlashes(options.baseUrl);
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.secondMs = options.secondMs ?? 1000;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxWaitSeconds = options.maxWaitSeconds ?? 120;
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.reserveFor = options.quotaReserve ?? defaultQuotaReserve;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
    this.filter = options.filter ?? DEFAULT_FILTER;
  }

  get stats(): StackExchangeClientStats {
    return { ...this.counters };
  }

  get site(): string {
    return this.options.site;
  }

  /** Requests left before the reserve, once a response has told the quota. */
  get quotaHeadroom(): number | null {
    const { quotaMax, quotaRemaining } = this.counters;
    if (quotaMax === null || quotaRemaining === null) return null;
    return quotaRemaining - this.reserveFor(quotaMax);
  }

  /**
   * Questions in `tag` whose last activity is at or after `min` (epoch seconds), oldest activity
   * first. Reading oldest first lets a caller page by moving `min` forward (keyset paging):
   * activity during the read cannot shift an unread question onto a page already read.
   */
  questionsByActivity(tag: string, min: number, page = 1, max?: number): Promise<Wrapper> {
    const params: Record<string, string> = { tagged: tag, sort: "activity", order: "asc", min: String(min), page: String(page), pagesize: String(PAGE_SIZE) };
    if (max !== undefined) params["max"] = String(max);
    return this.get("questions", "questions", params);
  }

  /** The questions with these ids, as they are now; a deleted question is simply not returned. */
  questionsByIds(ids: readonly number[]): Promise<Wrapper> {
    return this.get("questions/{ids}", `questions/${idList(ids)}`, { pagesize: String(PAGE_SIZE), sort: "activity", order: "desc" });
  }

  /** The answers to these questions (every answer of each, across pages). */
  answersOfQuestions(ids: readonly number[], page = 1): Promise<Wrapper> {
    return this.get("questions/{ids}/answers", `questions/${idList(ids)}/answers`, {
      pagesize: String(PAGE_SIZE),
      page: String(page),
      sort: "creation",
      order: "asc",
    });
  }

  /** The comments on these posts, questions and answers alike. */
  commentsOnPosts(ids: readonly number[], page = 1): Promise<Wrapper> {
    return this.get("posts/{ids}/comments", `posts/${idList(ids)}/comments`, {
      pagesize: String(PAGE_SIZE),
      page: String(page),
      sort: "creation",
      order: "asc",
    });
  }

  private get(method: string, path: string, params: Record<string, string>): Promise<Wrapper> {
    const run = this.tail.then(() => this.request(method, path, params));
    // The next request waits for this one whatever its outcome.
    this.tail = run.catch(() => undefined);
    return run;
  }

  private url(path: string, params: Record<string, string>): string {
    const query = new URLSearchParams({ ...params, site: this.options.site, filter: this.filter });
    if (this.options.key) query.set("key", this.options.key);
    return `${this.base}/${path}?${query}`;
  }

  private async request(method: string, path: string, params: Record<string, string>): Promise<Wrapper> {
    for (let attempt = 0; ; attempt++) {
      this.checkQuota(method);
      await this.waitForMethod(method);

      let response: Response;
      try {
        this.counters.requests++;
        this.lastRequestAt = this.now();
        response = await this.fetchImpl(this.url(path, params), {
          method: "GET",
          headers: { accept: "application/json", "accept-encoding": "gzip", "user-agent": STACKEXCHANGE_USER_AGENT },
          signal: AbortSignal.timeout(this.requestTimeoutMs),
        });
      } catch (err) {
        if (attempt >= this.maxRetries) throw new StackExchangeApiError(`${method}: no response (${(err as Error).message})`, 0, method);
        await this.sleep(retryDelayMs(attempt, this.secondMs));
        continue;
      }

      const text = await response.text();
      const wrapper = parseWrapper(text);
      if (wrapper) this.remember(method, wrapper);

      if (response.ok && wrapper && wrapper.error_id === undefined) return wrapper;

      if (wrapper?.error_id !== undefined) {
        const failure = this.classify(method, response.status, wrapper, attempt);
        if (failure === "retry") {
          await this.sleep(retryDelayMs(attempt, this.secondMs));
          continue;
        }
        // A stated wait was recorded: waitForMethod does the waiting (and counts it).
        if (failure === "again") continue;
        throw failure;
      }
      if (response.status >= 500 && attempt < this.maxRetries) {
        await this.sleep(retryDelayMs(attempt, this.secondMs));
        continue;
      }
      throw new StackExchangeApiError(
        `${method}: ${response.status} ${response.ok ? "response is not the API's wrapper object" : response.statusText}`,
        response.status,
        method,
      );
    }
  }

  /** What to do about an error wrapper: retry after a pause, try again once a stated wait is over, or the error to throw. */
  private classify(method: string, status: number, wrapper: Wrapper, attempt: number): "retry" | "again" | StackExchangeApiError {
    const id = wrapper.error_id!;
    const name = wrapper.error_name ?? "error";
    const message = wrapper.error_message ?? "";
    const what = `${method}: ${name} (${id})${message ? `: ${message}` : ""}`;
    if (id === 502 || name === "throttle_violation") {
      const seconds = secondsIn(message);
      if (seconds !== null && seconds <= this.maxWaitSeconds && attempt < this.maxRetries) {
        // A short ban (too many requests a second): wait what it says on every method, then retry.
        const until = this.now() + seconds * this.secondMs;
        for (const key of [method, "*"]) this.blockedUntil.set(key, Math.max(this.blockedUntil.get(key) ?? 0, until));
        return "again";
      }
      return new StackExchangeQuotaError(what, method, "throttle", seconds, this.counters.quotaRemaining, this.counters.quotaMax);
    }
    if ((id === 500 || id === 503 || name === "internal_error" || name === "temporarily_unavailable") && attempt < this.maxRetries) return "retry";
    const keyProblem =
      (id === 400 && /\bkey\b/i.test(message)) || [401, 402, 403, 405, 406].includes(id) || name === "access_denied" || name === "key_required";
    if (keyProblem) return new StackExchangeKeyError(what, status, method, id, name);
    return new StackExchangeApiError(what, status, method, id, name);
  }

  private checkQuota(method: string): void {
    const { quotaMax, quotaRemaining } = this.counters;
    if (quotaMax === null || quotaRemaining === null) return;
    const reserve = this.reserveFor(quotaMax);
    if (quotaRemaining <= reserve) {
      throw new StackExchangeQuotaError(
        `${method}: quota_remaining is ${quotaRemaining} of ${quotaMax}; the last ${reserve} are kept in reserve`,
        method,
        "reserve",
        null,
        quotaRemaining,
        quotaMax,
      );
    }
  }

  /**
   * Waits out the method's `backoff` (and a stated throttle), and keeps requests apart by
   * minIntervalMs. One wait, then go: a clock that does not move while we sleep (a fixed test
   * clock) must not hold a request forever.
   */
  private async waitForMethod(method: string): Promise<void> {
    const now = this.now();
    const blocked = Math.max(this.blockedUntil.get(method) ?? 0, this.blockedUntil.get("*") ?? 0);
    const spaced = this.lastRequestAt === null ? 0 : this.lastRequestAt + this.minIntervalMs;
    const until = Math.max(blocked, spaced);
    if (until <= now) return;
    const waitMs = until - now;
    if (blocked > now) {
      if (waitMs > this.maxWaitSeconds * this.secondMs) {
        throw new StackExchangeApiError(`${method}: backoff would need a wait of ${Math.ceil(waitMs / this.secondMs)} s`, 0, method);
      }
      this.counters.backoffWaits++;
      this.counters.backoffWaitedMs += waitMs;
    }
    await this.sleep(waitMs);
    // The wait is over whatever the clock says now.
    this.blockedUntil.delete(method);
    if ((this.blockedUntil.get("*") ?? 0) <= until) this.blockedUntil.delete("*");
  }

  private remember(method: string, wrapper: Wrapper): void {
    if (wrapper.quota_max !== undefined) this.counters.quotaMax = wrapper.quota_max;
    if (wrapper.quota_remaining !== undefined) this.counters.quotaRemaining = wrapper.quota_remaining;
    if (wrapper.backoff !== undefined && wrapper.backoff > 0) {
      this.counters.largestBackoffSeconds = Math.max(this.counters.largestBackoffSeconds, wrapper.backoff);
      this.blockedUntil.set(method, Math.max(this.blockedUntil.get(method) ?? 0, this.now() + wrapper.backoff * this.secondMs));
    }
  }
}

function idList(ids: readonly number[]): string {
  if (ids.length === 0 || ids.length > MAX_IDS) throw new RangeError(`1 to ${MAX_IDS} ids per request, got ${ids.length}`);
  for (const id of ids) if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`not a post id: ${id}`);
  return ids.join(";");
}

function retryDelayMs(attempt: number, secondMs: number): number {
  return Math.min(8, 2 ** attempt) * (secondMs / 2);
}

/** `too many requests from this IP, more requests available in 80000 seconds` -> 80000. */
export function secondsIn(message: string): number | null {
  const match = /available in (\d{1,9}) seconds?/.exec(message);
  return match ? Number(match[1]) : null;
}

function parseWrapper(text: string): Wrapper | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const result = WrapperSchema.safeParse(value);
  return result.success ? result.data : null;
}
