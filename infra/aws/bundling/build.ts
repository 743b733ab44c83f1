import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BuildOptions } from "esbuild";
import type { Config } from "../../../shared/model/config.ts";
import { LAMBDA_BUNDLE_ALIASES } from "./aliases.ts";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * esbuild emits `__require` shims for CommonJS dependencies; in an ES module they need a real
 * `require`. Added at the top of every output file (the entry and each chunk).
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __csCreateRequire } from 'node:module'; const require = __csCreateRequire(import.meta.url);";

/** The file Lambda loads: `index.mjs`, exporting `handler`. */
export const LAMBDA_ENTRY_FILE = "index.mjs";

/** Functions whose bundle is split at dynamic imports: ingest loads S3 only for a claim check. */
export const SPLIT_AT_DYNAMIC_IMPORTS: ReadonlySet<string> = new Set(["ingest"]);

/**
 * How every Lambda bundle is built, by `cdk synth` (SignalsFunction) and by the bench alike, so
 * the bench measures what is deployed:
 * - one ES module per function (`index.mjs`), minified for Node.js 22, with a linked source map
 *   holding only the mappings (embedded sources would triple what a cold start reads);
 * - the AWS SDK bundled, the version the tests run against, not the runtime's copy;
 * - the validated config inlined as a string literal (no schema at cold start);
 * - for a function with a path it rarely takes (SPLIT_AT_DYNAMIC_IMPORTS), code split at
 *   dynamic `import()`: that path sits in files of its own under `chunks/`, read only when it
 *   runs (ingest's claim check and its S3 client). Not for the others: splitting keeps every
 *   lazily imported module of the SDK as a chunk and tree-shakes less across chunks (measured:
 *   about 30 kB more per bundle, the same import time);
 * - the stand-ins of aliases.ts for code a Lambda never runs.
 */
export function lambdaBuildOptions(config: Config, name: string, outdir: string, projectRoot = PROJECT_ROOT): BuildOptions {
  return {
    entryPoints: { index: path.join(projectRoot, "functions", name, "handler.ts") },
    outdir,
    bundle: true,
    splitting: SPLIT_AT_DYNAMIC_IMPORTS.has(name),
    platform: "node",
    format: "esm",
    target: "node22",
    minify: true,
    sourcemap: "linked",
    sourcesContent: false,
    mainFields: ["module", "main"],
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    external: [],
    alias: { ...LAMBDA_BUNDLE_ALIASES },
    banner: { js: ESM_REQUIRE_BANNER },
    // A define value is JS source: the JSON text becomes a string literal.
    define: { "process.env.COMMUNITY_SIGNALS_CONFIG": JSON.stringify(JSON.stringify(config)) },
    logLevel: "warning",
  };
}

/** The JavaScript files of a built bundle (entry and chunks), relative to its folder. */
export function bundleFiles(outdir: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : name.endsWith(".mjs") ? [path.relative(outdir, full)] : [];
    });
  return walk(outdir).sort();
}
