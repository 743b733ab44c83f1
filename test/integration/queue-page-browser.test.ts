// The queue page as a person uses it: served by the real actions route on the local front door,
// opened in Debian's Chromium (as test/integration/digest-browser.test.ts does) at phone and
// desktop widths: no sideways scrolling, no script, the sort links and every action button work,
// a forged or expired link gets 403. Screenshots are kept in test-artifacts/ for a human to look at.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createActions } from "../../functions/actions/app.ts";
import { startFrontDoor } from "../../infra/local/http.ts";
import { queueUrl, type QueueLink } from "../../shared/actions/index.ts";
import { parseConfig } from "../../shared/model/config.ts";
import { EnvSecretResolver } from "../../shared/secrets/resolver.ts";
import { MemoryActionsStore, questionOpening, type QuestionSpec } from "../support/memory-actions-store.ts";

const ARTIFACTS = join(import.meta.dirname, "../../test-artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SECRET = "queue-browser-secret-0123456789";
const NOW = new Date("2026-02-10T09:00:00.000Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

const hostile = '<script>window.__pwned = true</script><img src=x onerror="window.__pwned = true">';
const longWord = "ConnectionRefusedErrorWhileReplicatingFromPrimaryToReplica".repeat(3);

const config = parseConfig({
  name: "Acme",
  digest: { maxItems: 3, slaHours: 24, recipients: [{ email: "dana@acme.example", name: "Dana" }] },
  sources: { slack: {} },
});

const QUESTIONS: QuestionSpec[] = [
  { n: 1, title: `Crash on startup ${hostile}`, createdAt: hoursAgo(90), excerpt: `Stack trace: ${longWord} [link](javascript:alert(1))` },
  { n: 2, title: longWord, createdAt: hoursAgo(60), channel: { id: "github:acme/widgets:discussions", name: "Discussions / Q&A" } },
  { n: 3, title: "Where are the logs on macOS?", createdAt: hoursAgo(40), source: "slack", channel: { id: "C0HELP0001", name: "#help" } },
  { n: 4, title: "How do I configure replication for read replicas across regions?", createdAt: hoursAgo(20) },
  ...Array.from({ length: 8 }, (_, i) => ({ n: 10 + i, title: `Question number ${10 + i}`, createdAt: hoursAgo(12 - i), excerpt: "How do I do the thing?" })),
];

const threadOf = (n: number) => (n === 3 ? "slack:message:T0ACME:C0HELP0001:3.000100" : `github:issue:acme/widgets#${n}`);

describe("the queue page in a browser", () => {
  let browser: Browser;
  let front: Awaited<ReturnType<typeof startFrontDoor>>;
  let store: MemoryActionsStore;
  let clock = NOW;
  const link = (over: Partial<QueueLink> = {}): string =>
    queueUrl(front.url, SECRET, { recipient: "dana@acme.example", expiresAt: new Date(NOW.getTime() + 168 * 3_600_000), order: "oldest", ...over });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    store = new MemoryActionsStore(QUESTIONS.map(questionOpening));
    const actions = createActions({ config, store, secrets: new EnvSecretResolver({}, { ACTIONS_SIGNING_SECRET: SECRET }), now: () => clock });
    front = await startFrontDoor(
      { webhook: async () => ({ status: 404, body: "" }), health: async () => ({}), index: () => "", actions },
      { port: 0, maxBodyBytes: 1024 * 1024 },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await front?.close();
  });

  const threadsShown = async (page: Page) => (await page.evaluate(`[...document.querySelectorAll("li[data-thread]")].map((li) => li.getAttribute("data-thread"))`)) as string[];

  for (const [label, width] of [
    ["phone", 375],
    ["desktop", 1024],
  ] as const) {
    it(`fits a ${label} screen (${width} px): every open question, no sideways scrolling, no script run`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 900 }, javaScriptEnabled: true });
      try {
        const response = await page.goto(link(), { waitUntil: "load" });
        expect(response?.status()).toBe(200);
        const layout = (await page.evaluate(`({
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
          pwned: window.__pwned === true,
          scripts: document.querySelectorAll("script").length,
          widest: Math.max(...[...document.querySelectorAll("li, button, nav a")].map((el) => el.getBoundingClientRect().right)),
          buttons: document.querySelectorAll("li form button").length,
        })`)) as { scrollWidth: number; clientWidth: number; pwned: boolean; scripts: number; widest: number; buttons: number };
        expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
        expect(layout.widest).toBeLessThanOrEqual(layout.clientWidth);
        expect(layout.pwned).toBe(false);
        expect(layout.scripts).toBe(0);
        // All twelve, though the digest mails at most three.
        expect(await threadsShown(page)).toHaveLength(QUESTIONS.length);
        expect(layout.buttons).toBe(QUESTIONS.length * 4);
        await page.screenshot({ path: join(ARTIFACTS, `queue-${label}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    });
  }

  it("sorts by age and by source through its links", async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 900 } });
    try {
      await page.goto(link(), { waitUntil: "load" });
      const oldest = await threadsShown(page);
      await Promise.all([page.waitForURL(/o=newest/), page.click("nav a >> text=Newest first")]);
      expect(await threadsShown(page)).toEqual([...oldest].reverse());
      await Promise.all([page.waitForURL(/o=source/), page.click("nav a >> text=By source")]);
      const headings = (await page.evaluate(`[...document.querySelectorAll("h2")].map((h) => h.textContent)`)) as string[];
      expect(headings).toEqual(["GitHub › Discussions / Q&A", "GitHub › Issues", "Slack › #help"]);
      expect((await threadsShown(page)).at(-1)).toBe(threadOf(3));
    } finally {
      await page.close();
    }
  });

  it("every action button works: each posts to the action route and the page then shows the change", async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 900 } });
    try {
      const press = async (n: number, action: string) => {
        await page.goto(link(), { waitUntil: "load" });
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.url().endsWith(`/actions/${action}`) && r.request().method() === "POST"),
          page.click(`li[data-thread="${threadOf(n)}"] form[action="${action}"] button`),
        ]);
        expect(response.status()).toBe(200);
        await page.waitForLoadState("load");
        expect(await page.textContent("h1")).toBe("Done");
      };
      await press(10, "take");
      expect(store.threads.get(threadOf(10))?.assignee).toMatchObject({ id: "advocate:dana@acme.example", name: "Dana" });
      await press(11, "snooze");
      expect(store.threads.get(threadOf(11))?.snoozedUntil).toBe(new Date(NOW.getTime() + 24 * 3_600_000).toISOString());
      await press(12, "resolved");
      expect(store.threads.get(threadOf(12))?.status).toBe("closed");
      await press(3, "not-a-question");
      expect(store.threads.get(threadOf(3))?.isQuestion).toBe(false);

      await page.goto(link(), { waitUntil: "load" });
      const shown = await threadsShown(page);
      expect(shown).toContain(threadOf(10));
      expect(shown).not.toContain(threadOf(11));
      expect(shown).not.toContain(threadOf(12));
      expect(shown).not.toContain(threadOf(3));
      expect(await page.textContent(`li[data-thread="${threadOf(10)}"]`)).toContain("taken by Dana");
      expect(await page.textContent("main > div.muted")).toContain("1 snoozed");
    } finally {
      await page.close();
    }
  });

  it("a forged or expired link gets 403 and shows nothing of the queue", async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 900 } });
    try {
      const forged = new URL(link());
      forged.searchParams.set("s", `${forged.searchParams.get("s")!.slice(0, -2)}AA`);
      for (const url of [forged.href, queueUrl(front.url, "not-the-key-0123456789abcdef", { recipient: "dana@acme.example", expiresAt: new Date(NOW.getTime() + 3_600_000), order: "oldest" })]) {
        const response = await page.goto(url, { waitUntil: "load" });
        expect(response?.status()).toBe(403);
        expect(await threadsShown(page)).toEqual([]);
        expect(await page.locator("form").count()).toBe(0);
      }
      clock = new Date(NOW.getTime() + 169 * 3_600_000);
      const expired = await page.goto(link(), { waitUntil: "load" });
      expect(expired?.status()).toBe(403);
      expect(await page.textContent("body")).toContain("expired");
      expect(await threadsShown(page)).toEqual([]);
    } finally {
      clock = NOW;
      await page.close();
    }
  });
});
