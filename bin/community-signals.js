#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly, so there is no build step to forget.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../infra/cli/main.ts");
await main(process.argv);
