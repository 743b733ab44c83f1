// The digest email as a person sees it: rendered by a real browser (Debian's Chromium, which
// .ci/run installs when missing) at phone and desktop widths. Screenshots are kept in
// test-artifacts/ for a human to look at.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDigest, renderDigestHtml } from "../../shared/digest/index.ts";
import { actor, config, hoursAgo, NOW, responded, thread } from "../unit/digest/fixtures.ts";

const ARTIFACTS = join(import.meta.dirname, "../../test-artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const hostile = '<script>window.__pwned = true</script><img src=x onerror="window.__pwned = true">';
const longWord = "ConnectionRefusedErrorWhileReplicatingFromPrimaryToReplica".repeat(3);

function sampleDigest() {
  const cfg = config({ digest: { slaHours: 24, maxItems: 6 } });
  const open = [
    thread({ title: `Crash on startup ${hostile}`, createdAt: hoursAgo(80), excerpt: `Stack trace: ${longWord} **bold** [link](javascript:alert(1))` }),
    thread({ title: "How do I configure replication for read replicas across regions?", createdAt: hoursAgo(30), author: actor("priya-dev") }),
    thread({ title: longWord, createdAt: hoursAgo(5), channel: { id: "acme/widgets/discussions/1", name: "Discussions / Q&A" } }),
    ...Array.from({ length: 6 }, (_, i) => thread({ title: `Question number ${i + 4}`, createdAt: hoursAgo(3 + i) })),
  ];
  const recent = [...open, responded(50, 2, actor("robin-helper")), responded(40, 30, actor("maria", { isTeam: true }))];
  return buildDigest({ now: NOW, config: cfg, recipient: null, openQuestions: open, recentQuestions: recent });
}

describe("digest email in a browser", () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const [label, width] of [
    ["phone", 375],
    ["desktop", 1024],
  ] as const) {
    it(`fits a ${label} screen (${width} px) with every shown thread linked and no script run`, async () => {
      const digest = sampleDigest();
      const html = renderDigestHtml(digest, { maxItems: 6 });
      const page = await browser.newPage({ viewport: { width, height: 900 }, javaScriptEnabled: true });
      try {
        await page.setContent(html, { waitUntil: "load" });
        // Runs in the page (a string, so this Node-typed file needs no DOM types).
        const layout = (await page.evaluate(`({
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
          pwned: window.__pwned === true,
          scripts: document.querySelectorAll("script").length,
          hrefs: [...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")),
        })`)) as { scrollWidth: number; clientWidth: number; pwned: boolean; scripts: number; hrefs: (string | null)[] };
        expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
        expect(layout.pwned).toBe(false);
        expect(layout.scripts).toBe(0);
        for (const item of digest.unanswered.slice(0, 6)) expect(layout.hrefs).toContain(item.url);
        expect(layout.hrefs.every((href) => href?.startsWith("https://"))).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, `digest-${label}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    });
  }
});
