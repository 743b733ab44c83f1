/**
 * What the webhook front door needs of each source, and nothing more: check the signature and
 * classify the request (handshake, queue, ignore, malformed). Kept apart from the adapters'
 * normalisers, so the ingest bundle carries no normaliser, no payload folding and no question
 * classifier (its cold start, issue #15).
 */
import type { Source } from "../model/activity.ts";
import type { Config } from "../model/config.ts";
import { classifyDiscourseRequest } from "./discourse/classify.ts";
import { verifyDiscourseSignature } from "./discourse/verify.ts";
import { classifyGitHubRequest } from "./github/classify.ts";
import { verifyGitHubSignature } from "./github/verify.ts";
import { classifySlackRequest } from "./slack/classify.ts";
import { verifySlackRequest } from "./slack/verify.ts";
import type { SourceAdapter } from "./types.ts";

export type DoorAdapter = Pick<SourceAdapter, "source" | "verify" | "classify">;

/** Sources read by a scheduled poller rather than pushed to the front door. */
export const POLLED_SOURCES: readonly Source[] = ["discord", "stackoverflow"];

const SOURCES: ReadonlySet<string> = new Set<Source>(["github", "discourse", "slack", "discord", "stackoverflow"]);

/**
 * Whether a client-supplied name (a URL path segment) names a source. A set, not a property
 * lookup: `constructor`, `__proto__` or `toString` must never find something on Object.prototype.
 */
export function isSource(name: string): name is Source {
  return SOURCES.has(name);
}

/** The doors whose steps take no setting (Slack's is made per config: its replay window). */
export const DOOR_ADAPTERS: Record<"github" | "discourse", DoorAdapter> = {
  github: { source: "github", verify: verifyGitHubSignature, classify: classifyGitHubRequest },
  discourse: { source: "discourse", verify: verifyDiscourseSignature, classify: classifyDiscourseRequest },
};

/** Sources that push webhooks to `POST /webhooks/<source>`. */
export const WEBHOOK_SOURCE_NAMES: readonly Source[] = ["github", "discourse", "slack"];

/** A webhook source's door as configured, or null when it is absent, disabled, polled or not supported. */
export function enabledDoor(config: Config, source: string): { source: Source; adapter: DoorAdapter; secretName: string } | null {
  if (!isSource(source) || !WEBHOOK_SOURCE_NAMES.includes(source)) return null;
  const settings = Object.hasOwn(config.sources, source) ? config.sources[source] : undefined;
  if (!settings?.enabled || !("secretName" in settings)) return null;
  let adapter: DoorAdapter;
  if (source === "slack") {
    // Slack signs a timestamp; how stale a request may be is a per-install setting.
    const skew = config.sources.slack?.maxClockSkewSeconds;
    adapter = { source: "slack", verify: (request, secret, now) => verifySlackRequest(request, secret, now, skew), classify: classifySlackRequest };
  } else {
    adapter = DOOR_ADAPTERS[source as keyof typeof DOOR_ADAPTERS];
  }
  return { source, adapter, secretName: settings.secretName };
}
