import { InvalidArgumentError, Option, type Command } from "commander";
import { parseDay } from "../../functions/export/app.ts";

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
