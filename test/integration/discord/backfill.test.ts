// backfillDiscord against the fake Discord server: the poller run once from --since to the
// present with no page limit, under its own cursors, resumable, and stopped with a clear reason.
import { afterEach, describe, expect, it } from "vitest";
import type { BackfillProgress } from "../../../shared/backfill/types.ts";
import { parseConfig } from "../../../shared/model/config.ts";
import { EnvelopeSchema, type Envelope } from "../../../shared/model/envelope.ts";
import { backfillDiscordWith } from "../../../shared/sources/discord/backfill.ts";
import { DiscordClient } from "../../../shared/sources/discord/index.ts";
import { FakeDiscord, fakeClock, type FakeClock } from "../../support/fake-discord.ts";
import { memoryCursors } from "../../support/memory-cursors.ts";
import { GUILD, HELP, felix, message, priya } from "../../unit/discord/helpers.ts";
import type { Json } from "../../unit/discord/helpers.ts";

const NOW = "2026-11-24T18:00:00.000Z";
const DAY = 86_400_000;
const MESSAGES = "GET /channels/{id}/messages";

let fake: FakeDiscord | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

type MemoryCursors = ReturnType<typeof memoryCursors>;

async function start(): Promise<{ fake: FakeDiscord; clock: FakeClock }> {
  const clock = fakeClock(NOW);
  fake = await FakeDiscord.start({ token: "bot-token", now: clock.now, bucketLimit: 50, bucketWindowMs: 1000 });
  fake.addChannel({ id: HELP, type: 0, guild_id: GUILD, name: "help" });
  return { fake, clock };
}

/** One message every `everyMs` from `daysAgo` days before NOW. */
function history(count: number, daysAgo: number, everyMs: number): Json[] {
  const start = Date.parse(NOW) - daysAgo * DAY;
  return Array.from({ length: count }, (_, i) => message(new Date(start + i * everyMs).toISOString(), i % 2 ? felix : priya, `message ${i}`));
}

function setup(f: FakeDiscord, clock: FakeClock, extra: { send?: (e: Envelope[]) => Promise<void>; dryRun?: boolean; cursors?: MemoryCursors } = {}) {
  const sent: Envelope[] = [];
  const progress: BackfillProgress[] = [];
  const cursors = extra.cursors ?? memoryCursors();
  // The live poller's page limit is 2: a backfill must not stop there.
  const config = parseConfig({ sources: { discord: { apiBaseUrl: f.url, guildId: GUILD, channels: [{ id: HELP, name: "help", type: "text" }], maxPagesPerRun: 2 } } });
  const deps = {
    config,
    token: f.token,
    since: new Date(Date.parse(NOW) - 30 * DAY),
    now: () => new Date(clock.now()),
    client: new DiscordClient({ baseUrl: f.url, token: f.token, now: clock.now, sleep: clock.sleep }),
    cursors: { get: (k: string) => cursors.get(k), set: (k: string, v: string) => cursors.set(k, v) },
    send:
      extra.send ??
      (async (envelopes: Envelope[]) => {
        for (const e of envelopes) EnvelopeSchema.parse(e);
        sent.push(...envelopes);
      }),
    onProgress: (p: BackfillProgress) => progress.push(p),
    ...(extra.dryRun ? { dryRun: true } : {}),
  };
  const messageIds = () => sent.flatMap((e) => (JSON.parse(e.body) as { messages: Json[] }).messages.map((m) => m["id"] as string));
  return { deps, sent, progress, cursors, messageIds };
}

const ids = (messages: Json[]) => messages.map((m) => m["id"] as string);

describe("backfillDiscord", () => {
  it("reads from --since to the present in one run, past the poller's page limit, and nothing older", async () => {
    const { fake, clock } = await start();
    const old = history(20, 40, 60_000); // 40 days ago: before --since 30d
    const recent = history(450, 29, 60 * 60_000); // one an hour from 29 days ago: 5 pages
    fake.addMessages(HELP, [...old, ...recent]);
    const s = setup(fake, clock);

    const result = await backfillDiscordWith(s.deps);

    expect(result.stopped).toBeNull();
    expect(s.messageIds()).toEqual(ids(recent));
    expect(result.scopes).toEqual([expect.objectContaining({ scope: `#help (${HELP})`, items: 450, done: true })]);
    expect(result.envelopes).toBe(s.sent.length);
    // Its own cursor, at the last message read; progress ended at done with a rising fraction.
    expect(s.cursors.values.get(HELP)).toBe(recent.at(-1)!["id"]);
    const fractions = s.progress.filter((p) => !p.done).map((p) => p.fraction ?? 0);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    // The last page ends at the last message's time: that share of the 30 days.
    const lastAt = Date.parse(recent.at(-1)!["timestamp"] as string);
    expect(fractions.at(-1)).toBeCloseTo((lastAt - (Date.parse(NOW) - 30 * DAY)) / (30 * DAY), 3);
    expect(s.progress.at(-1)).toMatchObject({ source: "discord", done: true, items: 450 });
  });

  it("a rerun reads only what came after its cursor; a dry run sends nothing and moves no cursor", async () => {
    const { fake, clock } = await start();
    const recent = history(150, 10, 60 * 60_000);
    fake.addMessages(HELP, recent);

    const dry = setup(fake, clock, { dryRun: true });
    const dryResult = await backfillDiscordWith(dry.deps);
    expect(dryResult.scopes[0]).toMatchObject({ items: 150 });
    expect(dry.sent).toHaveLength(0);
    expect(dry.cursors.values.size).toBe(0);

    const first = setup(fake, clock);
    await backfillDiscordWith(first.deps);
    expect(first.messageIds()).toEqual(ids(recent));
    const requestsBefore = fake.requestsTo(MESSAGES).length;
    const again = setup(fake, clock, { cursors: first.cursors });
    const second = await backfillDiscordWith(again.deps);
    expect(second.scopes[0]).toMatchObject({ items: 0, envelopes: 0 });
    expect(fake.requestsTo(MESSAGES).length - requestsBefore).toBe(1);
  });

  it("a queue failure mid-way stops the source; the rerun resumes after the last page sent, nothing skipped or repeated", async () => {
    const { fake, clock } = await start();
    const recent = history(350, 20, 30 * 60_000);
    fake.addMessages(HELP, recent);
    const cursors = memoryCursors();
    let sends = 0;
    const delivered: Envelope[] = [];
    const failing = setup(fake, clock, {
      cursors,
      send: async (envelopes) => {
        if (++sends === 3) throw new Error("the queue is unavailable");
        delivered.push(...envelopes);
      },
    });
    const stopped = await backfillDiscordWith(failing.deps);
    expect(stopped.stopped).toMatchObject({ scope: `#help (${HELP})`, reason: expect.stringMatching(/queue is unavailable.*resumes/) });

    const rerun = setup(fake, clock, { cursors, send: async (envelopes) => void delivered.push(...envelopes) });
    const resumed = await backfillDiscordWith(rerun.deps);
    expect(resumed.stopped).toBeNull();
    const all = delivered.flatMap((e) => (JSON.parse(e.body) as { messages: Json[] }).messages.map((m) => m["id"] as string));
    expect(all).toEqual(ids(recent));
  });

  it("a refused token stops the source naming the secret and what the bot needs", async () => {
    const { fake, clock } = await start();
    fake.addMessages(HELP, history(5, 3, 60_000));
    fake.failNext({ status: 401, times: 100 });
    const s = setup(fake, clock);
    const result = await backfillDiscordWith(s.deps);
    expect(result.stopped?.reason).toMatch(/DISCORD_BOT_TOKEN \(401\).*MESSAGE_CONTENT/);
    expect(s.sent).toHaveLength(0);
    expect(s.cursors.values.size).toBe(0);
  });
});
