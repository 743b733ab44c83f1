/**
 * The door's shape check for GitHub: the fields `normalize` will read for an event and action,
 * checked with the very schemas it reads them with (payload.ts), before the delivery is
 * acknowledged. A delivery that passes here cannot fail normalisation for its shape, so a wrong
 * shape is a 400 GitHub shows in its delivery log rather than a dead letter days later.
 *
 * Mirrors normalize.ts event by event (keep the two together): which sub-objects an action
 * reads, and when it needs `sender`: every `issues`, `pull_request` and `discussion` action but
 * `answered` (their lifecycle step names the sender whatever the action), a deletion, taking
 * back an answer, and any snapshot of a closed thread (the close is credited to the sender).
 * GitHub documents `sender` as part of every payload; only comments, reviews, answers, stars'
 * removal and members can do without one. Extra fields are always allowed.
 */
import type * as z from "../../model/zod.ts";
import { describeIssues, quote } from "../shape.ts";
import type { GitHubSupportedEvent } from "./classify.ts";
import * as P from "./payload.ts";

type Issue = z.core.$ZodIssue;

/** A thread object as far as deciding whether its snapshot names who closed it. */
interface ThreadState {
  state?: string | undefined;
  closed_at?: string | null | undefined;
}

/** Problems with a supported event's body, as `issues.opened: issue.number: expected number, ...`, or null. */
export function githubShapeProblem(event: GitHubSupportedEvent, payload: Record<string, unknown>): string | null {
  const issues: Issue[] = [];
  const check = <S extends z.ZodMiniType>(schema: S): z.output<S> | null => {
    const result = schema.safeParse(payload);
    if (result.success) return result.data;
    issues.push(...result.error.issues);
    return null;
  };

  const rawAction = payload["action"];
  const action = typeof rawAction === "string" ? rawAction : "";
  const where = quote(action ? `${event}.${action}` : event);
  // Every supported event but `fork` names its action; without one nothing can be read.
  if (event !== "fork" && typeof rawAction !== "string") {
    return `${where}: action: ${rawAction === undefined ? "missing (expected string)" : "expected string"}`;
  }
  const base = check(P.RepositoryEventSchema);
  const hasSender = base?.sender !== undefined;

  let needsSender = false;
  switch (event) {
    case "issues": {
      check(P.IssuesEventSchema);
      if (action === "transferred") check(P.IssueTransferSchema);
      // deleted and transferred are credited to the sender; every other action is a snapshot
      // plus a lifecycle step, which names the sender whatever the action.
      needsSender = true;
      break;
    }
    case "issue_comment": {
      const body = check(P.IssueCommentEventSchema);
      if (body) needsSender = commentNeedsSender(body.issue, action);
      break;
    }
    case "pull_request": {
      check(P.PullRequestEventSchema);
      // A snapshot plus a lifecycle step, which names the sender whatever the action.
      needsSender = true;
      break;
    }
    case "pull_request_review": {
      // Other actions (e.g. a review's comment thread changing) are not recorded, so not read.
      if (!["submitted", "edited", "dismissed"].includes(action)) break;
      const body = check(P.PullRequestReviewEventSchema);
      if (body) needsSender = snapshotNamesCloser(body.pull_request, action);
      break;
    }
    case "pull_request_review_comment": {
      const body = check(P.PullRequestReviewCommentEventSchema);
      if (body) needsSender = commentNeedsSender(body.pull_request, action);
      break;
    }
    case "discussion": {
      const body = check(P.DiscussionEventSchema);
      switch (action) {
        case "deleted":
          needsSender = true;
          break;
        case "transferred":
          check(P.DiscussionTransferSchema);
          needsSender = true;
          break;
        case "answered":
          check(P.DiscussionAnsweredSchema);
          if (body) needsSender = snapshotNamesCloser(body.discussion, action);
          break;
        case "unanswered":
          check(P.DiscussionUnansweredSchema);
          needsSender = true;
          break;
        default:
          // A snapshot plus a lifecycle step, which names the sender whatever the action.
          needsSender = true;
      }
      break;
    }
    case "discussion_comment": {
      const body = check(P.DiscussionCommentEventSchema);
      if (body) needsSender = commentNeedsSender(body.discussion, action);
      break;
    }
    case "star": {
      if (action !== "created" && action !== "deleted") break;
      const body = check(P.StarEventSchema);
      if (body && action === "created" && !body.starred_at) issues.push(missing(["starred_at"], "string", "a new star"));
      break;
    }
    case "fork": {
      const body = check(P.ForkEventSchema);
      // The forker is the sender, or else the new fork's owner.
      if (body && base && !hasSender && !body.forkee.owner) issues.push(missing(["sender"], "object", "a fork without forkee.owner"));
      break;
    }
    case "member": {
      if (action === "added" || action === "removed") check(P.MemberEventSchema);
      break;
    }
  }
  if (needsSender && base && !hasSender) issues.push(missing(["sender"], "object", where));
  return issues.length ? `${where}: ${describeIssues(dedupe(issues))}` : null;
}

/** A snapshot of a closed thread (or of the `closed` event itself) records the close, by the sender. */
function snapshotNamesCloser(thread: ThreadState, action: string): boolean {
  return action === "closed" || (thread.state === "closed" && Boolean(thread.closed_at));
}

/** Comments: created/edited snapshot the thread, deleted is credited to the sender; others read nothing more. */
function commentNeedsSender(thread: ThreadState, action: string): boolean {
  if (action === "deleted") return true;
  if (action === "created" || action === "edited") return snapshotNamesCloser(thread, action);
  return false;
}

function missing(path: string[], expected: string, why: string): Issue {
  return {
    code: "custom",
    path,
    message: `missing (expected ${expected}; needed for ${why})`,
    input: undefined,
  } as Issue;
}

/** The base schema and an event schema may both report one field (`sender` on star). */
function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path.map(String).join(".")}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
