// Regenerates community-signals.config.schema.json from the zod schema (npm run schema).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { configJsonSchema } from "../shared/model/config.ts";

const target = fileURLToPath(new URL("../community-signals.config.schema.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
