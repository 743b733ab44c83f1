/**
 * The zod every module a Lambda bundle loads uses: `zod/mini` (the same zod 4 core, functional
 * API, tree-shakable: about 25 kB of a bundle where classic zod took over 90 kB), with zod's
 * English messages, which the door's answers and the error texts quote. The locale is imported
 * on its own: `z.locales` through the namespace would bundle every language. Only the config
 * schema (shared/model/config.ts: synth time and the CLI, never a bundle) stays on classic zod.
 */
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

config(en());

export * from "zod/mini";
