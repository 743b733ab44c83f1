// Real-shaped GitHub webhook payloads for integration tests, built from the real examples in
// @octokit/webhooks-examples with the fields a scenario needs changed.
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };

type Json = Record<string, any>;

function example(event: string, action: string): Json {
  const entry = (examples as { name: string; examples: Json[] }[]).find((e) => e.name === event);
  const found = entry?.examples.find((e) => e.action === action);
  if (!found) throw new Error(`no example for ${event}.${action}`);
  return structuredClone(found);
}

export interface Person {
  id: number;
  login: string;
  bot?: boolean;
  association?: "OWNER" | "MEMBER" | "COLLABORATOR" | "CONTRIBUTOR" | "NONE";
}

export const REPO = { id: 990001, fullName: "acme-labs/rocketdb" };

function user(p: Person): Json {
  return {
    login: p.login,
    id: p.id,
    node_id: `U_${p.id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${p.id}?v=4`,
    url: `https://api.github.com/users/${p.login}`,
    html_url: `https://github.com/${p.login}`,
    type: p.bot ? "Bot" : "User",
    site_admin: false,
  };
}

function repository(base: Json): Json {
  return { ...base, id: REPO.id, name: REPO.fullName.split("/")[1], full_name: REPO.fullName, html_url: `https://github.com/${REPO.fullName}` };
}

export interface IssueSpec {
  id: number;
  number: number;
  title: string;
  author: Person;
  createdAt: string;
  updatedAt?: string;
  state?: "open" | "closed";
  closedAt?: string | null;
  stateReason?: string | null;
  body?: string;
  labels?: string[];
}

function issue(base: Json, spec: IssueSpec): Json {
  return {
    ...base,
    id: spec.id,
    node_id: `I_${spec.id}`,
    number: spec.number,
    title: spec.title,
    body: spec.body ?? `${spec.title}\n\nMore details here.`,
    user: user(spec.author),
    author_association: spec.author.association ?? "NONE",
    html_url: `https://github.com/${REPO.fullName}/issues/${spec.number}`,
    labels: (spec.labels ?? []).map((name, i) => ({ id: i + 1, name, color: "ededed", default: false })),
    state: spec.state ?? "open",
    state_reason: spec.stateReason ?? null,
    created_at: spec.createdAt,
    updated_at: spec.updatedAt ?? spec.createdAt,
    closed_at: spec.closedAt ?? null,
    comments: 0,
    pull_request: undefined,
  };
}

export function issuesEvent(action: "opened" | "closed" | "reopened" | "edited" | "deleted", spec: IssueSpec, sender: Person = spec.author): Json {
  const base = example("issues", "opened");
  return { ...base, action, issue: issue(base.issue, spec), repository: repository(base.repository), sender: user(sender) };
}

export interface CommentSpec {
  id: number;
  author: Person;
  createdAt: string;
  updatedAt?: string;
  body?: string;
}

export function issueCommentEvent(action: "created" | "edited" | "deleted", issueSpec: IssueSpec, comment: CommentSpec): Json {
  const base = example("issue_comment", "created");
  return {
    ...base,
    action,
    issue: issue(base.issue, issueSpec),
    comment: {
      ...base.comment,
      id: comment.id,
      node_id: `IC_${comment.id}`,
      html_url: `https://github.com/${REPO.fullName}/issues/${issueSpec.number}#issuecomment-${comment.id}`,
      user: user(comment.author),
      author_association: comment.author.association ?? "NONE",
      body: comment.body ?? "Have you tried turning it off and on again?",
      created_at: comment.createdAt,
      updated_at: comment.updatedAt ?? comment.createdAt,
      performed_via_github_app: null,
    },
    repository: repository(base.repository),
    sender: user(comment.author),
  };
}
