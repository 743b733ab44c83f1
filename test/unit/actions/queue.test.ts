// The queue page on the actions route: a signed, expiring link per recipient shows every open
// question their filters let through, sortable, with working action buttons; anything else is 403
// with nothing of the queue in it.
import { describe, expect, it } from "vitest";
import { createActions, type ActionOutcome } from "../../../functions/actions/app.ts";
import { queueUrl, verifyActionLink, type QueueLink } from "../../../shared/actions/index.ts";
import { parseConfig } from "../../../shared/model/config.ts";
import { EnvSecretResolver } from "../../../shared/secrets/resolver.ts";
import { MemoryActionsStore, questionOpening } from "../../support/memory-actions-store.ts";

const SECRET = "queue-test-secret-0123456789";
const NOW = new Date("2024-05-15T08:00:00.000Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

const config = parseConfig({
  name: "Acme",
  digest: {
    maxItems: 2,
    slaHours: 24,
    recipients: [
      { email: "dana@acme.example", name: "Dana" },
      { email: "gita@acme.example", sources: ["github"] },
      { slack: { channel: "C0SUPPORT1" }, name: "Support" },
    ],
  },
  sources: { slack: {} },
});

const QUESTIONS = [
  { n: 1, title: "Oldest: TLS between nodes", createdAt: hoursAgo(80) },
  { n: 2, title: "Slack: where are the logs?", createdAt: hoursAgo(50), source: "slack" as const, channel: { id: "C0HELP0001", name: "#C0HELP0001" } },
  { n: 3, title: "Resize a cluster online", createdAt: hoursAgo(30), channel: { id: "github:acme/widgets:discussions", name: "Discussions / Q&A" } },
  { n: 4, title: "Helm chart <values>", createdAt: hoursAgo(10), excerpt: "Which <script>alert(1)</script> values?" },
  { n: 5, title: "Newest: backup to S3", createdAt: hoursAgo(2) },
];

function setup() {
  const store = new MemoryActionsStore(QUESTIONS.map(questionOpening));
  store.cachedNames.set("slack:channels:C0HELP0001", "#help");
  const outcomes: ActionOutcome[] = [];
  let clock = NOW;
  const actions = createActions({
    config,
    store,
    secrets: new EnvSecretResolver({}, { ACTIONS_SIGNING_SECRET: SECRET }),
    now: () => clock,
    observer: { outcome: (o) => outcomes.push(o) },
  });
  const request = (method: string, url: string, body = "") => {
    const parsed = new URL(url, "http://front.test/actions/queue");
    return actions({ method, path: parsed.pathname, query: parsed.search.slice(1), headers: {}, body: Buffer.from(body) });
  };
  return { store, outcomes, request, setClock: (d: Date) => (clock = d) };
}

const link = (over: Partial<QueueLink> = {}): QueueLink => ({ recipient: "dana@acme.example", expiresAt: new Date(NOW.getTime() + 168 * 3_600_000), order: "oldest", ...over });
const urlOf = (l: QueueLink, secret = SECRET) => queueUrl("http://front.test", secret, l);
const titlesIn = (html: string) => QUESTIONS.filter((q) => html.includes(q.title.replace("<", "&lt;").replace(">", "&gt;"))).map((q) => q.n);
const orderIn = (html: string) => [...html.matchAll(/data-thread="[^"]*#(\d+)"|data-thread="slack:message:[^"]*:(\d+)\.000100"/g)].map((m) => Number(m[1] ?? m[2]));

describe("the queue page", () => {
  it("lists every open question (no maxItems), oldest first, escaped, with the page's strict headers", async () => {
    const { request, outcomes } = setup();
    const page = await request("GET", urlOf(link()));
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({ "cache-control": "no-store", "referrer-policy": "no-referrer", "x-robots-tag": "noindex" });
    expect(page.headers?.["content-security-policy"]).toContain("default-src 'none'");
    expect(orderIn(page.body)).toEqual([1, 2, 3, 4, 5]);
    expect(page.body).toContain("5 unanswered questions, 3 overdue (SLA 24 h)");
    expect(page.body).not.toMatch(/<script/i);
    expect(page.body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    // The Slack channel's name comes from the name cache (no Slack call on this path).
    expect(page.body).toContain("Slack › #help");
    expect(outcomes).toEqual(["queue"]);
  });

  it("keeps to the recipient's filters: a GitHub-only recipient sees no Slack question", async () => {
    const { request } = setup();
    const page = await request("GET", urlOf(link({ recipient: "gita@acme.example" })));
    expect(titlesIn(page.body)).toEqual([1, 3, 4, 5]);
  });

  it("a Slack-only recipient has a page of their own (recipient id slack:<channel>)", async () => {
    const { request } = setup();
    const page = await request("GET", urlOf(link({ recipient: "slack:c0support1" })));
    expect(page.status).toBe(200);
    expect(titlesIn(page.body)).toEqual([1, 2, 3, 4, 5]);
  });

  it("sorts by age either way and by source, through links the server signs again", async () => {
    const { request } = setup();
    const page = await request("GET", urlOf(link()));
    const hrefs = [...page.body.matchAll(/<a href="(queue\?[^"]+)">/g)].map((m) => m[1]!.replace(/&amp;/g, "&"));
    expect(hrefs).toHaveLength(2);
    const newest = await request("GET", hrefs.find((h) => h.includes("o=newest"))!);
    expect(orderIn(newest.body)).toEqual([5, 4, 3, 2, 1]);
    const bySource = await request("GET", hrefs.find((h) => h.includes("o=source"))!);
    expect(orderIn(bySource.body)).toEqual([3, 1, 4, 5, 2]);
    expect(bySource.body).toContain("<h2>GitHub › Discussions / Q&amp;A</h2>");
    // Changing the order by hand breaks the signature.
    const tampered = new URL(urlOf(link()));
    tampered.searchParams.set("o", "newest");
    expect((await request("GET", tampered.href)).status).toBe(403);
  });

  it("every button is a form posting signed fields to the action route, and posting one acts", async () => {
    const { request, store } = setup();
    const page = await request("GET", urlOf(link()));
    const forms = [...page.body.matchAll(/<form method="post" action="([a-z-]+)">(.*?)<\/form>/g)];
    expect(forms).toHaveLength(5 * 4);
    for (const [, action, inner] of forms) {
      const fields = new URLSearchParams([...inner!.matchAll(/name="(\w)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, "&")] as [string, string]));
      const verdict = verifyActionLink(SECRET, action!, fields, NOW);
      expect(verdict.ok && verdict.link.recipient).toBe("dana@acme.example");
      // The relative action resolves to the route, next to the page.
      expect(new URL(action!, "http://front.test/actions/queue").pathname).toBe(`/actions/${action}`);
    }
    const [, action, inner] = forms.find(([, a, i]) => a === "take" && i!.includes('value="github:issue:acme/widgets#4"'))!;
    const body = new URLSearchParams([...inner!.matchAll(/name="(\w)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, "&")] as [string, string])).toString();
    const done = await request("POST", `http://front.test/actions/${action}`, body);
    expect(done.status).toBe(200);
    expect(store.threads.get("github:issue:acme/widgets#4")?.assignee).toMatchObject({ id: "advocate:dana@acme.example", name: "Dana" });
  });

  it("403 with nothing of the queue for a forged, altered, expired or revoked link", async () => {
    const { request, setClock, outcomes } = setup();
    const forged = urlOf(link(), "another-secret-0123456789abc");
    const altered = new URL(urlOf(link()));
    altered.searchParams.set("r", "gita@acme.example");
    const later = new URL(urlOf(link()));
    later.searchParams.set("e", String(Number(later.searchParams.get("e")) + 3600));
    const revoked = urlOf(link({ recipient: "former@acme.example" }));
    const bare = "http://front.test/actions/queue";
    for (const url of [forged, altered.href, later.href, revoked, bare, `${urlOf(link())}&r=dana%40acme.example`]) {
      const answer = await request("GET", url);
      expect(answer.status).toBe(403);
      expect(titlesIn(answer.body)).toEqual([]);
      expect(answer.body).not.toContain("<form");
    }
    setClock(new Date(NOW.getTime() + 168 * 3_600_000));
    const expired = await request("GET", urlOf(link()));
    expect(expired.status).toBe(403);
    expect(expired.body).toContain("expired");
    expect(titlesIn(expired.body)).toEqual([]);
    expect(outcomes.every((o) => o === "refused")).toBe(true);
  });

  it("only GET and HEAD: a POST is 405, HEAD shows nothing", async () => {
    const { request } = setup();
    const url = urlOf(link());
    expect((await request("POST", url)).status).toBe(405);
    const head = await request("HEAD", url);
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
  });
});

describe("a very long queue", () => {
  it("lists at most MAX_PAGE_ITEMS questions and says how many more there are", async () => {
    const { buildDigest } = await import("../../../shared/digest/build.ts");
    const { MAX_PAGE_ITEMS, renderQueuePage } = await import("../../../shared/digest/page.ts");
    const { thread } = await import("../digest/fixtures.ts");
    const open = Array.from({ length: MAX_PAGE_ITEMS + 3 }, (_, i) => thread({ createdAt: hoursAgo(2000 - i) }));
    const digest = buildDigest({ now: NOW, config, recipient: config.digest.recipients[0]!, openQuestions: open, recentQuestions: [] });
    const html = renderQueuePage(digest, { order: "oldest", orderLinks: { oldest: "a", newest: "b", source: "c" }, actionFields: () => null, expiresAt: NOW, snoozeHours: 24 });
    expect(html.match(/<li /g)).toHaveLength(MAX_PAGE_ITEMS);
    expect(html).toContain("…and 3 more questions not listed");
    expect(Buffer.byteLength(html)).toBeLessThan(6 * 1024 * 1024);
  });
});
