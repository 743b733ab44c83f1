// backfillGitHub's issues and comments against the fake GitHub REST API
// (test/support/fake-github.ts): what it reads, what it queues, and that the queued envelopes
// fold into the threads live webhooks would make. Discussions: backfill-discussions.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../../../shared/model/config.ts";
import { EnvelopeSchema, type Envelope } from "../../../shared/model/envelope.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import { fixedClock } from "../../../shared/runtime/clock.ts";
import type { BackfillProgress, SourceBackfillDeps } from "../../../shared/backfill/types.ts";
import { backfillGitHub } from "../../../shared/sources/github/backfill.ts";
import { normalizeGitHubEnvelope } from "../../../shared/sources/github/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { foldedQuestionStatus } from "../../../shared/threads/status.ts";
import { commentObject, issueObject, repositoryObject, startFakeGitHub, user, type FakeGitHub } from "../../support/fake-github.ts";
import { memoryCursors } from "../../support/memory-cursors.ts";

const TOKEN = "ghp_test_token_0123456789";
const REPO = "acme/widgets";
const NOW = new Date("2026-11-25T01:00:00Z");
const SINCE_30D = new Date("2026-10-26T01:00:00Z");

const asker = user("asker", 9001);
const other = user("helper", 9002);
const dana = user("dana-okafor", 9003);

let gh: FakeGitHub;
let config: Config;
/** Issue numbers by role in the fake repository. */
const N = { unanswered: 1, answered: 2, closed: 3, pull: 4, oldCommented: 5, old: 6, busy: 7 };

beforeAll(async () => {
  gh = await startFakeGitHub({ token: TOKEN });
  const at = (day: number, hour = 10) => `2026-11-${String(day).padStart(2, "0")}T${String(hour).padStart(2, "0")}:00:00Z`;
  const issues = [
    issueObject(REPO, N.unanswered, { title: "How do I configure widgets?", createdAt: at(10) }),
    issueObject(REPO, N.answered, { title: "Why does the widget spin?", createdAt: at(11), updatedAt: at(11, 12) }),
    issueObject(REPO, N.closed, { title: "Never mind?", createdAt: at(12), closedAt: at(12, 14), updatedAt: at(12, 14) }),
    issueObject(REPO, N.pull, { title: "Fix spinning", createdAt: at(13), pullRequest: true, author: other }),
    issueObject(REPO, N.oldCommented, { title: "Old question?", createdAt: "2026-09-01T10:00:00Z" }),
    issueObject(REPO, N.old, { title: "Ancient question?", createdAt: "2026-09-02T10:00:00Z" }),
    issueObject(REPO, N.busy, { title: "Busy thread?", createdAt: at(14), updatedAt: at(20) }),
    // Filler so the issues list takes two pages of 100: opened by the team, not questions.
    ...Array.from({ length: 110 }, (_, i) =>
      issueObject(REPO, 100 + i, { title: `Chore ${i}`, author: dana, association: "MEMBER", createdAt: `2026-11-15T${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00Z` }),
    ),
  ];
  const comments = [
    commentObject(REPO, N.answered, { author: dana, association: "MEMBER", createdAt: at(11, 12) }),
    commentObject(REPO, N.pull, { author: dana, association: "MEMBER", createdAt: at(13, 12) }),
    // The old issue is outside --since 30d, but was commented on since: fetched once for both.
    commentObject(REPO, N.oldCommented, { author: other, createdAt: at(16) }),
    commentObject(REPO, N.oldCommented, { author: other, createdAt: at(16, 11) }),
    // A busy thread whose comments take the comment list to a second page.
    ...Array.from({ length: 100 }, (_, i) =>
      commentObject(REPO, N.busy, { author: i % 2 ? asker : other, createdAt: `2026-11-17T${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00Z` }),
    ),
  ];
  gh.repos.set(REPO, { repository: repositoryObject(REPO, 77), issues, comments });
  config = parseConfig({
    sources: { github: { enabled: true, repositories: [REPO], apiBaseUrl: gh.url } },
    team: [{ name: "Dana", identities: { github: ["dana-okafor"] } }],
  });
});
afterAll(() => gh.stop());


async function run(overrides: Partial<SourceBackfillDeps> = {}) {
  const sent: Envelope[] = [];
  const progress: BackfillProgress[] = [];
  const logs: string[] = [];
  const cursors = memoryCursors();
  const result = await backfillGitHub({
    config,
    token: TOKEN,
    since: SINCE_30D,
    now: fixedClock(NOW),
    send: async (envelopes) => void sent.push(...envelopes),
    cursors,
    onProgress: (p) => progress.push(p),
    log: (line) => logs.push(line),
    ...overrides,
  });
  return { result, sent, progress, logs, cursors };
}

function threadsOf(envelopes: Envelope[]) {
  const byThread = new Map<string, Activity[]>();
  for (const e of envelopes) {
    for (const a of normalizeGitHubEnvelope(EnvelopeSchema.parse(e), config)) {
      const id = a.thread?.id ?? "(none)";
      byThread.set(id, [...(byThread.get(id) ?? []), a]);
    }
  }
  return new Map([...byThread].map(([id, acts]) => [id, foldThread(acts, "any-reply")!]));
}

const issueId = (n: number) => `github:issue:${gh.repos.get(REPO)!.issues.find((i) => i.number === n)!.id}`;
const listed = (what: "issues" | "issues/comments") => gh.requests.filter((r) => r.startsWith(`GET /repos/${REPO}/${what}?`));

describe("backfillGitHub", () => {
  it("queues issues and comments that normalise into the threads live webhooks would make", async () => {
    const before = gh.requests.length;
    const { result, sent, progress } = await run();
    expect(result.stopped).toBeNull();
    for (const e of sent) {
      expect(EnvelopeSchema.parse(e)).toMatchObject({ source: "github", headers: { "x-github-event": e.eventType, "x-community-signals-backfill": "1" } });
      expect(e.deliveryId).toMatch(/^backfill:acme\/widgets:(issue|issue-close|comment):\d+:2026-/);
    }
    const threads = threadsOf(sent);
    expect(foldedQuestionStatus(threads.get(issueId(N.unanswered))!)).toBe("needs-first-response");
    expect(foldedQuestionStatus(threads.get(issueId(N.answered))!)).toBe("answered");
    expect(foldedQuestionStatus(threads.get(issueId(N.closed))!)).toBe("resolved");
    expect(foldedQuestionStatus(threads.get(issueId(N.oldCommented))!)).toBe("answered");
    // Pull requests (and comments on them) are not backfilled yet; issues outside --since are not read.
    expect([...threads.keys()].some((id) => id.includes("pull"))).toBe(false);
    expect(threads.has(issueId(N.old))).toBe(false);
    expect(result).toMatchObject({ source: "github", stopped: null });
    expect(result.scopes[0]).toMatchObject({ scope: REPO, done: true, detail: { skippedPullRequests: 1, skippedComments: 1, comments: 103, discussions: 0 } });
    // Every delivery is unique, and the same ids come back on every run.
    expect(new Set(sent.map((e) => e.deliveryId)).size).toBe(sent.length);
    // Pages followed by Link header: 2 of issues, 2 of comments; the old issue fetched once.
    const served = gh.requests.slice(before);
    expect(served.filter((r) => r.includes("/issues?")).length).toBe(2);
    expect(served.filter((r) => r.includes("/issues/comments?")).length).toBe(2);
    expect(served.filter((r) => r === `GET /repos/${REPO}/issues/${N.oldCommented}`).length).toBe(1);
    expect(result.requests).toBe(6);
    expect(served.length).toBe(6);
    expect(progress.at(-1)).toMatchObject({ source: "github", scope: REPO, pages: 4, done: true, fraction: 1, rateLimitRemaining: expect.any(Number) });
    // Progress only moves forward: each list (issues, comments, discussions) is read oldest first.
    const fractions = progress.map((p) => p.fraction ?? 0);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions[0]).toBeGreaterThan(0);
    expect(fractions[0]).toBeLessThan(1 / 3);
  });

  it("--since filters what is read", async () => {
    const { sent } = await run({ since: new Date("2026-11-12T00:00:00Z") });
    const threads = threadsOf(sent);
    expect(threads.has(issueId(N.unanswered))).toBe(false);
    expect(threads.has(issueId(N.closed))).toBe(true);
    expect(threads.has(issueId(N.busy))).toBe(true);
    // The answered issue was updated before --since; its comment too, so it is not read at all.
    expect(threads.has(issueId(N.answered))).toBe(false);
  });

  it("a second run from the same cursors sends nothing; one without them changes no thread", async () => {
    const first = await run();
    const again = await backfillGitHub({ config, token: TOKEN, since: SINCE_30D, now: fixedClock(NOW), send: async (e) => void first.sent.push(...e.map((x) => x)), cursors: first.cursors });
    expect(again.envelopes).toBe(0);
    const fresh = await run();
    expect(threadsOf([...first.sent, ...fresh.sent])).toEqual(threadsOf(first.sent));
  });

  it("waits out a secondary rate limit", async () => {
    gh.failNext(/\/issues\?/, "secondary");
    const before = gh.requests.length;
    const { result, sent, logs } = await run({ retryAfterUnitMs: 1 });
    expect(result.stopped).toBeNull();
    expect(logs.join("\n")).toMatch(/secondary rate limit.*retrying in 1s/);
    // The refused page was asked for again.
    expect(gh.requests.slice(before).filter((r) => r.startsWith(`GET /repos/${REPO}/issues?`) && !r.includes("page=2")).length).toBe(2);
    expect(threadsOf(sent).has(issueId(N.unanswered))).toBe(true);
  });

  it("a 401 stops the source with a message naming the token and the scope it needs", async () => {
    const { result, sent } = await run({ token: "wrong" });
    expect(sent).toEqual([]);
    expect(result.stopped?.scope).toBe(REPO);
    expect(result.stopped?.reason).toMatch(/GITHUB_TOKEN/);
    expect(result.stopped?.reason).toMatch(/public_repo/);
    expect(result.stopped?.reason).toMatch(/repo scope/);
    expect(result.stopped?.reason).toMatch(/Issues: read/);
    expect(result.stopped?.reason).toMatch(/Discussions: read/);
    const named = parseConfig({ sources: { github: { repositories: [REPO], apiBaseUrl: gh.url, tokenSecretName: "ACME_GH_TOKEN" } } });
    const other = await run({ token: "wrong", config: named });
    expect(other.result.stopped?.reason).toMatch(/ACME_GH_TOKEN/);
  });

  it("a 500 mid-way stops; a rerun resumes from the cursor without sending anything twice", async () => {
    const full = (await run()).sent.length;
    gh.failNext(/\/issues\/comments\?.*page=2/, "500");
    const first = await run();
    expect(first.result.stopped?.reason).toMatch(/500/);
    expect(first.cursors.values.get(`${REPO}#issues`)).toMatch(/^2026-11-20T10:00:00Z /);
    expect(first.cursors.values.get(`${REPO}#comments`)).toMatch(/^2026-11-17T/);
    const sent = [...first.sent];
    const second = await backfillGitHub({ config, token: TOKEN, since: SINCE_30D, now: fixedClock(NOW), send: async (e) => void sent.push(...e), cursors: first.cursors });
    expect(second.stopped).toBeNull();
    expect(second.envelopes).toBeGreaterThan(0);
    expect(sent.length).toBe(full);
    expect(new Set(sent.map((e) => `${e.deliveryId}:${JSON.parse(e.body).action}`)).size).toBe(full);
    expect(listed("issues").length).toBeGreaterThan(0);
  });

  it("--dry-run reads and counts, sends nothing and moves no cursor", async () => {
    const { result, sent, cursors } = await run({ dryRun: true });
    expect(sent).toEqual([]);
    expect(cursors.values.size).toBe(0);
    expect(result.envelopes).toBeGreaterThan(100);
  });
});
