import type { Clock } from "../../shared/runtime/clock.ts";
import type { Activity } from "../../shared/model/activity.ts";
import type { Config } from "../../shared/model/config.ts";
import { findRecipient } from "../../shared/model/config-values.ts";
import type { AnswerPolicy, DigestAction, Thread } from "../../shared/model/thread.ts";
import { actionActivity, confirmPage, donePage, QUEUE_ORDERS, refusedPage, signedParams, signedQueueParams, verifyActionLink, verifyQueueLink, type QueueOrder } from "../../shared/actions/index.ts";
import { buildDigest } from "../../shared/digest/build.ts";
import { cachedSlackNames, withSlackNames } from "../../shared/digest/names.ts";
import { renderQueuePage } from "../../shared/digest/page.ts";
import type { CachedName } from "../../shared/store/names.ts";
import { safeHttpUrl } from "../../shared/text/index.ts";
import type { SecretResolver } from "../../shared/secrets/resolver.ts";
import { answerPolicyFor } from "../../shared/model/config-values.ts";
import type { HttpAnswer } from "../../shared/sources/types.ts";

/** What the actions route needs from the store (SignalStore has it). */
export interface ActionsStore {
  getThread(threadId: string): Promise<{ thread: Thread } | null>;
  putActivity(activity: Activity): Promise<"stored" | "duplicate">;
  refreshThread(threadId: string, policy: AnswerPolicy): Promise<{ thread: Thread | null }>;
  /** The open-question index, for the queue page (absent: no queue page, 404). */
  openQuestions?(filter?: { createdBefore?: string }): Promise<Thread[]>;
  /** Cached platform names (Slack ids on the queue page); absent: ids are shown. */
  names?: { getMany(source: string, kind: string, ids: readonly string[]): Promise<Map<string, CachedName>> };
}

export type ActionOutcome = "confirm" | "applied" | "duplicate" | "refused" | "not_found" | "error" | "queue";

export interface ActionsDeps {
  config: Config;
  store: ActionsStore;
  secrets: SecretResolver;
  /** The one clock: link expiry and the time an action is stamped with. */
  now: Clock;
  observer?: { outcome(outcome: ActionOutcome, detail?: string): void };
}

export interface ActionRequest {
  method: string;
  /** e.g. `/actions/snooze` */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  headers: Record<string, string>;
  body: Buffer;
}

const ACTION_PATH = /^\/actions\/([a-z-]{1,32})\/?$/;
/** A form post carries four short fields; anything much bigger is not ours. */
const MAX_FORM_BYTES = 8 * 1024;

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  // Links carry a signature: never cache the pages or leak the URL onwards.
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-robots-tag": "noindex",
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

const html = (status: number, body: string, extra: Record<string, string> = {}): HttpAnswer => ({ status, headers: { ...PAGE_HEADERS, ...extra }, body });

const REFUSALS = {
  malformed: "The link is incomplete or damaged. Use the link from your latest digest.",
  "bad-signature": "The link is not one we signed, or it was changed. Use the link from your latest digest.",
  expired: "The link has expired. Use the link from your latest digest.",
} as const;

/**
 * Actions from the digest's signed links, shared by the Lambda and the local front door.
 * GET only shows a confirmation page (mail scanners prefetch links, so opening one must not
 * change anything); the page's button POSTs the same signed parameters, which stores an action
 * activity in the thread's partition (idempotent by a natural id derived from the link) and
 * refolds the thread. A forged, altered or expired link gets 403 and changes nothing.
 */
export function createActions(deps: ActionsDeps): (request: ActionRequest) => Promise<HttpAnswer> {
  const now = deps.now;
  const observe = (outcome: ActionOutcome, detail?: string) => deps.observer?.outcome(outcome, detail);

  return async function actions(request) {
    const match = ACTION_PATH.exec(request.path);
    if (!match || !deps.config.actions.enabled) {
      observe("not_found", request.path);
      return html(404, refusedPage("There is no such page."));
    }
    const method = request.method.toUpperCase();
    if (match[1] === "queue" && !request.path.endsWith("/")) return queuePage(method, request.query);
    // The confirmation form posts to a relative URL: under `/actions/take/` it would miss the
    // route, so a trailing slash is sent to the canonical link first (the query, signature included, kept).
    if (request.path.endsWith("/") && (method === "GET" || method === "HEAD")) {
      const location = `${match[1] ?? ""}${request.query ? `?${request.query}` : ""}`;
      return { status: 308, headers: { location: `../${location}`, "content-type": "text/plain; charset=utf-8" }, body: "" };
    }
    if (method !== "GET" && method !== "HEAD" && method !== "POST") {
      return html(405, refusedPage("Open the link from your digest."), { allow: "GET, POST" });
    }
    if (method === "POST" && request.body.byteLength > MAX_FORM_BYTES) {
      observe("refused", "form too large");
      return html(413, refusedPage("The request is too large."));
    }
    if (match[1] === "queue") return html(405, refusedPage("Open the link from your digest."), { allow: "GET" });
    // The form posts its fields in the body; a bare POST to the link itself carries them in the query.
    const formText = method === "POST" ? request.body.toString("utf8") : "";
    const params = new URLSearchParams(formText.trim().length > 0 ? formText : request.query);

    const secret = await deps.secrets.get(deps.config.actions.secretName);
    if (!secret) {
      observe("error", `secret ${deps.config.actions.secretName} is not set`);
      return html(500, refusedPage("Digest actions are not configured on this server."));
    }
    const verdict = verifyActionLink(secret, match[1] ?? "", params, now());
    if (!verdict.ok) {
      observe("refused", verdict.reason);
      return html(403, refusedPage(REFUSALS[verdict.reason]));
    }
    const { link } = verdict;
    // Removing someone from the recipients revokes the links they still have.
    if (!findRecipient(deps.config, link.recipient)) {
      observe("refused", "not a recipient");
      return html(403, refusedPage("This link belongs to someone who no longer receives the digest."));
    }
    const stored = await deps.store.getThread(link.threadId);
    if (!stored) {
      observe("not_found", "thread");
      return html(404, refusedPage("That question is not known here (any more)."));
    }
    const summary = { title: stored.thread.title, url: safeHttpUrl(stored.thread.url) };

    if (method !== "POST") {
      observe("confirm", link.action);
      return html(200, method === "HEAD" ? "" : confirmPage(link.action, summary, signedParams(secret, link)));
    }
    const outcome = await deps.store.putActivity(actionActivity(deps.config, link, stored.thread, now()));
    // Refolded even for a duplicate: a crash between the two writes heals on the next click.
    const { thread } = await deps.store.refreshThread(link.threadId, answerPolicyFor(deps.config, stored.thread.source));
    observe(outcome === "stored" ? "applied" : "duplicate", link.action);
    return html(200, donePage(link.action, summary, { until: thread?.snoozedUntil ?? null, already: outcome === "duplicate" }));
  };

  /**
   * GET `/actions/queue?r&e&o&s`: every open question the recipient's filters let through, in the
   * signed order, each with its signed action buttons (fresh links, valid `linkTtlHours`). Only
   * reads: the index of open questions and the name cache. Nothing is shown without a valid,
   * unexpired signature for a current recipient.
   */
  async function queuePage(method: string, query: string): Promise<HttpAnswer> {
    if (method !== "GET" && method !== "HEAD") return html(405, refusedPage("Open the link from your digest."), { allow: "GET" });
    const readOpen = deps.store.openQuestions?.bind(deps.store);
    if (!readOpen) {
      observe("not_found", "queue");
      return html(404, refusedPage("There is no such page."));
    }
    const secret = await deps.secrets.get(deps.config.actions.secretName);
    if (!secret) {
      observe("error", `secret ${deps.config.actions.secretName} is not set`);
      return html(500, refusedPage("Digest actions are not configured on this server."));
    }
    const at = now();
    const verdict = verifyQueueLink(secret, new URLSearchParams(query), at);
    if (!verdict.ok) {
      observe("refused", `queue: ${verdict.reason}`);
      return html(403, refusedPage(REFUSALS[verdict.reason]));
    }
    const { link } = verdict;
    const recipient = findRecipient(deps.config, link.recipient);
    if (!recipient) {
      observe("refused", "queue: not a recipient");
      return html(403, refusedPage("This link belongs to someone who no longer receives the digest."));
    }
    if (method === "HEAD") return html(200, "");
    const built = buildDigest({ now: at, config: deps.config, recipient, openQuestions: await readOpen({ createdBefore: at.toISOString() }), recentQuestions: [] });
    const digest = deps.store.names ? await withSlackNames(built, cachedSlackNames(deps.store.names)) : built;
    const actionsExpire = new Date(at.getTime() + deps.config.actions.linkTtlHours * 3_600_000);
    const orderLinks = Object.fromEntries(
      QUEUE_ORDERS.map((order) => [order, `queue?${new URLSearchParams(signedQueueParams(secret, { ...link, order })).toString()}`]),
    ) as Record<QueueOrder, string>;
    observe("queue", link.order);
    return html(
      200,
      renderQueuePage(digest, {
        order: link.order,
        orderLinks,
        actionFields: (threadId, action) => signedParams(secret, { action, threadId, recipient: link.recipient, expiresAt: actionsExpire }),
        expiresAt: link.expiresAt,
        snoozeHours: deps.config.actions.snoozeHours,
      }),
    );
  }
}

export type { DigestAction };
