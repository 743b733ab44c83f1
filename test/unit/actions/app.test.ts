import { describe, expect, it } from "vitest";
import { createActions, type ActionOutcome } from "../../../functions/actions/app.ts";
import { actionUrl, type ActionLink } from "../../../shared/actions/index.ts";
import { parseConfig } from "../../../shared/model/config.ts";
import { EnvSecretResolver } from "../../../shared/secrets/resolver.ts";
import { MemoryActionsStore } from "../../support/memory-actions-store.ts";
import { opening, THREAD_ID } from "../threads/build.ts";

const SECRET = "actions-test-secret-0123456789";
const NOW = new Date("2024-05-02T08:00:00.000Z");
const config = parseConfig({
  name: "Acme",
  digest: { recipients: [{ email: "dana@acme.example", name: "Dana <Advocate>" }] },
  actions: { snoozeHours: 24 },
});

function setup(secret: string | null = SECRET) {
  const store = new MemoryActionsStore([opening()]);
  const outcomes: ActionOutcome[] = [];
  let clock = NOW;
  const actions = createActions({
    config,
    store,
    secrets: new EnvSecretResolver({}, secret ? { ACTIONS_SIGNING_SECRET: secret } : {}),
    now: () => clock,
    observer: { outcome: (o) => outcomes.push(o) },
  });
  const request = (method: string, url: string, body = "") => {
    const parsed = new URL(url);
    return actions({ method, path: parsed.pathname, query: parsed.search.slice(1), headers: {}, body: Buffer.from(body) });
  };
  return { store, outcomes, request, setClock: (d: Date) => (clock = d) };
}

const link = (over: Partial<ActionLink> = {}): ActionLink => ({
  action: "take",
  threadId: THREAD_ID,
  recipient: "dana@acme.example",
  expiresAt: new Date(NOW.getTime() + 72 * 3_600_000),
  ...over,
});
const urlOf = (l: ActionLink, secret = SECRET) => actionUrl("http://front.test", secret, l);
const formOf = (url: string) => new URL(url).search.slice(1);

describe("the actions route", () => {
  it("GET only asks: a confirmation page whose form posts the same signed fields, and nothing is stored", async () => {
    const { store, request } = setup();
    const url = urlOf(link());
    const before = structuredClone(store.threads.get(THREAD_ID));
    const page = await request("GET", url);
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({ "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" });
    expect(page.body).toContain(`<form method="post" action="take">`);
    for (const [name, value] of new URL(url).searchParams) expect(page.body).toContain(`name="${name}" value="${value.replace(/&/g, "&amp;")}"`);
    expect(page.body).not.toMatch(/<script/i);
    // HEAD (what some scanners send) changes nothing either.
    expect((await request("HEAD", url)).status).toBe(200);
    expect(store.writes).toBe(0);
    expect(store.threads.get(THREAD_ID)).toEqual(before);
  });

  it("a link with a trailing slash is sent to the canonical link, whose form posts to the route", async () => {
    const { store, request } = setup();
    const url = new URL(urlOf(link()));
    const slashed = `${url.origin}${url.pathname}/${url.search}`;
    const answer = await request("GET", slashed);
    expect(answer.status).toBe(308);
    const target = new URL(answer.headers?.["location"] ?? "", slashed);
    expect(target.href).toBe(url.href);
    const page = await request("GET", target.href);
    expect(page.status).toBe(200);
    // The confirmation form's relative action resolves to the route itself.
    expect(new URL("take", target).pathname).toBe("/actions/take");
    expect(store.writes).toBe(0);
  });

  it("POST applies it once: the thread is assigned; a second click is a no-op that says so", async () => {
    const { store, request, outcomes } = setup();
    const url = urlOf(link());
    const done = await request("POST", url.split("?")[0]!, formOf(url));
    expect(done.status).toBe(200);
    expect(done.body).toContain("It is yours");
    const thread = store.threads.get(THREAD_ID)!;
    expect(thread.assignee).toMatchObject({ id: "advocate:dana@acme.example", name: "Dana <Advocate>", isTeam: true });
    expect(thread.assignedAt).toBe(NOW.toISOString());
    const again = await request("POST", url.split("?")[0]!, formOf(url));
    expect(again.status).toBe(200);
    expect(again.body).toContain("already been used");
    expect(store.writes).toBe(1);
    expect(store.threads.get(THREAD_ID)).toEqual(thread);
    expect(outcomes).toEqual(["applied", "duplicate"]);
  });

  it("snooze, resolved and not-a-question each change the status they should", async () => {
    const { store, request } = setup();
    const post = (action: ActionLink["action"]) => {
      const url = urlOf(link({ action }));
      return request("POST", url); // a bare POST to the link itself works as well
    };
    const snoozed = await post("snooze");
    expect(snoozed.body).toContain("2024-05-03 08:00 UTC");
    expect(store.threads.get(THREAD_ID)?.snoozedUntil).toBe("2024-05-03T08:00:00.000Z");
    await post("resolved");
    expect(store.threads.get(THREAD_ID)).toMatchObject({ status: "closed", questionStatus: "resolved" });
    await post("not-a-question");
    expect(store.threads.get(THREAD_ID)).toMatchObject({ isQuestion: false, questionStatus: "not-a-question" });
  });

  it("403 for a forged, altered or expired link, and nothing changes", async () => {
    const { store, request, setClock } = setup();
    const good = urlOf(link());
    const forged = urlOf(link(), "someone-elses-secret-123456");
    const otherThread = good.replace(encodeURIComponent(THREAD_ID), encodeURIComponent("github:issue:acme/widgets#8"));
    const otherAction = good.replace("/actions/take", "/actions/resolved");
    const otherPerson = good.replace("dana%40acme.example", "mallory%40acme.example");
    for (const url of [forged, otherThread, otherAction, otherPerson]) {
      for (const method of ["GET", "POST"]) {
        const answer = await request(method, url);
        expect(answer.status, `${method} ${url}`).toBe(403);
        expect(answer.body).toContain("This link does not work");
      }
    }
    setClock(new Date(NOW.getTime() + 72 * 3_600_000));
    const expired = await request("POST", good);
    expect(expired.status).toBe(403);
    expect(expired.body).toContain("expired");
    expect(store.writes).toBe(0);
    expect(store.threads.get(THREAD_ID)?.assignee).toBeNull();
  });

  it("refuses a validly signed link for someone no longer a recipient, an unknown thread, other methods, big bodies", async () => {
    const { store, request } = setup();
    expect((await request("POST", urlOf(link({ recipient: "former@acme.example" })))).status).toBe(403);
    expect((await request("GET", urlOf(link({ threadId: "github:issue:nope" })))).status).toBe(404);
    expect((await request("DELETE", urlOf(link()))).status).toBe(405);
    expect((await request("GET", "http://front.test/actions/"))).toMatchObject({ status: 404 });
    expect((await request("POST", "http://front.test/actions/take", "x".repeat(9000))).status).toBe(413);
    expect(store.writes).toBe(0);
  });

  it("answers 500 (and never acts) when the signing key is not configured", async () => {
    const { store, request } = setup(null);
    const answer = await request("POST", urlOf(link()));
    expect(answer.status).toBe(500);
    expect(store.writes).toBe(0);
  });

  it("escapes the thread title on its pages", async () => {
    const store = new MemoryActionsStore([opening({ thread: { title: `<script>alert(1)</script>"><img src=x>` } })]);
    const actions = createActions({ config, store, secrets: new EnvSecretResolver({ ACTIONS_SIGNING_SECRET: SECRET }), now: () => NOW });
    const url = new URL(urlOf(link()));
    const page = await actions({ method: "GET", path: url.pathname, query: url.search.slice(1), headers: {}, body: Buffer.alloc(0) });
    expect(page.body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x&gt;");
    expect(page.body).not.toMatch(/<script|<img/);
  });
});
