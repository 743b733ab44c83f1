import type * as z from "../../model/zod.ts";
import { buildActivity, normalizeTotally, type ActivityFields } from "../common.ts";
import { excerptOf, toInstant } from "../../model/activity.ts";
import type { Activity, ActivityKind, Actor, Channel, ThreadRef } from "../../model/activity.ts";
import { isRosterMember, SOURCE_DEFAULTS } from "../../model/config-values.ts";
import type { Config, GitHubSourceConfig } from "../../model/config.ts";
import type { Envelope } from "../../model/envelope.ts";
import { NormalizeError } from "../types.ts";
import { parseGitHubBody } from "./body.ts";
import { isSupportedGitHubEvent } from "./classify.ts";
import * as P from "./payload.ts";

interface Context {
  envelope: Envelope;
  config: Config;
  github: GitHubSourceConfig;
  /** `issues.opened`, for error messages. */
  where: string;
  action: string;
  payload: Record<string, unknown>;
  repository: P.GitHubRepository;
  sender: P.GitHubUser | undefined;
}

/** The issue, pull request or discussion an activity belongs to, as the payload shows it now. */
interface ThreadInfo {
  ref: ThreadRef;
  instance: string;
  channel: Channel;
  body: string | null | undefined;
  state: string | undefined;
  closedAt: string | null;
  closeReason: string;
  updatedAt: string;
}

/** The part of a payload object that says how its author relates to the repository. */
interface Authorship {
  author_association?: string | undefined;
  performed_via_github_app?: unknown;
}

/**
 * Turn one queued GitHub delivery into activities. Pure and total: unsupported events and
 * actions give [], a body that is not what its event promises throws NormalizeError.
 */
export function normalizeGitHubEnvelope(envelope: Envelope, config: Config): Activity[] {
  return normalizeTotally(envelope, "github", isSupportedGitHubEvent(envelope.eventType), () => normalizeSupported(envelope, config));
}

function normalizeSupported(envelope: Envelope, config: Config): Activity[] {
  const contentType = envelope.contentType || envelope.headers["content-type"];
  const parsed = parseGitHubBody(envelope.body, contentType);
  if (!parsed.ok) throw new NormalizeError(`github ${envelope.eventType}: ${parsed.reason}`, envelope.id);
  const payload = parsed.payload;

  const action = payload["action"];
  // Every supported event but `fork` names its action; without one we cannot tell what happened.
  if (envelope.eventType !== "fork" && typeof action !== "string") {
    throw new NormalizeError(`github ${envelope.eventType}: action is missing or not a string`, envelope.id);
  }
  const actionName = typeof action === "string" ? action : "";
  const where = actionName ? `${envelope.eventType}.${actionName}` : envelope.eventType;

  const base = readWith(envelope, where, P.RepositoryEventSchema, payload);
  const github = config.sources?.github ?? SOURCE_DEFAULTS.github();
  if (!repositoryAccepted(github, base.repository.full_name)) return [];

  const ctx: Context = {
    envelope,
    config,
    github,
    where,
    action: actionName,
    payload,
    repository: base.repository,
    sender: base.sender,
  };

  switch (envelope.eventType) {
    case "issues":
      return issuesEvent(ctx);
    case "issue_comment":
      return issueCommentEvent(ctx);
    case "pull_request":
      return pullRequestEvent(ctx);
    case "pull_request_review":
      return pullRequestReviewEvent(ctx);
    case "pull_request_review_comment":
      return pullRequestReviewCommentEvent(ctx);
    case "discussion":
      return discussionEvent(ctx);
    case "discussion_comment":
      return discussionCommentEvent(ctx);
    case "star":
      return starEvent(ctx);
    case "fork":
      return forkEvent(ctx);
    case "member":
      return memberEvent(ctx);
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Events

function issuesEvent(ctx: Context): Activity[] {
  const { issue } = read(ctx, P.IssuesEventSchema);
  const thread = issueThread(ctx, issue, ctx.repository);
  switch (ctx.action) {
    case "deleted":
      return [threadTombstone(ctx, thread)];
    case "transferred": {
      const { changes } = read(ctx, P.IssueTransferSchema);
      return transferred(ctx, thread, () => issueThread(ctx, changes.new_issue, changes.new_repository), changes.new_repository);
    }
    default:
      return [...snapshot(ctx, thread), ...lifecycle(ctx, thread)];
  }
}

function issueCommentEvent(ctx: Context): Activity[] {
  const { issue, comment } = read(ctx, P.IssueCommentEventSchema);
  return commentEvent(ctx, issueThread(ctx, issue, ctx.repository), "issue_comment", comment);
}

function pullRequestEvent(ctx: Context): Activity[] {
  const { pull_request } = read(ctx, P.PullRequestEventSchema);
  const thread = pullRequestThread(ctx, pull_request);
  return [...snapshot(ctx, thread), ...lifecycle(ctx, thread)];
}

function pullRequestReviewEvent(ctx: Context): Activity[] {
  if (!["submitted", "edited", "dismissed"].includes(ctx.action)) return [];
  const { pull_request, review } = read(ctx, P.PullRequestReviewEventSchema);
  const thread = pullRequestThread(ctx, pull_request);
  const submittedAt = review.submitted_at ? toInstant(review.submitted_at) : thread.updatedAt;
  let version = submittedAt;
  if (ctx.action !== "submitted") {
    // An edit or dismissal must outrank the submitted version of the same review.
    for (const later of [review.updated_at, review.dismissed_at, pull_request.updated_at]) {
      if (later && toInstant(later) > version) version = toInstant(later);
    }
  }
  return [
    ...snapshot(ctx, thread),
    inThread(ctx, thread, {
      id: `github:pull_request_review:${review.id}`,
      kind: "review",
      actor: actorOf(ctx, review.user, review),
      occurredAt: submittedAt,
      version,
      url: review.html_url ?? thread.ref.url,
      excerpt: excerptOf(review.body, ctx.config.privacy.excerptLength),
    }),
  ];
}

function pullRequestReviewCommentEvent(ctx: Context): Activity[] {
  const { pull_request, comment } = read(ctx, P.PullRequestReviewCommentEventSchema);
  return commentEvent(ctx, pullRequestThread(ctx, pull_request), "pull_request_review_comment", comment);
}

function discussionEvent(ctx: Context): Activity[] {
  const { discussion } = read(ctx, P.DiscussionEventSchema);
  const thread = discussionThread(ctx, discussion, ctx.repository);
  switch (ctx.action) {
    case "deleted":
      return [threadTombstone(ctx, thread)];
    case "transferred": {
      const { changes } = read(ctx, P.DiscussionTransferSchema);
      return transferred(
        ctx,
        thread,
        () => discussionThread(ctx, changes.new_discussion, changes.new_repository),
        changes.new_repository,
      );
    }
    case "answered": {
      const { answer } = read(ctx, P.DiscussionAnsweredSchema);
      const acceptedAt = toInstant(discussion.answer_chosen_at ?? answer.updated_at);
      const answerId = `github:discussion_comment:${answer.id}`;
      return [
        ...snapshot(ctx, thread),
        commentReply(ctx, thread, "discussion_comment", answer),
        inThread(ctx, thread, {
          id: `github:discussion:${discussion.id}:accepted:${answer.id}:${acceptedAt}`,
          kind: "answer_accepted",
          // Credit goes to whoever wrote the answer, not to the sender who marked it.
          actor: actorOf(ctx, answer.user, answer),
          occurredAt: acceptedAt,
          version: acceptedAt,
          url: answer.html_url,
          excerpt: excerptOf(answer.body, ctx.config.privacy.excerptLength),
          target: answerId,
        }),
      ];
    }
    case "unanswered": {
      const { old_answer } = read(ctx, P.DiscussionUnansweredSchema);
      return [
        ...snapshot(ctx, thread),
        inThread(ctx, thread, {
          id: `github:discussion:${discussion.id}:unaccepted:${old_answer.id}:${thread.updatedAt}`,
          kind: "answer_unaccepted",
          actor: senderActor(ctx),
          occurredAt: thread.updatedAt,
          version: thread.updatedAt,
          url: old_answer.html_url,
          target: `github:discussion_comment:${old_answer.id}`,
        }),
      ];
    }
    default:
      return [...snapshot(ctx, thread), ...lifecycle(ctx, thread)];
  }
}

function discussionCommentEvent(ctx: Context): Activity[] {
  const { discussion, comment } = read(ctx, P.DiscussionCommentEventSchema);
  return commentEvent(ctx, discussionThread(ctx, discussion, ctx.repository), "discussion_comment", comment);
}

function starEvent(ctx: Context): Activity[] {
  if (ctx.action !== "created" && ctx.action !== "deleted") return [];
  const { starred_at, sender } = read(ctx, P.StarEventSchema);
  const actor = actorOf(ctx, sender);
  const repoId = ctx.repository.id;
  if (ctx.action === "created") {
    if (!starred_at) throw fail(ctx, "starred_at is missing");
    const at = toInstant(starred_at);
    return [onRepository(ctx, { id: `github:star:${repoId}:${sender.id}:${at}`, kind: "star", actor, occurredAt: at, version: at })];
  }
  const receivedAt = toInstant(ctx.envelope.receivedAt);
  const delivery = ctx.envelope.deliveryId ?? ctx.envelope.id;
  return [
    onRepository(ctx, {
      id: `github:unstar:${repoId}:${sender.id}:${delivery}`,
      kind: "unstar",
      actor,
      occurredAt: receivedAt,
      version: receivedAt,
    }),
  ];
}

function forkEvent(ctx: Context): Activity[] {
  const { forkee } = read(ctx, P.ForkEventSchema);
  const forker = ctx.sender ?? forkee.owner;
  if (!forker) throw fail(ctx, "sender is missing and forkee.owner too");
  return [
    onRepository(ctx, {
      id: `github:fork:${forkee.id}`,
      kind: "fork",
      actor: actorOf(ctx, forker),
      occurredAt: toInstant(forkee.created_at),
      version: toInstant(forkee.updated_at ?? forkee.created_at),
      url: forkee.html_url ?? null,
    }),
  ];
}

function memberEvent(ctx: Context): Activity[] {
  const kind: ActivityKind | null =
    ctx.action === "added" ? "member_joined" : ctx.action === "removed" ? "member_left" : null;
  if (!kind) return [];
  const { member } = read(ctx, P.MemberEventSchema);
  const receivedAt = toInstant(ctx.envelope.receivedAt);
  const delivery = ctx.envelope.deliveryId ?? ctx.envelope.id;
  return [
    onRepository(ctx, {
      id: `github:member:${ctx.repository.id}:${member.id}:${ctx.action}:${delivery}`,
      kind,
      actor: actorOf(ctx, member),
      occurredAt: receivedAt,
      version: receivedAt,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Threads

function issueThread(ctx: Context, issue: P.GitHubIssue, repository: P.GitHubRepository): ThreadInfo {
  const author = actorOf(ctx, issue.user, issue);
  const isPullRequest = issue.pull_request != null;
  const isQuestion = !isPullRequest && issueIsQuestion(ctx.github, issue, author);
  const fullName = repository.full_name;
  return {
    ref: {
      // A PR seen through issue_comment must land on the same thread as its pull_request events.
      id: isPullRequest ? pullRequestThreadId(repository, issue.number) : `github:issue:${issue.id}`,
      title: issue.title,
      url: issue.html_url,
      author,
      createdAt: toInstant(issue.created_at),
      isQuestion,
      version: toInstant(issue.updated_at),
    },
    instance: fullName,
    channel: isPullRequest ? pullsChannel(fullName) : { id: `${fullName}/issues`, name: "Issues" },
    body: issue.body,
    state: issue.state,
    closedAt: issue.closed_at ? toInstant(issue.closed_at) : null,
    closeReason: issue.state_reason ?? (isPullRequest ? (issue.pull_request?.merged_at ? "merged" : "closed") : "completed"),
    updatedAt: toInstant(issue.updated_at),
  };
}

function pullRequestThread(ctx: Context, pr: P.GitHubPullRequest): ThreadInfo {
  const fullName = ctx.repository.full_name;
  const merged = pr.merged ?? pr.merged_at != null;
  return {
    ref: {
      id: pullRequestThreadId(ctx.repository, pr.number),
      title: pr.title,
      url: pr.html_url,
      author: actorOf(ctx, pr.user, pr),
      createdAt: toInstant(pr.created_at),
      isQuestion: false,
      version: toInstant(pr.updated_at),
    },
    instance: fullName,
    channel: pullsChannel(fullName),
    body: pr.body,
    state: pr.state,
    closedAt: pr.closed_at ? toInstant(pr.closed_at) : null,
    closeReason: pr.state_reason ?? (merged ? "merged" : "closed"),
    updatedAt: toInstant(pr.updated_at),
  };
}

function discussionThread(ctx: Context, discussion: P.GitHubDiscussion, repository: P.GitHubRepository): ThreadInfo {
  const fullName = repository.full_name;
  const mode = ctx.github.discussions.questions;
  const isQuestion = mode === "all" || (mode === "answerable" && discussion.category.is_answerable === true);
  return {
    ref: {
      id: `github:discussion:${discussion.id}`,
      title: discussion.title,
      url: discussion.html_url,
      author: actorOf(ctx, discussion.user, discussion),
      createdAt: toInstant(discussion.created_at),
      isQuestion,
      version: toInstant(discussion.updated_at),
      // Answerable (Q&A) categories are where GitHub lets an answer be marked.
      ...(discussion.category.is_answerable === true ? { acceptsAnswers: true } : {}),
    },
    instance: fullName,
    channel: {
      id: `${fullName}/discussions/${discussion.category.id}`,
      name: `Discussions / ${discussion.category.name}`,
    },
    body: discussion.body,
    state: discussion.state,
    closedAt: discussion.closed_at ? toInstant(discussion.closed_at) : null,
    closeReason: discussion.state_reason ?? "completed",
    updatedAt: toInstant(discussion.updated_at),
  };
}

function pullRequestThreadId(repository: P.GitHubRepository, number: number): string {
  return `github:pull:${repository.id}:${number}`;
}

function pullsChannel(fullName: string): Channel {
  return { id: `${fullName}/pulls`, name: "Pull requests" };
}

function issueIsQuestion(github: GitHubSourceConfig, issue: P.GitHubIssue, author: Actor): boolean {
  switch (github.issues.questions) {
    case "non-team":
      return !author.isTeam && !author.isBot;
    case "all":
      return !author.isBot;
    case "labeled": {
      const wanted = new Set(github.issues.labels.map((l) => l.toLowerCase()));
      return (issue.labels ?? []).some((label) => wanted.has(label.name.toLowerCase()));
    }
    case "none":
      return false;
  }
}

/**
 * The thread as the payload shows it, plus its close when it is closed. The close id is built
 * from `closed_at`, so the `closed` event and every later snapshot name the same close.
 */
function snapshot(ctx: Context, thread: ThreadInfo): Activity[] {
  const opened = inThread(ctx, thread, {
    id: thread.ref.id,
    kind: "thread_opened",
    actor: thread.ref.author ?? ghostActor(ctx),
    occurredAt: thread.ref.createdAt ?? thread.updatedAt,
    version: thread.ref.version,
    url: thread.ref.url,
    excerpt: excerptOf(thread.body, ctx.config.privacy.excerptLength),
  });
  const closing = ctx.action === "closed";
  // Discussion payloads carry no closed_at; the `closed` event itself is stamped by updated_at.
  const closedAt = thread.closedAt ?? (closing ? thread.updatedAt : null);
  if ((thread.state !== "closed" && !closing) || !closedAt) return [opened];
  return [
    opened,
    inThread(ctx, thread, {
      id: `${thread.ref.id}:closed:${closedAt}`,
      kind: "thread_closed",
      actor: senderActor(ctx),
      occurredAt: closedAt,
      version: closedAt,
      url: thread.ref.url,
      reason: thread.closeReason,
    }),
  ];
}

/** reopened / locked / unlocked, stamped by the thread's updated_at. */
function lifecycle(ctx: Context, thread: ThreadInfo): Activity[] {
  const at = thread.updatedAt;
  const common = { actor: senderActor(ctx), occurredAt: at, version: at, url: thread.ref.url };
  switch (ctx.action) {
    case "reopened":
      return [inThread(ctx, thread, { ...common, id: `${thread.ref.id}:reopened:${at}`, kind: "thread_reopened" })];
    case "locked":
      return [inThread(ctx, thread, { ...common, id: `${thread.ref.id}:locked:${at}`, kind: "thread_closed", reason: "locked" })];
    case "unlocked":
      return [inThread(ctx, thread, { ...common, id: `${thread.ref.id}:unlocked:${at}`, kind: "thread_reopened" })];
    default:
      return [];
  }
}

function transferred(
  ctx: Context,
  thread: ThreadInfo,
  newThread: () => ThreadInfo,
  newRepository: P.GitHubRepository,
): Activity[] {
  const out = [
    ...snapshot(ctx, thread),
    inThread(ctx, thread, {
      id: `${thread.ref.id}:transferred`,
      kind: "thread_closed",
      actor: senderActor(ctx),
      occurredAt: thread.updatedAt,
      version: thread.updatedAt,
      url: thread.ref.url,
      reason: "transferred",
    }),
  ];
  // The new copy lives in another repository; it only counts if that one is watched too.
  if (repositoryAccepted(ctx.github, newRepository.full_name)) out.push(...snapshot(ctx, newThread()));
  return out;
}

function threadTombstone(ctx: Context, thread: ThreadInfo): Activity {
  return inThread(ctx, thread, {
    id: `${thread.ref.id}:deleted`,
    kind: "deleted",
    actor: senderActor(ctx),
    occurredAt: thread.updatedAt,
    version: "deleted",
    url: thread.ref.url,
    target: thread.ref.id,
  });
}

// ---------------------------------------------------------------------------------------------
// Comments

type CommentPrefix = "issue_comment" | "discussion_comment" | "pull_request_review_comment";

function commentEvent(ctx: Context, thread: ThreadInfo, prefix: CommentPrefix, comment: P.GitHubComment): Activity[] {
  switch (ctx.action) {
    case "created":
    case "edited":
      return [...snapshot(ctx, thread), commentReply(ctx, thread, prefix, comment)];
    case "deleted": {
      const id = `github:${prefix}:${comment.id}`;
      return [
        ...snapshot(ctx, thread),
        inThread(ctx, thread, {
          id: `${id}:deleted`,
          kind: "deleted",
          actor: senderActor(ctx),
          occurredAt: toInstant(comment.updated_at),
          version: "deleted",
          url: comment.html_url,
          target: id,
        }),
      ];
    }
    default:
      return [];
  }
}

function commentReply(ctx: Context, thread: ThreadInfo, prefix: CommentPrefix, comment: P.GitHubComment): Activity {
  return inThread(ctx, thread, {
    id: `github:${prefix}:${comment.id}`,
    kind: "reply",
    actor: actorOf(ctx, comment.user, comment),
    occurredAt: toInstant(comment.created_at),
    version: toInstant(comment.updated_at),
    url: comment.html_url,
    excerpt: excerptOf(comment.body, ctx.config.privacy.excerptLength),
  });
}

// ---------------------------------------------------------------------------------------------
// Actors and activity construction

function actorOf(ctx: Context, user: P.GitHubUser | null | undefined, authorship?: Authorship): Actor {
  const login = user?.login ?? "ghost";
  const association = authorship?.author_association;
  return {
    id: user ? `github:user:${user.id}` : "github:user:ghost",
    login,
    name: user?.name ?? null,
    isBot:
      user?.type === "Bot" ||
      login.toLowerCase().endsWith("[bot]") ||
      (authorship?.performed_via_github_app !== undefined && authorship.performed_via_github_app !== null),
    isTeam:
      isRosterMember(ctx.config, "github", login) ||
      (association !== undefined && (ctx.github.teamAssociations as string[]).includes(association)),
  };
}

function ghostActor(ctx: Context): Actor {
  return actorOf(ctx, null);
}

function senderActor(ctx: Context): Actor {
  if (!ctx.sender) throw fail(ctx, "sender is missing");
  return actorOf(ctx, ctx.sender);
}

function inThread(ctx: Context, thread: ThreadInfo, fields: ActivityFields): Activity {
  return build(ctx, thread.instance, thread.channel, thread.ref, fields);
}

function onRepository(ctx: Context, fields: ActivityFields): Activity {
  const { full_name, html_url } = ctx.repository;
  return build(ctx, full_name, { id: full_name, name: "Repository" }, null, { url: html_url ?? null, ...fields });
}

function build(ctx: Context, instance: string, channel: Channel, thread: ThreadRef | null, f: ActivityFields): Activity {
  return buildActivity({ source: "github", instance, channel, receivedAt: ctx.envelope.receivedAt, excerptLength: ctx.config.privacy.excerptLength }, thread, f);
}

// ---------------------------------------------------------------------------------------------
// Validation

function repositoryAccepted(github: GitHubSourceConfig, fullName: string): boolean {
  if (github.repositories.length === 0) return true;
  const needle = fullName.toLowerCase();
  return github.repositories.some((r) => r.toLowerCase() === needle);
}

function read<S extends z.ZodMiniType>(ctx: Context, schema: S): z.output<S> {
  return readWith(ctx.envelope, ctx.where, schema, ctx.payload);
}

function readWith<S extends z.ZodMiniType>(envelope: Envelope, where: string, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join(".") : "(payload)";
    return `${path}: ${issue.message}`;
  });
  throw new NormalizeError(`github ${where}: ${problems.join("; ")}`, envelope.id);
}

function fail(ctx: Context, problem: string): NormalizeError {
  return new NormalizeError(`github ${ctx.where}: ${problem}`, ctx.envelope.id);
}
