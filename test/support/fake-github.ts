/**
 * A fake GitHub API on 127.0.0.1 for backfill tests.
 *
 * REST, built from @octokit/fixtures' recorded responses (issue objects and response headers of
 * the `paginate-issues` scenario, the repository of `get-repository`) plus hand-made comments of
 * the documented shape: GET /repos/{o}/{r}, /repos/{o}/{r}/issues (state, since, sort=updated
 * asc, per_page, page, Link headers), /repos/{o}/{r}/issues/comments (same) and
 * /repos/{o}/{r}/issues/{n}.
 *
 * GraphQL (POST /graphql), built from GitHub's documented schema (the Discussions guide and the
 * public schema's Discussion, DiscussionComment, DiscussionCategory, Actor, RateLimit and
 * connection types) rather than from the queries backfill sends: it parses any query document
 * (operations, variables, aliases, fragments, inline fragments), validates it the way GitHub does
 * (unknown fields and arguments, unused fragments, `first`/`last` required and at most 100, at
 * most 500,000 nodes) with GitHub's error shapes, and answers from stored discussion objects:
 * `repository(owner, name) { hasDiscussionsEnabled discussions(first, after, orderBy,
 * categoryId, answered) }`, `node(id)`, `rateLimit { cost remaining resetAt ... }` with the cost
 * by GitHub's formula, connections with `nodes`, `edges`, `pageInfo` and `totalCount` and opaque
 * keyset cursors. Node ids have GitHub's current form (`D_` + base64url(MessagePack)).
 *
 * Both answer 401 to a wrong token; faults can be injected for chosen requests: a secondary rate
 * limit (403, retry-after) or a 500 (`failNext`), and for GraphQL the spent primary limit
 * (`RATE_LIMITED`, and the `RATE_LIMIT` GitHub has also been seen to send), FORBIDDEN (a token
 * without access to discussions), a secondary limit or a 500 (`failGraphQL`).
 */
import { createRequire } from "node:module";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const require = createRequire(import.meta.url);

interface FixtureResponse {
  method: string;
  path: string;
  status: number;
  response: unknown;
  headers: Record<string, string | number>;
}
const paginateIssues = require("@octokit/fixtures/scenarios/api.github.com/paginate-issues/normalized-fixture.json") as FixtureResponse[];
const getRepository = require("@octokit/fixtures/scenarios/api.github.com/get-repository/normalized-fixture.json") as FixtureResponse[];

type Json = Record<string, any>;

/** The recorded issue objects (13 real REST issues), as templates. */
export const recordedIssues: Json[] = paginateIssues.flatMap((r) => r.response as Json[]);
/** Headers GitHub sent with those responses (rate limit, media type...), minus the ones we recompute. */
const recordedHeaders: Record<string, string> = Object.fromEntries(
  Object.entries(paginateIssues[0]!.headers)
    .filter(([k]) => !["link", "content-length", "connection", "date"].includes(k))
    .map(([k, v]) => [k, String(v)]),
);
const recordedRepository = getRepository.find((r) => r.status === 200 && typeof r.response === "object")!.response as Json;
const recordedUser = recordedIssues[0]!.user as Json;

export function user(login: string, id: number): Json {
  return {
    ...recordedUser,
    login,
    id,
    url: `https://api.github.com/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: login.endsWith("[bot]") ? "Bot" : "User",
  };
}

/** A repository as `GET /repos/{o}/{r}` shows it; discussions are off unless asked for, as on GitHub. */
export function repositoryObject(fullName: string, id: number, opts: { hasDiscussions?: boolean } = {}): Json {
  const [owner, name] = fullName.split("/") as [string, string];
  return {
    ...recordedRepository,
    id,
    node_id: nodeId("R", id),
    name,
    full_name: fullName,
    owner: { ...(recordedRepository.owner as Json), login: owner },
    html_url: `https://github.com/${fullName}`,
    url: `https://api.github.com/repos/${fullName}`,
    private: false,
    has_discussions: opts.hasDiscussions ?? false,
  };
}

let nextId = 5000;

/** An issue shaped like the recorded ones. */
export function issueObject(
  fullName: string,
  n: number,
  opts: { title?: string; author?: Json; association?: string; createdAt: string; updatedAt?: string; closedAt?: string | null; pullRequest?: boolean; body?: string },
): Json {
  const template = recordedIssues[n % recordedIssues.length]!;
  const api = `https://api.github.com/repos/${fullName}/issues/${n}`;
  return {
    ...template,
    id: ++nextId,
    node_id: `I_${nextId}`,
    number: n,
    title: opts.title ?? `Question ${n}?`,
    url: api,
    repository_url: `https://api.github.com/repos/${fullName}`,
    comments_url: `${api}/comments`,
    html_url: `https://github.com/${fullName}/${opts.pullRequest ? "pull" : "issues"}/${n}`,
    user: opts.author ?? user("asker", 9001),
    author_association: opts.association ?? "NONE",
    state: opts.closedAt ? "closed" : "open",
    state_reason: opts.closedAt ? "completed" : null,
    created_at: opts.createdAt,
    updated_at: opts.updatedAt ?? opts.createdAt,
    closed_at: opts.closedAt ?? null,
    body: opts.body ?? `How do I do thing ${n}?`,
    ...(opts.pullRequest
      ? { pull_request: { url: `https://api.github.com/repos/${fullName}/pulls/${n}`, html_url: `https://github.com/${fullName}/pull/${n}`, merged_at: null } }
      : {}),
  };
}

/** A comment of the documented shape (GET /repos/{o}/{r}/issues/comments). */
export function commentObject(fullName: string, issueNumber: number, opts: { author: Json; association?: string; createdAt: string; updatedAt?: string; body?: string }): Json {
  const id = ++nextId;
  return {
    url: `https://api.github.com/repos/${fullName}/issues/comments/${id}`,
    html_url: `https://github.com/${fullName}/issues/${issueNumber}#issuecomment-${id}`,
    issue_url: `https://api.github.com/repos/${fullName}/issues/${issueNumber}`,
    id,
    node_id: `IC_${id}`,
    user: opts.author,
    created_at: opts.createdAt,
    updated_at: opts.updatedAt ?? opts.createdAt,
    author_association: opts.association ?? "NONE",
    body: opts.body ?? "Here is how.",
    reactions: { total_count: 0 },
    performed_via_github_app: null,
  };
}


// ---------------------------------------------------------------------------------------------
// Discussions, stored as GraphQL objects of the documented shape (camelCase, node ids)

/** Packs non-negative integers as MessagePack, as GitHub's node ids do. */
function msgpackInts(values: number[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x90 + values.length])];
  for (const v of values) {
    if (v <= 0x7f) parts.push(Buffer.from([v]));
    else if (v <= 0xff) parts.push(Buffer.from([0xcc, v]));
    else if (v <= 0xffff) parts.push(Buffer.from([0xcd, v >> 8, v & 0xff]));
    else {
      const b = Buffer.alloc(5);
      b[0] = 0xce;
      b.writeUInt32BE(v, 1);
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}

/** A node id in GitHub's current form: `PREFIX_` + base64url(MessagePack [0, ...ids]). */
export function nodeId(prefix: string, ...ids: number[]): string {
  return `${prefix}_${msgpackInts([0, ...ids]).toString("base64url")}`;
}

/** A REST user (from `user`) as the GraphQL actor GitHub would show: a Bot's login lacks `[bot]`. */
export function actorObject(restUser: Json | null | undefined): Json | null {
  if (!restUser) return null;
  const bot = restUser.type === "Bot";
  const login = bot ? String(restUser.login).replace(/\[bot\]$/, "") : String(restUser.login);
  return {
    __typename: bot ? "Bot" : "User",
    id: nodeId(bot ? "BOT" : "U", restUser.id),
    databaseId: restUser.id,
    login,
    name: null,
    url: bot ? `https://github.com/apps/${login}` : `https://github.com/${login}`,
    resourcePath: bot ? `/apps/${login}` : `/${login}`,
    avatarUrl: `https://avatars.githubusercontent.com/u/${restUser.id}?v=4`,
    createdAt: "2020-01-01T00:00:00Z",
  };
}

/** A discussion category of a repository (`is_answerable` categories take marked answers). */
export function categoryObject(repository: Json, id: number, opts: { name: string; isAnswerable: boolean; slug?: string; emoji?: string }): Json {
  return {
    __typename: "DiscussionCategory",
    id: nodeId("DIC", repository.id, id),
    name: opts.name,
    slug: opts.slug ?? opts.name.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
    emoji: opts.emoji ?? (opts.isAnswerable ? ":pray:" : ":speech_balloon:"),
    emojiHTML: "<div>🙏</div>",
    description: `${opts.name} discussions`,
    isAnswerable: opts.isAnswerable,
    createdAt: "2021-03-30T16:09:00Z",
    updatedAt: "2021-03-30T16:09:00Z",
  };
}

/** A comment (or a reply) on a discussion; `discussionObject` gives it its node id and URL. */
export function discussionCommentObject(opts: {
  author: Json | null;
  association?: string;
  createdAt: string;
  updatedAt?: string;
  body?: string;
  replies?: Json[];
  deletedAt?: string | null;
}): Json {
  const id = ++nextId;
  return {
    __typename: "DiscussionComment",
    databaseId: id,
    author: actorObject(opts.author),
    authorAssociation: opts.association ?? "NONE",
    body: opts.body ?? "Here is how.",
    bodyText: opts.body ?? "Here is how.",
    bodyHTML: `<p>${opts.body ?? "Here is how."}</p>`,
    createdAt: opts.createdAt,
    updatedAt: opts.updatedAt ?? opts.createdAt,
    publishedAt: opts.createdAt,
    lastEditedAt: null,
    deletedAt: opts.deletedAt ?? null,
    isMinimized: false,
    minimizedReason: null,
    upvoteCount: 0,
    createdViaEmail: false,
    includesCreatedEdit: false,
    editor: null,
    replies: opts.replies ?? [],
  };
}

/**
 * A discussion in `repository` (a `repositoryObject`), with its comments (and their replies)
 * linked to it; `answer` is one of its top-level comments.
 */
export function discussionObject(
  repository: Json,
  number: number,
  opts: {
    category: Json;
    title?: string;
    author?: Json | null;
    association?: string;
    createdAt: string;
    updatedAt?: string;
    body?: string;
    comments?: Json[];
    answer?: Json;
    answerChosenAt?: string;
    answerChosenBy?: Json;
    closedAt?: string | null;
    stateReason?: "RESOLVED" | "OUTDATED" | "DUPLICATE" | "REOPENED" | null;
    locked?: boolean;
  },
): Json {
  const id = ++nextId;
  const url = `https://github.com/${repository.full_name}/discussions/${number}`;
  const comments = opts.comments ?? [];
  const discussion: Json = {
    __typename: "Discussion",
    id: nodeId("D", repository.id, id),
    databaseId: id,
    number,
    title: opts.title ?? `Question ${number}?`,
    body: opts.body ?? `How do I do thing ${number}?`,
    bodyText: opts.body ?? `How do I do thing ${number}?`,
    bodyHTML: `<p>${opts.body ?? `How do I do thing ${number}?`}</p>`,
    url,
    resourcePath: `/${repository.full_name}/discussions/${number}`,
    createdAt: opts.createdAt,
    updatedAt: opts.updatedAt ?? opts.createdAt,
    publishedAt: opts.createdAt,
    lastEditedAt: null,
    author: opts.author === null ? null : actorObject(opts.author ?? user("asker", 9001)),
    authorAssociation: opts.association ?? "NONE",
    editor: null,
    category: opts.category,
    closed: Boolean(opts.closedAt),
    closedAt: opts.closedAt ?? null,
    stateReason: opts.stateReason ?? (opts.closedAt ? "RESOLVED" : null),
    locked: opts.locked ?? false,
    activeLockReason: null,
    answer: opts.answer ?? null,
    answerChosenAt: opts.answer ? (opts.answerChosenAt ?? opts.answer.updatedAt) : null,
    answerChosenBy: opts.answer ? actorObject(opts.answerChosenBy ?? opts.author ?? user("asker", 9001)) : null,
    isAnswered: Boolean(opts.answer),
    upvoteCount: 0,
    createdViaEmail: false,
    includesCreatedEdit: false,
    comments,
  };
  const link = (c: Json, parent: Json | null) => {
    c.id = nodeId("DC", repository.id, c.databaseId);
    c.url = `${url}#discussioncomment-${c.databaseId}`;
    c.resourcePath = `/${repository.full_name}/discussions/${number}#discussioncomment-${c.databaseId}`;
    c.discussion = discussion;
    c.replyTo = parent;
    c.isAnswer = discussion.answer === c;
    for (const reply of c.replies as Json[]) link(reply, c);
  };
  for (const c of comments) link(c, null);
  return discussion;
}

// ---------------------------------------------------------------------------------------------
// GraphQL: a parser for query documents, the schema subset, validation, cost and execution

type Value = { var: string } | { list: Value[] } | { obj: Record<string, Value> } | { lit: unknown } | { enum: string };
interface Loc {
  line: number;
  column: number;
}
interface FieldNode {
  kind: "field";
  alias: string | null;
  name: string;
  args: Record<string, Value>;
  selections: Selection[];
  loc: Loc;
}
interface InlineNode {
  kind: "inline";
  on: string | null;
  selections: Selection[];
  loc: Loc;
}
interface SpreadNode {
  kind: "spread";
  name: string;
  loc: Loc;
}
type Selection = FieldNode | InlineNode | SpreadNode;
interface Operation {
  type: string;
  name: string | null;
  variables: string[];
  selections: Selection[];
}
interface Fragment {
  name: string;
  on: string;
  selections: Selection[];
  loc: Loc;
}
interface GraphQLDocument {
  operations: Operation[];
  fragments: Map<string, Fragment>;
}

class GraphQLSyntaxError extends Error {
  constructor(
    message: string,
    readonly loc: Loc,
  ) {
    super(message);
  }
}

/** Tokens of the GraphQL language: punctuators, names, numbers, strings. */
function tokenize(text: string): { kind: "punct" | "name" | "number" | "string"; value: string; loc: Loc }[] {
  const out: { kind: "punct" | "name" | "number" | "string"; value: string; loc: Loc }[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const isName = (c: string, first: boolean) => c === "_" || (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || (!first && c >= "0" && c <= "9");
  while (i < text.length) {
    const c = text[i]!;
    const loc = { line, column: i - lineStart + 1 };
    if (c === "\n") {
      line++;
      lineStart = ++i;
    } else if (c === " " || c === "\t" || c === "\r" || c === "," || c === "\ufeff") i++;
    else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (text.startsWith("...", i)) {
      out.push({ kind: "punct", value: "...", loc });
      i += 3;
    } else if ("!$():=@[]{}|&".includes(c)) {
      out.push({ kind: "punct", value: c, loc });
      i++;
    } else if (isName(c, true)) {
      let j = i + 1;
      while (j < text.length && isName(text[j]!, false)) j++;
      out.push({ kind: "name", value: text.slice(i, j), loc });
      i = j;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      let j = i + 1;
      while (j < text.length && "0123456789.eE+-".includes(text[j]!)) j++;
      out.push({ kind: "number", value: text.slice(i, j), loc });
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      let value = "";
      while (j < text.length && text[j] !== '"') {
        if (text[j] === "\\") {
          const e = text[j + 1]!;
          value += e === "n" ? "\n" : e === "t" ? "\t" : e === "u" ? String.fromCharCode(parseInt(text.slice(j + 2, j + 6), 16)) : e;
          j += e === "u" ? 6 : 2;
        } else value += text[j++];
      }
      if (j >= text.length) throw new GraphQLSyntaxError(`Parse error on unterminated string at [${loc.line}, ${loc.column}]`, loc);
      out.push({ kind: "string", value, loc });
      i = j + 1;
    } else throw new GraphQLSyntaxError(`Parse error on "${c}" at [${loc.line}, ${loc.column}]`, loc);
  }
  return out;
}

function parseDocument(text: string): GraphQLDocument {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const fail = (): never => {
    const t = tokens[at] ?? tokens.at(-1);
    const loc = t?.loc ?? { line: 1, column: 1 };
    throw new GraphQLSyntaxError(`Parse error on ${t ? JSON.stringify(t.value) : "end of file"} at [${loc.line}, ${loc.column}]`, loc);
  };
  const next = () => tokens[at++] ?? fail();
  const expect = (value: string) => (peek()?.value === value && peek()?.kind === "punct" ? next() : fail());
  const name = () => (peek()?.kind === "name" ? next().value : fail());
  const isPunct = (value: string) => peek()?.kind === "punct" && peek()?.value === value;

  const value = (): Value => {
    const t = next();
    if (t.kind === "punct" && t.value === "$") return { var: name() };
    if (t.kind === "punct" && t.value === "[") {
      const list: Value[] = [];
      while (!isPunct("]")) list.push(value());
      expect("]");
      return { list };
    }
    if (t.kind === "punct" && t.value === "{") {
      const obj: Record<string, Value> = {};
      while (!isPunct("}")) {
        const key = name();
        expect(":");
        obj[key] = value();
      }
      expect("}");
      return { obj };
    }
    if (t.kind === "string") return { lit: t.value };
    if (t.kind === "number") return { lit: Number(t.value) };
    if (t.kind === "name") return t.value === "true" ? { lit: true } : t.value === "false" ? { lit: false } : t.value === "null" ? { lit: null } : { enum: t.value };
    return fail();
  };
  const typeRef = (): void => {
    if (isPunct("[")) {
      next();
      typeRef();
      expect("]");
    } else name();
    if (isPunct("!")) next();
  };
  const selectionSet = (): Selection[] => {
    expect("{");
    const out: Selection[] = [];
    while (!isPunct("}")) {
      const loc = peek()?.loc ?? fail();
      if (isPunct("...")) {
        next();
        if (peek()?.kind === "name" && peek()?.value === "on") {
          next();
          out.push({ kind: "inline", on: name(), selections: selectionSet(), loc });
        } else if (isPunct("{")) out.push({ kind: "inline", on: null, selections: selectionSet(), loc });
        else out.push({ kind: "spread", name: name(), loc });
        continue;
      }
      let alias: string | null = null;
      let field = name();
      if (isPunct(":")) {
        next();
        alias = field;
        field = name();
      }
      const args: Record<string, Value> = {};
      if (isPunct("(")) {
        next();
        while (!isPunct(")")) {
          const key = name();
          expect(":");
          args[key] = value();
        }
        expect(")");
      }
      if (isPunct("@")) fail(); // directives: not supported here
      out.push({ kind: "field", alias, name: field, args, selections: isPunct("{") ? selectionSet() : [], loc });
    }
    expect("}");
    return out;
  };

  const doc: GraphQLDocument = { operations: [], fragments: new Map() };
  while (at < tokens.length) {
    if (isPunct("{")) {
      doc.operations.push({ type: "query", name: null, variables: [], selections: selectionSet() });
      continue;
    }
    const loc = peek()!.loc;
    const keyword = name();
    if (keyword === "fragment") {
      const fragmentName = name();
      if (name() !== "on") fail();
      doc.fragments.set(fragmentName, { name: fragmentName, on: name(), selections: selectionSet(), loc });
      continue;
    }
    if (keyword !== "query" && keyword !== "mutation" && keyword !== "subscription") fail();
    const opName = peek()?.kind === "name" ? name() : null;
    const variables: string[] = [];
    if (isPunct("(")) {
      next();
      while (!isPunct(")")) {
        expect("$");
        variables.push(name());
        expect(":");
        typeRef();
        if (isPunct("=")) {
          next();
          value();
        }
      }
      expect(")");
    }
    doc.operations.push({ type: keyword, name: opName, variables, selections: selectionSet() });
  }
  return doc;
}

/** A field of the schema: a leaf, an object (possibly an interface), or a connection of objects. */
type FieldSpec = { kind: "leaf"; args?: string[] } | { kind: "object"; type: string; args?: string[] } | { kind: "connection"; type: string; args: string[] };
const LEAF: FieldSpec = { kind: "leaf" };
const PAGING = ["first", "last", "after", "before"];
const object = (type: string, args?: string[]): FieldSpec => ({ kind: "object", type, ...(args ? { args } : {}) });
const connection = (type: string, extra: string[] = []): FieldSpec => ({ kind: "connection", type, args: [...PAGING, ...extra] });
const leaves = (...names: string[]): Record<string, FieldSpec> => Object.fromEntries(names.map((n) => [n, LEAF]));

const ACTOR_FIELDS: Record<string, FieldSpec> = { ...leaves("login", "resourcePath", "url"), avatarUrl: { kind: "leaf", args: ["size"] } };
const COMMENT_FIELDS: Record<string, FieldSpec> = {
  ...leaves("authorAssociation", "body", "bodyHTML", "bodyText", "createdAt", "createdViaEmail", "databaseId", "id", "includesCreatedEdit", "lastEditedAt", "publishedAt", "updatedAt", "upvoteCount", "url", "resourcePath"),
  author: object("Actor"),
  editor: object("Actor"),
};
const SCHEMA: Record<string, Record<string, FieldSpec>> = {
  Query: {
    repository: object("Repository", ["owner", "name", "followRenames"]),
    node: object("Node", ["id"]),
    rateLimit: object("RateLimit", ["dryRun"]),
  },
  Repository: {
    ...leaves("id", "databaseId", "name", "nameWithOwner", "url", "isPrivate", "hasDiscussionsEnabled", "hasIssuesEnabled", "createdAt", "updatedAt"),
    discussions: connection("Discussion", ["categoryId", "answered", "orderBy", "states"]),
    discussion: object("Discussion", ["number"]),
    discussionCategories: connection("DiscussionCategory", ["filterByAssignable"]),
  },
  Discussion: {
    ...COMMENT_FIELDS,
    ...leaves("activeLockReason", "answerChosenAt", "closed", "closedAt", "isAnswered", "locked", "number", "stateReason", "title"),
    answer: object("DiscussionComment"),
    answerChosenBy: object("Actor"),
    category: object("DiscussionCategory"),
    comments: connection("DiscussionComment"),
    repository: object("Repository"),
  },
  DiscussionComment: {
    ...COMMENT_FIELDS,
    ...leaves("deletedAt", "isAnswer", "isMinimized", "minimizedReason"),
    discussion: object("Discussion"),
    replies: connection("DiscussionComment"),
    replyTo: object("DiscussionComment"),
  },
  DiscussionCategory: { ...leaves("createdAt", "description", "emoji", "emojiHTML", "id", "isAnswerable", "name", "slug", "updatedAt"), repository: object("Repository") },
  User: { ...ACTOR_FIELDS, ...leaves("databaseId", "id", "name", "company", "createdAt") },
  Bot: { ...ACTOR_FIELDS, ...leaves("databaseId", "id", "createdAt", "updatedAt") },
  Organization: { ...ACTOR_FIELDS, ...leaves("databaseId", "id", "name", "createdAt") },
  Mannequin: { ...ACTOR_FIELDS, ...leaves("databaseId", "id", "email", "createdAt") },
  EnterpriseUserAccount: { ...ACTOR_FIELDS, ...leaves("id", "name", "createdAt") },
  RateLimit: leaves("cost", "limit", "nodeCount", "remaining", "resetAt", "used"),
  PageInfo: leaves("endCursor", "hasNextPage", "hasPreviousPage", "startCursor"),
  // Interfaces: the fields one may select on them directly.
  Actor: ACTOR_FIELDS,
  Node: leaves("id"),
};
const IMPLEMENTS: Record<string, string[]> = {
  User: ["Actor", "Node"],
  Bot: ["Actor", "Node"],
  Organization: ["Actor", "Node"],
  Mannequin: ["Actor", "Node"],
  EnterpriseUserAccount: ["Actor", "Node"],
  Discussion: ["Node", "Comment", "Closable", "Lockable"],
  DiscussionComment: ["Node", "Comment"],
  DiscussionCategory: ["Node"],
  Repository: ["Node"],
};
const ABSTRACT = new Set(["Actor", "Node", "Comment", "Closable", "Lockable"]);
for (const t of ["Discussion", "DiscussionComment", "DiscussionCategory"]) {
  SCHEMA[`${t}Connection`] = { edges: object(`${t}Edge`), nodes: object(t), pageInfo: object("PageInfo"), totalCount: LEAF };
  SCHEMA[`${t}Edge`] = { cursor: LEAF, node: object(t) };
}

function fieldsOf(type: string): Record<string, FieldSpec> | undefined {
  return SCHEMA[type];
}

function typeMatches(concrete: string, condition: string | null): boolean {
  return condition === null || condition === concrete || (IMPLEMENTS[concrete] ?? []).includes(condition);
}

interface GraphQLError {
  message: string;
  type?: string;
  path?: (string | number)[];
  locations?: Loc[];
  extensions?: Json;
}

interface Plan {
  errors: GraphQLError[];
  /** Requests to fulfil each connection and the nodes it may return, by GitHub's formula. */
  requests: number;
  nodes: number;
}

/** Static checks of a query against the schema, and its cost, GitHub's way. */
function validate(doc: GraphQLDocument, op: Operation, variables: Json): Plan {
  const plan: Plan = { errors: [], requests: 0, nodes: 0 };
  const used = new Set<string>();
  const opPath = `${op.type}${op.name ? ` ${op.name}` : ""}`;
  const resolveValue = (v: Value): unknown =>
    "var" in v ? variables[v.var] : "lit" in v ? v.lit : "enum" in v ? v.enum : "list" in v ? v.list.map(resolveValue) : Object.fromEntries(Object.entries(v.obj).map(([k, x]) => [k, resolveValue(x)]));
  const checkVars = (v: Value, loc: Loc) => {
    if ("var" in v && !op.variables.includes(v.var)) {
      plan.errors.push({ path: [opPath], extensions: { code: "variableNotDefined", variableName: v.var }, locations: [loc], message: `Variable $${v.var} is used by ${op.name ?? "anonymous query"} but not declared` });
    }
    if ("list" in v) v.list.forEach((x) => checkVars(x, loc));
    if ("obj" in v) Object.values(v.obj).forEach((x) => checkVars(x, loc));
  };
  const walk = (type: string, selections: Selection[], path: string[], multiplier: number, seen: Set<string>) => {
    for (const sel of selections) {
      if (sel.kind === "spread") {
        const fragment = doc.fragments.get(sel.name);
        used.add(sel.name);
        if (!fragment) {
          plan.errors.push({ path: [...path, `... ${sel.name}`], extensions: { code: "undefinedFragment", fragmentName: sel.name }, locations: [sel.loc], message: `Fragment ${sel.name} was used, but not defined` });
        } else if (!seen.has(sel.name)) walk(fragment.on, fragment.selections, [...path, `... ${sel.name}`], multiplier, new Set([...seen, sel.name]));
        continue;
      }
      if (sel.kind === "inline") {
        const on = sel.on ?? type;
        if (!SCHEMA[on] && !ABSTRACT.has(on)) {
          plan.errors.push({ path: [...path, `... on ${on}`], extensions: { code: "undefinedType", typeName: on }, locations: [sel.loc], message: `No such type ${on}, so it can't be a fragment condition` });
          continue;
        }
        walk(on, sel.selections, [...path, `... on ${on}`], multiplier, seen);
        continue;
      }
      const fieldPath = [...path, sel.alias ?? sel.name];
      if (sel.name === "__typename") continue;
      const spec = fieldsOf(type)?.[sel.name];
      if (!spec) {
        plan.errors.push({ path: fieldPath, extensions: { code: "undefinedField", typeName: type, fieldName: sel.name }, locations: [sel.loc], message: `Field '${sel.name}' doesn't exist on type '${type}'` });
        continue;
      }
      for (const [arg, v] of Object.entries(sel.args)) {
        checkVars(v, sel.loc);
        if (!(spec.args ?? []).includes(arg)) {
          plan.errors.push({ path: fieldPath, extensions: { code: "argumentNotAccepted", name: sel.name, typeName: "Field", argumentName: arg }, locations: [sel.loc], message: `Field '${sel.name}' doesn't accept argument '${arg}'` });
        }
      }
      if (spec.kind === "leaf") {
        if (sel.selections.length > 0) plan.errors.push({ path: fieldPath, extensions: { code: "selectionMismatch", nodeName: `field '${sel.name}'` }, locations: [sel.loc], message: `Selections can't be made on scalars (field '${sel.name}' returns a scalar)` });
        continue;
      }
      if (sel.selections.length === 0) {
        plan.errors.push({ path: fieldPath, extensions: { code: "selectionMismatch", nodeName: `field '${sel.name}'` }, locations: [sel.loc], message: `Field must have selections (field '${sel.name}' returns ${spec.type} but has no selections. Did you mean '${sel.name} { ... }'?)` });
        continue;
      }
      if (spec.kind === "connection") {
        const first = sel.args["first"] ? resolveValue(sel.args["first"]) : undefined;
        const last = sel.args["last"] ? resolveValue(sel.args["last"]) : undefined;
        const n = typeof first === "number" ? first : typeof last === "number" ? last : null;
        if (n === null) {
          plan.errors.push({ type: "MISSING_PAGINATION_BOUNDARIES", path: fieldPath, locations: [sel.loc], message: `You must provide a \`first\` or \`last\` value to properly paginate the \`${sel.name}\` connection.` });
          continue;
        }
        if (n > 100 || n < 0) {
          const which = typeof first === "number" ? "first" : "last";
          plan.errors.push({ type: "EXCESSIVE_PAGINATION", path: fieldPath, locations: [sel.loc], message: `Requesting ${n} records on the \`${sel.name}\` connection exceeds the \`${which}\` limit of 100 records.` });
          continue;
        }
        plan.requests += multiplier;
        plan.nodes += multiplier * n;
        walk(`${spec.type}Connection`, sel.selections, fieldPath, multiplier * n, seen);
        continue;
      }
      walk(spec.type, sel.selections, fieldPath, multiplier, seen);
    }
  };
  walk("Query", op.selections, [opPath], 1, new Set());
  for (const name of doc.fragments.keys()) {
    if (!used.has(name)) {
      plan.errors.push({ path: [`fragment ${name}`], extensions: { code: "useAndDefineFragment", fragmentName: name }, locations: [doc.fragments.get(name)!.loc], message: `Fragment ${name} was defined, but not used` });
    }
  }
  if (plan.errors.length === 0 && plan.nodes > 500_000) {
    plan.errors.push({ type: "MAX_NODE_LIMIT_EXCEEDED", message: `This query requests up to ${plan.nodes.toLocaleString("en-US")} possible nodes which exceeds the maximum limit of 500,000.` });
  }
  return plan;
}

/** Opaque keyset cursors, like GitHub's `cursor:v2:` ones. */
function encodeCursor(key: unknown[]): string {
  return Buffer.from(`cursor:v2:${JSON.stringify(key)}`).toString("base64");
}
function decodeCursor(cursor: string): unknown[] | null {
  const text = Buffer.from(cursor, "base64").toString("utf8");
  if (!text.startsWith("cursor:v2:")) return null;
  try {
    const key = JSON.parse(text.slice("cursor:v2:".length)) as unknown;
    return Array.isArray(key) ? key : null;
  } catch {
    return null;
  }
}

/** Thrown for an error on a non-null field: the nearest nullable parent becomes null. */
class NullBubble extends Error {}

interface Execution {
  doc: GraphQLDocument;
  variables: Json;
  errors: GraphQLError[];
  repos: Map<string, FakeRepo>;
  rateLimit: Json;
  /** A fault for this request that shows in the data (FORBIDDEN on discussions). */
  forbidDiscussions: boolean;
}

function argValue(ex: Execution, v: Value | undefined): unknown {
  if (v === undefined) return undefined;
  if ("var" in v) return ex.variables[v.var] ?? null;
  if ("lit" in v) return v.lit;
  if ("enum" in v) return v.enum;
  if ("list" in v) return v.list.map((x) => argValue(ex, x));
  return Object.fromEntries(Object.entries(v.obj).map(([k, x]) => [k, argValue(ex, x)]));
}

/** The fields of `selections` that apply to an object of type `concrete`, fragments expanded. */
function collect(ex: Execution, concrete: string, selections: Selection[]): FieldNode[] {
  const out: FieldNode[] = [];
  for (const sel of selections) {
    if (sel.kind === "field") out.push(sel);
    else if (sel.kind === "inline") {
      if (typeMatches(concrete, sel.on)) out.push(...collect(ex, concrete, sel.selections));
    } else {
      const fragment = ex.doc.fragments.get(sel.name)!;
      if (typeMatches(concrete, fragment.on)) out.push(...collect(ex, concrete, fragment.selections));
    }
  }
  return out;
}

function repositoryGraph(repo: FakeRepo): Json {
  const r = repo.repository;
  return {
    __typename: "Repository",
    id: r.node_id,
    databaseId: r.id,
    name: r.name,
    nameWithOwner: r.full_name,
    url: r.html_url,
    isPrivate: r.private,
    hasDiscussionsEnabled: r.has_discussions === true,
    hasIssuesEnabled: true,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    discussions: r.has_discussions === true ? (repo.discussions ?? []) : [],
    discussionCategories: [...new Map((repo.discussions ?? []).map((d) => [d.category.id, d.category])).values()],
  };
}

function findNode(ex: Execution, id: unknown): Json | null {
  for (const repo of ex.repos.values()) {
    const graph = repositoryGraph(repo);
    if (graph.id === id) return graph;
    const visit = (c: Json): Json | null => {
      if (c.id === id) return c;
      for (const r of c.replies as Json[]) {
        const found = visit(r);
        if (found) return found;
      }
      return null;
    };
    for (const d of repo.discussions ?? []) {
      if (d.id === id) return d;
      if (d.category.id === id) return d.category;
      for (const c of d.comments as Json[]) {
        const found = visit(c);
        if (found) return found;
      }
    }
  }
  return null;
}

function executeObject(ex: Execution, type: string, value: Json, selections: Selection[], path: (string | number)[]): Json {
  const concrete = ABSTRACT.has(type) ? String(value.__typename) : type;
  const out: Json = {};
  for (const field of collect(ex, concrete, selections)) {
    const key = field.alias ?? field.name;
    out[key] = field.name === "__typename" ? concrete : resolveField(ex, concrete, value, field, [...path, key]);
  }
  return out;
}

function resolveField(ex: Execution, type: string, parent: Json, field: FieldNode, path: (string | number)[]): unknown {
  const spec = SCHEMA[type]![field.name]!;
  const arg = (name: string) => argValue(ex, field.args[name]);
  if (type === "Query") {
    if (field.name === "rateLimit") return executeObject(ex, "RateLimit", ex.rateLimit, field.selections, path);
    if (field.name === "node") {
      const found = findNode(ex, arg("id"));
      if (!found) {
        ex.errors.push({ type: "NOT_FOUND", path, locations: [field.loc], message: `Could not resolve to a node with the global id of '${String(arg("id"))}'` });
        return null;
      }
      return executeObject(ex, "Node", found, field.selections, path);
    }
    const fullName = `${String(arg("owner"))}/${String(arg("name"))}`;
    const repo = [...ex.repos.entries()].find(([k]) => k.toLowerCase() === fullName.toLowerCase())?.[1];
    if (!repo) {
      ex.errors.push({ type: "NOT_FOUND", path, locations: [field.loc], message: `Could not resolve to a Repository with the name '${fullName}'.` });
      return null;
    }
    try {
      return executeObject(ex, "Repository", repositoryGraph(repo), field.selections, path);
    } catch (err) {
      if (err instanceof NullBubble) return null;
      throw err;
    }
  }
  if (spec.kind === "leaf") return parent[field.name] ?? null;
  if (spec.kind === "object") {
    const value = field.name === "discussion" && type === "Repository" ? (parent.discussions as Json[]).find((d) => d.number === arg("number")) : parent[field.name];
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return value.map((v, i) => executeObject(ex, spec.type, v as Json, field.selections, [...path, i]));
    return executeObject(ex, spec.type, value as Json, field.selections, path);
  }
  if (type === "Repository" && field.name === "discussions" && ex.forbidDiscussions) {
    ex.errors.push({ type: "FORBIDDEN", path, extensions: { saml_failure: false }, locations: [field.loc], message: "Resource not accessible by personal access token" });
    throw new NullBubble();
  }
  return executeConnection(ex, spec.type, connectionItems(ex, type, parent, field), field, path);
}

/** A connection's items in its order, with the sort key its cursors carry. */
function connectionItems(ex: Execution, type: string, parent: Json, field: FieldNode): { items: Json[]; key: (item: Json) => number[] } {
  const arg = (name: string) => argValue(ex, field.args[name]);
  let items = [...((parent[field.name] as Json[] | undefined) ?? [])];
  if (type === "Repository" && field.name === "discussions") {
    const categoryId = arg("categoryId");
    const answered = arg("answered");
    if (typeof categoryId === "string") items = items.filter((d) => d.category.id === categoryId);
    if (typeof answered === "boolean") items = items.filter((d) => Boolean(d.answer) === answered);
    // The documented default: {field: UPDATED_AT, direction: DESC}.
    const order = (arg("orderBy") as { field?: string; direction?: string } | undefined) ?? {};
    const byField = order.field === "CREATED_AT" ? "createdAt" : "updatedAt";
    const sign = order.direction === "ASC" ? 1 : -1;
    const key = (d: Json) => [sign * Date.parse(d[byField]), sign * d.databaseId];
    return { items: items.sort((a, b) => compareKeys(key(a), key(b))), key };
  }
  const key = (c: Json) => [Date.parse(c.createdAt), c.databaseId];
  return { items: items.sort((a, b) => compareKeys(key(a), key(b))), key };
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function executeConnection(ex: Execution, itemType: string, all: { items: Json[]; key: (item: Json) => number[] }, field: FieldNode, path: (string | number)[]): Json | null {
  const arg = (name: string) => argValue(ex, field.args[name]);
  let items = all.items;
  for (const [name, keep] of [
    ["after", (c: number) => c > 0],
    ["before", (c: number) => c < 0],
  ] as const) {
    const cursor = arg(name);
    if (typeof cursor !== "string") continue;
    const key = decodeCursor(cursor);
    if (!key) {
      ex.errors.push({ type: "INVALID_CURSOR_ARGUMENTS", path, locations: [field.loc], message: `\`${cursor}\` does not appear to be a valid cursor.` });
      throw new NullBubble();
    }
    items = items.filter((item) => keep(compareKeys(all.key(item), key as number[])));
  }
  const first = arg("first");
  const last = arg("last");
  let page = items;
  if (typeof first === "number") page = page.slice(0, first);
  if (typeof last === "number") page = page.slice(Math.max(page.length - last, 0));
  const cursorOf = (item: Json) => encodeCursor(all.key(item));
  const connection: Json = {
    totalCount: all.items.length,
    nodes: page,
    edges: page.map((node) => ({ cursor: cursorOf(node), node })),
    pageInfo: {
      hasNextPage: typeof first === "number" && items.length > first,
      hasPreviousPage: typeof last === "number" && items.length > last,
      startCursor: page.length > 0 ? cursorOf(page[0]!) : null,
      endCursor: page.length > 0 ? cursorOf(page.at(-1)!) : null,
    },
  };
  return executeObject(ex, `${itemType}Connection`, connection, field.selections, path);
}

// ---------------------------------------------------------------------------------------------
// The server

export interface FakeRepo {
  repository: Json;
  issues: Json[];
  comments: Json[];
  /** Discussions (`discussionObject`), served through GraphQL when `repository.has_discussions`. */
  discussions?: Json[];
}

/** Faults GraphQL can answer with (each documented by GitHub or seen from it). */
export type GraphQLFault = "rate-limited" | "rate-limit" | "forbidden" | "unauthorized" | "secondary" | "secondary-200" | "500";

export interface GraphQLRequest {
  query: string;
  variables: Json;
}

export interface FakeGitHub {
  url: string;
  repos: Map<string, FakeRepo>;
  /** Every request served, as `GET /path?query` (`POST /graphql` for GraphQL). */
  requests: string[];
  /** Every GraphQL request's query and variables, in order. */
  graphql: GraphQLRequest[];
  /** GraphQL points left in the hour (5,000 at the start, less each query's cost). */
  graphqlRemaining(): number;
  /**
   * Fail the next request whose path+query matches: `secondary` answers 403 with retry-after 1,
   * `500` an internal error. Each fault fires once.
   */
  failNext(match: RegExp, kind: "secondary" | "500"): void;
  /**
   * Answer the next GraphQL requests (`times`, default 1) that `when` accepts (default: any)
   * with a fault: `rate-limited` (200, `RATE_LIMITED`, x-ratelimit-remaining 0), `rate-limit`
   * (the `RATE_LIMIT` type GitHub has also sent), `forbidden` (FORBIDDEN on
   * `repository.discussions`, as for a token without access to them), `unauthorized` (401 Bad
   * credentials, as GitHub once answered fine-grained tokens on GraphQL), `secondary` (403 with
   * retry-after 1), `secondary-200` (a secondary limit answered with 200 and no retry-after, which
   * GitHub documents too) or `500`.
   */
  failGraphQL(kind: GraphQLFault, opts?: { times?: number; when?: (request: GraphQLRequest) => boolean }): void;
  /** Forgets every fault not yet answered with. */
  clearFaults(): void;
  stop(): Promise<void>;
}

export async function startFakeGitHub(opts: { token: string }): Promise<FakeGitHub> {
  const repos = new Map<string, FakeRepo>();
  const requests: string[] = [];
  const graphqlLog: GraphQLRequest[] = [];
  const faults: { match: RegExp; kind: "secondary" | "500" }[] = [];
  const graphqlFaults: { kind: GraphQLFault; times: number; when: (request: GraphQLRequest) => boolean }[] = [];
  let remaining = 5000;
  let graphqlRemaining = 5000;
  let base = "";
  const secondaryMessage = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...recordedHeaders, "x-ratelimit-remaining": String(remaining), "content-length": String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  };

  const list = (res: ServerResponse, url: URL, items: Json[]) => {
    const since = url.searchParams.get("since");
    const perPage = Math.min(Number(url.searchParams.get("per_page") ?? 30), 100);
    const page = Math.max(Number(url.searchParams.get("page") ?? 1), 1);
    let wanted = since ? items.filter((i) => Date.parse(i.updated_at) >= Date.parse(since)) : [...items];
    wanted.sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id - b.id);
    if (url.searchParams.get("direction") === "desc") wanted = wanted.reverse();
    const last = Math.max(Math.ceil(wanted.length / perPage), 1);
    const link = (p: number) => {
      const u = new URL(url.pathname + url.search, base);
      u.searchParams.set("page", String(p));
      return u.toString();
    };
    // The recorded Link header's form: next, last (and prev, first past page 1).
    const rels: string[] = [];
    if (page > 1) rels.push(`<${link(page - 1)}>; rel="prev"`);
    if (page < last) rels.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
    if (page > 1) rels.push(`<${link(1)}>; rel="first"`);
    send(res, 200, wanted.slice((page - 1) * perPage, page * perPage), rels.length ? { link: rels.join(", ") } : {});
  };

  const graphql = (res: ServerResponse, text: string) => {
    // The documented headers of the GraphQL API: points, not requests, under resource `graphql`.
    const resetAt = Math.floor(Date.now() / 1000) + 3600;
    const headers = (left: number, reset = resetAt): Record<string, string> => ({
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": String(left),
      "x-ratelimit-used": String(5000 - left),
      "x-ratelimit-reset": String(reset),
      "x-ratelimit-resource": "graphql",
    });
    let request: GraphQLRequest;
    try {
      const body = JSON.parse(text) as { query?: unknown; variables?: unknown };
      request = { query: String(body.query ?? ""), variables: (body.variables ?? {}) as Json };
    } catch {
      return send(res, 400, { message: "Problems parsing JSON", documentation_url: "https://docs.github.com/graphql" }, headers(graphqlRemaining));
    }
    graphqlLog.push(request);
    const faultAt = graphqlFaults.findIndex((f) => f.when(request));
    const fault = faultAt >= 0 ? graphqlFaults[faultAt]! : null;
    if (fault && --fault.times <= 0) graphqlFaults.splice(faultAt, 1);
    switch (fault?.kind) {
      case "rate-limited":
        return send(res, 200, { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for user ID 9001." }] }, headers(0, Math.floor(Date.now() / 1000) + 1));
      case "rate-limit":
        return send(res, 200, { errors: [{ type: "RATE_LIMIT", code: "graphql_rate_limit", message: "API rate limit already exceeded for user ID 9001." }] }, headers(0, Math.floor(Date.now() / 1000) + 1));
      case "secondary":
        return send(res, 403, { message: secondaryMessage, documentation_url: "https://docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#secondary-rate-limits" }, { ...headers(graphqlRemaining), "retry-after": "1" });
      case "secondary-200":
        return send(res, 200, { errors: [{ message: secondaryMessage }] }, headers(graphqlRemaining));
      case "unauthorized":
        return send(res, 401, { message: "Bad credentials", documentation_url: "https://docs.github.com/graphql", status: "401" });
      case "500":
        return send(res, 500, { message: "Server Error" }, headers(graphqlRemaining));
    }
    let doc: GraphQLDocument;
    try {
      doc = parseDocument(request.query);
    } catch (err) {
      if (!(err instanceof GraphQLSyntaxError)) throw err;
      return send(res, 200, { errors: [{ message: err.message, locations: [err.loc] }] }, headers(graphqlRemaining));
    }
    const op = doc.operations[0];
    if (!op || doc.operations.length > 1 || op.type !== "query") {
      return send(res, 200, { errors: [{ message: "This fake serves exactly one query operation per document" }] }, headers(graphqlRemaining));
    }
    const plan = validate(doc, op, request.variables);
    if (plan.errors.length > 0) return send(res, 200, { errors: plan.errors }, headers(graphqlRemaining));
    const cost = Math.max(1, Math.round(plan.requests / 100));
    graphqlRemaining = Math.max(graphqlRemaining - cost, 0);
    const ex: Execution = {
      doc,
      variables: request.variables,
      errors: [],
      repos,
      rateLimit: { cost, limit: 5000, nodeCount: plan.nodes, remaining: graphqlRemaining, resetAt: new Date(resetAt * 1000).toISOString().replace(".000Z", "Z"), used: 5000 - graphqlRemaining },
      forbidDiscussions: fault?.kind === "forbidden",
    };
    const data = executeObject(ex, "Query", {}, op.selections, []);
    send(res, 200, ex.errors.length > 0 ? { data, errors: ex.errors } : { data }, headers(graphqlRemaining));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? "/", base);
    const line = `${req.method} ${url.pathname}${url.search}`;
    requests.push(line);
    const auth = req.headers.authorization ?? "";
    if (auth !== `token ${opts.token}` && auth !== `Bearer ${opts.token}` && auth !== `bearer ${opts.token}`) {
      const docs = url.pathname === "/graphql" ? "https://docs.github.com/graphql" : "https://docs.github.com/rest";
      return send(res, 401, { message: "Bad credentials", documentation_url: docs, status: "401" });
    }
    const fault = faults.findIndex((f) => f.match.test(`${url.pathname}${url.search}`));
    if (fault >= 0) {
      const [f] = faults.splice(fault, 1);
      if (f!.kind === "secondary") {
        return send(res, 403, { message: secondaryMessage, documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits" }, { "retry-after": "1" });
      }
      return send(res, 500, { message: "Server Error" });
    }
    if (req.method === "POST" && url.pathname === "/graphql") return graphql(res, body);
    remaining--;
    const m = /^\/repos\/([^/]+\/[^/]+)(\/issues(?:\/(comments|\d+))?)?$/.exec(url.pathname);
    const repo = m ? repos.get(m[1]!) : undefined;
    if (req.method !== "GET" || !m || !repo) return send(res, 404, { message: "Not Found" });
    if (!m[2]) return send(res, 200, repo.repository);
    if (m[3] === "comments") return list(res, url, repo.comments);
    if (m[3]) {
      const issue = repo.issues.find((i) => i.number === Number(m[3]));
      return issue ? send(res, 200, issue) : send(res, 404, { message: "Not Found" });
    }
    return list(res, url, repo.issues);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    repos,
    requests,
    graphql: graphqlLog,
    graphqlRemaining: () => graphqlRemaining,
    failNext(match, kind) {
      faults.push({ match, kind });
    },
    failGraphQL(kind, o = {}) {
      graphqlFaults.push({ kind, times: o.times ?? 1, when: o.when ?? (() => true) });
    },
    clearFaults() {
      faults.length = 0;
      graphqlFaults.length = 0;
    },
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
