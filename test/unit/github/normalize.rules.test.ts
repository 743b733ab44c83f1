import { describe, expect, it } from "vitest";
import type { Activity } from "../../../shared/model/activity.ts";
import type { ConfigInput } from "../../../shared/model/config.ts";
import { normalizeGitHubEnvelope } from "../../../shared/sources/github/index.ts";
import { NormalizeError } from "../../../shared/sources/types.ts";
import { RECEIVED_AT, configWith, envelopeFor, example, fixture } from "./helpers.ts";
import type { Payload } from "./helpers.ts";

const defaults = configWith({});

function run(event: string, payload: unknown, config = defaults, overrides = {}): Activity[] {
  return normalizeGitHubEnvelope(envelopeFor(event, payload, overrides), config);
}

function one(activities: Activity[], kind: Activity["kind"]): Activity {
  const found = activities.filter((a) => a.kind === kind);
  expect(found, `exactly one ${kind} in ${activities.map((a) => a.kind).join(",")}`).toHaveLength(1);
  return found[0]!;
}

const DEPENDABOT = { login: "dependabot[bot]", id: 49699333, type: "Bot", html_url: "https://github.com/apps/dependabot" };

/** A real issues.opened example rewritten as asked by someone outside the team. */
function communityIssue(): Payload {
  const payload = example("issues", "opened");
  payload["issue"].user = { ...payload["issue"].user, login: "priya-dev", id: 8812345 };
  payload["issue"].author_association = "NONE";
  return payload;
}

describe("issues", () => {
  it("snapshots an opened issue as its thread's opening", () => {
    const payload = example("issues", "opened");
    const opening = one(run("issues", payload), "thread_opened");
    expect(opening).toMatchObject({
      id: "github:issue:444500041",
      instance: "Codertocat/Hello-World",
      channel: { id: "Codertocat/Hello-World/issues", name: "Issues" },
      actor: { id: "github:user:21031067", login: "Codertocat", isBot: false, isTeam: true },
      occurredAt: "2019-05-15T15:20:18.000Z",
      version: "2019-05-15T15:20:18.000Z",
      url: "https://github.com/Codertocat/Hello-World/issues/1",
      excerpt: "It looks like you accidently spelled 'commit' with two 't's.",
      // The author is the repository OWNER: not a question under the default "non-team" rule.
      isQuestion: false,
      target: null,
      reason: null,
    });
    expect(opening.thread).toMatchObject({ id: opening.id, title: "Spelling error in the README file", isQuestion: false });
  });

  it("closes with an id built from closed_at, which a later snapshot repeats", () => {
    const closed = fixture("issues.closed.json");
    const activities = run("issues", closed);
    const close = one(activities, "thread_closed");
    expect(close).toMatchObject({
      id: "github:issue:444500041:closed:2021-10-12T09:14:03.000Z",
      occurredAt: "2021-10-12T09:14:03.000Z",
      version: "2021-10-12T09:14:03.000Z",
      reason: "completed",
      actor: { login: "Codertocat", id: "github:user:21031067" },
    });
    expect(close.thread?.id).toBe("github:issue:444500041");

    // A comment on the closed issue, delivered later, names the very same close.
    const comment = example("issue_comment", "created");
    comment["issue"] = closed["issue"];
    expect(one(run("issue_comment", comment), "thread_closed").id).toBe(close.id);
  });

  it("takes the close reason from state_reason (not_planned)", () => {
    const closed = fixture("issues.closed.json");
    closed["issue"].state_reason = "not_planned";
    expect(one(run("issues", closed), "thread_closed").reason).toBe("not_planned");
  });

  it("records a reopen stamped with updated_at, after the earlier close", () => {
    const reopened = example("issues", "reopened");
    const activities = run("issues", reopened);
    const reopen = one(activities, "thread_reopened");
    expect(reopen.id).toBe("github:issue:444500041:reopened:2021-10-11T16:40:56.000Z");
    expect(activities.some((a) => a.kind === "thread_closed")).toBe(false);
  });

  it("treats locking as a close and unlocking as a reopen", () => {
    const locked = one(run("issues", example("issues", "locked")), "thread_closed");
    expect(locked.id).toMatch(/^github:issue:444500041:locked:\d{4}-\d\d-\d\dT/);
    expect(locked.reason).toBe("locked");
    const unlocked = one(run("issues", example("issues", "unlocked")), "thread_reopened");
    expect(unlocked.id).toMatch(/^github:issue:444500041:unlocked:/);
  });

  it("turns a deleted issue into a tombstone only", () => {
    const activities = run("issues", example("issues", "deleted"));
    expect(activities).toHaveLength(1);
    expect(activities[0]).toMatchObject({
      kind: "deleted",
      id: "github:issue:444500041:deleted",
      target: "github:issue:444500041",
      version: "deleted",
      occurredAt: "2021-10-11T16:40:56.000Z",
      thread: { id: "github:issue:444500041" },
    });
  });

  it("closes a transferred issue and opens its copy in the new repository", () => {
    const activities = run("issues", example("issues", "transferred"));
    const moved = activities.find((a) => a.id === "github:issue:512748900:transferred");
    expect(moved).toMatchObject({ kind: "thread_closed", reason: "transferred", instance: "octo-org/octo-repo" });
    const copy = activities.find((a) => a.kind === "thread_opened" && a.id === "github:issue:444500041");
    expect(copy).toMatchObject({ instance: "Codertocat/Hello-World", channel: { id: "Codertocat/Hello-World/issues" } });
  });

  it("keeps the transferred copy out when its repository is not watched", () => {
    const config = configWith({ sources: { github: { repositories: ["octo-org/octo-repo"] } } });
    const activities = run("issues", example("issues", "transferred"), config);
    expect(activities.map((a) => a.id)).not.toContain("github:issue:444500041");
    expect(activities.map((a) => a.id)).toContain("github:issue:512748900:transferred");
  });
});

describe("question rules for issues", () => {
  const isQuestion = (payload: Payload, config: ConfigInput) => one(run("issues", payload, configWith(config)), "thread_opened").isQuestion;

  it("non-team (default): a community author asks, a team member does not", () => {
    expect(isQuestion(communityIssue(), {})).toBe(true);
    expect(isQuestion(example("issues", "opened"), {})).toBe(false);
  });

  it("non-team: the roster makes a community-looking author team", () => {
    const roster = { team: [{ name: "Priya", identities: { github: ["Priya-Dev"] } }] };
    expect(isQuestion(communityIssue(), roster)).toBe(false);
  });

  it("non-team: teamAssociations decides which associations count as team", () => {
    const owner = example("issues", "opened");
    expect(isQuestion(owner, { sources: { github: { teamAssociations: ["MEMBER"] } } })).toBe(true);
  });

  it("non-team and all: a bot never asks", () => {
    const bot = communityIssue();
    bot["issue"].user = DEPENDABOT;
    expect(isQuestion(bot, {})).toBe(false);
    expect(isQuestion(bot, { sources: { github: { issues: { questions: "all" } } } })).toBe(false);
    expect(isQuestion(example("issues", "opened"), { sources: { github: { issues: { questions: "all" } } } })).toBe(true);
  });

  it("labeled: only issues carrying one of the labels, case-insensitively", () => {
    const labeled = { sources: { github: { issues: { questions: "labeled" as const, labels: ["BUG", "question"] } } } };
    expect(isQuestion(example("issues", "labeled"), labeled)).toBe(true);
    const unlabeled = example("issues", "labeled");
    unlabeled["issue"].labels = [{ id: 1, name: "enhancement" }];
    expect(isQuestion(unlabeled, labeled)).toBe(false);
  });

  it("none: nothing is a question", () => {
    expect(isQuestion(communityIssue(), { sources: { github: { issues: { questions: "none" } } } })).toBe(false);
  });
});

describe("issue comments", () => {
  it("makes a reply on the issue's thread, plus the issue snapshot", () => {
    const activities = run("issue_comment", example("issue_comment", "created"));
    const reply = one(activities, "reply");
    expect(reply).toMatchObject({
      id: "github:issue_comment:492700400",
      occurredAt: "2019-05-15T15:20:21.000Z",
      version: "2019-05-15T15:20:21.000Z",
      url: "https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400",
      excerpt: "You are totally right! I'll get this fixed right away.",
      thread: { id: "github:issue:444500041" },
    });
    expect(one(activities, "thread_opened").id).toBe(reply.thread?.id);
  });

  it("flags bot comments (type Bot, [bot] login, or posted via an app)", () => {
    const byBotType = example("issue_comment", "created");
    byBotType["comment"].user = DEPENDABOT;
    expect(one(run("issue_comment", byBotType), "reply").actor).toMatchObject({ login: "dependabot[bot]", isBot: true });

    const byLogin = example("issue_comment", "created");
    byLogin["comment"].user = { login: "renovate[bot]", id: 29139614, type: "User" };
    expect(one(run("issue_comment", byLogin), "reply").actor.isBot).toBe(true);

    const viaApp = example("issue_comment", "created");
    viaApp["comment"].performed_via_github_app = { id: 15368, slug: "github-actions", name: "GitHub Actions" };
    expect(one(run("issue_comment", viaApp), "reply").actor.isBot).toBe(true);

    expect(one(run("issue_comment", example("issue_comment", "created")), "reply").actor.isBot).toBe(false);
  });

  it("credits a deleted (ghost) account as github:user:ghost", () => {
    const payload = example("issue_comment", "created");
    payload["comment"].user = null;
    expect(one(run("issue_comment", payload), "reply").actor).toEqual({
      id: "github:user:ghost",
      login: "ghost",
      name: null,
      isBot: false,
      isTeam: true, // the comment's author_association is still OWNER
    });
  });

  it("puts a comment on a pull request into the pull request's thread", () => {
    const pr = example("pull_request", "opened");
    const comment = example("issue_comment", "created");
    comment["repository"] = pr["repository"];
    comment["issue"].number = pr["pull_request"].number;
    comment["issue"].html_url = pr["pull_request"].html_url;
    comment["issue"].pull_request = { url: "x", html_url: pr["pull_request"].html_url, merged_at: null };

    const prThread = one(run("pull_request", pr), "thread_opened").id;
    const activities = run("issue_comment", comment);
    expect(prThread).toBe("github:pull:186853002:2");
    expect(one(activities, "reply").thread?.id).toBe(prThread);
    expect(one(activities, "thread_opened")).toMatchObject({
      id: prThread,
      isQuestion: false,
      channel: { id: "Codertocat/Hello-World/pulls", name: "Pull requests" },
    });
  });

  it("turns a deleted comment into a tombstone for it", () => {
    const activities = run("issue_comment", example("issue_comment", "deleted"));
    expect(one(activities, "deleted")).toMatchObject({
      id: "github:issue_comment:492700400:deleted",
      target: "github:issue_comment:492700400",
      version: "deleted",
      excerpt: null,
    });
    expect(one(activities, "thread_opened").id).toBe("github:issue:444500041");
  });
});

describe("pull requests", () => {
  it("are never questions, even when every issue is", () => {
    const config = configWith({ sources: { github: { issues: { questions: "all" } } } });
    for (const a of run("pull_request", example("pull_request", "opened"), config)) expect(a.isQuestion).toBe(false);
  });

  it("close as closed, or as merged", () => {
    const closed = example("pull_request", "closed");
    expect(one(run("pull_request", closed), "thread_closed")).toMatchObject({
      id: "github:pull:186853002:2:closed:2019-05-15T15:21:18.000Z",
      reason: "closed",
    });
    closed["pull_request"].merged = true;
    closed["pull_request"].merged_at = closed["pull_request"].closed_at;
    expect(one(run("pull_request", closed), "thread_closed").reason).toBe("merged");
  });

  it("record reviews by their reviewer, with the pull request snapshot", () => {
    const activities = run("pull_request_review", example("pull_request_review", "submitted"));
    expect(one(activities, "review")).toMatchObject({
      id: "github:pull_request_review:237895671",
      occurredAt: "2019-05-15T15:20:38.000Z",
      thread: { id: "github:pull:186853002:2" },
    });
    expect(one(activities, "thread_opened").id).toBe("github:pull:186853002:2");
  });

  it("give an edited review a later version than the submitted one", () => {
    const edited = example("pull_request_review", "submitted");
    edited["action"] = "edited";
    edited["review"].body = "Looks good after all.";
    edited["pull_request"].updated_at = "2019-05-15T16:02:00Z";
    const review = one(run("pull_request_review", edited), "review");
    expect(review.occurredAt).toBe("2019-05-15T15:20:38.000Z");
    expect(review.version).toBe("2019-05-15T16:02:00.000Z");
  });
});

describe("discussions", () => {
  it("credits an accepted answer to the answer's author, not the sender", () => {
    const payload = example("discussion", "answered");
    const activities = run("discussion", payload);
    const accepted = one(activities, "answer_accepted");
    expect(payload["sender"].login).toBe("Codertocat");
    expect(accepted).toMatchObject({
      // answer_chosen_at is "2021-03-30T19:17:18.000-04:00": normalised to UTC.
      id: "github:discussion:3299614:accepted:550561:2021-03-30T23:17:18.000Z",
      target: "github:discussion_comment:550561",
      actor: { id: "github:user:1253226", login: "dan2wik", isTeam: false },
      occurredAt: "2021-03-30T23:17:18.000Z",
      isQuestion: true,
    });
    // The answer comment is a reply too, so it stands even if its own webhook was missed.
    expect(one(activities, "reply")).toMatchObject({ id: accepted.target, actor: { login: "dan2wik" } });
    expect(one(activities, "thread_opened")).toMatchObject({
      id: "github:discussion:3299614",
      channel: { id: "Codertocat/Hello-World/discussions/32809315", name: "Discussions / Q&A" },
    });
  });

  it("records unanswering by the sender, targeting the old answer", () => {
    const activities = run("discussion", example("discussion", "unanswered"));
    expect(one(activities, "answer_unaccepted")).toMatchObject({
      id: "github:discussion:3299614:unaccepted:550561:2021-03-30T23:31:48.000Z",
      target: "github:discussion_comment:550561",
      actor: { id: "github:user:21031067" },
    });
  });

  it("asks questions only in answerable categories by default", () => {
    const general = example("discussion", "created", 0);
    expect(general["discussion"].category.is_answerable).toBe(false);
    expect(one(run("discussion", general), "thread_opened").isQuestion).toBe(false);
    const all = configWith({ sources: { github: { discussions: { questions: "all" } } } });
    expect(one(run("discussion", general, all), "thread_opened").isQuestion).toBe(true);
    const none = configWith({ sources: { github: { discussions: { questions: "none" } } } });
    expect(one(run("discussion", example("discussion", "answered"), none), "thread_opened").isQuestion).toBe(false);
  });

  it("closes a closed discussion (which carries no closed_at) at its updated_at", () => {
    const close = one(run("discussion", fixture("discussion.closed.json")), "thread_closed");
    expect(close).toMatchObject({
      id: "github:discussion:3299614:closed:2021-03-31T08:02:11.000Z",
      reason: "resolved",
      occurredAt: "2021-03-31T08:02:11.000Z",
    });
  });

  it("reopens a reopened discussion after its close", () => {
    const reopen = one(run("discussion", fixture("discussion.reopened.json")), "thread_reopened");
    const close = one(run("discussion", fixture("discussion.closed.json")), "thread_closed");
    expect(reopen.id).toBe("github:discussion:3299614:reopened:2021-03-31T09:15:40.000Z");
    expect(reopen.occurredAt > close.occurredAt).toBe(true);
  });

  it("turns a deleted discussion into a tombstone that still carries the thread", () => {
    const activities = run("discussion", fixture("discussion.deleted.json"));
    expect(activities).toHaveLength(1);
    expect(activities[0]).toMatchObject({
      kind: "deleted",
      id: "github:discussion:3299614:deleted",
      target: "github:discussion:3299614",
      version: "deleted",
      isQuestion: true,
      thread: { id: "github:discussion:3299614", title: "TEST edit" },
    });
  });

  it("treats nested discussion comments as replies in the same thread", () => {
    const nested = example("discussion_comment", "created", 1);
    nested["comment"].parent_id = 550062;
    nested["comment"].id = 550099;
    expect(one(run("discussion_comment", nested), "reply")).toMatchObject({
      id: "github:discussion_comment:550099",
      thread: { id: "github:discussion:3299614" },
    });
  });
});

describe("repository activity", () => {
  it("records a star at starred_at and an unstar per delivery", () => {
    const star = one(run("star", example("star", "created")), "star");
    expect(star).toMatchObject({
      id: "github:star:186853002:21031067:2019-05-15T15:20:40.000Z",
      thread: null,
      channel: { id: "Codertocat/Hello-World", name: "Repository" },
      isQuestion: false,
    });
    const unstar = one(run("star", example("star", "deleted")), "unstar");
    expect(unstar.id).toBe("github:unstar:186853002:21031067:72d3162e-cc78-11e3-81ab-4c9367dc0958");
    expect(unstar.occurredAt).toBe(RECEIVED_AT);
    const noDelivery = one(run("star", example("star", "deleted"), defaults, { deliveryId: null, id: "env-9" }), "unstar");
    expect(noDelivery.id).toBe("github:unstar:186853002:21031067:env-9");
  });

  it("records a fork by its forker", () => {
    expect(one(run("fork", example("fork")), "fork")).toMatchObject({
      id: "github:fork:186853261",
      actor: { login: "Octocoders" },
      occurredAt: "2019-05-15T15:20:42.000Z",
    });
  });

  it("credits membership changes to the member and ignores permission edits", () => {
    expect(one(run("member", example("member", "added")), "member_joined")).toMatchObject({
      id: "github:member:186853002:39652351:added:72d3162e-cc78-11e3-81ab-4c9367dc0958",
      actor: { login: "hacktocat" },
    });
    const removed = example("member", "added");
    removed["action"] = "removed";
    expect(one(run("member", removed), "member_left").id).toContain(":removed:");
    expect(run("member", example("member", "edited"))).toEqual([]);
  });
});

describe("configuration", () => {
  it("keeps only watched repositories, case-insensitively", () => {
    const watched = configWith({ sources: { github: { repositories: ["codertocat/hello-world"] } } });
    const other = configWith({ sources: { github: { repositories: ["acme-labs/rocketdb"] } } });
    expect(run("issues", example("issues", "opened"), watched).length).toBeGreaterThan(0);
    expect(run("issues", example("issues", "opened"), other)).toEqual([]);
  });

  it("bounds excerpts by privacy.excerptLength, and keeps none at 0", () => {
    const short = configWith({ privacy: { excerptLength: 12 } });
    expect(one(run("issues", example("issues", "opened"), short), "thread_opened").excerpt).toBe("It looks li…");
    const none = configWith({ privacy: { excerptLength: 0 } });
    expect(one(run("issues", example("issues", "opened"), none), "thread_opened").excerpt).toBeNull();
  });

  it("normalises a form-encoded envelope like a JSON one", () => {
    const payload = example("issues", "opened");
    const form = envelopeFor("issues", new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), {
      contentType: "application/x-www-form-urlencoded",
    });
    expect(normalizeGitHubEnvelope(form, defaults)).toEqual(run("issues", payload));
  });
});

describe("malformed bodies", () => {
  function failure(event: string, body: unknown): NormalizeError {
    try {
      normalizeGitHubEnvelope(envelopeFor(event, body, { id: "env-bad" }), defaults);
    } catch (err) {
      expect(err).toBeInstanceOf(NormalizeError);
      expect((err as NormalizeError).envelopeId).toBe("env-bad");
      return err as NormalizeError;
    }
    throw new Error(`expected ${event} to throw NormalizeError`);
  }

  it("names the missing issue", () => {
    const payload = example("issues", "opened");
    delete payload["issue"];
    expect(failure("issues", payload).message).toMatch(/issues\.opened: issue: /);
  });

  it("names the missing repository", () => {
    const payload = example("issue_comment", "created");
    delete payload["repository"];
    expect(failure("issue_comment", payload).message).toMatch(/repository: /);
  });

  it("names an id of the wrong type", () => {
    const payload = example("issue_comment", "created");
    payload["comment"].id = "492700400";
    expect(failure("issue_comment", payload).message).toMatch(/comment\.id: .*number/);
  });

  it("rejects a timestamp that is not one, without a RangeError", () => {
    const payload = example("discussion", "answered");
    payload["discussion"].updated_at = "yesterday-ish";
    expect(failure("discussion", payload).message).toMatch(/discussion\.updated_at: not a timestamp/);
  });

  it("rejects bodies that are not JSON objects, and a missing action", () => {
    expect(failure("issues", "{oops").message).toMatch(/not valid JSON/);
    expect(failure("issues", "[]").message).toMatch(/not a JSON object/);
    const noAction = example("issues", "opened");
    delete noAction["action"];
    expect(failure("issues", noAction).message).toMatch(/action is missing/);
  });

  it("requires what an action promises (answered without answer, star without starred_at)", () => {
    const answered = example("discussion", "answered");
    delete answered["answer"];
    expect(failure("discussion", answered).message).toMatch(/answer: /);
    const star = example("star", "created");
    star["starred_at"] = null;
    expect(failure("star", star).message).toMatch(/starred_at is missing/);
  });

  it("returns [] for unsupported events whatever their body", () => {
    expect(run("push", "{oops")).toEqual([]);
    expect(run("workflow_run", "[]")).toEqual([]);
  });

  it("refuses an envelope from another source", () => {
    const envelope = { ...envelopeFor("issues", example("issues", "opened")), source: "slack" as const };
    expect(() => normalizeGitHubEnvelope(envelope, defaults)).toThrow(NormalizeError);
  });
});
