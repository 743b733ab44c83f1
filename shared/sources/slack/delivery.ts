import { IncomingWebhook, type IncomingWebhookSendArguments } from "@slack/webhook";
import { LogLevel, WebClient } from "@slack/web-api";
import type { RecipientSlack } from "../../model/config.ts";
import type { SecretResolver } from "../../secrets/resolver.ts";
import { safeHttpUrl, trimTrailingSlashes } from "../../text/index.ts";

/**
 * Posting a message to Slack for a digest recipient, through Slack's official clients: an
 * incoming webhook (`@slack/webhook`; the URL is a secret) or `chat.postMessage` with the Slack
 * source's bot token (`@slack/web-api`, scope `chat:write`) to a channel or user id.
 *
 * Once per day is the caller's claim; this module makes sure one call posts at most one message:
 * it retries only what Slack says was not posted (429 with Retry-After, waited as Slack asks), and
 * when Slack refuses the blocks (`invalid_blocks`, `msg_blocks_too_long`) it posts the same digest
 * once as plain text with the link to the queue page. A failure says whether the message may have
 * been posted anyway (a time-out after the request was sent), so the caller does not post twice.
 */

export interface SlackPostMessage {
  /** Notification text; the whole message when there are no blocks. */
  text: string;
  blocks?: readonly object[];
}

export interface SlackPostResult {
  /** `chat.postMessage`'s `ts`, or "ok" for an incoming webhook (it answers no id). */
  id: string;
  /** Set when the blocks were refused and the plain-text version was posted instead: Slack's error. */
  fellBackToText?: string;
  /** 429s waited out before the post went through. */
  rateLimited: number;
}

/** Why a post failed, with whether the message may have reached Slack all the same. */
export class SlackDeliveryError extends Error {
  override readonly name = "SlackDeliveryError";
  constructor(
    message: string,
    /** Slack's error (`channel_not_found`, `invalid_payload`, `ratelimited`, ...) or ours (`missing_secret`, `timeout`). */
    readonly code: string,
    /** `no`: Slack did not post it (safe to post again); `unknown`: it may have (do not post again today). */
    readonly delivered: "no" | "unknown",
  ) {
    super(message);
  }
}

export interface SlackDeliveryOptions {
  secrets: SecretResolver;
  /** `sources.slack` (bot token's secret name and the Web API base); null when the Slack source is not configured. */
  slack: { botTokenSecretName: string; apiBaseUrl: string } | null;
  /** Milliseconds per second of Retry-After (1000; tests shorten it). */
  retryAfterUnitMs?: number;
  /** 429s waited out per post before giving up (default 3). */
  maxRateLimitRetries?: number;
  /** A Retry-After longer than this (seconds) is not waited out: the post fails and a later run retries (default 60). */
  maxRetryAfterSeconds?: number;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Slack's answers that mean the blocks themselves were refused (nothing was posted). */
const BLOCK_ERRORS = new Set(["invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long"]);
/** Slack says these may have been partly done: never posted again the same day. */
const MAYBE_POSTED = new Set(["fatal_error", "internal_error"]);
/** A request error before anything reached Slack. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ERR_INVALID_URL", "ERR_TLS_CERT_ALTNAME_INVALID"]);

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The errno-like code of a request failure, looked for down the cause chain (fetch and axios nest it). */
function causeCode(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && !code.startsWith("slack_")) return code;
    current = (current as { cause?: unknown; original?: unknown }).original ?? (current as { cause?: unknown }).cause;
  }
  return "";
}

function advice(code: string, target: RecipientSlack, tokenName: string): string {
  const where = "channel" in target ? target.channel : "the webhook's channel";
  switch (code) {
    case "channel_not_found":
      return `the bot cannot see ${where}: check the id, and for a private channel invite the app to it`;
    case "not_in_channel":
      return `the app is not in ${where}: invite it (/invite @your-app in that channel)`;
    case "is_archived":
    case "channel_is_archived":
      return `${where} is archived`;
    case "missing_scope":
      return `${tokenName} needs the chat:write scope (add it and reinstall the app)`;
    case "not_authed":
    case "invalid_auth":
    case "account_inactive":
    case "token_revoked":
    case "token_expired":
      return `${tokenName} is not a working bot token`;
    case "invalid_token":
    case "no_service":
    case "no_team":
      return "the incoming webhook URL is no longer valid (the app was removed or the webhook revoked): create a new one";
    case "action_prohibited":
      return "the workspace does not allow this webhook to post there";
    default:
      return "";
  }
}

export class SlackDelivery {
  private readonly unitMs: number;
  private readonly maxRetries: number;
  private readonly maxWait: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: SlackDeliveryOptions) {
    this.unitMs = options.retryAfterUnitMs ?? 1000;
    this.maxRetries = options.maxRateLimitRetries ?? 3;
    this.maxWait = options.maxRetryAfterSeconds ?? 60;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.sleep = options.sleep ?? sleepFor;
  }

  /**
   * Posts `message` to the target; if Slack refuses its blocks, posts `fallbackText` (plain text)
   * instead, once. Throws SlackDeliveryError.
   */
  async post(target: RecipientSlack, message: SlackPostMessage, fallbackText: string): Promise<SlackPostResult> {
    const send = "channel" in target ? await this.chatPoster(target.channel) : await this.webhookPoster(target.webhookSecretName);
    const tokenName = this.options.slack?.botTokenSecretName ?? "the Slack bot token";
    let rateLimited = 0;
    const attempt = async (payload: SlackPostMessage): Promise<string> => {
      for (;;) {
        const outcome = await send(payload);
        if (outcome.ok) return outcome.id;
        if (outcome.retryAfter === undefined) {
          const hint = advice(outcome.code, target, tokenName);
          const what =
            outcome.delivered === "unknown"
              ? `Slack did not answer the post clearly (${outcome.code}): it may have been posted`
              : `Slack refused the post (${outcome.code}${outcome.detail ? `: ${outcome.detail}` : ""})`;
          throw new SlackDeliveryError(`${what}${hint ? `: ${hint}` : ""}`, outcome.code, outcome.delivered);
        }
        if (rateLimited >= this.maxRetries || outcome.retryAfter > this.maxWait) {
          throw new SlackDeliveryError(
            `Slack is rate limiting posts (Retry-After ${outcome.retryAfter} s after ${rateLimited} wait(s)): the next run posts it`,
            "ratelimited",
            "no",
          );
        }
        rateLimited += 1;
        await this.sleep(Math.max(0, outcome.retryAfter) * this.unitMs);
      }
    };
    try {
      return { id: await attempt(message), rateLimited };
    } catch (err) {
      if (!(err instanceof SlackDeliveryError) || !BLOCK_ERRORS.has(err.code) || !message.blocks) throw err;
      // Nothing was posted: the same digest as text (with the queue page's link) is the one post.
      const id = await attempt({ text: fallbackText });
      return { id, fellBackToText: err.code, rateLimited };
    }
  }

  private async webhookPoster(secretName: string): Promise<(m: SlackPostMessage) => Promise<Outcome>> {
    const raw = await this.options.secrets.get(secretName);
    const url = raw ? safeHttpUrl(raw) : null;
    if (!url) {
      throw new SlackDeliveryError(
        `${secretName} ${raw ? "is not an http(s) URL" : "is not set"}: it must hold the recipient's Slack incoming webhook URL (https://hooks.slack.com/services/…)`,
        "missing_secret",
        "no",
      );
    }
    let retryAfter: string | null = null;
    const hook = new IncomingWebhook(url, {
      timeout: this.timeoutMs,
      // The client gives no headers with its errors: this keeps the last Retry-After it saw.
      fetch: (async (input: string | URL, init?: RequestInit) => {
        const res = await fetch(input, init);
        retryAfter = res.headers.get("retry-after");
        return res;
      }) as unknown as NonNullable<ConstructorParameters<typeof IncomingWebhook>[1]>["fetch"],
    });
    return async (message) => {
      retryAfter = null;
      try {
        const args: IncomingWebhookSendArguments = { text: message.text, unfurl_links: false, unfurl_media: false };
        if (message.blocks) args.blocks = message.blocks as NonNullable<IncomingWebhookSendArguments["blocks"]>;
        await hook.send(args);
        return { ok: true, id: "ok" };
      } catch (err) {
        const e = err as { code?: string; statusCode?: number; body?: string };
        if (e.code === "slack_webhook_http_error" && typeof e.statusCode === "number") {
          // Incoming webhooks answer errors as a short plain-text body: `invalid_payload`, `no_text`, `channel_is_archived`, ...
          const body = String(e.body ?? "").trim().slice(0, 100);
          if (e.statusCode === 429) return { ok: false, code: "ratelimited", delivered: "no", retryAfter: retryAfterSeconds(retryAfter) };
          return { ok: false, code: body && /^[a-z_]{1,60}$/.test(body) ? body : `http_${e.statusCode}`, delivered: "no" };
        }
        return requestFailure(err);
      }
    };
  }

  private async chatPoster(channel: string): Promise<(m: SlackPostMessage) => Promise<Outcome>> {
    const slack = this.options.slack;
    if (!slack) {
      throw new SlackDeliveryError(
        `posting to ${channel} needs the Slack source (sources.slack) with its bot token; or give the recipient an incoming webhook (slack.webhookSecretName)`,
        "no_slack_source",
        "no",
      );
    }
    const token = await this.options.secrets.get(slack.botTokenSecretName);
    if (!token) {
      throw new SlackDeliveryError(`${slack.botTokenSecretName} is not set: posting to ${channel} needs the Slack app's bot token with the chat:write scope`, "missing_secret", "no");
    }
    const client = new WebClient(token, {
      slackApiUrl: `${trimTrailingSlashes(slack.apiBaseUrl)}/`,
      // Retries are ours: only what Slack says was not posted is sent again.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: this.timeoutMs,
      logger: quietLogger,
    });
    return async (message) => {
      try {
        const res = await client.chat.postMessage({
          channel,
          text: message.text,
          ...(message.blocks ? { blocks: message.blocks as never } : {}),
          unfurl_links: false,
          unfurl_media: false,
        });
        return { ok: true, id: typeof res.ts === "string" ? res.ts : "ok" };
      } catch (err) {
        const e = err as { code?: string; data?: { error?: string; response_metadata?: { messages?: unknown } }; retryAfter?: number; statusCode?: number };
        if (e.code === "slack_webapi_rate_limited_error") return { ok: false, code: "ratelimited", delivered: "no", retryAfter: e.retryAfter ?? 1 };
        if (e.code === "slack_webapi_platform_error") {
          const code = e.data?.error ?? "unknown_error";
          // Slack says what it disliked in response_metadata.messages (e.g. which block broke a limit).
          const messages = e.data?.response_metadata?.messages;
          const detail = Array.isArray(messages) ? messages.slice(0, 2).map((m) => String(m).slice(0, 200)).join("; ") : "";
          return { ok: false, code, delivered: MAYBE_POSTED.has(code) ? "unknown" : "no", ...(detail ? { detail } : {}) };
        }
        if (e.code === "slack_webapi_http_error") return { ok: false, code: `http_${e.statusCode ?? "error"}`, delivered: "no" };
        return requestFailure(err);
      }
    };
  }
}

type Outcome = { ok: true; id: string } | { ok: false; code: string; delivered: "no" | "unknown"; retryAfter?: number; detail?: string };

/** The WebClient reports Slack's warnings on its own logger: they are in our errors instead. */
const quietLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

function retryAfterSeconds(header: string | null): number {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : 1;
}

/** No answer from Slack: certainly not posted if the connection never opened, else maybe. */
function requestFailure(err: unknown): Outcome {
  const code = causeCode(err);
  return { ok: false, code: code ? code.toLowerCase() : "request_failed", delivered: NOT_SENT.has(code) ? "no" : "unknown" };
}
