import * as z from "zod";

/**
 * Just the parts of GitHub payloads that normalize reads. Loose objects: real payloads carry
 * hundreds of fields we neither need nor want to pin down.
 */

const GitHubId = z.number().int();

/** Any string `Date` can read; `toInstant` later turns it into canonical form. */
const Timestamp = z.string().refine((s) => !Number.isNaN(new Date(s).getTime()), { message: "not a timestamp" });

export const UserSchema = z.looseObject({
  login: z.string().min(1),
  id: GitHubId,
  type: z.string().optional(),
  name: z.string().nullish(),
});
export type GitHubUser = z.infer<typeof UserSchema>;

/** GitHub sends `user: null` for deleted ("ghost") accounts. */
const AuthorSchema = UserSchema.nullish();

export const RepositorySchema = z.looseObject({
  id: GitHubId,
  full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, "must be owner/repo"),
  html_url: z.string().optional(),
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
  author_association: z.string().optional(),
  performed_via_github_app: z.unknown().optional(),
  state: z.string().optional(),
  state_reason: z.string().nullish(),
  closed_at: Timestamp.nullish(),
  created_at: Timestamp,
  updated_at: Timestamp,
  body: z.string().nullish(),
};

export const IssueSchema = z.looseObject({
  ...ThreadObjectFields,
  labels: z.array(LabelSchema).nullish(),
  /** Present when the "issue" is a pull request (issue_comment on a PR). */
  pull_request: z.looseObject({ merged_at: Timestamp.nullish() }).nullish(),
});
export type GitHubIssue = z.infer<typeof IssueSchema>;

export const PullRequestSchema = z.looseObject({
  ...ThreadObjectFields,
  merged: z.boolean().nullish(),
  merged_at: Timestamp.nullish(),
});
export type GitHubPullRequest = z.infer<typeof PullRequestSchema>;

export const DiscussionSchema = z.looseObject({
  ...ThreadObjectFields,
  answer_chosen_at: Timestamp.nullish(),
  category: z.looseObject({
    id: GitHubId,
    name: z.string(),
    is_answerable: z.boolean().nullish(),
  }),
});
export type GitHubDiscussion = z.infer<typeof DiscussionSchema>;

export const CommentSchema = z.looseObject({
  id: GitHubId,
  html_url: z.string(),
  user: AuthorSchema,
  author_association: z.string().optional(),
  performed_via_github_app: z.unknown().optional(),
  created_at: Timestamp,
  updated_at: Timestamp,
  body: z.string().nullish(),
});
export type GitHubComment = z.infer<typeof CommentSchema>;

export const ReviewSchema = z.looseObject({
  id: GitHubId,
  html_url: z.string().nullish(),
  user: AuthorSchema,
  author_association: z.string().optional(),
  body: z.string().nullish(),
  submitted_at: Timestamp.nullish(),
  updated_at: Timestamp.nullish(),
  dismissed_at: Timestamp.nullish(),
});
export type GitHubReview = z.infer<typeof ReviewSchema>;

/** What every repository event carries. */
export const RepositoryEventSchema = z.looseObject({
  action: z.string().optional(),
  repository: RepositorySchema,
  sender: UserSchema.optional(),
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

export const StarEventSchema = z.looseObject({ starred_at: Timestamp.nullish(), sender: UserSchema });
export const ForkEventSchema = z.looseObject({
  forkee: z.looseObject({
    id: GitHubId,
    html_url: z.string().optional(),
    created_at: Timestamp,
    updated_at: Timestamp.nullish(),
    owner: UserSchema.optional(),
  }),
});
export const MemberEventSchema = z.looseObject({ member: UserSchema });
