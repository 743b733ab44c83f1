import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SecretResolver } from "./resolver.ts";

/**
 * AWS: secret `NAME` is the Secrets Manager secret whose id is in env `SECRET_ID_NAME`.
 * Each is read once per cold start and cached (a failed read is not cached).
 */
export class SecretsManagerResolver implements SecretResolver {
  private readonly cache = new Map<string, Promise<string | null>>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get(name: string): Promise<string | null> {
    let pending = this.cache.get(name);
    if (!pending) {
      pending = this.read(name);
      this.cache.set(name, pending);
      pending.catch(() => this.cache.delete(name));
    }
    return pending;
  }

  private async read(name: string): Promise<string | null> {
    const secretId = this.env[`SECRET_ID_${name}`];
    if (!secretId) return null;
    const res = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    return res.SecretString ?? null;
  }
}
