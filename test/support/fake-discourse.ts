/**
 * A fake Discourse forum on 127.0.0.1 for backfill tests, answering in the shapes Discourse
 * documents (the API schemas in discourse/discourse spec/requests/api/schemas/json:
 * category_list_response, category_topics_response, topic_show_response) and that its
 * controllers produce:
 * - `GET /categories.json?include_subcategories=true[&page=N]`: top-level categories with their
 *   `subcategory_list` (page 2 on is empty, as on a forum without lazy-loaded categories);
 * - `GET /c/{slug path}/{id}/l/latest.json?order=activity&no_subcategories=true[&page=N]`: 30
 *   topics a page, the category's pinned topics first on page 0, then by `bumped_at` newest
 *   first; `more_topics_url` (without `.json`, as ListController builds it) while a page is full;
 *   a wrong slug path is answered with a 301 to the right one, as ListController#set_category does;
 * - `GET /t/{id}.json[?include_raw=true]`: the topic view, its first `chunk_size` (20) posts and
 *   the full `post_stream.stream`; staff (the API user here) also see deleted posts and whispers;
 *   the Solved plugin's `accepted_answer` and per-post `accepted_answer`;
 * - `GET /t/{id}/posts.json?post_ids[]=…[&include_raw=true]`.
 * A wrong `Api-Key`/`Api-Username` gets Discourse's 403 `invalid_access`; unknown pages its 404.
 * Faults can be injected: 429 with `Retry-After` and `extras.wait_seconds`, 500, 401, 403, or an
 * HTML page, each for the next N matching requests.
 *
 * The same serializer builds the webhook payloads (`webhookPost`, `webhookTopic`), the way
 * Discourse's WebHookPostSerializer extends PostSerializer, so tests can compare backfilled
 * envelopes with the live deliveries for the same posts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

type Json = Record<string, any>;

export interface FakeUser {
  id: number;
  username: string;
  name: string;
  admin?: boolean;
  moderator?: boolean;
  trustLevel?: number;
}

export interface FakeCategory {
  id: number;
  name: string;
  slug: string;
  parentId?: number;
  /** The "About the … category" topic. */
  definitionTopicId?: number;
}

export interface FakeTopic {
  id: number;
  categoryId: number;
  title: string;
  slug: string;
  author: FakeUser;
  createdAt: string;
  /** Defaults to the newest post's `created_at`. */
  bumpedAt?: string;
  pinned?: boolean;
  closed?: boolean;
  archived?: boolean;
  archetype?: "regular" | "private_message" | "banner";
  /** The Solved plugin's accepted answer. */
  acceptedPostNumber?: number | null;
}

export interface FakePost {
  id: number;
  topicId: number;
  postNumber: number;
  author: FakeUser;
  createdAt: string;
  updatedAt?: string;
  raw: string;
  /** 1 regular, 2 moderator action, 3 small action, 4 whisper. */
  postType?: number;
  actionCode?: string | null;
  deletedAt?: string | null;
  userDeleted?: boolean;
  version?: number;
}

export interface FakeForum {
  categories: FakeCategory[];
  topics: FakeTopic[];
  posts: FakePost[];
}

export type FaultKind = "429" | "500" | "401" | "403" | "html";

export interface FakeDiscourse {
  url: string;
  forum: FakeForum;
  /** Every request served, as `GET /path?query` (decoded). */
  requests: string[];
  /** Answer the next `times` requests whose path+query matches with a fault (429 waits `waitSeconds`). */
  failNext(match: RegExp, kind: FaultKind, opts?: { times?: number; waitSeconds?: number }): void;
  stop(): Promise<void>;
}

export const PER_PAGE = 30;
export const CHUNK_SIZE = 20;

export function fakeUser(username: string, id: number, opts: { name?: string; admin?: boolean; moderator?: boolean; trustLevel?: number } = {}): FakeUser {
  return { id, username, name: opts.name ?? username, admin: opts.admin ?? false, moderator: opts.moderator ?? false, trustLevel: opts.trustLevel ?? 1 };
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function topicOf(forum: FakeForum, post: FakePost): FakeTopic {
  const topic = forum.topics.find((t) => t.id === post.topicId);
  if (!topic) throw new Error(`fake post ${post.id} has no topic ${post.topicId}`);
  return topic;
}

export function categorySlugForUrl(c: FakeCategory): string {
  return c.slug || `${c.id}-category`;
}

function postsOf(forum: FakeForum, topicId: number): FakePost[] {
  return forum.posts.filter((p) => p.topicId === topicId).sort((a, b) => a.postNumber - b.postNumber);
}

function bumpedAt(forum: FakeForum, topic: FakeTopic): string {
  if (topic.bumpedAt) return topic.bumpedAt;
  const last = postsOf(forum, topic.id).filter((p) => (p.postType ?? 1) === 1).at(-1);
  return last?.createdAt ?? topic.createdAt;
}

/** PostSerializer's fields for a post in a topic view (topic_show_response.json, plus Solved's). */
export function serializePost(forum: FakeForum, post: FakePost, opts: { includeRaw: boolean }): Json {
  const topic = topicOf(forum, post);
  const staff = post.author.admin === true || post.author.moderator === true;
  const accepted = topic.acceptedPostNumber === post.postNumber;
  const type = post.postType ?? 1;
  return {
    id: post.id,
    name: post.author.name,
    username: post.author.username,
    avatar_template: `/user_avatar/forum.example/${post.author.username}/{size}/1_2.png`,
    created_at: post.createdAt,
    cooked: type === 3 ? "" : `<p>${escapeHtml(post.raw)}</p>`,
    post_number: post.postNumber,
    post_type: type,
    updated_at: post.updatedAt ?? post.createdAt,
    reply_count: 0,
    reply_to_post_number: null,
    quote_count: 0,
    incoming_link_count: 0,
    reads: 1,
    readers_count: 0,
    score: 0,
    yours: false,
    topic_id: post.topicId,
    topic_slug: topic.slug,
    display_username: post.author.name,
    primary_group_name: null,
    flair_name: null,
    flair_url: null,
    flair_bg_color: null,
    flair_color: null,
    flair_group_id: null,
    version: post.version ?? 1,
    can_edit: true,
    can_delete: true,
    can_recover: false,
    can_see_hidden_post: true,
    can_wiki: true,
    read: true,
    user_title: null,
    bookmarked: false,
    actions_summary: [{ id: 2, can_act: true }],
    moderator: post.author.moderator === true,
    admin: post.author.admin === true,
    staff,
    user_id: post.author.id,
    hidden: false,
    trust_level: post.author.trustLevel ?? 1,
    deleted_at: post.deletedAt ?? null,
    user_deleted: post.userDeleted ?? false,
    edit_reason: null,
    can_view_edit_history: true,
    wiki: false,
    reviewable_id: 0,
    reviewable_score_count: 0,
    reviewable_score_pending_count: 0,
    ...(post.actionCode ? { action_code: post.actionCode } : {}),
    can_accept_answer: type === 1 && post.postNumber > 1,
    can_unaccept_answer: accepted,
    accepted_answer: accepted,
    topic_accepted_answer: topic.acceptedPostNumber !== null && topic.acceptedPostNumber !== undefined,
    ...(opts.includeRaw ? { raw: post.raw } : {}),
  };
}

/** What WebHookPostSerializer sends for the post (`{"post": …}`, `{"solved": …}`). */
export function webhookPost(forum: FakeForum, post: FakePost): Json {
  const topic = topicOf(forum, post);
  const category = forum.categories.find((c) => c.id === topic.categoryId);
  const out = serializePost(forum, post, { includeRaw: true });
  for (const key of ["can_edit", "can_delete", "can_recover", "can_see_hidden_post", "can_wiki", "actions_summary", "can_view_edit_history", "yours", "flair_url", "flair_bg_color", "flair_color", "read"]) {
    delete out[key];
  }
  const visible = postsOf(forum, topic.id).filter((p) => !p.userDeleted);
  return {
    ...out,
    topic_title: topic.title,
    category_id: topic.categoryId,
    topic_posts_count: visible.length,
    topic_filtered_posts_count: visible.filter((p) => (p.postType ?? 1) === 1).length,
    topic_archetype: topic.archetype ?? "regular",
    ...(category ? { category_slug: categorySlugForUrl(category) } : {}),
  };
}

/** What WebHookTopicViewSerializer sends for the topic (`{"topic": …}`). */
export function webhookTopic(forum: FakeForum, topic: FakeTopic): Json {
  const posts = postsOf(forum, topic.id);
  return {
    tags: [],
    tags_descriptions: {},
    id: topic.id,
    title: topic.title,
    fancy_title: topic.title,
    posts_count: posts.length,
    created_at: topic.createdAt,
    views: 0,
    reply_count: Math.max(0, posts.length - 1),
    like_count: 0,
    last_posted_at: posts.at(-1)?.createdAt ?? topic.createdAt,
    visible: true,
    closed: topic.closed ?? false,
    archived: topic.archived ?? false,
    archetype: topic.archetype ?? "regular",
    slug: topic.slug,
    category_id: topic.categoryId,
    word_count: 10,
    deleted_at: null,
    user_id: topic.author.id,
    featured_link: null,
    pinned_globally: false,
    pinned_at: topic.pinned ? topic.createdAt : null,
    pinned_until: null,
    unpinned: null,
    pinned: topic.pinned ?? false,
    highest_post_number: posts.at(-1)?.postNumber ?? 1,
    deleted_by: null,
    has_deleted: posts.some((p) => p.deletedAt),
    bookmarked: false,
    participant_count: new Set(posts.map((p) => p.author.id)).size,
    thumbnails: null,
    created_by: basicUser(topic.author),
    last_poster: basicUser(posts.at(-1)?.author ?? topic.author),
  };
}

function basicUser(u: FakeUser): Json {
  return { id: u.id, username: u.username, name: u.name, avatar_template: `/user_avatar/forum.example/${u.username}/{size}/1_2.png` };
}

function categoryJson(forum: FakeForum, c: FakeCategory, withSubcategories: boolean): Json {
  const subs = forum.categories.filter((s) => s.parentId === c.id);
  const topics = forum.topics.filter((t) => t.categoryId === c.id);
  const definition = c.definitionTopicId !== undefined ? forum.topics.find((t) => t.id === c.definitionTopicId) : undefined;
  return {
    id: c.id,
    name: c.name,
    color: "0088CC",
    text_color: "FFFFFF",
    slug: c.slug,
    topic_count: topics.length,
    post_count: forum.posts.filter((p) => topics.some((t) => t.id === p.topicId)).length,
    position: c.id,
    description: null,
    description_text: null,
    description_excerpt: null,
    topic_url: definition ? `/t/${definition.slug}/${definition.id}` : null,
    read_restricted: false,
    permission: 1,
    notification_level: 1,
    can_edit: true,
    topic_template: null,
    has_children: subs.length > 0,
    sort_order: "",
    sort_ascending: null,
    show_subcategory_list: false,
    num_featured_topics: 3,
    default_view: null,
    subcategory_list_style: "rows_with_featured_topics",
    default_top_period: "all",
    default_list_filter: "all",
    minimum_required_tags: 0,
    navigate_to_first_post_after_read: false,
    topics_day: 0,
    topics_week: 0,
    topics_month: 0,
    topics_year: 0,
    topics_all_time: topics.length,
    is_uncategorized: false,
    subcategory_ids: subs.map((s) => s.id),
    ...(withSubcategories ? { subcategory_list: subs.map((s) => categoryJson(forum, s, true)) } : {}),
    uploaded_logo: null,
    uploaded_background: null,
  };
}

function slugPath(forum: FakeForum, c: FakeCategory): string[] {
  const parent = c.parentId !== undefined ? forum.categories.find((p) => p.id === c.parentId) : undefined;
  return parent ? [...slugPath(forum, parent), categorySlugForUrl(c)] : [categorySlugForUrl(c)];
}

function topicListItem(forum: FakeForum, t: FakeTopic): Json {
  const posts = postsOf(forum, t.id);
  return {
    id: t.id,
    title: t.title,
    fancy_title: t.title,
    slug: t.slug,
    posts_count: posts.length,
    reply_count: Math.max(0, posts.length - 1),
    highest_post_number: posts.at(-1)?.postNumber ?? 1,
    image_url: null,
    created_at: t.createdAt,
    last_posted_at: posts.at(-1)?.createdAt ?? t.createdAt,
    bumped: true,
    bumped_at: bumpedAt(forum, t),
    archetype: t.archetype ?? "regular",
    unseen: false,
    pinned: t.pinned ?? false,
    unpinned: null,
    excerpt: posts[0]?.raw.slice(0, 200) ?? "",
    visible: true,
    closed: t.closed ?? false,
    archived: t.archived ?? false,
    bookmarked: null,
    liked: null,
    views: 3,
    like_count: 0,
    has_summary: false,
    last_poster_username: posts.at(-1)?.author.username ?? t.author.username,
    category_id: t.categoryId,
    pinned_globally: false,
    featured_link: null,
    has_accepted_answer: t.acceptedPostNumber !== null && t.acceptedPostNumber !== undefined,
    posters: [{ extras: "latest single", description: "Original Poster, Most Recent Poster", user_id: t.author.id, primary_group_id: null }],
  };
}

function topicView(forum: FakeForum, t: FakeTopic, includeRaw: boolean): Json {
  const posts = postsOf(forum, t.id);
  const accepted = t.acceptedPostNumber ? posts.find((p) => p.postNumber === t.acceptedPostNumber) : undefined;
  const { created_by, last_poster, ...topic } = webhookTopic(forum, t);
  return {
    post_stream: { posts: posts.slice(0, CHUNK_SIZE).map((p) => serializePost(forum, p, { includeRaw })), stream: posts.map((p) => p.id) },
    timeline_lookup: [[1, 0]],
    suggested_topics: [],
    ...topic,
    slow_mode_seconds: 0,
    draft: null,
    draft_key: `topic_${t.id}`,
    draft_sequence: 0,
    current_post_number: 1,
    actions_summary: [],
    chunk_size: CHUNK_SIZE,
    bookmarks: [],
    topic_timer: null,
    message_bus_last_id: 0,
    show_read_indicator: false,
    slow_mode_enabled_until: null,
    summarizable: false,
    ...(accepted ? { accepted_answer: { post_number: accepted.postNumber, username: accepted.author.username, name: accepted.author.name, excerpt: accepted.raw.slice(0, 100) } } : {}),
    details: { can_edit: true, notification_level: 1, participants: [], created_by, last_poster },
  };
}

const INVALID_KEY = { errors: ["You are not permitted to view the requested resource. The API username or key is invalid."], error_type: "invalid_access" };
const NOT_PERMITTED = { errors: ["You are not permitted to view the requested resource."], error_type: "invalid_access" };
const NOT_FOUND = { errors: ["The requested URL or resource could not be found."], error_type: "not_found" };

/**
 * `pagedCategories`: the category list of a forum with lazy-loaded categories (or more than 1,000),
 * CategoryList#find_categories' paged form: 20 categories of the level asked for a page, each
 * top-level one followed by at most 5 of its subcategories, flat (no `subcategory_list`).
 */
export async function startFakeDiscourse(opts: { apiKey: string; apiUsername?: string; pagedCategories?: boolean }): Promise<FakeDiscourse> {
  const forum: FakeForum = { categories: [], topics: [], posts: [] };
  const requests: string[] = [];
  const faults: { match: RegExp; kind: FaultKind; times: number; waitSeconds: number }[] = [];
  const username = (opts.apiUsername ?? "system").toLowerCase();
  let base = "";

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  };

  const latest = (res: ServerResponse, url: URL, category: FakeCategory) => {
    const noSub = url.searchParams.get("no_subcategories") === "true";
    const page = Math.max(Number(url.searchParams.get("page") ?? 0), 0);
    const ids = noSub ? [category.id] : [category.id, ...forum.categories.filter((c) => c.parentId === category.id).map((c) => c.id)];
    const all = forum.topics.filter((t) => ids.includes(t.categoryId) && (t.archetype ?? "regular") !== "private_message");
    const byBump = (a: FakeTopic, b: FakeTopic) => Date.parse(bumpedAt(forum, b)) - Date.parse(bumpedAt(forum, a)) || b.id - a.id;
    // TopicQuery#prioritize_pinned_topics: the category's pinned topics head page 0 only.
    const pinned = all.filter((t) => t.pinned && t.categoryId === category.id).sort(byBump);
    const unpinned = all.filter((t) => !(t.pinned && t.categoryId === category.id)).sort(byBump);
    const topics = page === 0 ? [...pinned, ...unpinned].slice(0, PER_PAGE) : unpinned.slice(Math.max(page * PER_PAGE - pinned.length, 0), page * PER_PAGE - pinned.length + PER_PAGE);
    const path = `/c/${[...slugPath(forum, category), category.id].join("/")}/l/latest`;
    const users = [...new Map(topics.map((t) => [t.author.id, basicUser(t.author)])).values()];
    send(res, 200, {
      users,
      primary_groups: [],
      topic_list: {
        can_create_topic: true,
        per_page: PER_PAGE,
        top_tags: [],
        topics: topics.map((t) => topicListItem(forum, t)),
        // TopicListSerializer: only while the page is full.
        ...(topics.length === PER_PAGE ? { more_topics_url: `${path}?no_subcategories=true&order=activity&page=${page + 1}` } : {}),
      },
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", base);
    const target = `${url.pathname}${decodeURIComponent(url.search)}`;
    requests.push(`${req.method} ${target}`);
    const fault = faults.find((f) => f.match.test(target));
    if (fault) {
      if (--fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
      switch (fault.kind) {
        case "429": {
          const s = fault.waitSeconds;
          return send(
            res,
            429,
            { errors: [`You’ve performed this action too many times. Please wait ${s} seconds before trying again.`], error_type: "rate_limit", extras: { wait_seconds: s, time_left: `${s} seconds` } },
            { "retry-after": String(s) },
          );
        }
        case "500":
          return send(res, 500, { status: 500, error: "Internal Server Error" });
        case "401":
          return send(res, 401, NOT_PERMITTED);
        case "403":
          return send(res, 403, NOT_PERMITTED);
        case "html": {
          const html = "<!DOCTYPE html><html><head><title>Site Maintenance</title></head><body>We'll be back soon.</body></html>";
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
          return res.end(html);
        }
      }
    }
    if (req.headers["api-key"] !== opts.apiKey || String(req.headers["api-username"] ?? "").toLowerCase() !== username) return send(res, 403, INVALID_KEY);
    if (req.method !== "GET") return send(res, 404, NOT_FOUND);

    if (url.pathname === "/categories.json") {
      const page = Number(url.searchParams.get("page") ?? 1);
      const withSubs = url.searchParams.get("include_subcategories") === "true";
      const parent = url.searchParams.get("parent_category_id");
      const level = forum.categories.filter((c) => (parent ? c.parentId === Number(parent) : c.parentId === undefined)).sort((a, b) => a.id - b.id);
      let list: Json[];
      if (opts.pagedCategories) {
        const slice = level.slice((page - 1) * 20, page * 20);
        const subs = parent ? [] : slice.flatMap((c) => forum.categories.filter((s) => s.parentId === c.id).slice(0, 5));
        list = [...slice, ...subs].map((c) => categoryJson(forum, c, false));
      } else {
        list = page > 1 ? [] : level.map((c) => categoryJson(forum, c, withSubs));
      }
      return send(res, 200, { category_list: { can_create_category: true, can_create_topic: true, categories: list } });
    }

    const parts = url.pathname.split("/").filter(Boolean);
    if (parts[0] === "c" && parts.at(-2) === "l" && parts.at(-1) === "latest.json") {
      const id = Number(parts.at(-3));
      const category = forum.categories.find((c) => c.id === id);
      if (!category) return send(res, 404, NOT_FOUND);
      const given = parts.slice(1, -3).join("/");
      const real = slugPath(forum, category).join("/");
      if (given !== real) {
        res.writeHead(301, { location: `${base}/c/${real}/${id}/l/latest.json${url.search}` });
        return res.end();
      }
      return latest(res, url, category);
    }
    if (parts[0] === "t" && parts.length === 2 && parts[1]!.endsWith(".json")) {
      const topic = forum.topics.find((t) => t.id === Number(parts[1]!.slice(0, -".json".length)));
      if (!topic) return send(res, 404, NOT_FOUND);
      return send(res, 200, topicView(forum, topic, url.searchParams.has("include_raw")));
    }
    if (parts[0] === "t" && parts.length === 3 && parts[2] === "posts.json") {
      const topic = forum.topics.find((t) => t.id === Number(parts[1]));
      if (!topic) return send(res, 404, NOT_FOUND);
      const ids = url.searchParams.getAll("post_ids[]").map(Number);
      const posts = postsOf(forum, topic.id).filter((p) => ids.includes(p.id));
      return send(res, 200, { post_stream: { posts: posts.map((p) => serializePost(forum, p, { includeRaw: url.searchParams.has("include_raw") })) }, id: topic.id });
    }
    return send(res, 404, NOT_FOUND);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    forum,
    requests,
    failNext(match, kind, o = {}) {
      faults.push({ match, kind, times: o.times ?? 1, waitSeconds: o.waitSeconds ?? 1 });
    },
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
