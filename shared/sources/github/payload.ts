import * as z from "../../model/zod.ts";

/**
 * Just the parts of GitHub payloads that normalize reads. Loose objects: real payloads carry
 * hundreds of fields we neither need nor want to pin down.
 */

const GitHubId = z.int();

/** Any string `Date` can read; `toInstant` later turns it into canonical form. */
const Timestamp = z.string().check(z.refine((s) => !Number.isNaN(new Date(s).getTime()), { message: "not a timestamp" }));

export const UserSchema = z.looseObject({
  login: z.string().check(z.minLength(1)),
  id: GitHubId,
  type: z.optional(z.string()),
  name: z.nullish(z.string()),
});
export type GitHubUser = z.infer<typeof UserSchema>;

/** GitHub sends `user: null` for deleted ("ghost") accounts. */
const AuthorSchema = z.nullish(UserSchema);

export const RepositorySchema = z.looseObject({
  id: GitHubId,
  full_name: z.string().check(z.regex(/^[^/\s]+\/[^/\s]+$/, "must be owner/repo")),
  html_url: z.optional(z.string()),
});
export type GitHubRepository = z.infer<typeof RepositorySchema>;

const LabelSchema = z.looseObject({ name: z.string() });

/** Fields issues, pull requests and discussions share. */
const ThreadObjectFields = {
  id: GitHubId,
  number: GitHubId,
  title: z.string(),
  html_url: z.string(),
  user: AuthorSchema,
  author_association: z.optional(z.string()),
  performed_via_github_app: z.optional(z.unknown()),
  state: z.optional(z.string()),
  state_reason: z.nullish(z.string()),
  closed_at: z.nullish(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
  body: z.nullish(z.string()),
};

export const IssueSchema = z.looseObject({
  ...ThreadObjectFields,
  labels: z.nullish(z.array(LabelSchema)),
  /** Present when the "issue" is a pull request (issue_comment on a PR). */
  pull_request: z.nullish(z.looseObject({ merged_at: z.nullish(Timestamp) })),
});
export type GitHubIssue = z.infer<typeof IssueSchema>;

export const PullRequestSchema = z.looseObject({
  ...ThreadObjectFields,
  merged: z.nullish(z.boolean()),
  merged_at: z.nullish(Timestamp),
});
export type GitHubPullRequest = z.infer<typeof PullRequestSchema>;

export const DiscussionSchema = z.looseObject({
  ...ThreadObjectFields,
  answer_chosen_at: z.nullish(Timestamp),
  category: z.looseObject({
    id: GitHubId,
    name: z.string(),
    is_answerable: z.nullish(z.boolean()),
  }),
});
export type GitHubDiscussion = z.infer<typeof DiscussionSchema>;

export const CommentSchema = z.looseObject({
  id: GitHubId,
  html_url: z.string(),
  user: AuthorSchema,
  author_association: z.optional(z.string()),
  performed_via_github_app: z.optional(z.unknown()),
  created_at: Timestamp,
  updated_at: Timestamp,
  body: z.nullish(z.string()),
});
export type GitHubComment = z.infer<typeof CommentSchema>;

export const ReviewSchema = z.looseObject({
  id: GitHubId,
  html_url: z.nullish(z.string()),
  user: AuthorSchema,
  author_association: z.optional(z.string()),
  body: z.nullish(z.string()),
  submitted_at: z.nullish(Timestamp),
  updated_at: z.nullish(Timestamp),
  dismissed_at: z.nullish(Timestamp),
});
export type GitHubReview = z.infer<typeof ReviewSchema>;

/** What every repository event carries. */
export const RepositoryEventSchema = z.looseObject({
  action: z.optional(z.string()),
  repository: RepositorySchema,
  sender: z.optional(UserSchema),
});

export const IssuesEventSchema = z.looseObject({ issue: IssueSchema });
export const IssueTransferSchema = z.looseObject({
  changes: z.looseObject({ new_issue: IssueSchema, new_repository: RepositorySchema }),
});
export const IssueCommentEventSchema = z.looseObject({ issue: IssueSchema, comment: CommentSchema });

export const PullRequestEventSchema = z.looseObject({ pull_request: PullRequestSchema });
export const PullRequestReviewEventSchema = z.looseObject({ pull_request: PullRequestSchema, review: ReviewSchema });
export const PullRequestReviewCommentEventSchema = z.looseObject({ pull_request: PullRequestSchema, comment: CommentSchema });

export const DiscussionEventSchema = z.looseObject({ discussion: DiscussionSchema });
export const DiscussionTransferSchema = z.looseObject({
  changes: z.looseObject({ new_discussion: DiscussionSchema, new_repository: RepositorySchema }),
});
export const DiscussionAnsweredSchema = z.looseObject({ answer: CommentSchema });
export const DiscussionUnansweredSchema = z.looseObject({ old_answer: CommentSchema });
export const DiscussionCommentEventSchema = z.looseObject({ discussion: DiscussionSchema, comment: CommentSchema });

export const StarEventSchema = z.looseObject({ starred_at: z.nullish(Timestamp), sender: UserSchema });
export const ForkEventSchema = z.looseObject({
  forkee: z.looseObject({
    id: GitHubId,
    html_url: z.optional(z.string()),
    created_at: Timestamp,
    updated_at: z.nullish(Timestamp),
    owner: z.optional(UserSchema),
  }),
});
export const MemberEventSchema = z.looseObject({ member: UserSchema });
