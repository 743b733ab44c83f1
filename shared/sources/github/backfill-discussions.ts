/**
 * A repository's discussions, with their comments, replies and accepted answers, read through
 * GitHub's GraphQL API (discussions have no REST API) and queued as the webhook deliveries GitHub
 * would have sent: `discussion` created (plus `answered` when an answer is marked, `closed` when
 * it is closed) and `discussion_comment` created for every comment and reply.
 *
 * Reading: `repository.discussions(orderBy: {field: UPDATED_AT, direction: ASC})`, which has no
 * `since` argument. So a cheap query (1 point per 100 discussions, only `updatedAt` and the
 * cursors) first finds where the updates since `--since` (or the cursor) begin, and the full
 * pages are read from there: 100 discussions, each with its first 20 comments and each comment's first 20
 * replies (21 points a page by GitHub's formula, 42,100 nodes of the 500,000 allowed). A
 * discussion or comment with more is paged on through `node(id:)`, 100 at a time.
 *
 * What the history cannot tell is left out: who closed a discussion (GraphQL has no `closedBy`:
 * the close is credited to its author), when it was locked, and answers marked and taken back
 * again. The close is stamped with `closedAt`, which is the `updated_at` the live `closed` event
 * carries, so both name the same close.
 */
import type { Envelope } from "../../model/envelope.ts";
import { advance, formatCursor, RATE_LIMIT_RETRIES, sentBefore, startOf, type Json, type RepoRun } from "./backfill-common.ts";

export const DISCUSSIONS_PER_PAGE = 100;
export const COMMENTS_PER_DISCUSSION = 20;
export const REPLIES_PER_COMMENT = 20;

/** The part of Octokit this needs: its GraphQL client (requests go through its hooks and throttling). */
export interface GraphQLClient {
  graphql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

interface RateLimit {
  remaining: number;
  resetAt: string;
  cost: number;
}
interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
interface Connection<T> {
  totalCount?: number;
  pageInfo: PageInfo;
  nodes: (T | null)[] | null;
}
interface GqlActor {
  __typename: string;
  login: string;
  url: string;
  avatarUrl?: string;
  databaseId?: number | null;
}
interface GqlComment {
  id: string;
  databaseId: number | null;
  url: string;
  body: string;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  authorAssociation: string;
  author: GqlActor | null;
  replyTo: { databaseId: number | null } | null;
  replies?: Connection<GqlComment>;
}
interface GqlCategory {
  id: string;
  name: string;
  slug: string;
  emoji: string;
  description: string | null;
  isAnswerable: boolean;
  createdAt: string;
  updatedAt: string;
}
interface GqlDiscussion {
  id: string;
  databaseId: number | null;
  number: number;
  title: string;
  body: string;
  url: string;
  createdAt: string;
  updatedAt: string;
  closed: boolean;
  closedAt: string | null;
  stateReason: string | null;
  locked: boolean;
  activeLockReason: string | null;
  authorAssociation: string;
  author: GqlActor | null;
  category: GqlCategory;
  answer: GqlComment | null;
  answerChosenAt: string | null;
  answerChosenBy: GqlActor | null;
  comments: Connection<GqlComment>;
}

// Bots are `Bot` actors whose GraphQL login lacks the `[bot]` that webhooks show; the numeric
// id webhooks use is `databaseId`, which each kind of actor declares for itself.
const ACTOR = `fragment BackfillActor on Actor {
  __typename login url avatarUrl
  ... on User { databaseId }
  ... on Bot { databaseId }
  ... on Organization { databaseId }
  ... on Mannequin { databaseId }
}`;
const COMMENT = `fragment BackfillComment on DiscussionComment {
  id databaseId url body createdAt updatedAt deletedAt authorAssociation
  author { ...BackfillActor }
  replyTo { databaseId }
}`;
const DISCUSSION = `fragment BackfillDiscussion on Discussion {
  id databaseId number title body url createdAt updatedAt
  closed closedAt stateReason locked activeLockReason authorAssociation
  author { ...BackfillActor }
  category { id name slug emoji description isAnswerable createdAt updatedAt }
  answer { ...BackfillComment }
  answerChosenAt
  answerChosenBy { ...BackfillActor }
}`;
const PAGE_INFO = "pageInfo { hasNextPage endCursor }";
const RATE_LIMIT = "rateLimit { remaining resetAt cost }";
const REPLIES = `replies(first: ${REPLIES_PER_COMMENT}) { totalCount ${PAGE_INFO} nodes { ...BackfillComment } }`;
const ORDER = "orderBy: {field: UPDATED_AT, direction: ASC}";

const SEEK_QUERY = `query BackfillDiscussionsSeek($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    hasDiscussionsEnabled
    discussions(first: ${DISCUSSIONS_PER_PAGE}, after: $after, ${ORDER}) { ${PAGE_INFO} edges { cursor node { updatedAt } } }
  }
  ${RATE_LIMIT}
}`;
const PAGE_QUERY = `query BackfillDiscussions($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    discussions(first: ${DISCUSSIONS_PER_PAGE}, after: $after, ${ORDER}) {
      ${PAGE_INFO}
      nodes {
        ...BackfillDiscussion
        comments(first: ${COMMENTS_PER_DISCUSSION}) { totalCount ${PAGE_INFO} nodes { ...BackfillComment ${REPLIES} } }
      }
    }
  }
  ${RATE_LIMIT}
}
${DISCUSSION}
${COMMENT}
${ACTOR}`;
const MORE_COMMENTS_QUERY = `query BackfillDiscussionComments($id: ID!, $after: String) {
  node(id: $id) {
    ... on Discussion { comments(first: 100, after: $after) { totalCount ${PAGE_INFO} nodes { ...BackfillComment ${REPLIES} } } }
  }
  ${RATE_LIMIT}
}
${COMMENT}
${ACTOR}`;
const MORE_REPLIES_QUERY = `query BackfillDiscussionReplies($id: ID!, $after: String) {
  node(id: $id) {
    ... on DiscussionComment { replies(first: 100, after: $after) { totalCount ${PAGE_INFO} nodes { ...BackfillComment } } }
  }
  ${RATE_LIMIT}
}
${COMMENT}
${ACTOR}`;

interface SeekData {
  repository: {
    hasDiscussionsEnabled: boolean;
    discussions: { pageInfo: PageInfo; edges: ({ cursor: string; node: { updatedAt: string } | null } | null)[] | null };
  } | null;
}

interface Reader {
  gql: GraphQLClient;
  run: RepoRun;
  owner: string;
  name: string;
}

/**
 * Reads the discussions of `run.fullName` updated since `--since` (or since the cursor
 * `owner/repo#discussions`), page by page: each page's envelopes sent, then the cursor moved.
 */
export async function backfillDiscussions(gql: GraphQLClient, run: RepoRun, repository: Json): Promise<void> {
  const deps = run.deps;
  const key = `${run.fullName}#discussions`;
  const [owner = "", name = ""] = run.fullName.split("/");
  const reader: Reader = { gql, run, owner, name };
  const { from, cursor } = await startOf(deps, key);

  const start = await seek(reader, from);
  if (start === null) return;
  let after = start.after;
  let last = cursor;
  for (;;) {
    const data = await query<{ repository: { discussions: Connection<GqlDiscussion> } | null }>(reader, PAGE_QUERY, { owner, name, after });
    const page = data.repository?.discussions;
    if (!page) throw new Error(`GitHub's GraphQL API answered no discussions for ${run.fullName}`);
    if (present(page.nodes).length > 0) run.result.pages++;
    const envelopes: Envelope[] = [];
    const sent: { at: number; id: number }[] = [];
    for (const d of present(page.nodes)) {
      const at = Date.parse(d.updatedAt);
      if (d.databaseId === null || at < from || sentBefore(cursor, at, d.databaseId)) continue;
      run.read(d.updatedAt);
      run.counts.discussions++;
      const comments = await allComments(reader, d);
      run.counts.discussionComments += comments.length;
      run.result.items += comments.length;
      envelopes.push(...discussionEnvelopes(run, repository, d, comments));
      sent.push({ at, id: d.databaseId });
    }
    await run.deliver(envelopes);
    last = advance(last, sent);
    if (!deps.dryRun && last && sent.length > 0) await deps.cursors.set(key, formatCursor(last), deps.now());
    run.progress();
    if (!page.pageInfo.hasNextPage) return;
    after = page.pageInfo.endCursor;
  }
}

/**
 * Where the full read starts: the cursor of the last discussion updated before `from` (the
 * connection has no `since`, and a full page costs 21 points where this one costs 1). Null when
 * discussions are off or none was updated since.
 */
async function seek(reader: Reader, from: number): Promise<{ after: string | null } | null> {
  const { run, owner, name } = reader;
  let after: string | null = null;
  for (;;) {
    const data: SeekData = await query<SeekData>(reader, SEEK_QUERY, { owner, name, after });
    const repo = data.repository;
    if (!repo) throw new Error(`GitHub's GraphQL API answered no repository ${run.fullName}`);
    if (!repo.hasDiscussionsEnabled) {
      run.deps.log?.(`github: ${run.fullName} has discussions turned off; none to read`);
      return null;
    }
    for (const edge of present(repo.discussions.edges)) {
      if (edge.node && Date.parse(edge.node.updatedAt) >= from) return { after };
      after = edge.cursor;
    }
    if (!repo.discussions.pageInfo.hasNextPage) return null;
    after = repo.discussions.pageInfo.endCursor;
  }
}

/** Every surviving comment and reply of a discussion, paging on where the first page had more. */
async function allComments(reader: Reader, d: GqlDiscussion): Promise<GqlComment[]> {
  const top: GqlComment[] = [...present(d.comments.nodes)];
  let page = d.comments;
  while (page.pageInfo.hasNextPage) {
    const data = await query<{ node: { comments: Connection<GqlComment> } | null }>(reader, MORE_COMMENTS_QUERY, { id: d.id, after: page.pageInfo.endCursor });
    if (!data.node) break;
    page = data.node.comments;
    top.push(...present(page.nodes));
  }
  const out: GqlComment[] = [];
  for (const comment of top) {
    out.push(comment);
    let replies = comment.replies;
    if (!replies) continue;
    out.push(...present(replies.nodes));
    while (replies.pageInfo.hasNextPage) {
      const data: { node: { replies: Connection<GqlComment> } | null } = await query(reader, MORE_REPLIES_QUERY, { id: comment.id, after: replies.pageInfo.endCursor });
      if (!data.node) break;
      replies = data.node.replies;
      out.push(...present(replies.nodes));
    }
  }
  // A deleted comment stays in the list while it has replies; live, its deletion removed it.
  return out.filter((c) => c.deletedAt === null && c.databaseId !== null);
}

/**
 * One GraphQL query, with the points it cost and the points left recorded. The throttling plugin
 * waits out `RATE_LIMITED` and secondary limits answered with 403; GitHub has also been seen to
 * answer `RATE_LIMIT`, and documents secondary limits answered with 200, which the plugin does
 * not know, so those are waited out here.
 */
async function query<T>(reader: Reader, text: string, variables: Record<string, unknown>): Promise<T & { rateLimit?: RateLimit | null }> {
  const { gql, run } = reader;
  for (let attempt = 0; ; attempt++) {
    try {
      const data = await gql.graphql<T & { rateLimit?: RateLimit | null }>(text, variables);
      if (data.rateLimit) {
        run.graphqlRemaining = data.rateLimit.remaining;
        run.counts.graphqlPoints += data.rateLimit.cost;
      }
      return data;
    } catch (err) {
      const wait = rateLimitWait(err);
      if (wait === null || attempt >= RATE_LIMIT_RETRIES) throw err;
      run.deps.log?.(`github: GraphQL rate limit for ${run.fullName}; retrying in ${wait}s`);
      await run.wait(wait);
    }
  }
}

/**
 * Seconds to wait for a GraphQL answer that says a rate limit was hit (the primary one, or a
 * secondary one, which GitHub may also answer with status 200); null for any other error. As
 * GitHub documents: `retry-after` when it is there, else until `x-ratelimit-reset` when nothing
 * is left, else a minute.
 */
export function rateLimitWait(err: unknown): number | null {
  const e = err as { name?: string; errors?: GraphQLErrorEntry[]; headers?: Record<string, string | number | undefined> };
  if (e.name !== "GraphqlResponseError" || !isGraphQLRateLimit(e.errors)) return null;
  const retryAfter = Number(e.headers?.["retry-after"]);
  if (Number.isFinite(retryAfter) && retryAfter > 0) return retryAfter;
  const reset = Number(e.headers?.["x-ratelimit-reset"]);
  if (String(e.headers?.["x-ratelimit-remaining"]) !== "0" || !Number.isFinite(reset) || reset <= 0) return 60;
  // wall-clock: a wait until GitHub's stated reset, measured like GitHub measures it
  const seconds = Math.ceil(reset - Date.now() / 1000) + 1;
  return Math.min(Math.max(seconds, 1), 3600);
}

export interface GraphQLErrorEntry {
  type?: string;
  message?: string;
}

/** Whether GraphQL errors say a rate limit was hit: `RATE_LIMITED`, `RATE_LIMIT`, or a secondary limit's message. */
export function isGraphQLRateLimit(errors: GraphQLErrorEntry[] | undefined): boolean {
  return (errors ?? []).some((x) => x.type === "RATE_LIMITED" || x.type === "RATE_LIMIT" || (x.message ?? "").toLowerCase().includes("secondary rate limit"));
}

function present<T>(nodes: (T | null)[] | null | undefined): T[] {
  return (nodes ?? []).filter((n): n is T => n !== null);
}

// ---------------------------------------------------------------------------------------------
// GraphQL objects as webhook payloads (snake_case, numeric ids), as the normaliser reads them

function discussionEnvelopes(run: RepoRun, repository: Json, d: GqlDiscussion, comments: GqlComment[]): Envelope[] {
  const id = d.databaseId!;
  const discussion = webhookDiscussion(repository, d);
  const author = webhookUser(d.author);
  const sender = author ?? GHOST;
  const out: Envelope[] = [run.envelope("discussion", `discussion:${id}:${d.updatedAt}`, { action: "created", discussion, repository, sender })];
  if (d.answer && d.answer.databaseId !== null) {
    const chosenAt = d.answerChosenAt ?? d.answer.updatedAt;
    out.push(
      run.envelope("discussion", `discussion-answer:${d.answer.databaseId}:${chosenAt}`, {
        action: "answered",
        discussion,
        answer: webhookComment(repository, d, d.answer),
        repository,
        sender: webhookUser(d.answerChosenBy) ?? sender,
      }),
    );
  }
  if (d.closed && d.closedAt) {
    // The live `closed` event shows the discussion as it was then: closed, updated at closing.
    const closing = { ...discussion, state: "closed", updated_at: d.closedAt };
    out.push(run.envelope("discussion", `discussion-close:${id}:${d.closedAt}`, { action: "closed", discussion: closing, repository, sender }));
  }
  for (const c of comments) {
    out.push(
      run.envelope("discussion_comment", `discussion_comment:${c.databaseId}:${c.updatedAt}`, {
        action: "created",
        comment: webhookComment(repository, d, c),
        discussion,
        repository,
        sender: webhookUser(c.author) ?? GHOST,
      }),
    );
  }
  return out;
}

/** The account GitHub shows for deleted users; only ever a sender here (authors stay `null`). */
const GHOST: Json = { login: "ghost", id: 10137, node_id: "MDQ6VXNlcjEwMTM3", type: "User", site_admin: false, html_url: "https://github.com/ghost" };

function webhookDiscussion(repository: Json, d: GqlDiscussion): Json {
  return {
    repository_url: repository["url"],
    category: webhookCategory(repository, d.category),
    answer_html_url: d.answer?.url ?? null,
    answer_chosen_at: d.answerChosenAt,
    answer_chosen_by: webhookUser(d.answerChosenBy),
    html_url: d.url,
    id: d.databaseId,
    node_id: d.id,
    number: d.number,
    title: d.title,
    user: webhookUser(d.author),
    state: d.closed ? "closed" : "open",
    state_reason: d.stateReason?.toLowerCase() ?? null,
    locked: d.locked,
    comments: d.comments.totalCount ?? 0,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    author_association: d.authorAssociation,
    active_lock_reason: d.activeLockReason?.toLowerCase() ?? null,
    body: d.body,
  };
}

function webhookComment(repository: Json, d: GqlDiscussion, c: GqlComment): Json {
  return {
    id: c.databaseId,
    node_id: c.id,
    html_url: c.url,
    parent_id: c.replyTo?.databaseId ?? null,
    ...(c.replies?.totalCount !== undefined ? { child_comment_count: c.replies.totalCount } : {}),
    repository_url: repository["full_name"],
    discussion_id: d.databaseId,
    author_association: c.authorAssociation,
    user: webhookUser(c.author),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    body: c.body,
  };
}

function webhookCategory(repository: Json, c: GqlCategory): Json {
  return {
    id: categoryDatabaseId(c.id),
    node_id: c.id,
    repository_id: repository["id"],
    emoji: c.emoji,
    name: c.name,
    description: c.description,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    slug: c.slug,
    is_answerable: c.isAnswerable,
  };
}

/** A GraphQL actor as a webhook `user`; null for none (a deleted account) or one without a numeric id. */
export function webhookUser(actor: GqlActor | null): Json | null {
  if (!actor || typeof actor.databaseId !== "number") return null;
  const bot = actor.__typename === "Bot";
  const type = bot ? "Bot" : actor.__typename === "Organization" || actor.__typename === "Mannequin" ? actor.__typename : "User";
  return {
    login: bot && !actor.login.endsWith("[bot]") ? `${actor.login}[bot]` : actor.login,
    id: actor.databaseId,
    avatar_url: actor.avatarUrl ?? null,
    html_url: actor.url,
    type,
    site_admin: false,
  };
}

/**
 * The numeric id of a discussion category, which webhooks carry (`category.id`, and so our
 * channel ids) but GraphQL does not: it has only the node id. GitHub's node ids hold it: the
 * current form is `DIC_` + base64url(MessagePack [0, repository id, category id]), the legacy
 * one base64(`NNN:DiscussionCategoryNNNN`). Either way the last number is the id. A node id of
 * neither form gets a stable number of its own (its channel then differs from live deliveries').
 */
export function categoryDatabaseId(nodeId: string): number {
  const fromNew = nodeId.includes("_") ? lastPackedInteger(Buffer.from(nodeId.slice(nodeId.indexOf("_") + 1), "base64url")) : null;
  if (fromNew !== null) return fromNew;
  const legacy = Buffer.from(nodeId, "base64").toString("latin1");
  let digits = "";
  for (let i = legacy.length - 1; i >= 0 && legacy[i]! >= "0" && legacy[i]! <= "9"; i--) digits = legacy[i] + digits;
  if (digits && legacy.includes(":") && Number.isSafeInteger(Number(digits))) return Number(digits);
  // FNV-1a, 31 bits: stable across runs and machines.
  let h = 0x811c9dc5;
  for (const ch of nodeId) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h & 0x7fffffff;
}

/** The last element of a MessagePack array of non-negative integers; null when the bytes are not one. */
function lastPackedInteger(bytes: Buffer): number | null {
  const head = bytes[0];
  if (head === undefined || head < 0x90 || head > 0x9f) return null;
  const count = head - 0x90;
  let at = 1;
  let value: number | null = null;
  for (let i = 0; i < count; i++) {
    const tag = bytes[at];
    if (tag === undefined) return null;
    if (tag <= 0x7f) {
      value = tag;
      at += 1;
      continue;
    }
    const size = tag === 0xcc ? 1 : tag === 0xcd ? 2 : tag === 0xce ? 4 : tag === 0xcf ? 8 : 0;
    if (size === 0 || at + 1 + size > bytes.length) return null;
    value = size === 8 ? Number(bytes.readBigUInt64BE(at + 1)) : bytes.readUIntBE(at + 1, size);
    at += 1 + size;
  }
  return at === bytes.length && value !== null && Number.isSafeInteger(value) ? value : null;
}
