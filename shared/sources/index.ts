import type { Config } from "../model/config.ts";
import { GitHubSourceConfigSchema } from "../model/config.ts";
import type { Source } from "../model/activity.ts";
import type { AnswerPolicy } from "../model/thread.ts";
import { githubAdapter } from "./github/index.ts";
import type { SourceAdapter } from "./types.ts";

/** The adapters that exist; a source missing here is not supported yet. */
export const ADAPTERS: Partial<Record<Source, SourceAdapter>> = {
  github: githubAdapter,
};

export interface EnabledSource {
  adapter: SourceAdapter;
  secretName: string;
  answerPolicy: AnswerPolicy;
}

/** The source as configured, or null when it is absent, disabled or not supported. */
export function enabledSource(config: Config, source: string): EnabledSource | null {
  if (source === "github") {
    const github = config.sources.github;
    if (!github?.enabled) return null;
    return { adapter: githubAdapter, secretName: github.secretName, answerPolicy: github.answerPolicy };
  }
  return null;
}

/** The answer policy a source's threads are folded with (the default when not configured). */
export function answerPolicyFor(config: Config, source: Source): AnswerPolicy {
  if (source === "github") return (config.sources.github ?? GitHubSourceConfigSchema.parse({})).answerPolicy;
  return "any-reply";
}
