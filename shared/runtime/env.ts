import * as z from "../model/zod.ts";
import type { Config } from "../model/config.ts";

/**
 * Read a Lambda's environment once at cold start; a missing variable fails fast with its name.
 * `COMMUNITY_SIGNALS_CONFIG` is inlined into the bundle at build time (esbuild define).
 */
export function readEnv<T extends z.core.$ZodShape>(shape: T, env: NodeJS.ProcessEnv = process.env): z.infer<z.ZodMiniObject<T>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const names = result.error.issues.map((i) => `${i.path.join(".")} (${i.message})`).join(", ");
    throw new Error(`environment is incomplete: ${names}`);
  }
  return result.data;
}

/**
 * The config the stack inlined: `cdk synth` validated it with the zod schema (parseConfig, defaults
 * filled in) and esbuild's define put the parsed object's JSON here, so a cold start only runs
 * JSON.parse; no schema library is loaded (test/unit/runtime/env.test.ts pins that the result
 * equals parseConfig of the input).
 */
export function configFromEnv(
  // Spelled out in full so esbuild's define can replace it with the inlined JSON text.
  text: string | undefined = process.env.COMMUNITY_SIGNALS_CONFIG,
): Config {
  if (!text) throw new Error("environment is incomplete: COMMUNITY_SIGNALS_CONFIG (the config JSON) is not set");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`COMMUNITY_SIGNALS_CONFIG is not valid JSON: ${(err as Error).message}`);
  }
  const shape = parsed as Partial<Record<keyof Config, unknown>> | null;
  // Not a validation (synth did that): a guard against a define that inlined something else.
  if (typeof shape !== "object" || shape === null || typeof shape.sources !== "object" || !Array.isArray(shape.team)) {
    throw new Error("COMMUNITY_SIGNALS_CONFIG is not a validated config (inline parseConfig's output at synth)");
  }
  return parsed as Config;
}
