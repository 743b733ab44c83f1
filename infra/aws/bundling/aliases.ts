import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Packages replaced in every Lambda bundle by a smaller module that does what a Lambda needs
 * (esbuild `alias`), measured by `npm run bench -- bundles` (docs/cost.md, "Cold start"):
 * - the SDK's default credential chain by its first link, the environment (what Lambda uses);
 * - mime-db by an empty table (only file uploads to Slack would read it; the digest uploads none);
 * - bowser (the SDK's browser user-agent parser, imported lazily, never in Node.js) by a no-op.
 * Used by SignalsFunction and by the bench, so both build the same bundles; local code and
 * tests import the real packages.
 */
export const LAMBDA_BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  "@aws-sdk/credential-provider-node": path.join(here, "lambda-credentials.ts"),
  "mime-db": path.join(here, "no-mime-db.cjs"),
  bowser: path.join(here, "no-bowser.mjs"),
};
