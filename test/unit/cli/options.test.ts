// The options every command shares, checked against the real CLI definition without running
// any command: a pre-action hook stops each parse just before the action would start.
import { CommanderError, type Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildCli } from "../../../infra/cli/main.ts";
import { fixedClock } from "../../../shared/runtime/clock.ts";

class ParsedOk extends Error {
  constructor(readonly opts: Record<string, unknown>) {
    super("parsed");
  }
}

function quietCli(): Command {
  const program = buildCli(fixedClock(new Date("2026-11-25T08:00:00Z")));
  for (const cmd of [program, ...program.commands]) cmd.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  program.hook("preAction", (_program, action) => {
    throw new ParsedOk(action.opts());
  });
  return program;
}

/** The options a command would run with, or the commander error that refused the line. */
function parse(argv: string[]): Record<string, unknown> | CommanderError {
  try {
    quietCli().parse(argv, { from: "user" });
  } catch (err) {
    if (err instanceof ParsedOk) return err.opts;
    if (err instanceof CommanderError) return err;
    throw err;
  }
  throw new Error(`${argv.join(" ")} ran no action`);
}

// The arguments each command needs besides the shared options.
const REQUIRED: Record<string, string[]> = {
  replay: ["infra/local/samples/github", "--url", "http://127.0.0.1:8787"],
  export: ["--from", "2026-11-16", "--to", "2026-11-24"],
  query: ["SELECT 1"],
  forget: ["--member", "github:user:1"],
  reprocess: ["--from", "2026-11-16", "--to", "2026-11-24"],
};

describe("the options every command shares", () => {
  const commands = quietCli().commands.map((c) => c.name());

  it("knows the commands the docs describe", () => {
    expect(commands).toEqual(expect.arrayContaining(["dev", "replay", "digest", "export", "query", "forget", "synth", "deploy"]));
  });

  it.each(commands)("%s takes --config and --data-dir, long and short", (name) => {
    const args = REQUIRED[name] ?? [];
    const long = parse([name, ...args, "--config", "my.config.json", "--data-dir", "/tmp/cs-data"]);
    expect(long).toMatchObject({ config: "my.config.json", dataDir: "/tmp/cs-data" });
    const short = parse([name, ...args, "-c", "other.json", "-d", "/tmp/other"]);
    expect(short).toMatchObject({ config: "other.json", dataDir: "/tmp/other" });
    expect(parse([name, ...args])).toMatchObject({ config: "community-signals.config.json", dataDir: ".local" });
  });

  it("still refuses an option a command does not have", () => {
    const refused = parse(["query", "SELECT 1", "--no-such-option"]);
    expect(refused).toBeInstanceOf(CommanderError);
    expect((refused as CommanderError).code).toBe("commander.unknownOption");
  });

  it("refuses an --at that is not an ISO time", () => {
    const refused = parse(["digest", "--at", "yesterday"]);
    expect(refused).toBeInstanceOf(CommanderError);
    expect((refused as CommanderError).message).toContain("expected an ISO time");
  });
});
