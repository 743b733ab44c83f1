import { z } from "zod";
import { parseConfigText, type Config } from "../model/config.ts";

/**
 * Read a Lambda's environment once at cold start; a missing variable fails fast with its name.
 * `COMMUNITY_SIGNALS_CONFIG` is inlined into the bundle at build time (esbuild define).
 */
export function readEnv<T extends z.ZodRawShape>(shape: T, env: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<T>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const names = result.error.issues.map((i) => `${i.path.join(".")} (${i.message})`).join(", ");
    throw new Error(`environment is incomplete: ${names}`);
  }
  return result.data;
}

export function configFromEnv(
  // Spelled out in full so esbuild's define can replace it with the inlined JSON text.
  text: string | undefined = process.env.COMMUNITY_SIGNALS_CONFIG,
): Config {
  if (!text) throw new Error("environment is incomplete: COMMUNITY_SIGNALS_CONFIG (the config JSON) is not set");
  return parseConfigText(text, "COMMUNITY_SIGNALS_CONFIG");
}
