import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";

/**
 * A local stand-in for the Stack Exchange API 2.3 methods the poller and the backfill use, on
 * 127.0.0.1 with a free port, built from the API's documentation (api.stackexchange.com/docs):
 *
 * - every answer is the common wrapper `{items, has_more, quota_max, quota_remaining, backoff?}`,
 *   gzip-compressed (the API compresses every response);
 * - errors are the wrapper with `error_id`, `error_name`, `error_message` and HTTP 400 ("the HTTP
 *   code will be 400 for all errors"): `bad_parameter` (400) for a bad key, site or filter,
 *   `throttle_violation` (502) once the quota is spent or a `backoff` was not honoured,
 *   `internal_error` (500), `temporarily_unavailable` (503) when scripted;
 * - the quota: 300 a day without a key, 10,000 with the valid key; `quota_remaining` counts down;
 * - `/questions` with `tagged` (tags ANDed), `sort` (activity, creation), `order`, `min`/`max` on
 *   the sort's field, `fromdate`/`todate` on creation, `page`, `pagesize` (at most 100);
 *   `/questions/{ids}`, `/questions/{ids}/answers`, `/posts/{ids}/comments` (up to 100 ids);
 * - filters: `default` (no bodies) and the built-in `withbody`.
 *
 * Items are kept as the API serves them (the samples in infra/local/samples/stackoverflow are real
 * shapes). Deleted posts disappear from every method, as they do on the API.
 */

type Json = Record<string, any>;

export interface RecordedRequest {
  /** `questions`, `questions/{ids}`, `questions/{ids}/answers`, `posts/{ids}/comments`. */
  method: string;
  path: string;
  query: Record<string, string>;
  acceptEncoding: string | undefined;
  /** error_name of the answer, or null for a success. */
  error: string | null;
  /** The server's clock (ms) when the request arrived. */
  at: number;
}

export interface ScriptedError {
  match?: (request: { method: string; query: Record<string, string> }) => boolean;
  error_id: number;
  error_name: string;
  error_message: string;
  times?: number;
}

export interface BackoffGap {
  method: string;
  /** Milliseconds the backoff asked for (its seconds times `secondMs`). */
  requiredMs: number;
  /** Milliseconds that passed before the same method was called again. */
  actualMs: number;
}

export interface FakeStackExchangeOptions {
  /** The valid app key; any other key is refused as `bad_parameter` (key). */
  key?: string;
  /** The server's clock (ms); share a fake clock with the client in tests. */
  now?: () => number;
  /** Milliseconds per second of a `backoff` (to measure one without waiting whole seconds). */
  secondMs?: number;
  /** Starting quota for keyless and keyed requests. */
  anonymousQuota?: number;
  keyQuota?: number;
}

const PREFIX = "/2.3";

function methodOf(path: string): { method: string; ids: number[] } | null {
  const parts = path.split("/").filter(Boolean);
  const ids = (s: string | undefined) => (s ?? "").split(";").map(Number);
  if (parts.length === 1 && parts[0] === "questions") return { method: "questions", ids: [] };
  if (parts.length === 2 && parts[0] === "questions") return { method: "questions/{ids}", ids: ids(parts[1]) };
  if (parts.length === 3 && parts[0] === "questions" && parts[2] === "answers") return { method: "questions/{ids}/answers", ids: ids(parts[1]) };
  if (parts.length === 3 && parts[0] === "posts" && parts[2] === "comments") return { method: "posts/{ids}/comments", ids: ids(parts[1]) };
  return null;
}

export class FakeStackExchange {
  readonly requests: RecordedRequest[] = [];
  readonly backoffGaps: BackoffGap[] = [];
  readonly questions = new Map<number, Json>();
  readonly answers = new Map<number, Json>();
  readonly comments = new Map<number, Json>();
  site = "stackoverflow";
  /** Seconds of `backoff` to send with the next answer of a method (then cleared). */
  readonly nextBackoff = new Map<string, number>();
  private readonly backoffUntil = new Map<string, { until: number; requiredMs: number; sentAt: number }>();
  private readonly errors: ScriptedError[] = [];
  private quota: { anonymous: number; key: number };
  private readonly now: () => number;
  private readonly secondMs: number;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: FakeStackExchangeOptions,
  ) {
    this.now = options.now ?? (() => Date.now());
    this.secondMs = options.secondMs ?? 1000;
    this.quota = { anonymous: options.anonymousQuota ?? 300, key: options.keyQuota ?? 10_000 };
  }

  static async start(options: FakeStackExchangeOptions = {}): Promise<FakeStackExchange> {
    let fake: FakeStackExchange | null = null;
    const server = createServer((req, res) => fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeStackExchange(server, `http://127.0.0.1:${port}${PREFIX}`, options);
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Loads `{site, questions, answers, comments}` as the API would serve them. */
  load(data: { site?: string; questions?: Json[]; answers?: Json[]; comments?: Json[] }): this {
    if (data.site) this.site = data.site;
    for (const q of data.questions ?? []) this.questions.set(q.question_id, structuredClone(q));
    for (const a of data.answers ?? []) this.answers.set(a.answer_id, structuredClone(a));
    for (const c of data.comments ?? []) this.comments.set(c.comment_id, structuredClone(c));
    return this;
  }

  loadFile(file: URL): this {
    return this.load(JSON.parse(readFileSync(file, "utf8")));
  }

  quotaRemaining(keyed = false): number {
    return keyed ? this.quota.key : this.quota.anonymous;
  }

  setQuota(remaining: number, keyed = false): this {
    if (keyed) this.quota.key = remaining;
    else this.quota.anonymous = remaining;
    return this;
  }

  failWith(error: ScriptedError): this {
    this.errors.push({ times: 1, ...error });
    return this;
  }

  /** A new answer: the question's answer count and last activity move, as on the site. */
  addAnswer(answer: Json): this {
    this.answers.set(answer.answer_id, structuredClone(answer));
    const q = this.questions.get(answer.question_id);
    if (q) {
      q.last_activity_date = Math.max(q.last_activity_date, answer.last_activity_date ?? answer.creation_date);
      this.refresh(q);
    }
    return this;
  }

  addComment(comment: Json): this {
    this.comments.set(comment.comment_id, structuredClone(comment));
    return this;
  }

  addQuestion(question: Json): this {
    this.questions.set(question.question_id, structuredClone(question));
    return this;
  }

  accept(questionId: number, answerId: number | null): this {
    const q = this.questions.get(questionId)!;
    for (const a of this.answers.values()) if (a.question_id === questionId) a.is_accepted = a.answer_id === answerId;
    if (answerId === null) delete q.accepted_answer_id;
    else q.accepted_answer_id = answerId;
    this.refresh(q);
    return this;
  }

  closeQuestion(questionId: number, at: number, reason: string): this {
    const q = this.questions.get(questionId)!;
    q.closed_date = at;
    q.closed_reason = reason;
    return this;
  }

  reopenQuestion(questionId: number): this {
    const q = this.questions.get(questionId)!;
    delete q.closed_date;
    delete q.closed_reason;
    return this;
  }

  deleteQuestion(questionId: number): this {
    this.questions.delete(questionId);
    return this;
  }

  deleteAnswer(answerId: number): this {
    const a = this.answers.get(answerId);
    this.answers.delete(answerId);
    const q = a ? this.questions.get(a.question_id) : undefined;
    if (q) {
      if (q.accepted_answer_id === answerId) delete q.accepted_answer_id;
      this.refresh(q);
    }
    return this;
  }

  /** Requests of one method. */
  requestsOf(method: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  private refresh(q: Json): void {
    const answers = [...this.answers.values()].filter((a) => a.question_id === q.question_id);
    q.answer_count = answers.length;
    q.is_answered = answers.some((a) => a.is_accepted || a.score > 0);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const query = Object.fromEntries(url.searchParams);
    const at = this.now();
    const path = url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) : url.pathname;
    const route = methodOf(path);
    const record: RecordedRequest = {
      method: route?.method ?? path,
      path,
      query,
      acceptEncoding: req.headers["accept-encoding"] as string | undefined,
      error: null,
      at,
    };
    this.requests.push(record);
    const keyed = query["key"] !== undefined;
    const fail = (error_id: number, error_name: string, error_message: string) => {
      record.error = error_name;
      this.send(res, 400, { error_id, error_name, error_message });
    };

    if (!route) return fail(404, "no_method", "no method found with this name");
    if (keyed && query["key"] !== this.options.key) return fail(400, "bad_parameter", "key");
    if (query["site"] !== this.site) return fail(400, "bad_parameter", "site");
    const filter = query["filter"] ?? "default";
    if (filter !== "default" && filter !== "withbody") return fail(400, "bad_parameter", "filter");

    const quotaKey = keyed ? "key" : "anonymous";
    if (this.quota[quotaKey] <= 0) return fail(502, "throttle_violation", "too many requests from this IP, more requests available in 64800 seconds");

    // A method called again before its backoff ran out: what the API punishes.
    const pending = this.backoffUntil.get(route.method);
    if (pending) {
      this.backoffUntil.delete(route.method);
      this.backoffGaps.push({ method: route.method, requiredMs: pending.requiredMs, actualMs: at - pending.sentAt });
      if (at < pending.until) return fail(502, "throttle_violation", "Violation of backoff parameter");
    }

    const scripted = this.errors.find((e) => (e.times ?? 1) > 0 && (!e.match || e.match({ method: route.method, query })));
    if (scripted) {
      scripted.times = (scripted.times ?? 1) - 1;
      this.quota[quotaKey]--;
      return fail(scripted.error_id, scripted.error_name, scripted.error_message);
    }

    if (route.ids.length > 100 || route.ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) return fail(400, "bad_parameter", "ids");
    const pagesize = Number(query["pagesize"] ?? 30);
    const page = Number(query["page"] ?? 1);
    if (!Number.isInteger(pagesize) || pagesize < 0 || pagesize > 100) return fail(400, "bad_parameter", "pagesize");
    if (!Number.isInteger(page) || page < 1) return fail(400, "bad_parameter", "page");

    let items: Json[];
    let sortField: string;
    switch (route.method) {
      case "questions": {
        const tagged = (query["tagged"] ?? "").split(";").filter(Boolean);
        // More than five tags gives nothing (PLATFORMS.md); tags of one request are ANDed.
        items = tagged.length > 5 ? [] : [...this.questions.values()].filter((q) => tagged.every((t) => (q.tags as string[]).includes(t)));
        sortField = query["sort"] === "creation" ? "creation_date" : "last_activity_date";
        break;
      }
      case "questions/{ids}":
        items = route.ids.map((id) => this.questions.get(id)).filter((q): q is Json => q !== undefined);
        sortField = query["sort"] === "creation" ? "creation_date" : "last_activity_date";
        break;
      case "questions/{ids}/answers":
        items = [...this.answers.values()].filter((a) => route.ids.includes(a.question_id) && this.questions.has(a.question_id));
        sortField = query["sort"] === "creation" ? "creation_date" : "last_activity_date";
        break;
      default:
        items = [...this.comments.values()].filter(
          (c) => route.ids.includes(c.post_id) && (this.questions.has(c.post_id) || (this.answers.has(c.post_id) && this.questions.has(this.answers.get(c.post_id)!.question_id))),
        );
        sortField = "creation_date";
    }
    const num = (name: string) => (query[name] === undefined ? null : Number(query[name]));
    const min = num("min");
    const max = num("max");
    const from = num("fromdate");
    const to = num("todate");
    items = items.filter(
      (item) =>
        (min === null || item[sortField] >= min) &&
        (max === null || item[sortField] <= max) &&
        (from === null || item.creation_date >= from) &&
        (to === null || item.creation_date <= to),
    );
    const idField = route.method === "posts/{ids}/comments" ? "comment_id" : route.method === "questions/{ids}/answers" ? "answer_id" : "question_id";
    const desc = (query["order"] ?? "desc") === "desc";
    items.sort((a, b) => (a[sortField] - b[sortField] || a[idField] - b[idField]) * (desc ? -1 : 1));
    const start = (page - 1) * pagesize;
    const pageItems = items.slice(start, start + pagesize).map((item) => {
      const copy = structuredClone(item);
      if (filter !== "withbody") delete copy.body;
      return copy;
    });

    this.quota[quotaKey]--;
    const wrapper: Json = {
      items: pageItems,
      has_more: start + pagesize < items.length,
      quota_max: keyed ? (this.options.keyQuota ?? 10_000) : (this.options.anonymousQuota ?? 300),
      quota_remaining: this.quota[quotaKey],
    };
    const backoff = this.nextBackoff.get(route.method);
    if (backoff !== undefined) {
      this.nextBackoff.delete(route.method);
      wrapper["backoff"] = backoff;
      const requiredMs = backoff * this.secondMs;
      this.backoffUntil.set(route.method, { until: at + requiredMs, requiredMs, sentAt: at });
    }
    this.send(res, 200, wrapper);
  }

  private send(res: ServerResponse, status: number, body: Json): void {
    const bytes = gzipSync(Buffer.from(JSON.stringify(body), "utf8"));
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-encoding": "gzip", "content-length": String(bytes.length) });
    res.end(bytes);
  }
}
