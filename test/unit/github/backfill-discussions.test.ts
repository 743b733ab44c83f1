// backfillGitHub's discussions, read through the fake GitHub's GraphQL API
// (test/support/fake-github.ts): what it reads and how it pages, the webhook deliveries it queues
// (each one passing the door's shape check and normalising into the thread live webhooks would
// make), rate limits, failures, resuming, and repositories without discussions.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BackfillProgress, SourceBackfillDeps } from "../../../shared/backfill/types.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import { parseConfig, type Config } from "../../../shared/model/config.ts";
import { EnvelopeSchema, type Envelope } from "../../../shared/model/envelope.ts";
import { fixedClock } from "../../../shared/runtime/clock.ts";
import { backfillGitHub, describeFailure } from "../../../shared/sources/github/backfill.ts";
import { categoryDatabaseId } from "../../../shared/sources/github/backfill-discussions.ts";
import type { GitHubSupportedEvent } from "../../../shared/sources/github/classify.ts";
import { normalizeGitHubEnvelope } from "../../../shared/sources/github/index.ts";
import { githubShapeProblem } from "../../../shared/sources/github/shape.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { foldedQuestionStatus } from "../../../shared/threads/status.ts";
import {
  categoryObject,
  discussionCommentObject as comment,
  discussionObject,
  repositoryObject,
  startFakeGitHub,
  user,
  type FakeGitHub,
} from "../../support/fake-github.ts";
import { example } from "./helpers.ts";
import { memoryCursors } from "../../support/memory-cursors.ts";

const TOKEN = "ghp_test_token_discussions_0123";
const NOW = new Date("2026-11-25T01:00:00Z");
const SINCE_30D = new Date("2026-10-26T01:00:00Z");

const asker = user("asker", 9001);
const helper = user("helper", 9002);
const dana = user("dana-okafor", 9003);
const bot = user("helperbot[bot]", 9004);

/** `2026-11-DDTHH:MM:00Z`. */
const at = (day: number, hour = 10, minute = 0) => `2026-11-${String(day).padStart(2, "0")}T${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}:00Z`;

let gh: FakeGitHub;
let config: Config;

/** The forum: discussions of every kind, more than one page of them. */
const FORUM = "acme/forum";
const forum = repositoryObject(FORUM, 501, { hasDiscussions: true });
const qa = categoryObject(forum, 31, { name: "Q&A", isAnswerable: true });
const general = categoryObject(forum, 32, { name: "General", isAnswerable: false });
const D: Record<string, Record<string, any>> = {};

/** Older discussions first, then recent ones: the read has to find where `--since` starts. */
const HISTORY = "acme/history";
const history = repositoryObject(HISTORY, 502, { hasDiscussions: true });

beforeAll(async () => {
  gh = await startFakeGitHub({ token: TOKEN });

  const answer = comment({ author: helper, createdAt: at(11, 11), body: "Set `spin: false`." });
  D.answered = discussionObject(forum, 1, {
    category: qa,
    title: "Why does the widget spin?",
    createdAt: at(11),
    updatedAt: at(11, 12),
    comments: [comment({ author: asker, createdAt: at(11, 10, 30), body: "Still spinning." }), answer],
    answer,
    answerChosenAt: at(11, 12),
  });
  D.unanswered = discussionObject(forum, 2, { category: qa, title: "How do I configure widgets?", createdAt: at(12) });
  const reply = comment({ author: helper, createdAt: at(13, 12), body: "Which version?" });
  D.replied = discussionObject(forum, 3, {
    category: qa,
    title: "Widgets on ARM?",
    createdAt: at(13),
    updatedAt: at(13, 12),
    comments: [comment({ author: asker, createdAt: at(13, 11), body: "Anyone?", replies: [reply] })],
  });
  D.closed = discussionObject(forum, 4, { category: qa, title: "Never mind?", createdAt: at(14), updatedAt: at(14, 14), closedAt: at(14, 14), stateReason: "OUTDATED" });
  // 25 comments (more than the 20 read with the page), the first with 25 replies (more than 20).
  D.busy = discussionObject(forum, 5, {
    category: qa,
    title: "Busy thread?",
    createdAt: at(15),
    updatedAt: at(20),
    comments: Array.from({ length: 25 }, (_, i) =>
      comment({
        author: i % 2 ? asker : bot,
        createdAt: at(16, i % 24, i),
        replies: i === 0 ? Array.from({ length: 25 }, (_, j) => comment({ author: j % 2 ? asker : dana, association: j % 2 ? "NONE" : "MEMBER", createdAt: at(17, j % 24, j) })) : [],
      }),
    ),
  });
  // A comment deleted after it was replied to stays as a placeholder; only the reply counts.
  D.deletedComment = discussionObject(forum, 6, {
    category: qa,
    title: "Deleted answer?",
    createdAt: at(18),
    updatedAt: at(18, 13),
    comments: [comment({ author: helper, createdAt: at(18, 11), deletedAt: at(18, 13), replies: [comment({ author: asker, createdAt: at(18, 12), body: "Thanks!" })] })],
  });
  D.old = discussionObject(forum, 7, { category: qa, title: "Ancient question?", createdAt: "2026-09-02T10:00:00Z" });
  D.ghost = discussionObject(forum, 8, { category: qa, title: "Who asked?", author: null, createdAt: at(19), updatedAt: at(19, 1), comments: [comment({ author: helper, createdAt: at(19, 1) })] });
  // Filler so the discussions take two pages of 100: announcements, not questions.
  const filler = Array.from({ length: 110 }, (_, i) =>
    discussionObject(forum, 100 + i, { category: general, title: `Release ${i}`, author: dana, association: "MEMBER", createdAt: at(21, i % 24, i % 60) }),
  );
  gh.repos.set(FORUM, { repository: forum, issues: [], comments: [], discussions: [...Object.values(D), ...filler] });

  // 150 discussions last updated in September, then 3 in November.
  const hcat = categoryObject(history, 41, { name: "Q&A", isAnswerable: true });
  gh.repos.set(HISTORY, {
    repository: history,
    issues: [],
    comments: [],
    discussions: [
      ...Array.from({ length: 150 }, (_, i) => discussionObject(history, i + 1, { category: hcat, createdAt: `2026-09-${String(1 + (i % 28)).padStart(2, "0")}T10:${String(i % 60).padStart(2, "0")}:00Z` })),
      ...[1, 2, 3].map((n) => discussionObject(history, 200 + n, { category: hcat, title: `Recent ${n}?`, createdAt: at(n + 1) })),
    ],
  });
  config = configFor([FORUM]);
});
afterAll(() => gh.stop());
afterEach(() => gh.clearFaults());

function configFor(repositories: string[], extra: Record<string, unknown> = {}): Config {
  return parseConfig({
    sources: { github: { enabled: true, repositories, apiBaseUrl: gh.url, ...extra } },
    team: [{ name: "Dana", identities: { github: ["dana-okafor"] } }],
  });
}


async function run(overrides: Partial<SourceBackfillDeps> = {}) {
  const sent: Envelope[] = [];
  const progress: BackfillProgress[] = [];
  const logs: string[] = [];
  const cursors = memoryCursors();
  const graphqlBefore = gh.graphql.length;
  const result = await backfillGitHub({
    config,
    token: TOKEN,
    since: SINCE_30D,
    now: fixedClock(NOW),
    send: async (envelopes) => void sent.push(...envelopes),
    cursors,
    onProgress: (p) => progress.push(p),
    log: (line) => logs.push(line),
    retryAfterUnitMs: 1,
    ...overrides,
  });
  return { result, sent, progress, logs, cursors, queries: gh.graphql.slice(graphqlBefore) };
}

function threadsOf(envelopes: Envelope[], cfg = config) {
  const byThread = new Map<string, Activity[]>();
  for (const e of envelopes) {
    for (const a of normalizeGitHubEnvelope(EnvelopeSchema.parse(e), cfg)) {
      const id = a.thread?.id ?? "(none)";
      byThread.set(id, [...(byThread.get(id) ?? []), a]);
    }
  }
  return new Map([...byThread].map(([id, acts]) => [id, foldThread(acts, "any-reply")!]));
}

const threadOf = (d: Record<string, any>) => `github:discussion:${d.databaseId}`;
/** The discussion a cursor of the fake points after (its cursors are base64 `cursor:v2:[time, id]`). */
const cursorItem = (cursor: unknown) => (JSON.parse(Buffer.from(String(cursor), "base64").toString("utf8").slice("cursor:v2:".length)) as number[])[1];
const operation = (q: { query: string }) => /query (\w+)/.exec(q.query)?.[1];

describe("backfillGitHub: discussions", () => {
  it("reads them page by page, oldest update first, and queues the deliveries the webhooks would have made", async () => {
    const { result, sent, progress, queries } = await run();
    expect(result.stopped).toBeNull();

    // Every delivery passes the door's shape check, and normalises.
    for (const e of sent) {
      const payload = JSON.parse(e.body) as Record<string, unknown>;
      expect(githubShapeProblem(e.eventType as GitHubSupportedEvent, payload), e.deliveryId ?? "").toBeNull();
      expect(normalizeGitHubEnvelope(EnvelopeSchema.parse(e), config).length).toBeGreaterThan(0);
      expect(e.headers).toEqual({ "x-github-event": e.eventType, "x-community-signals-backfill": "1" });
      expect(e.deliveryId).toMatch(/^backfill:acme\/forum:(discussion|discussion-answer|discussion-close|discussion_comment):\d+:2026-/);
    }
    expect(new Set(sent.map((e) => e.deliveryId)).size).toBe(sent.length);

    const threads = threadsOf(sent);
    expect(foldedQuestionStatus(threads.get(threadOf(D.answered!))!)).toBe("answered");
    expect(threads.get(threadOf(D.answered!))).toMatchObject({
      acceptedAt: "2026-11-11T12:00:00.000Z",
      acceptedAnswerBy: { login: "helper" },
      firstResponder: { login: "helper" },
      channel: { id: "acme/forum/discussions/31", name: "Discussions / Q&A" },
    });
    expect(foldedQuestionStatus(threads.get(threadOf(D.unanswered!))!)).toBe("needs-first-response");
    // A reply to a comment answers too; no answer is marked, so the thread is nudged for one.
    expect(threads.get(threadOf(D.replied!))).toMatchObject({ replyCount: 2, firstResponder: { login: "helper" }, firstResponseAt: "2026-11-13T12:00:00.000Z" });
    expect(foldedQuestionStatus(threads.get(threadOf(D.replied!))!)).toBe("answered-unmarked");
    expect(foldedQuestionStatus(threads.get(threadOf(D.closed!))!)).toBe("resolved");
    expect(threads.get(threadOf(D.closed!))).toMatchObject({ status: "closed", closedAt: "2026-11-14T14:00:00.000Z" });
    // All 25 comments and all 25 replies of the first, past the 20 read with the page; the bot's
    // comments are replies but not responses, so the first response is the first team reply.
    expect(threads.get(threadOf(D.busy!))).toMatchObject({ replyCount: 50, firstResponder: { login: "dana-okafor", isTeam: true } });
    expect(threads.get(threadOf(D.deletedComment!))).toMatchObject({ replyCount: 1 });
    expect(threads.get(threadOf(D.ghost!))).toMatchObject({ author: { id: "github:user:ghost" }, firstResponder: { login: "helper" } });
    expect(threads.has(threadOf(D.old!))).toBe(false);
    // The filler is in a category without answers: not questions.
    expect(foldedQuestionStatus(threads.get(`github:discussion:${gh.repos.get(FORUM)!.discussions!.at(-1)!.databaseId}`)!)).toBe("not-a-question");

    // Replies carry their parent, as `discussion_comment` webhooks do; bots keep their `[bot]`.
    const comments = sent.filter((e) => e.eventType === "discussion_comment").map((e) => JSON.parse(e.body).comment);
    const replyPayload = comments.find((c) => c.id === D.replied!.comments[0].replies[0].databaseId);
    expect(replyPayload).toMatchObject({ parent_id: D.replied!.comments[0].databaseId, discussion_id: D.replied!.databaseId, user: { login: "helper", id: 9002, type: "User" } });
    expect(comments.find((c) => c.user?.type === "Bot")?.user).toMatchObject({ login: "helperbot[bot]", id: 9004 });

    const scope = result.scopes[0]!;
    expect(scope).toMatchObject({ scope: FORUM, done: true, detail: { discussions: 117, discussionComments: 3 + 1 + 50 + 1 + 1, invalidEnvelopes: 0 } });
    expect(scope.detail!["graphqlPoints"]).toBeGreaterThan(0);
    // One cheap query finds the start; on the first page of 100 the busy discussion's comments
    // and its first comment's replies go past the first 20; then the second page.
    expect(queries.map(operation)).toEqual(["BackfillDiscussionsSeek", "BackfillDiscussions", "BackfillDiscussionComments", "BackfillDiscussionReplies", "BackfillDiscussions"]);
    // It starts right after the one discussion last updated before --since, never reading it.
    expect(queries[1]!.variables).toMatchObject({ owner: "acme", name: "forum", after: expect.any(String) });
    expect(cursorItem(queries[1]!.variables["after"])).toBe(D.old!.databaseId);
    expect(result.scopes[0]).toMatchObject({ pages: 2, items: 117 + 3 + 1 + 50 + 1 + 1 });
    expect(queries[4]!.variables).toMatchObject({ owner: "acme", name: "forum", after: expect.any(String) });
    expect(progress.at(-1)).toMatchObject({ scope: FORUM, done: true, fraction: 1, rateLimitRemaining: gh.graphqlRemaining() });
    const fractions = progress.map((p) => p.fraction ?? 0);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  });

  it("an answered discussion folds as its live webhooks do, whichever arrives first", async () => {
    const { sent } = await run();
    const live = example("discussion", "answered");
    // The real webhook example names the same category id that its node id holds.
    expect(categoryDatabaseId(live.discussion.category.node_id)).toBe(live.discussion.category.id);
    const ours = sent.filter((e) => JSON.parse(e.body).discussion?.id === D.answered!.databaseId);
    const actions = ours.map((e) => `${e.eventType}.${JSON.parse(e.body).action}`).sort();
    expect(actions).toEqual(["discussion.answered", "discussion.created", "discussion_comment.created", "discussion_comment.created"]);
    const answered = JSON.parse(ours.find((e) => JSON.parse(e.body).action === "answered")!.body);
    // The fields a live `answered` delivery has, of the same types.
    for (const key of ["id", "node_id", "html_url", "parent_id", "discussion_id", "author_association", "user", "created_at", "updated_at", "body"]) {
      expect(typeof answered.answer[key], key).toBe(typeof live.answer[key]);
    }
    for (const key of ["id", "node_id", "number", "title", "user", "state", "locked", "comments", "created_at", "updated_at", "author_association", "body", "answer_chosen_at", "html_url"]) {
      expect(typeof answered.discussion[key], key).toBe(typeof live.discussion[key]);
    }
    for (const key of Object.keys(live.discussion.category)) expect(typeof answered.discussion.category[key], key).toBe(typeof live.discussion.category[key]);
  });

  it("finds where --since starts with a cheap query, and reads only from there", async () => {
    const cfg = configFor([HISTORY]);
    const { result, sent, queries } = await run({ config: cfg, since: new Date("2026-11-01T00:00:00Z") });
    expect(result.stopped).toBeNull();
    expect(queries.map(operation)).toEqual(["BackfillDiscussionsSeek", "BackfillDiscussionsSeek", "BackfillDiscussions"]);
    // The full read starts right after the last old one (the 150th): it reads just the 3.
    const lastOld = gh.repos.get(HISTORY)!.discussions!.slice(0, 150).sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt) || a.databaseId - b.databaseId).at(-1)!;
    expect(cursorItem(queries[2]!.variables["after"])).toBe(lastOld.databaseId);
    expect(result.scopes[0]).toMatchObject({ items: 3, pages: 1, detail: { discussions: 3 } });
    expect([...threadsOf(sent, cfg).values()].map((t) => t.title).sort()).toEqual(["Recent 1?", "Recent 2?", "Recent 3?"]);
  });

  it("waits out GraphQL's rate limits, in every form GitHub answers with", async () => {
    gh.failGraphQL("rate-limited", { when: (q) => operation(q) === "BackfillDiscussions" });
    gh.failGraphQL("rate-limit", { when: (q) => operation(q) === "BackfillDiscussionComments" });
    gh.failGraphQL("secondary", { when: (q) => operation(q) === "BackfillDiscussionReplies" });
    gh.failGraphQL("secondary-200", { when: (q) => operation(q) === "BackfillDiscussionsSeek" });
    const { result, sent, logs, queries } = await run();
    expect(result.stopped).toBeNull();
    const log = logs.join("\n");
    // RATE_LIMITED and a 403 secondary limit: the throttling plugin, for the time GitHub states.
    expect(log).toMatch(/github: rate limit on POST \/graphql; retrying in \d+s/);
    expect(log).toMatch(/github: secondary rate limit on POST \/graphql; retrying in 1s/);
    // RATE_LIMIT, and a secondary limit answered with 200 without retry-after (a minute): here.
    expect(log).toMatch(/GraphQL rate limit for acme\/forum; retrying in [12]s/);
    expect(log).toMatch(/GraphQL rate limit for acme\/forum; retrying in 60s/);
    expect(queries.map(operation)).toEqual(["BackfillDiscussionsSeek", "BackfillDiscussionsSeek", "BackfillDiscussions", "BackfillDiscussions", "BackfillDiscussionComments", "BackfillDiscussionComments", "BackfillDiscussionReplies", "BackfillDiscussionReplies", "BackfillDiscussions"]);
    expect(threadsOf(sent).get(threadOf(D.busy!))).toMatchObject({ replyCount: 50 });
  });

  it("a rate limit that does not recover stops the source, saying when to run it again", async () => {
    gh.failGraphQL("rate-limited", { times: 10 });
    const { result } = await run();
    expect(result.stopped?.scope).toBe(FORUM);
    expect(result.stopped?.reason).toMatch(/GraphQL rate limit.*GITHUB_TOKEN.*spent/);
    expect(result.stopped?.reason).toMatch(/run backfill again later, it resumes where it stopped/);
    // The first try and 3 retries, each after GitHub's stated wait.
    expect(gh.graphql.slice(-4).map(operation)).toEqual(Array(4).fill("BackfillDiscussionsSeek"));
  });

  it("a GraphQL 401 or a token without access to discussions stops with the token's name and what it needs", async () => {
    gh.failGraphQL("unauthorized");
    const refused = await run();
    expect(refused.result.stopped?.scope).toBe(FORUM);
    expect(refused.result.stopped?.reason).toMatch(/GitHub refused GITHUB_TOKEN \(401/);
    expect(refused.result.stopped?.reason).toMatch(/Discussions: read/);

    gh.failGraphQL("forbidden");
    const named = configFor([FORUM], { tokenSecretName: "ACME_GH_TOKEN" });
    const forbidden = await run({ config: named });
    expect(forbidden.result.stopped?.reason).toMatch(/ACME_GH_TOKEN may not read the discussions of acme\/forum \(GraphQL FORBIDDEN: Resource not accessible/);
    expect(forbidden.result.stopped?.reason).toMatch(/Discussions: read/);
    expect(forbidden.sent).toEqual([]);
    expect(forbidden.cursors.values.has(`${FORUM}#discussions`)).toBe(false);

    // A repository the REST API shows but GraphQL does not (GitHub answers NOT_FOUND then).
    const notFound = { name: "GraphqlResponseError", message: "Request failed", errors: [{ type: "NOT_FOUND", message: "Could not resolve to a Repository with the name 'acme/forum'." }] };
    expect(describeFailure(notFound, "GITHUB_TOKEN", FORUM)).toMatch(/^acme\/forum was not found through GitHub's GraphQL API, or GITHUB_TOKEN cannot see it \(NOT_FOUND: .*Discussions: read/);
  });

  it("a 500 mid-way stops; a rerun resumes from the cursor without sending anything twice", async () => {
    const full = (await run()).sent;
    let pages = 0;
    gh.failGraphQL("500", { when: (q) => operation(q) === "BackfillDiscussions" && ++pages === 2 });
    const first = await run();
    expect(first.result.stopped?.reason).toMatch(/GitHub answered 500/);
    expect(first.cursors.values.get(`${FORUM}#discussions`)).toMatch(/^2026-11-21T\d\d:\d\d:00Z \d+/);
    const sent = [...first.sent];
    const second = await run({ cursors: first.cursors, send: async (e) => void sent.push(...e) });
    expect(second.result.stopped).toBeNull();
    expect(second.result.envelopes).toBeGreaterThan(0);
    // The rerun's cheap query found the cursor's page and read on from there.
    expect(second.queries.filter((q) => operation(q) === "BackfillDiscussions")).toHaveLength(1);
    const ids = (list: Envelope[]) => list.map((e) => e.deliveryId).sort();
    expect(ids(sent)).toEqual(ids(full));
    // And a third run sends nothing.
    const third = await run({ cursors: first.cursors });
    expect(third.result.envelopes).toBe(0);
  });

  it("a repository with discussions turned off, or with none, has 0 and is not an error", async () => {
    gh.repos.set("acme/quiet", { repository: repositoryObject("acme/quiet", 503, { hasDiscussions: true }), issues: [], comments: [], discussions: [] });
    gh.repos.set("acme/plain", { repository: repositoryObject("acme/plain", 504), issues: [], comments: [] });
    const { result, queries } = await run({ config: configFor(["acme/quiet", "acme/plain"]) });
    expect(result.stopped).toBeNull();
    expect(result.scopes.map((s) => [s.scope, s.done, s.envelopes, s.detail?.["discussions"]])).toEqual([
      ["acme/quiet", true, 0, 0],
      ["acme/plain", true, 0, 0],
    ]);
    // The empty one took one cheap query; the one without discussions none.
    expect(queries.map(operation)).toEqual(["BackfillDiscussionsSeek"]);
  });

  it("--dry-run reads and counts, sends nothing and moves no cursor", async () => {
    const { result, sent, cursors } = await run({ dryRun: true });
    expect(sent).toEqual([]);
    expect(cursors.values.size).toBe(0);
    expect(result.scopes[0]!.detail).toMatchObject({ discussions: 117 });
    expect(result.envelopes).toBeGreaterThan(117);
  });
});

describe("categoryDatabaseId", () => {
  it("reads the numeric id out of GitHub's node ids, current and legacy", () => {
    // Real category ids (giscus embeds): MessagePack [0, repository id, category id].
    expect(categoryDatabaseId("DIC_kwDOEZYj_M4Cxfqj")).toBe(0x02c5faa3);
    expect(categoryDatabaseId("DIC_kwDOHQjqYs4CUQpy")).toBe(0x02510a72);
    // The legacy form of the webhook examples: base64 of `012:DiscussionCache32809315`.
    expect(categoryDatabaseId("MDEyOkRpc2N1c3Npb25DYWNoZTMyODA5MzE1")).toBe(32809315);
    // Anything else: a stable number, the same every time.
    const odd = categoryDatabaseId("not-a-node-id");
    expect(Number.isSafeInteger(odd)).toBe(true);
    expect(categoryDatabaseId("not-a-node-id")).toBe(odd);
  });
});

describe("the fake GraphQL API", () => {
  const post = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`${gh.url}/graphql`, {
      method: "POST",
      headers: { authorization: `bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, resource: res.headers.get("x-ratelimit-resource"), body: (await res.json()) as { data?: any; errors?: { message: string; type?: string }[] } };
  };
  const messages = (r: { body: { errors?: { message: string }[] } }) => (r.body.errors ?? []).map((e) => e.message);

  it("refuses what GitHub refuses, with GitHub's messages", async () => {
    expect(messages(await post(`{ repository(owner: "acme", name: "forum") { discussions(first: 1, since: "2026-01-01") { nodes { id } } } }`))).toEqual([
      "Field 'discussions' doesn't accept argument 'since'",
    ]);
    expect(messages(await post(`{ repository(owner: "acme", name: "forum") { discussions(first: 1) { nodes { closedBy { login } } } } }`))).toEqual([
      "Field 'closedBy' doesn't exist on type 'Discussion'",
    ]);
    expect(messages(await post(`{ repository(owner: "acme", name: "forum") { discussions { nodes { id } } } }`))).toEqual([
      "You must provide a `first` or `last` value to properly paginate the `discussions` connection.",
    ]);
    expect(messages(await post(`{ repository(owner: "acme", name: "forum") { discussions(first: 101) { nodes { id } } } }`))).toEqual([
      "Requesting 101 records on the `discussions` connection exceeds the `first` limit of 100 records.",
    ]);
    expect(messages(await post(`query { rateLimit { cost } } fragment Unused on Discussion { id }`))).toEqual(["Fragment Unused was defined, but not used"]);
    const deep = `{ repository(owner: "acme", name: "forum") { discussions(first: 100) { nodes { comments(first: 100) { nodes { replies(first: 100) { nodes { id } } } } } } } }`;
    expect(messages(await post(deep))).toEqual(["This query requests up to 1,010,100 possible nodes which exceeds the maximum limit of 500,000."]);
    const missing = await post(`{ repository(owner: "acme", name: "nope") { id } }`);
    expect(missing.body).toMatchObject({ data: { repository: null }, errors: [{ type: "NOT_FOUND", path: ["repository"], message: "Could not resolve to a Repository with the name 'acme/nope'." }] });
  });

  it("answers in the documented shape, and costs a query by GitHub's formula", async () => {
    const r = await post(`query($owner: String!, $name: String!) {
      repository(owner: $owner, name: $name) {
        discussions(first: 2, orderBy: {field: CREATED_AT, direction: ASC}) {
          totalCount
          pageInfo { hasNextPage endCursor }
          edges { cursor node { number author { __typename login ... on User { databaseId } } category { isAnswerable } comments(first: 10) { totalCount } } }
        }
      }
      rateLimit { cost remaining }
    }`, { owner: "acme", name: "forum" });
    expect(r.status).toBe(200);
    expect(r.resource).toBe("graphql");
    const discussions = r.body.data.repository.discussions;
    expect(discussions).toMatchObject({ totalCount: 118, pageInfo: { hasNextPage: true, endCursor: discussions.edges[1].cursor } });
    expect(discussions.edges[0].node).toMatchObject({ number: 7, author: { __typename: "User", login: "asker", databaseId: 9001 }, category: { isAnswerable: true }, comments: { totalCount: 0 } });
    // 1 request for the discussions and 2 for their comments: 3 of 100, at least 1 point.
    expect(r.body.data.rateLimit.cost).toBe(1);
  });
});
