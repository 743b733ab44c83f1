// The front door (createIngest) with an in-memory queue, a fixed clock and every webhook source
// enabled, plus requests signed the way each platform signs them: over the exact bytes given.
import { readFileSync } from "node:fs";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import { createIngest, type IngestOutcome, type IngestRequest } from "../../../functions/ingest/app.ts";
import type { Activity } from "../../../shared/model/activity.ts";
import { parseConfig } from "../../../shared/model/config.ts";
import type { Envelope } from "../../../shared/model/envelope.ts";
import { fixedClock } from "../../../shared/runtime/clock.ts";
import { EnvSecretResolver } from "../../../shared/secrets/resolver.ts";
import { signDiscourseBody } from "../../../shared/sources/discourse/index.ts";
import { signGitHubBody } from "../../../shared/sources/github/index.ts";
import { ADAPTERS } from "../../../shared/sources/index.ts";
import { signSlackRequest } from "../../../shared/sources/slack/index.ts";
import type { HttpAnswer } from "../../../shared/sources/types.ts";

export type Json = Record<string, any>;
export type WebhookSource = "github" | "discourse" | "slack";
export const WEBHOOK_SOURCES: readonly WebhookSource[] = ["github", "discourse", "slack"];

export const NOW = new Date("2026-11-25T10:00:00.000Z");
export const SECRETS = {
  GITHUB_WEBHOOK_SECRET: "door-github-secret",
  DISCOURSE_WEBHOOK_SECRET: "door-discourse-secret",
  SLACK_SIGNING_SECRET: "door-slack-secret",
} as const;
const SECRET_OF: Record<WebhookSource, string> = {
  github: SECRETS.GITHUB_WEBHOOK_SECRET,
  discourse: SECRETS.DISCOURSE_WEBHOOK_SECRET,
  slack: SECRETS.SLACK_SIGNING_SECRET,
};
export const INSTANCE = "https://discuss.example.org";

/** Every webhook source on, nothing filtered: the normaliser reads everything it is given. */
export const config = parseConfig({
  sources: { github: { enabled: true }, discourse: { enabled: true }, slack: { enabled: true } },
});

export interface Door {
  ingest(request: IngestRequest): Promise<HttpAnswer>;
  sent: Envelope[];
  outcomes: Array<{ source: string; outcome: IngestOutcome; detail?: string | undefined }>;
}

export function door(): Door {
  const sent: Envelope[] = [];
  const outcomes: Door["outcomes"] = [];
  let n = 0;
  const ingest = createIngest({
    config,
    secrets: new EnvSecretResolver({ ...SECRETS }),
    queue: {
      send: async (envelope) => {
        sent.push(envelope);
        return `m-${sent.length}`;
      },
    },
    observer: { outcome: (source, outcome, detail) => outcomes.push({ source, outcome, detail }) },
    now: fixedClock(NOW),
    newId: () => `env-${++n}`,
  });
  return { ingest, sent, outcomes };
}

/** The headers a platform sends besides its signature, for `event`. */
function platformHeaders(source: WebhookSource, event: string): Record<string, string> {
  switch (source) {
    case "github":
      return { "content-type": "application/json", "x-github-event": event, "x-github-delivery": "d-0001" };
    case "discourse": {
      const type = event.startsWith("topic_") ? "topic" : event.startsWith("post_") ? "post" : event.endsWith("_solution") ? "solved" : event;
      return {
        "content-type": "application/json",
        "x-discourse-instance": INSTANCE,
        "x-discourse-event-id": "58213",
        "x-discourse-event-type": type,
        "x-discourse-event": event,
      };
    }
    case "slack":
      return { "content-type": "application/json" };
  }
}

/** A POST to /webhooks/<source> carrying `body` byte for byte, correctly signed over those bytes. */
export function signed(
  source: WebhookSource,
  body: string | Buffer,
  options: { event?: string; headers?: Record<string, string>; path?: string } = {},
): IngestRequest {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const secret = SECRET_OF[source];
  const headers: Record<string, string> = platformHeaders(source, options.event ?? defaultEvent(source));
  switch (source) {
    case "github":
      headers["x-hub-signature-256"] = signGitHubBody(secret, bytes);
      break;
    case "discourse":
      headers["x-discourse-event-signature"] = signDiscourseBody(secret, bytes);
      break;
    case "slack": {
      const timestamp = String(Math.floor(NOW.getTime() / 1000));
      headers["x-slack-request-timestamp"] = timestamp;
      headers["x-slack-signature"] = signSlackRequest(secret, timestamp, bytes);
      break;
    }
  }
  // Given headers win, a signature among them too (to sign something other than the bytes).
  return { method: "POST", path: options.path ?? `/webhooks/${source}`, headers: { ...headers, ...options.headers }, body: bytes };
}

function defaultEvent(source: WebhookSource): string {
  return source === "github" ? "issues" : source === "discourse" ? "post_created" : "message";
}

/** A valid delivery per source, as a value the tests change one field of. */
export function validPayload(source: WebhookSource): Json {
  switch (source) {
    case "github":
      return githubExample("issues", "opened");
    case "discourse":
      return fixture("discourse/post_created.reply.json");
    case "slack":
      return fixture("slack/message.json");
  }
}

export function githubExample(event: string, action?: string): Json {
  const definition = (examples as Array<{ name: string; examples: Json[] }>).find((d) => d.name === event);
  const found = definition?.examples.find((e) => action === undefined || e["action"] === action);
  if (!found) throw new Error(`no example ${event}.${action ?? "*"}`);
  return structuredClone(found);
}

export function allGitHubExamples(): Array<{ event: string; payload: Json }> {
  return (examples as Array<{ name: string; examples: Json[] }>).flatMap((d) => d.examples.map((payload) => ({ event: d.name, payload })));
}

export function fixture(path: string): Json {
  return JSON.parse(readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), "utf8")) as Json;
}

/** What the normaliser makes of a queued envelope (throws what it throws). */
export function normalizeQueued(envelope: Envelope): Activity[] {
  const adapter = ADAPTERS[envelope.source];
  if (!adapter) throw new Error(`no adapter for ${envelope.source}`);
  return adapter.normalize(envelope, config);
}

/** The `error` of a JSON answer. */
export function errorOf(answer: HttpAnswer): string {
  return String((JSON.parse(answer.body) as { error?: unknown }).error);
}
