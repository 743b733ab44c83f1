import { WebClient, type WebAPICallResult } from "@slack/web-api";
import type { Clock } from "../../runtime/clock.ts";
import { trimTrailingSlashes } from "../../text/index.ts";
import type { CachedName, NameCache } from "../../store/names.ts";

/** What people, channels and the workspace are called, by Slack id. */
export interface SlackNames {
  users: Map<string, string>;
  channels: Map<string, string>;
  teams: Map<string, string>;
}

export type SlackIdKind = keyof SlackNames;

/** A cached name is read again from Slack after a day (people rename themselves and channels). */
const REFRESH_AFTER_MS = 86_400_000;
/** Slack's answers that mean the token cannot do this: no point asking again in this run. */
const TOKEN_ERRORS = new Set(["not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired", "missing_scope", "not_allowed_token_type"]);

const METHODS: Record<SlackIdKind, { method: string; arg: string; scope: string; read: (r: WebAPICallResult) => string | null }> = {
  users: {
    method: "users.info",
    arg: "user",
    scope: "users:read",
    read: (r) => {
      const user = (r as { user?: { name?: string; real_name?: string; profile?: { display_name?: string; real_name?: string } } }).user;
      return user?.profile?.display_name || user?.profile?.real_name || user?.real_name || user?.name || null;
    },
  },
  channels: {
    method: "conversations.info",
    arg: "channel",
    scope: "channels:read",
    read: (r) => {
      const name = (r as { channel?: { name?: string } }).channel?.name;
      return name ? `#${name}` : null;
    },
  },
  teams: { method: "team.info", arg: "team", scope: "team:read", read: (r) => (r as { team?: { name?: string } }).team?.name || null },
};

export interface SlackDirectoryOptions {
  token: string;
  /** `sources.slack.apiBaseUrl` (a fake Slack in tests). */
  apiBaseUrl: string;
  cache: NameCache;
  now: Clock;
  /** The secret's name, for messages (`sources.slack.botTokenSecretName`). */
  tokenName: string;
  log?: (line: string) => void;
}

/**
 * Display names for Slack ids: from the cache in the table, else (or after a day) from Slack's
 * Web API through the official client, which waits out 429s as Slack's Retry-After says. Never
 * on a webhook's path: the digest asks, for the few ids it shows. A failure leaves the id as it
 * is (a digest with ids beats no digest); a token Slack refuses stops the lookups for the run.
 */
export class SlackDirectory {
  private readonly client: WebClient;
  private disabled: string | null = null;
  /** Calls made to Slack's API in this process (tests check the cache spares them). */
  apiCalls = 0;

  constructor(private readonly options: SlackDirectoryOptions) {
    this.client = new WebClient(options.token, {
      slackApiUrl: `${trimTrailingSlashes(options.apiBaseUrl)}/`,
      retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 5_000 },
      timeout: 10_000,
    });
  }

  async names(ids: { users?: readonly string[]; channels?: readonly string[]; teams?: readonly string[] }): Promise<SlackNames> {
    const out: SlackNames = { users: new Map(), channels: new Map(), teams: new Map() };
    for (const kind of ["teams", "channels", "users"] as const) {
      const wanted = [...new Set(ids[kind] ?? [])];
      if (wanted.length === 0) continue;
      const cached = await this.options.cache.getMany("slack", kind, wanted);
      for (const id of wanted) {
        const hit = cached.get(id);
        if (hit && !this.stale(hit)) {
          out[kind].set(id, hit.name);
          continue;
        }
        const fresh = await this.fetch(kind, id);
        const name = fresh ?? hit?.name ?? null;
        if (name) out[kind].set(id, name);
      }
    }
    return out;
  }

  private stale(hit: CachedName): boolean {
    return this.options.now().getTime() - Date.parse(hit.fetchedAt) > REFRESH_AFTER_MS;
  }

  private async fetch(kind: SlackIdKind, id: string): Promise<string | null> {
    if (this.disabled) return null;
    const { method, arg, scope, read } = METHODS[kind];
    try {
      this.apiCalls++;
      const name = read(await this.client.apiCall(method, { [arg]: id }));
      if (name) await this.options.cache.put("slack", kind, id, name, this.options.now());
      return name;
    } catch (err) {
      const code = (err as { code?: string; data?: { error?: string } }).data?.error ?? (err as { code?: string }).code ?? "";
      if (TOKEN_ERRORS.has(code)) {
        this.disabled = code;
        this.options.log?.(
          `Slack refused ${method} (${code}): names stay ids for now; ${this.options.tokenName} must be a bot token with the scopes users:read, channels:read, team:read (${scope} for this one)`,
        );
      } else {
        this.options.log?.(`Slack ${method} for ${id} failed (${code || (err as Error).message}); the id is shown instead`);
      }
      return null;
    }
  }
}
