// Leniency: everything real must still pass the door's shape check. Every example payload
// @octokit/webhooks-examples ships for a handled GitHub event, every bundled sample week and every
// test fixture is answered as before (202 queued, handshake or ignored) and normalises cleanly.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { replayRequest as discourseReplay } from "../../../shared/sources/discourse/index.ts";
import { GITHUB_SUPPORTED_EVENTS, replayRequest as githubReplay } from "../../../shared/sources/github/index.ts";
import { replayRequest as slackReplay } from "../../../shared/sources/slack/index.ts";
import type { ReplaySample } from "../../../shared/sources/types.ts";
import { allGitHubExamples, door, fixture, normalizeQueued, NOW, SECRETS, signed, type WebhookSource } from "./helpers.ts";

const supported = new Set<string>(GITHUB_SUPPORTED_EVENTS);
const examples = allGitHubExamples().map(({ event, payload }, i) => ({ name: `${event}.${payload["action"] ?? "(no action)"} #${i}`, event, payload }));
const handled = examples.filter((e) => supported.has(e.event));
const unhandled = examples.filter((e) => !supported.has(e.event) && e.event !== "ping");

async function deliverQueued(source: WebhookSource, body: string, event: string | undefined, headers: Record<string, string> = {}) {
  const { ingest, sent } = door();
  const answer = await ingest(signed(source, body, { ...(event ? { event } : {}), headers }));
  return { answer, sent };
}

describe("@octokit/webhooks-examples at the door", () => {
  it("has an example of every handled event (105 payloads in 7.6)", () => {
    expect(new Set(handled.map((e) => e.event))).toEqual(supported);
    expect(handled.length).toBeGreaterThanOrEqual(100);
  });

  it.each(handled)("$name is queued and normalises", async ({ event, payload }) => {
    const { answer, sent } = await deliverQueued("github", JSON.stringify(payload), event);
    expect(answer.status, answer.body).toBe(202);
    expect(sent).toHaveLength(1);
    expect(() => normalizeQueued(sent[0]!)).not.toThrow();
  });

  it("acknowledges every example of an event it does not handle, whatever its shape, queueing nothing", async () => {
    for (const { name, event, payload } of unhandled) {
      const { answer, sent } = await deliverQueued("github", JSON.stringify(payload), event);
      expect(answer.status, name).toBe(202);
      expect(sent, name).toEqual([]);
    }
  });
});

/** A sample week of infra/local/samples/<source>, each file replayed exactly as `replay` sends it. */
function samples(source: WebhookSource): Array<{ file: string; sample: ReplaySample }> {
  const dir = new URL(`../../../infra/local/samples/${source}/`, import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, sample: JSON.parse(readFileSync(new URL(file, dir), "utf8")) as ReplaySample }));
}

const replay = {
  github: (sample: ReplaySample) => githubReplay(sample, SECRETS.GITHUB_WEBHOOK_SECRET),
  discourse: (sample: ReplaySample) => discourseReplay(sample, SECRETS.DISCOURSE_WEBHOOK_SECRET, NOW),
  slack: (sample: ReplaySample) => slackReplay(sample, SECRETS.SLACK_SIGNING_SECRET, NOW),
};

describe.each(["github", "discourse", "slack"] as const)("infra/local/samples/%s at the door", (source) => {
  it.each(samples(source))("$file is queued and normalises", async ({ sample }) => {
    const { ingest, sent } = door();
    const { headers, body } = replay[source](sample);
    const answer = await ingest({ method: "POST", path: `/webhooks/${source}`, headers, body: Buffer.from(body, "utf8") });
    expect(answer.status, answer.body).toBe(202);
    expect(sent).toHaveLength(1);
    expect(() => normalizeQueued(sent[0]!)).not.toThrow();
  });
});

function fixtures(source: WebhookSource): string[] {
  return readdirSync(new URL(`../../fixtures/${source}/`, import.meta.url)).filter((f) => f.endsWith(".json"));
}

describe("test/fixtures at the door", () => {
  it.each(fixtures("github"))("github/%s is queued", async (file) => {
    const { answer, sent } = await deliverQueued("github", JSON.stringify(fixture(`github/${file}`)), file.split(".")[0]);
    expect(answer.status, answer.body).toBe(202);
    expect(sent).toHaveLength(1);
    expect(() => normalizeQueued(sent[0]!)).not.toThrow();
  });

  it.each(fixtures("discourse"))("discourse/%s is queued", async (file) => {
    const { answer, sent } = await deliverQueued("discourse", JSON.stringify(fixture(`discourse/${file}`)), file.split(".")[0]);
    expect(answer.status, answer.body).toBe(202);
    expect(sent).toHaveLength(1);
    expect(() => normalizeQueued(sent[0]!)).not.toThrow();
  });

  const slackAnswers: Record<string, [number, number]> = { "url_verification.json": [200, 0], "app_rate_limited.json": [202, 0] };
  it.each(fixtures("slack"))("slack/%s is answered as before", async (file) => {
    const { answer, sent } = await deliverQueued("slack", JSON.stringify(fixture(`slack/${file}`)), undefined);
    const [status, queued] = Object.hasOwn(slackAnswers, file) ? slackAnswers[file]! : [202, 1];
    expect(answer.status, answer.body).toBe(status);
    expect(sent).toHaveLength(queued);
    for (const envelope of sent) expect(() => normalizeQueued(envelope)).not.toThrow();
  });
});
