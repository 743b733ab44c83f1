import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Clock } from "../runtime/clock.ts";
import type { SecretResolver } from "./resolver.ts";

/** How long a secret read is trusted: a value stored after a container started is seen within this. */
export const SECRET_TTL_MS = 5 * 60_000;
/** `refresh` reads again at most this often per secret, so a stream of bad signatures cannot hammer Secrets Manager. */
export const SECRET_REFRESH_MIN_INTERVAL_MS = 30_000;

/**
 * AWS: secret `NAME` is the Secrets Manager secret whose id is in env `SECRET_ID_NAME`. A read is
 * cached for `SECRET_TTL_MS` (a failed read is not cached), and `refresh` reads again at once
 * (at most every `SECRET_REFRESH_MIN_INTERVAL_MS`): a container that started while the secret
 * still held its generated placeholder sees the real value the first time a signature fails.
 */
export class SecretsManagerResolver implements SecretResolver {
  private readonly cache = new Map<string, { value: Promise<string | null>; readAt: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly now: Clock,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get(name: string): Promise<string | null> {
    const cached = this.cache.get(name);
    if (cached && this.now().getTime() - cached.readAt < SECRET_TTL_MS) return cached.value;
    return this.load(name);
  }

  /** Reads `name` again unless it was read within the last 30 s; the value to use now. */
  refresh(name: string): Promise<string | null> {
    const cached = this.cache.get(name);
    if (cached && this.now().getTime() - cached.readAt < SECRET_REFRESH_MIN_INTERVAL_MS) return cached.value;
    return this.load(name);
  }

  private load(name: string): Promise<string | null> {
    const value = this.read(name);
    const entry = { value, readAt: this.now().getTime() };
    this.cache.set(name, entry);
    value.catch(() => {
      if (this.cache.get(name) === entry) this.cache.delete(name);
    });
    return value;
  }

  private async read(name: string): Promise<string | null> {
    const secretId = this.env[`SECRET_ID_${name}`];
    if (!secretId) return null;
    const res = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    return res.SecretString ?? null;
  }
}
