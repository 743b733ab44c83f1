/**
 * History backfill for Discourse: each configured forum's topics bumped since `--since`, read
 * category by category through the JSON API, and queued as the webhook deliveries Discourse would
 * have sent for them (`post_created` for every post, `post_destroyed` for deleted ones, the Solved
 * plugin's `accepted_solution` for the accepted answer), with the payloads in the webhook
 * serializer's shape, so the door's shape check passes them and the normaliser folds them exactly
 * like live ones. Normalisation is idempotent by natural ids (post ids, versions by `updated_at`),
 * so a rerun, or a backfill overlapping live webhooks, changes no thread.
 *
 * What is read, per forum: `GET /categories.json` (every category the API user sees, questions
 * first); per category `GET /c/{slug path}/{id}/l/latest.json?order=activity&no_subcategories=true`
 * (newest bump first, 30 topics a page, followed by `more_topics_url` until a topic bumped before
 * the floor); then, oldest bump first, per topic `GET /t/{id}.json?include_raw=true` (topic and
 * the first 20 posts, `post_stream.stream` lists every post id) and
 * `GET /t/{id}/posts.json?post_ids[]=…&include_raw=true` for the rest, 50 at a time.
 *
 * Times Discourse does not give (when an answer was accepted, when a post was withdrawn, when a
 * topic without a "closed" notice was closed) are the envelope's `receivedAt`, set to the earliest
 * time Discourse does give (the answer's `created_at`, the post's `updated_at`, the topic's last
 * post): a live delivery of the same event is always stamped later, so the thread keeps its time.
 *
 * Resumable: after each topic's envelopes are sent, a cursor per forum and category
 * (`backfill-discourse` / `<forum>#<category id>`) records the topic's `bumped_at` (and the ids
 * sent at that instant); a rerun lists down to max(since, cursor) and skips those ids.
 *
 * Requests are paced (one every 1.2 s by default: 50 a minute, under the 60 a minute Discourse
 * allows all admin API keys together, `DISCOURSE_MAX_ADMIN_API_REQS_PER_MINUTE`); a 429 is waited
 * out as Discourse says (`extras.wait_seconds`, `Retry-After`) up to 3 times.
 */
import { randomUUID } from "node:crypto";
import * as z from "zod";
import type { ScopeBackfillResult, SourceBackfill, SourceBackfillDeps, SourceBackfillResult } from "../../backfill/types.ts";
import { formatTimeIdsCursor, parseTimeIdsCursor, type TimeIdsCursor } from "../../backfill/cursor.ts";
import { BACKFILL_HEADER, timeFraction } from "../../backfill/types.ts";
import { toInstant } from "../../model/activity.ts";
import { DiscourseSourceConfigSchema, type Config, type DiscourseSourceConfig } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import { trimTrailingSlashes } from "../../text/index.ts";
import { baseUrl } from "./normalize.ts";
import { POST_TYPES } from "./payload.ts";

/** How many times a 429 is waited out before the source stops. */
export const RATE_LIMIT_RETRIES = 3;
/** How many times a 5xx or a dropped connection is retried (after 1 s, then 4 s) before the source stops. */
export const SERVER_ERROR_RETRIES = 2;
/** Seconds between two requests by default: 50 a minute, under the 60 all admin API keys share. */
export const DEFAULT_REQUEST_INTERVAL_SECONDS = 1.2;
/** Post ids per `GET /t/{id}/posts.json` request. */
export const POSTS_PER_REQUEST = 50;
/** A 429 asking for a longer wait than this ends the run (rerun later) instead of sleeping. */
const MAX_RATE_LIMIT_WAIT_SECONDS = 900;
const MAX_REDIRECTS = 5;
/** CategoryList::CATEGORIES_PER_PAGE, when a forum pages its category list. */
const CATEGORIES_PER_PAGE = 20;
const MAX_LIST_PAGES = 100_000;

const SOURCE = "discourse" as const;

// ---------------------------------------------------------------------------------------------
// What the API answers: only the parts read here, loose so the rest may change.

const Id = z.number().int();
const Timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: "not a timestamp" });

interface ApiCategory {
  id: number;
  slug?: string | null | undefined;
  parent_category_id?: number | null | undefined;
  topic_url?: string | null | undefined;
  subcategory_ids?: number[] | null | undefined;
  subcategory_list?: ApiCategory[] | null | undefined;
}
const CategorySchema: z.ZodType<ApiCategory> = z.looseObject({
  id: Id,
  slug: z.string().nullish(),
  parent_category_id: Id.nullish(),
  topic_url: z.string().nullish(),
  subcategory_ids: z.array(Id).nullish(),
  get subcategory_list() {
    return z.array(CategorySchema).nullish();
  },
});
const CategoriesSchema = z.looseObject({ category_list: z.looseObject({ categories: z.array(CategorySchema) }) });

const TopicListItemSchema = z.looseObject({
  id: Id,
  bumped_at: Timestamp,
  archetype: z.string().nullish(),
  pinned: z.boolean().nullish(),
});
type TopicListItem = z.infer<typeof TopicListItemSchema>;
const TopicListSchema = z.looseObject({
  topic_list: z.looseObject({ topics: z.array(TopicListItemSchema), more_topics_url: z.string().nullish() }),
});

const ApiPostSchema = z.looseObject({
  id: Id,
  topic_id: Id.optional(),
  post_number: z.number().int().min(1),
  post_type: z.number().int().nullish(),
  username: z.string().min(1),
  created_at: Timestamp,
  updated_at: Timestamp,
  deleted_at: Timestamp.nullish(),
  user_deleted: z.boolean().nullish(),
  action_code: z.string().nullish(),
  accepted_answer: z.boolean().nullish(),
});
type ApiPost = z.infer<typeof ApiPostSchema>;

const TopicViewSchema = z.looseObject({
  id: Id,
  title: z.string(),
  slug: z.string().nullish(),
  category_id: Id.nullish(),
  archetype: z.string().nullish(),
  created_at: Timestamp,
  last_posted_at: Timestamp.nullish(),
  closed: z.boolean().nullish(),
  archived: z.boolean().nullish(),
  user_id: Id.nullish(),
  post_stream: z.looseObject({ posts: z.array(ApiPostSchema), stream: z.array(Id).nullish() }),
  details: z.looseObject({ created_by: z.looseObject({ id: Id, username: z.string().min(1) }).nullish() }).nullish(),
  // The Solved plugin: one answer (`accepted_answer`), or, in newer versions, a list of them.
  accepted_answer: z.looseObject({ post_number: z.number().int() }).nullish(),
  accepted_answers: z.array(z.looseObject({ id: Id.nullish(), post_number: z.number().int().nullish() })).nullish(),
});
type TopicView = z.infer<typeof TopicViewSchema>;
const PostsSchema = z.looseObject({ post_stream: z.looseObject({ posts: z.array(ApiPostSchema) }) });

// ---------------------------------------------------------------------------------------------
// Options and errors

export interface DiscourseBackfillOptions {
  fetch?: typeof fetch;
  /** Milliseconds between the starts of two requests; default 1.2 s of `retryAfterUnitMs`. */
  minIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** A monotonic clock in milliseconds, for pacing only (never a business time). */
  elapsedMs?: () => number;
  requestTimeoutMs?: number;
}

type Failure = "auth" | "rate-limit" | "server" | "not-found" | "shape" | "network" | "redirect" | "refused";

/** A request Discourse refused or answered with something that is not its JSON. Never carries the key. */
export class DiscourseApiError extends Error {
  override readonly name = "DiscourseApiError";
  constructor(
    message: string,
    readonly kind: Failure,
    readonly status: number,
    /** Path and query of the request (the key travels in a header, never here). */
    readonly path: string,
  ) {
    super(message);
  }
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The forums `backfill` would read: each configured instance's base URL (none when disabled). */
export function discourseBackfillScopes(config: Config): string[] {
  const discourse = config.sources?.discourse;
  if (!discourse?.enabled) return [];
  return discourse.instances.map((raw) => baseUrl(raw)?.base).filter((b): b is string => b !== undefined);
}

/** What the API key must be, for messages about a missing or refused one. */
export function discourseKeyHint(discourse: Pick<DiscourseSourceConfig, "apiKeySecretName" | "apiUsername">): string {
  return (
    `an admin API key (Admin → Advanced → API keys → New): User Level "All Users" (sent with Api-Username ${discourse.apiUsername}, ` +
    `an admin or moderator who sees every category) or "Single User" for ${discourse.apiUsername}; Scope "Global", "Read-only", ` +
    `or "Granular" with topics: read, topics: read_lists and categories: list; stored as ${discourse.apiKeySecretName}`
  );
}

// ---------------------------------------------------------------------------------------------
// The reader: one forum, requests one at a time, paced, with Discourse's rate limit honoured.

interface ReaderSettings {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  elapsedMs: () => number;
  minIntervalMs: number;
  unitMs: number;
  timeoutMs: number;
  log: (line: string) => void;
}

class ForumReader {
  requests = 0;
  rateLimitWaits = 0;
  private lastStart: number | null = null;
  readonly origin: string;

  constructor(
    /** Base URL without a trailing slash (a subfolder install keeps its path). */
    readonly base: string,
    private readonly apiKey: string,
    private readonly apiUsername: string,
    private readonly s: ReaderSettings,
  ) {
    this.origin = new URL(base).origin;
  }

  /** GET a path under the base (or a same-site absolute path from the forum) and read it with `schema`. */
  async get<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
    let url = this.resolve(path);
    let rateLimited = 0;
    let failed = 0;
    let redirects = 0;
    for (;;) {
      await this.pace();
      const shown = url.pathname + url.search;
      let response: Response;
      try {
        this.requests++;
        response = await this.s.fetch(url, {
          method: "GET",
          redirect: "manual",
          headers: {
            "Api-Key": this.apiKey,
            "Api-Username": this.apiUsername,
            accept: "application/json",
            "user-agent": "community-signals-backfill",
          },
          signal: AbortSignal.timeout(this.s.timeoutMs),
        });
      } catch (err) {
        if (failed < SERVER_ERROR_RETRIES) {
          await this.backoff(failed++, `no answer to GET ${shown} (${(err as Error).message})`);
          continue;
        }
        throw new DiscourseApiError(`no answer from ${this.origin} to GET ${shown} (${(err as Error).message})`, "network", 0, shown);
      }

      const status = response.status;
      if (status >= 300 && status < 400) {
        await response.body?.cancel();
        const location = response.headers.get("location");
        const next = location ? new URL(location, url) : null;
        // The key is a header: it may only ever go back to the forum it belongs to.
        if (!next || next.origin !== this.origin || redirects >= MAX_REDIRECTS) {
          throw new DiscourseApiError(`GET ${shown} was redirected to ${next ? next.origin + next.pathname : "nowhere"}`, "redirect", status, shown);
        }
        redirects++;
        url = next;
        continue;
      }

      const text = await response.text();
      if (response.ok) return this.parse(text, response.headers.get("content-type"), shown, schema);

      const error = errorBody(text);
      if (status === 429) {
        const seconds = error.waitSeconds ?? numberHeader(response.headers, "retry-after") ?? 60;
        if (rateLimited >= RATE_LIMIT_RETRIES || seconds > MAX_RATE_LIMIT_WAIT_SECONDS) {
          throw new DiscourseApiError(
            `GET ${shown}: still rate limited (429) after ${rateLimited} waits${seconds > MAX_RATE_LIMIT_WAIT_SECONDS ? `, asked to wait ${seconds} s` : ""}`,
            "rate-limit",
            429,
            shown,
          );
        }
        rateLimited++;
        this.rateLimitWaits++;
        this.s.log(`discourse: 429 on GET ${shown}; waiting ${seconds} s as the forum asks (${rateLimited} of ${RATE_LIMIT_RETRIES})`);
        await this.s.sleep(seconds * this.s.unitMs);
        continue;
      }
      const detail = `${status}${error.message ? `: ${error.message}` : ""}`;
      if (status === 401 || status === 403) throw new DiscourseApiError(`GET ${shown}: ${detail}`, "auth", status, shown);
      if (status === 404 || status === 410) throw new DiscourseApiError(`GET ${shown}: ${detail}`, "not-found", status, shown);
      if (status >= 500) {
        if (failed < SERVER_ERROR_RETRIES) {
          await this.backoff(failed++, `${status} on GET ${shown}`);
          continue;
        }
        throw new DiscourseApiError(`GET ${shown}: ${detail} (after ${SERVER_ERROR_RETRIES} retries)`, "server", status, shown);
      }
      throw new DiscourseApiError(`GET ${shown}: ${detail}`, "refused", status, shown);
    }
  }

  /** A path under the base; an absolute path that already carries the base's subfolder is kept. */
  private resolve(path: string): URL {
    const prefix = trimTrailingSlashes(new URL(this.base).pathname);
    const full = prefix && !path.startsWith(`${prefix}/`) ? `${prefix}${path}` : path;
    return new URL(full, this.origin);
  }

  private parse<S extends z.ZodType>(text: string, contentType: string | null, path: string, schema: S): z.output<S> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new DiscourseApiError(`GET ${path} answered ${contentType ?? "no content type"}, not JSON`, "shape", 200, path);
    }
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const problems = result.error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join(".") : "(body)"}: ${i.message}`);
    throw new DiscourseApiError(`GET ${path} answered JSON of another shape (${problems.join("; ")})`, "shape", 200, path);
  }

  /** Keeps requests at least `minIntervalMs` apart. */
  private async pace(): Promise<void> {
    const now = this.s.elapsedMs();
    if (this.lastStart !== null) {
      const wait = this.lastStart + this.s.minIntervalMs - now;
      if (wait > 0) await this.s.sleep(wait);
    }
    this.lastStart = this.s.elapsedMs();
  }

  private async backoff(attempt: number, what: string): Promise<void> {
    const seconds = 4 ** attempt;
    this.s.log(`discourse: ${what}; retrying in ${seconds} s`);
    await this.s.sleep(seconds * this.s.unitMs);
  }
}

function numberHeader(headers: Headers, name: string): number | null {
  const value = headers.get(name);
  if (value === null || value.trim() === "") return null;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** Discourse's error body: `{"errors": [...], "error_type": "...", "extras": {"wait_seconds": N}}`. */
function errorBody(text: string): { message: string | null; waitSeconds: number | null } {
  try {
    const body = JSON.parse(text) as { errors?: unknown; extras?: { wait_seconds?: unknown } };
    const first = Array.isArray(body.errors) && typeof body.errors[0] === "string" ? body.errors[0].slice(0, 300) : null;
    const wait = body.extras?.wait_seconds;
    return { message: first, waitSeconds: typeof wait === "number" && Number.isFinite(wait) && wait >= 0 ? wait : null };
  } catch {
    return { message: null, waitSeconds: null };
  }
}

// ---------------------------------------------------------------------------------------------
// Categories

interface Category {
  id: number;
  /** `slug_for_url`: the slug, or `<id>-category` for a category without one. */
  slug: string;
  /** Ancestors' slugs and its own, for `/c/<path>/<id>`. */
  path: string[];
  /** The "About this category" topic, which is no question. */
  definitionTopicId: number | null;
}

function slugForUrl(c: ApiCategory): string {
  return c.slug ? c.slug : `${c.id}-category`;
}

/** The topic id at the end of a category's `topic_url` (`/t/about-the-support-category/7`). */
function topicIdOf(topicUrl: string | null | undefined): number | null {
  if (!topicUrl) return null;
  const last = topicUrl.split("?")[0]!.split("/").filter(Boolean).at(-1) ?? "";
  const n = Number(last);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * Every category the API user can see. `/categories.json` nests subcategories with
 * `include_subcategories=true`; on forums with very many categories it pages (20 a page, 5
 * subcategories each), so ids named in `subcategory_ids` but not yet seen are asked for by parent.
 */
async function readCategories(reader: ForumReader): Promise<Category[]> {
  const found = new Map<number, ApiCategory>();
  const parents = new Map<number, number>();
  const add = (list: ApiCategory[], parent: number | null): number => {
    let added = 0;
    for (const c of list) {
      if (!found.has(c.id)) added++;
      found.set(c.id, c);
      const p = c.parent_category_id ?? parent;
      if (p !== null && p !== undefined) parents.set(c.id, p);
      for (const sub of c.subcategory_ids ?? []) parents.set(sub, c.id);
      if (c.subcategory_list) add(c.subcategory_list, c.id);
    }
    return added;
  };
  /** The categories under `parent` (null: the top level), page by page. */
  const readPages = async (parent: number | null) => {
    const query = parent === null ? "include_subcategories=true" : `parent_category_id=${parent}&include_subcategories=true`;
    for (let page = 1; page <= MAX_LIST_PAGES; page++) {
      const res = await reader.get(`/categories.json?${query}${page > 1 ? `&page=${page}` : ""}`, CategoriesSchema);
      const list = res.category_list.categories;
      const added = add(list, null);
      // A paged list holds 20 categories of the level asked for a page; a shorter page is the last (an unpaged list is one page).
      const ofLevel = list.filter((c) => (parents.get(c.id) ?? null) === parent).length;
      if (added === 0 || ofLevel < CATEGORIES_PER_PAGE) return;
    }
  };
  await readPages(null);
  const asked = new Set<number>();
  for (;;) {
    const missingParent = [...parents].find(([id, parent]) => !found.has(id) && found.has(parent) && !asked.has(parent))?.[1];
    if (missingParent === undefined) break;
    asked.add(missingParent);
    await readPages(missingParent);
  }

  const pathOf = (id: number, depth = 0): string[] => {
    const c = found.get(id);
    if (!c) return [];
    const parent = parents.get(id);
    return parent !== undefined && depth < 5 ? [...pathOf(parent, depth + 1), slugForUrl(c)] : [slugForUrl(c)];
  };
  return [...found.values()].map((c) => ({ id: c.id, slug: slugForUrl(c), path: pathOf(c.id), definitionTopicId: topicIdOf(c.topic_url) }));
}

/** Whether the normaliser's rules can make a topic of this category a question (mirrors normalize.ts). */
function canHoldQuestions(discourse: DiscourseSourceConfig, c: Category): boolean {
  const matches = (key: string) => {
    const k = key.trim().toLowerCase();
    return k === String(c.id) || k === c.slug.toLowerCase();
  };
  const override = Object.entries(discourse.categories).find(([key]) => matches(key));
  if (override) return override[1] === "all";
  if (discourse.questions === "solved") return discourse.solvedCategories.some(matches);
  return discourse.questions === "all";
}

// ---------------------------------------------------------------------------------------------
// Cursors

// ---------------------------------------------------------------------------------------------
// Envelopes: what the live webhooks would have carried

/** PostSerializer fields WebHookPostSerializer leaves out, and the topic view's own. */
const NOT_IN_WEBHOOKS = [
  "can_edit",
  "can_delete",
  "can_recover",
  "can_see_hidden_post",
  "can_wiki",
  "actions_summary",
  "can_view_edit_history",
  "yours",
  "flair_url",
  "flair_bg_color",
  "flair_color",
  "notice",
  "mentioned_users",
  "badges_granted",
  "read",
  "link_counts",
];

const CLOSES = new Set(["closed.enabled", "autoclosed.enabled", "archived.enabled"]);
const REOPENS = new Set(["closed.disabled", "autoclosed.disabled", "archived.disabled"]);

interface ForumContext {
  base: string;
  host: string;
  now: () => string;
  categories: Map<number, Category>;
}

/** A post from the topic view in the webhook's shape (WebHookPostSerializer: the topic's title, slug, category). */
function webhookPost(ctx: ForumContext, topic: TopicView, post: ApiPost): Record<string, unknown> {
  const out: Record<string, unknown> = { ...post };
  for (const key of NOT_IN_WEBHOOKS) delete out[key];
  const category = topic.category_id !== null && topic.category_id !== undefined ? ctx.categories.get(topic.category_id) : undefined;
  return {
    ...out,
    topic_id: post.topic_id ?? topic.id,
    topic_title: topic.title,
    topic_slug: (post["topic_slug"] as string | undefined) ?? topic.slug ?? null,
    topic_archetype: topic.archetype ?? "regular",
    category_id: topic.category_id ?? null,
    ...(category ? { category_slug: category.slug } : {}),
  };
}

function envelope(ctx: ForumContext, event: string, type: "post" | "solved" | "topic", payload: unknown, naturalId: string, receivedAt: string): Envelope {
  return {
    v: 1,
    id: randomUUID(),
    source: SOURCE,
    eventType: event,
    deliveryId: `backfill:${ctx.host}:${naturalId}`,
    receivedAt,
    contentType: "application/json",
    headers: {
      "x-discourse-instance": ctx.base,
      "x-discourse-event-type": type,
      "x-discourse-event": event,
      "content-type": "application/json",
      [BACKFILL_HEADER]: "1",
    },
    body: JSON.stringify({ [type]: payload }),
  };
}

export interface TopicEnvelopes {
  envelopes: Envelope[];
  posts: number;
  accepted: number;
  whispers: number;
}

/** The deliveries that rebuild one topic: its posts, deletions, accepted answer and (failing a notice) its close. */
function topicEnvelopes(ctx: ForumContext, topic: TopicView, posts: ApiPost[]): TopicEnvelopes {
  const out: Envelope[] = [];
  let whispers = 0;
  let lastStatus: { closes: boolean } | null = null;
  for (const post of posts) {
    const type = post.post_type ?? POST_TYPES.regular;
    const payload = webhookPost(ctx, topic, post);
    const version = toInstant(post.updated_at);
    if (type === POST_TYPES.whisper) {
      whispers++;
      continue;
    }
    if (type !== POST_TYPES.regular) {
      // Small actions ("closed this topic") say when and by whom a topic was closed or reopened.
      if (post.deleted_at) continue;
      if (post.action_code && CLOSES.has(post.action_code)) lastStatus = { closes: true };
      if (post.action_code && REOPENS.has(post.action_code)) lastStatus = { closes: false };
      out.push(envelope(ctx, "post_created", "post", payload, `post:${post.id}:${version}`, ctx.now()));
      continue;
    }
    if (post.deleted_at) {
      const at = toInstant(post.deleted_at);
      out.push(envelope(ctx, "post_destroyed", "post", payload, `post-deleted:${post.id}:${at}`, ctx.now()));
      continue;
    }
    if (post.user_deleted) {
      // Withdrawn by its author: no deleted_at yet; the withdrawal is its last update.
      out.push(envelope(ctx, "post_destroyed", "post", payload, `post-withdrawn:${post.id}:${version}`, version));
      continue;
    }
    out.push(envelope(ctx, "post_created", "post", payload, `post:${post.id}:${version}`, ctx.now()));
  }

  // The accepted answer: Discourse does not say when it was accepted; not before it was written.
  const byNumber = new Map(posts.map((p) => [p.post_number, p]));
  const byId = new Map(posts.map((p) => [p.id, p]));
  const acceptedNumbers = new Set<number>();
  if (topic.accepted_answer) acceptedNumbers.add(topic.accepted_answer.post_number);
  for (const a of topic.accepted_answers ?? []) {
    const n = a.post_number ?? (a.id !== null && a.id !== undefined ? byId.get(a.id)?.post_number : undefined);
    if (n !== undefined && n !== null) acceptedNumbers.add(n);
  }
  for (const p of posts) if (p.accepted_answer === true) acceptedNumbers.add(p.post_number);
  let accepted = 0;
  for (const n of [...acceptedNumbers].sort((a, b) => a - b)) {
    const post = byNumber.get(n);
    if (!post || post.deleted_at || post.user_deleted || (post.post_type ?? POST_TYPES.regular) !== POST_TYPES.regular) continue;
    const at = toInstant(post.created_at);
    out.push(envelope(ctx, "accepted_solution", "solved", webhookPost(ctx, topic, post), `accepted:${post.id}:${at}`, at));
    accepted++;
  }

  // Closed or archived with no notice that says so (deleted, or closed by an import): the status event.
  if ((topic.closed || topic.archived) && lastStatus?.closes !== true) {
    const at = toInstant(topic.last_posted_at ?? topic.created_at);
    const event = topic.closed ? "topic_closed_status_updated" : "topic_archived_status_updated";
    const payload = {
      id: topic.id,
      title: topic.title,
      slug: topic.slug ?? null,
      category_id: topic.category_id ?? null,
      archetype: topic.archetype ?? "regular",
      created_at: topic.created_at,
      closed: topic.closed ?? false,
      archived: topic.archived ?? false,
      user_id: topic.user_id ?? null,
      created_by: topic.details?.created_by ?? null,
    };
    out.push(envelope(ctx, event, "topic", payload, `topic-status:${topic.id}:${at}`, at));
  }
  return { envelopes: out, posts: posts.length, accepted, whispers };
}

// ---------------------------------------------------------------------------------------------
// The backfill

interface ScopeState extends ScopeBackfillResult {
  detail: { topics: number; posts: number; acceptedAnswers: number; skippedTopics: number; rateLimitWaits: number };
}

/** `backfillDiscourse` with its HTTP client, pacing and sleeping injectable (tests). */
export function makeDiscourseBackfill(options: DiscourseBackfillOptions = {}): SourceBackfill {
  return (deps) => backfill(deps, options);
}

export const backfillDiscourse: SourceBackfill = makeDiscourseBackfill();

async function backfill(deps: SourceBackfillDeps, options: DiscourseBackfillOptions): Promise<SourceBackfillResult> {
  const discourse = deps.config.sources?.discourse ?? DiscourseSourceConfigSchema.parse({});
  const result: SourceBackfillResult = { source: SOURCE, scopes: [], envelopes: 0, requests: 0, stopped: null };
  if (!discourse.enabled) return result;
  const unitMs = deps.retryAfterUnitMs ?? 1000;
  const log = deps.log ?? (() => {});
  const settings: ReaderSettings = {
    fetch: options.fetch ?? globalThis.fetch,
    sleep: options.sleep ?? realSleep,
    elapsedMs: options.elapsedMs ?? (() => performance.now()),
    minIntervalMs: options.minIntervalMs ?? DEFAULT_REQUEST_INTERVAL_SECONDS * unitMs,
    unitMs,
    timeoutMs: options.requestTimeoutMs ?? 30_000,
    log,
  };

  for (const base of discourseBackfillScopes(deps.config)) {
    const host = new URL(base).hostname;
    const reader = new ForumReader(base, deps.token, discourse.apiUsername, settings);
    let scope = base;
    try {
      const categories = await readCategories(reader);
      const ctx: ForumContext = { base, host, now: () => toInstant(deps.now().toISOString()), categories: new Map(categories.map((c) => [c.id, c])) };
      // Categories whose topics can be questions first: an interrupted run has done the ones the digest needs.
      const ordered = [...categories.filter((c) => canHoldQuestions(discourse, c)), ...categories.filter((c) => !canHoldQuestions(discourse, c))];
      for (const category of ordered) {
        scope = `${host}${trimTrailingSlashes(new URL(base).pathname)}/c/${[...category.path, category.id].join("/")}`;
        const state: ScopeState = {
          scope,
          items: 0,
          envelopes: 0,
          pages: 0,
          requests: 0,
          done: false,
          detail: { topics: 0, posts: 0, acceptedAnswers: 0, skippedTopics: 0, rateLimitWaits: 0 },
        };
        result.scopes.push(state);
        const before = { requests: reader.requests, waits: reader.rateLimitWaits };
        const sync = () => {
          state.requests = reader.requests - before.requests;
          state.detail.rateLimitWaits = reader.rateLimitWaits - before.waits;
        };
        try {
          await backfillCategory(deps, reader, ctx, category, state, sync);
        } finally {
          sync();
          result.envelopes += state.envelopes;
        }
      }
    } catch (err) {
      result.stopped = { scope, reason: describeFailure(err, discourse, base) };
    } finally {
      result.requests += reader.requests;
    }
    if (result.stopped) break;
  }
  return result;
}

async function backfillCategory(
  deps: SourceBackfillDeps,
  reader: ForumReader,
  ctx: ForumContext,
  category: Category,
  state: ScopeState,
  sync: () => void,
): Promise<void> {
  const key = `${ctx.host}#${category.id}`;
  const cursor = parseTimeIdsCursor(await deps.cursors.get(key));
  const floor = Math.max(deps.since.getTime(), cursor?.at ?? Number.NEGATIVE_INFINITY);
  const progress = (fraction: number | null) => {
    sync();
    deps.onProgress?.({ source: SOURCE, scope: state.scope, items: state.items, pages: state.pages, rateLimitRemaining: null, fraction, done: state.done });
  };

  // Newest bump first, down to the floor: the list is cheap (30 topics a request).
  const wanted = new Map<number, TopicListItem>();
  const visited = new Set<string>();
  let path: string | null = `/c/${[...category.path, category.id].map(encodeURIComponent).join("/")}/l/latest.json?order=activity&no_subcategories=true`;
  for (let page = 0; path !== null && page < MAX_LIST_PAGES; page++) {
    visited.add(path);
    let list: z.output<typeof TopicListSchema>;
    try {
      list = await reader.get(path, TopicListSchema);
    } catch (err) {
      // Deleted, or made invisible to the API user, since the category list was read.
      if (!(err instanceof DiscourseApiError && err.kind === "not-found")) throw err;
      deps.log?.(`discourse: category ${category.id} on ${ctx.host} is gone (${err.status}); skipped`);
      break;
    }
    const topics = list.topic_list.topics;
    if (topics.length > 0) state.pages++;
    let older = false;
    for (const t of topics) {
      const at = Date.parse(t.bumped_at);
      if (at < floor) {
        // Pinned topics head the first page whatever their age.
        if (!t.pinned) older = true;
        continue;
      }
      if (t.archetype === "private_message") continue;
      if (cursor && at === cursor.at && cursor.ids.has(t.id)) continue;
      if (t.id === category.definitionTopicId) continue;
      wanted.set(t.id, t);
    }
    progress(null);
    const more = list.topic_list.more_topics_url;
    path = older || topics.length === 0 || !more ? null : nextPage(reader, more);
    if (path !== null && visited.has(path)) path = null;
  }

  // Then oldest bump first, so the cursor only moves forward.
  const queue = [...wanted.values()].sort((a, b) => Date.parse(a.bumped_at) - Date.parse(b.bumped_at) || a.id - b.id);
  let last: TimeIdsCursor | null = cursor;
  for (const item of queue) {
    const read = await readTopic(reader, ctx, item.id, deps.log);
    if (read) {
      state.detail.topics++;
      state.detail.posts += read.posts;
      state.detail.acceptedAnswers += read.accepted;
      state.items += 1 + read.posts;
      if (!deps.dryRun && read.envelopes.length > 0) await deps.send(read.envelopes);
      state.envelopes += read.envelopes.length;
    } else {
      state.detail.skippedTopics++;
    }
    const at = Date.parse(item.bumped_at);
    if (!last || at > last.at) last = { at, ids: new Set([item.id]) };
    else if (at === last.at) last.ids.add(item.id);
    if (!deps.dryRun) await deps.cursors.set(key, formatTimeIdsCursor(last), deps.now());
    progress(timeFraction(deps.since, deps.now(), at));
  }
  state.done = true;
  progress(1);
}

/** `more_topics_url` (`/c/support/5/l/latest?page=1…`, no `.json`) as the JSON path on the same forum. */
function nextPage(reader: ForumReader, more: string): string {
  const url = new URL(more, `${reader.origin}/`);
  if (url.origin !== reader.origin) throw new DiscourseApiError(`more_topics_url points at another site (${url.origin})`, "redirect", 200, more);
  const pathname = url.pathname.endsWith(".json") ? url.pathname : `${url.pathname}.json`;
  return `${pathname}${url.search}`;
}

/** One topic and all its posts, as envelopes; null when it is gone or not a public topic. */
async function readTopic(reader: ForumReader, ctx: ForumContext, topicId: number, log: SourceBackfillDeps["log"]): Promise<TopicEnvelopes | null> {
  let topic: TopicView;
  try {
    topic = await reader.get(`/t/${topicId}.json?include_raw=true`, TopicViewSchema);
  } catch (err) {
    // Deleted, moved out of sight or made private between the list and now: nothing to read.
    if (err instanceof DiscourseApiError && err.kind === "not-found") {
      log?.(`discourse: topic ${topicId} on ${ctx.host} is gone (${err.status}); skipped`);
      return null;
    }
    throw err;
  }
  if (topic.archetype === "private_message") return null;
  const posts = new Map(topic.post_stream.posts.map((p) => [p.id, p]));
  const missing = (topic.post_stream.stream ?? []).filter((id) => !posts.has(id));
  for (let i = 0; i < missing.length; i += POSTS_PER_REQUEST) {
    const query = new URLSearchParams();
    for (const id of missing.slice(i, i + POSTS_PER_REQUEST)) query.append("post_ids[]", String(id));
    query.set("include_raw", "true");
    const res = await reader.get(`/t/${topicId}/posts.json?${query}`, PostsSchema);
    for (const p of res.post_stream.posts) posts.set(p.id, p);
  }
  const ordered = [...posts.values()].filter((p) => (p.topic_id ?? topic.id) === topic.id).sort((a, b) => a.post_number - b.post_number);
  return topicEnvelopes(ctx, topic, ordered);
}

/** Why the source stopped, in words a person can act on; never the key itself. */
export function describeFailure(err: unknown, discourse: DiscourseSourceConfig, base: string): string {
  const again = "run backfill again, it resumes where it stopped";
  if (!(err instanceof DiscourseApiError)) return `${err instanceof Error ? err.message : String(err)}; ${again}`;
  switch (err.kind) {
    case "auth":
      return (
        `${base} refused the API key in ${discourse.apiKeySecretName} with Api-Username ${discourse.apiUsername} (${err.message}): ` +
        `set ${discourse.apiKeySecretName} to ${discourseKeyHint(discourse)}`
      );
    case "rate-limit":
      return (
        `${base} kept rate limiting the backfill (${err.message}); Discourse allows all admin API keys together ` +
        `60 requests a minute by default (DISCOURSE_MAX_ADMIN_API_REQS_PER_MINUTE), so another integration may be using them: ${again} later`
      );
    case "server":
    case "network":
      return `${base} did not answer (${err.message}); ${again}`;
    case "shape":
      return `${base} did not answer with Discourse's JSON (${err.message}): check that ${base} in sources.discourse.instances is the forum's base URL and is not behind a login page; ${again}`;
    case "redirect":
      return `${base} sent the backfill elsewhere (${err.message}): put the forum's own base URL in sources.discourse.instances (the API key is only ever sent to it)`;
    case "not-found":
      return `${base} has no such page (${err.message}): check that it is the forum's base URL and that ${discourse.apiUsername} can see its categories`;
    case "refused":
      return `${base} refused a request (${err.message}); ${again}`;
  }
}
