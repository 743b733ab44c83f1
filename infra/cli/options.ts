import { InvalidArgumentError, Option, type Command } from "commander";
import { readFileSync } from "node:fs";
import { parseDay } from "../../functions/export/app.ts";
import { parseConfigText, type Config } from "../../shared/model/config.ts";

/** A failure the user can fix: printed as one clear message, exit code 1, no stack trace. */
export class UsageError extends Error {}

/** The config file, validated; a missing or unreadable file is a UsageError that says what to pass. */
export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === "ENOENT" ? `config file ${path} does not exist (pass --config FILE)` : `cannot read config file ${path}: ${(err as Error).message}`);
  }
  return parseConfigText(text, path);
}

export const DEFAULT_CONFIG = "community-signals.config.json";
export const DEFAULT_DATA_DIR = ".local";

export const configOption = () => new Option("-c, --config <file>", "config file").default(DEFAULT_CONFIG);
export const dataDirOption = () => new Option("-d, --data-dir <dir>", "where the local stack keeps its data").default(DEFAULT_DATA_DIR);

/**
 * Every command takes `--config` and `--data-dir`, whether it reads them or not, so a script
 * can pass the same pair to any command (a command that needs neither simply ignores them).
 */
export function withCommonOptions(program: Command): Command {
  for (const command of program.commands) {
    const has = (long: string) => command.options.some((o) => o.long === long);
    if (!has("--config")) command.addOption(configOption());
    if (!has("--data-dir")) command.addOption(dataDirOption());
  }
  return program;
}

/** A `YYYY-MM-DD` (UTC) option value, refused with the reason when it is not one. */
export const dayArg = (what: string) => (value: string) => {
  try {
    return parseDay(value, what);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};
