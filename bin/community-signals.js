#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly, so there is no build step to forget.
import { register } from "tsx/esm/api";

// The AWS SDK versions are pinned in package-lock.json; its notice about future releases
// needing Node 22 says nothing about this install, so keep it out of the CLI's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
register();
const { main } = await import("../infra/cli/main.ts");
await main(process.argv);
