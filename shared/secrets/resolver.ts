/** Looks up a named secret (e.g. GITHUB_WEBHOOK_SECRET); null when it is not configured. */
export interface SecretResolver {
  get(name: string): Promise<string | null>;
  /**
   * Reads the secret again, past any cache (rate-limited by the resolver), for when the cached
   * value was refused: a webhook secret stored after this process read the old one.
   */
  refresh?(name: string): Promise<string | null>;
}

/** Local: secrets come from environment variables (and, in `dev`, a generated fallback). */
export class EnvSecretResolver implements SecretResolver {
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly fallback: Record<string, string> = {},
  ) {}

  async get(name: string): Promise<string | null> {
    const value = this.env[name];
    if (value && value.length > 0) return value;
    return this.fallback[name] ?? null;
  }
}
