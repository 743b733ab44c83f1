// Property: for any repository history (issues and discussions, comments and replies, answers
// marked, closes, by askers, helpers, the team and bots), what backfill reads afterwards from the
// fake GitHub (REST and GraphQL), mixed with the live webhook deliveries for the same objects in
// any order and with repeats, folds into exactly the threads the live deliveries alone make; and
// backfill alone agrees with them on what the digest needs.
//
// It fails when a backfilled delivery names a fact differently from the live one, for instance:
// a discussion's close stamped with its current `updated_at` instead of `closedAt` (the thread
// then carries two closes and a later `closedAt`), an accepted answer stamped with the answer's
// `updated_at` instead of `answer_chosen_at`, a category id not read out of its node id (the
// thread moves to another channel), replies keyed by node id (each counted twice), or users given
// a `name` the webhooks do not carry (the first responder changes).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Activity } from "../../../shared/model/activity.ts";
import { parseConfig, type Config } from "../../../shared/model/config.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";
import type { AnswerPolicy, Thread } from "../../../shared/model/thread.ts";
import { fixedClock } from "../../../shared/runtime/clock.ts";
import { backfillGitHub } from "../../../shared/sources/github/backfill.ts";
import { normalizeGitHubEnvelope } from "../../../shared/sources/github/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import {
  categoryObject,
  commentObject,
  discussionCommentObject,
  discussionObject,
  issueObject,
  repositoryObject,
  startFakeGitHub,
  user,
  type FakeGitHub,
} from "../../support/fake-github.ts";
import { envelopeFor, example } from "./helpers.ts";

const TOKEN = "ghp_property_token_0123456789";
const T0 = Date.parse("2026-11-10T00:00:00Z");
const SINCE = new Date("2026-11-01T00:00:00Z");
const NOW = new Date("2026-12-20T00:00:00Z");
const POLICIES: AnswerPolicy[] = ["any-reply", "team-reply", "accepted"];

/** Who acts: an asker, a helper, a team member (by roster and association), a bot. */
const PEOPLE = [
  { user: user("asker", 9001), association: "NONE" },
  { user: user("helper", 9002), association: "CONTRIBUTOR" },
  { user: user("dana-okafor", 9003), association: "MEMBER" },
  { user: user("helperbot[bot]", 9004), association: "NONE" },
];
const person = fc.integer({ min: 0, max: PEOPLE.length - 1 });

interface Say {
  by: number;
  /** Minutes after what it answers (the thread's opening, or the comment it replies to). */
  after: number;
}
interface IssuePlan {
  by: number;
  comments: Say[];
  close: { after: number; by: number } | null;
}
interface DiscussionPlan {
  by: number;
  answerable: boolean;
  comments: (Say & { replies: Say[] })[];
  /** Which top-level comment gets marked as the answer, and how long after it was written. */
  answer: { pick: number; after: number } | null;
  close: { after: number; by: number } | null;
}
interface World {
  issues: IssuePlan[];
  discussions: DiscussionPlan[];
}

const say = fc.record({ by: person, after: fc.integer({ min: 0, max: 3000 }) });
const close = fc.option(fc.record({ after: fc.integer({ min: 0, max: 6000 }), by: person }), { nil: null });
const world: fc.Arbitrary<World> = fc.record({
  issues: fc.array(fc.record({ by: person, comments: fc.array(say, { maxLength: 4 }), close }), { maxLength: 3 }),
  discussions: fc.array(
    fc.record({
      by: person,
      answerable: fc.boolean(),
      comments: fc.array(fc.record({ by: person, after: fc.integer({ min: 0, max: 3000 }), replies: fc.array(say, { maxLength: 3 }) }), { maxLength: 4 }),
      answer: fc.option(fc.record({ pick: fc.nat(), after: fc.integer({ min: 0, max: 2000 }) }), { nil: null }),
      close,
    }),
    { maxLength: 3 },
  ),
});

const minutes = (n: number) => n * 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

interface Event {
  at: number;
  eventType: string;
  payload: Record<string, unknown>;
}

/**
 * The repository as it ends up (REST issues and comments, GraphQL discussions, for the fake)
 * and every live delivery GitHub sent on the way, built from its webhook examples.
 */
function play(w: World, fullName: string, repository: Record<string, any>) {
  const events: Event[] = [];
  const issues: Record<string, any>[] = [];
  const comments: Record<string, any>[] = [];
  const discussions: Record<string, any>[] = [];

  w.issues.forEach((plan, i) => {
    const number = i + 1;
    const opened = T0 + i * minutes(60 * 24);
    const author = PEOPLE[plan.by]!;
    const said = plan.comments.map((c) => ({ ...c, at: opened + minutes(c.after) }));
    const closedAt = plan.close ? opened + minutes(plan.close.after) : null;
    const updated = Math.max(opened, ...said.map((c) => c.at), closedAt ?? 0);
    const issue = issueObject(fullName, number, {
      author: author.user,
      association: author.association,
      createdAt: iso(opened),
      updatedAt: iso(updated),
      closedAt: closedAt === null ? null : iso(closedAt),
    });
    issues.push(issue);
    const asOf = (t: number) => {
      const closed = closedAt !== null && closedAt <= t;
      return { ...issue, state: closed ? "closed" : "open", state_reason: closed ? "completed" : null, closed_at: closed ? iso(closedAt) : null, updated_at: iso(t) };
    };
    events.push({ at: opened, eventType: "issues", payload: { action: "opened", issue: asOf(opened), repository, sender: author.user } });
    for (const c of said) {
      const who = PEOPLE[c.by]!;
      const comment = commentObject(fullName, number, { author: who.user, association: who.association, createdAt: iso(c.at) });
      comments.push(comment);
      events.push({ at: c.at, eventType: "issue_comment", payload: { action: "created", issue: asOf(c.at), comment, repository, sender: who.user } });
    }
    if (plan.close && closedAt !== null) {
      events.push({ at: closedAt, eventType: "issues", payload: { action: "closed", issue: asOf(closedAt), repository, sender: PEOPLE[plan.close.by]!.user } });
    }
  });

  const qa = categoryObject(repository, 31, { name: "Q&A", isAnswerable: true });
  const general = categoryObject(repository, 32, { name: "General", isAnswerable: false });
  const template = example("discussion", "created").discussion;
  const commentTemplate = example("discussion_comment", "created").comment;
  w.discussions.forEach((plan, i) => {
    const number = 100 + i;
    const opened = T0 + i * minutes(60 * 24) + minutes(30);
    const author = PEOPLE[plan.by]!;
    const category = plan.answerable ? qa : general;
    const said = plan.comments.map((c) => {
      const at = opened + minutes(c.after);
      return { ...c, at, replies: c.replies.map((r) => ({ ...r, at: at + minutes(r.after) })) };
    });
    const stored = said.map((c) =>
      discussionCommentObject({
        author: PEOPLE[c.by]!.user,
        association: PEOPLE[c.by]!.association,
        createdAt: iso(c.at),
        replies: c.replies.map((r) => discussionCommentObject({ author: PEOPLE[r.by]!.user, association: PEOPLE[r.by]!.association, createdAt: iso(r.at) })),
      }),
    );
    // Only top-level comments in answerable categories can be marked.
    const answerAt = plan.answer && plan.answerable && said.length > 0 ? plan.answer.pick % said.length : null;
    const chosenAt = answerAt === null ? null : said[answerAt]!.at + minutes(plan.answer!.after);
    const closedAt = plan.close ? opened + minutes(plan.close.after) : null;
    const times = [opened, ...said.flatMap((c) => [c.at, ...c.replies.map((r) => r.at)]), chosenAt ?? 0, closedAt ?? 0];
    const d = discussionObject(repository, number, {
      category,
      title: `Question ${number}?`,
      author: author.user,
      association: author.association,
      createdAt: iso(opened),
      updatedAt: iso(Math.max(...times)),
      comments: stored,
      ...(answerAt !== null ? { answer: stored[answerAt]!, answerChosenAt: iso(chosenAt!), answerChosenBy: author.user } : {}),
      closedAt: closedAt === null ? null : iso(closedAt),
    });
    discussions.push(d);

    // The webhook's discussion as it stood at `t` (the example's shape, our values).
    const asOf = (t: number) => {
      const answered = chosenAt !== null && chosenAt <= t;
      const closed = closedAt !== null && closedAt <= t;
      return {
        ...template,
        repository_url: repository.url,
        category: { ...template.category, id: plan.answerable ? 31 : 32, node_id: category.id, repository_id: repository.id, name: category.name, slug: category.slug, is_answerable: plan.answerable },
        answer_html_url: answered ? stored[answerAt!]!.url : null,
        answer_chosen_at: answered ? iso(chosenAt!) : null,
        answer_chosen_by: answered ? author.user : null,
        html_url: d.url,
        id: d.databaseId,
        node_id: d.id,
        number,
        title: d.title,
        user: author.user,
        state: closed ? "closed" : "open",
        state_reason: closed ? "resolved" : null,
        comments: said.filter((c) => c.at <= t).length,
        created_at: iso(opened),
        updated_at: iso(t),
        author_association: author.association,
        body: d.body,
      };
    };
    const commentPayload = (c: Record<string, any>, parent: Record<string, any> | null, who: (typeof PEOPLE)[number]) => ({
      ...commentTemplate,
      id: c.databaseId,
      node_id: c.id,
      html_url: c.url,
      parent_id: parent?.databaseId ?? null,
      child_comment_count: 0,
      repository_url: fullName,
      discussion_id: d.databaseId,
      author_association: who.association,
      user: who.user,
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      body: c.body,
    });
    events.push({ at: opened, eventType: "discussion", payload: { action: "created", discussion: asOf(opened), repository, sender: author.user } });
    said.forEach((c, k) => {
      const who = PEOPLE[c.by]!;
      events.push({ at: c.at, eventType: "discussion_comment", payload: { action: "created", comment: commentPayload(stored[k]!, null, who), discussion: asOf(c.at), repository, sender: who.user } });
      c.replies.forEach((r, j) => {
        const rwho = PEOPLE[r.by]!;
        const reply = stored[k]!.replies[j];
        events.push({ at: r.at, eventType: "discussion_comment", payload: { action: "created", comment: commentPayload(reply, stored[k]!, rwho), discussion: asOf(r.at), repository, sender: rwho.user } });
      });
    });
    if (answerAt !== null) {
      const answer = commentPayload(stored[answerAt]!, null, PEOPLE[said[answerAt]!.by]!);
      events.push({ at: chosenAt!, eventType: "discussion", payload: { action: "answered", discussion: asOf(chosenAt!), answer, repository, sender: author.user } });
    }
    if (plan.close && closedAt !== null) {
      events.push({ at: closedAt, eventType: "discussion", payload: { action: "closed", discussion: asOf(closedAt), repository, sender: PEOPLE[plan.close.by]!.user } });
    }
  });

  events.sort((a, b) => a.at - b.at);
  const live = events.map((e, n) => envelopeFor(e.eventType, e.payload, { id: `live-${n}`, deliveryId: `live-${n}`, receivedAt: new Date(e.at + 1500).toISOString(), headers: { "x-github-event": e.eventType } }));
  return { issues, comments, discussions, live };
}

function threads(envelopes: Envelope[], config: Config, policy: AnswerPolicy): Map<string, Thread> {
  const byThread = new Map<string, Activity[]>();
  for (const e of envelopes) {
    for (const a of normalizeGitHubEnvelope(e, config)) {
      const id = a.thread?.id ?? "(none)";
      byThread.set(id, [...(byThread.get(id) ?? []), a]);
    }
  }
  return new Map([...byThread].map(([id, acts]) => [id, foldThread(acts, policy)!]));
}

/** A deterministic shuffle of `items` with some of them repeated, driven by `seed`. */
function shuffledWithRepeats<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0 || 1;
  const next = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0);
  const out = [...items, ...items.filter(() => next() % 3 === 0)];
  for (let i = out.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

let gh: FakeGitHub;
let runs = 0;

beforeAll(async () => {
  gh = await startFakeGitHub({ token: TOKEN });
});
afterAll(() => gh.stop());

describe("backfilled and live GitHub deliveries", () => {
  it("fold into the threads the live ones alone make, in any order and with repeats", async () => {
    await fc.assert(
      fc.asyncProperty(world, fc.integer(), async (w, seed) => {
        const fullName = `acme/prop-${++runs}`;
        const repository = repositoryObject(fullName, 7000 + runs, { hasDiscussions: true });
        const { issues, comments, discussions, live } = play(w, fullName, repository);
        gh.repos.set(fullName, { repository, issues, comments, discussions });
        const config = parseConfig({
          sources: { github: { enabled: true, repositories: [fullName], apiBaseUrl: gh.url } },
          team: [{ name: "Dana", identities: { github: ["dana-okafor"] } }],
        });

        const sent: Envelope[] = [];
        const values = new Map<string, string>();
        const result = await backfillGitHub({
          config,
          token: TOKEN,
          since: SINCE,
          now: fixedClock(NOW),
          send: async (e) => void sent.push(...e),
          cursors: { get: async (k) => values.get(k) ?? null, set: async (k, v) => void values.set(k, v) },
          retryAfterUnitMs: 1,
        });
        expect(result.stopped).toBeNull();
        expect(result.scopes[0]!.detail).toMatchObject({ issues: issues.length, discussions: discussions.length, invalidEnvelopes: 0 });

        for (const policy of POLICIES) {
          const alone = threads(live, config, policy);
          const mixed = threads(shuffledWithRepeats([...live, ...sent], seed), config, policy);
          expect(mixed).toEqual(alone);
          const backfilled = threads(shuffledWithRepeats(sent, seed), config, policy);
          expect([...backfilled.keys()].sort()).toEqual([...alone.keys()].sort());
          for (const [id, thread] of alone) {
            expect(backfilled.get(id), id).toMatchObject({
              status: thread.status,
              questionStatus: thread.questionStatus,
              isQuestion: thread.isQuestion,
              channel: thread.channel,
              replyCount: thread.replyCount,
              createdAt: thread.createdAt,
              firstResponseAt: thread.firstResponseAt,
              firstResponder: thread.firstResponder,
              acceptedAt: thread.acceptedAt,
              acceptedAnswerBy: thread.acceptedAnswerBy,
              closedAt: thread.closedAt,
              author: thread.author,
            });
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
