/**
 * The README and docs/ stay true to the repository: links and anchors resolve, every `npm run`
 * names a script, every `community-signals` command in a code block parses with the real CLI,
 * and the README stays a short front page that links every docs page.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import {
  anchorsOf,
  cliInvocations,
  formatProblem,
  githubSlug,
  linkProblems,
  npmRunProblems,
  scanMarkdown,
  shellCommands,
  type CliInvocation,
  type Problem,
} from "./markdown.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const README = join(ROOT, "README.md");
const DOCS = join(ROOT, "docs");
const README_MAX_LINES = 250;

const docsPages = readdirSync(DOCS)
  .filter((f) => f.endsWith(".md"))
  .sort()
  .map((f) => join(DOCS, f));
const pages = [README, ...docsPages];
const rel = (file: string) => relative(ROOT, file);
const read = (file: string) => readFileSync(file, "utf8");
const scripts = new Set(Object.keys((JSON.parse(read(join(ROOT, "package.json"))) as { scripts: Record<string, string> }).scripts));
const show = (problems: Problem[]) => problems.map((p) => formatProblem(ROOT, p));

/** Thrown by a preAction hook: parsing got as far as running the command's action. */
class ReachedAction extends Error {}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

/**
 * Parse `args` with the real CLI definition without running anything: null when commander
 * accepts them (the action would run), else commander's complaint.
 */
async function cliParseProblem(args: string[]): Promise<string | null> {
  const { buildCli } = await import("../../../infra/cli/main.ts");
  const program = buildCli();
  for (const cmd of allCommands(program)) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  }
  program.hook("preAction", () => {
    throw new ReachedAction();
  });
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (err) {
    if (err instanceof ReachedAction) return null;
    if (err instanceof CommanderError) return err.code === "commander.helpDisplayed" ? null : err.message;
    throw err;
  }
  return "parsing finished without reaching any command's action";
}

async function cliProblems(invocations: CliInvocation[]): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const inv of invocations) {
    const problem = await cliParseProblem(inv.args);
    if (problem) problems.push({ file: inv.file, line: inv.line, message: `${inv.text}\n    ${problem}` });
  }
  return problems;
}

/** The README is the front page: short, and a way to every docs page. */
function readmeProblems(file: string, text: string, docsFiles: string[]): Problem[] {
  const problems: Problem[] = [];
  const { lineCount, links } = scanMarkdown(text);
  if (lineCount > README_MAX_LINES) problems.push({ file, line: lineCount, message: `README has ${lineCount} lines, more than ${README_MAX_LINES}: move reference into docs/` });
  const linked = new Set(links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target)).map((l) => resolve(ROOT, decodeURIComponent(l.target.split("#")[0]!))));
  for (const page of docsFiles) {
    if (!linked.has(page)) problems.push({ file, line: 1, message: `README does not link ${rel(page)}` });
  }
  return problems;
}

describe("docs", () => {
  it("has the pages the README promises", () => {
    expect(docsPages.map(rel)).toEqual(
      expect.arrayContaining(["github", "discourse", "slack", "discord", "stackoverflow", "digest", "export", "aws", "cost", "configuration", "development"].map((n) => `docs/${n}.md`)),
    );
  });

  describe.each(pages.map((p) => [rel(p), p] as const))("%s", (_name, file) => {
    const text = read(file);

    it("links only to files and headings that exist (external links well-formed)", () => {
      expect(show(linkProblems(file, text, ROOT))).toEqual([]);
    });

    it("runs only npm scripts that package.json has", () => {
      expect(show(npmRunProblems(file, text, scripts))).toEqual([]);
    });

    it("shows only community-signals commands that the CLI parses", async () => {
      const { invocations, problems } = cliInvocations(file, text);
      expect(show([...problems, ...(await cliProblems(invocations))]).join("\n")).toBe("");
    });

    if (file !== README) {
      it("says what it is and links back to the README", () => {
        const { headings, links } = scanMarkdown(text);
        expect(headings[0], "the page starts with its title").toMatchObject({ level: 1, line: 1 });
        expect(links.some((l) => l.target === "../README.md" && l.line <= 6), "a link back to ../README.md near the top").toBe(true);
      });
    }
  });

  it("shows the CLI in code blocks (so the parse check is not vacuous)", () => {
    const count = (file: string) => cliInvocations(file, read(file)).invocations.length;
    expect(count(README)).toBeGreaterThanOrEqual(5);
    expect(count(join(DOCS, "configuration.md"))).toBeGreaterThanOrEqual(3);
    expect(count(join(DOCS, "export.md"))).toBeGreaterThanOrEqual(5);
  });

  it(`README.md is a front page: at most ${README_MAX_LINES} lines, linking every docs/ page`, () => {
    expect(show(readmeProblems(README, read(README), docsPages))).toEqual([]);
  });
});

describe("the checks themselves catch", () => {
  const fake = join(DOCS, "not-a-page.md");

  it("a link to a missing file, a missing anchor, and a malformed URL", () => {
    const text = [
      "# Title",
      "## The CLI: `community-signals`",
      "[ok](#the-cli-community-signals) [ok](../README.md) [ok](github.md#settings) [ok](https://example.com/a?b#c)",
      "[gone](nowhere.md)",
      "[bad anchor](#the-cli)",
      "[bad anchor elsewhere](github.md#no-such-heading)",
      "[bad url](https://) [bad host](https://localhost..com/x) [bad scheme](ftp://example.com)",
      "`[not a link](nowhere.md)`",
      "```",
      "[not a link either](nowhere.md)",
      "```",
    ].join("\n");
    const lines = linkProblems(fake, text, ROOT).map((p) => p.line);
    expect(lines).toEqual([4, 5, 6, 7, 7, 7]);
  });

  it("GitHub's anchors: punctuation and backticks dropped, spaces to hyphens, duplicates numbered", () => {
    expect(githubSlug("Configuration: `community-signals.config.json`")).toBe("configuration-community-signalsconfigjson");
    expect(githubSlug("What runs where, and why")).toBe("what-runs-where-and-why");
    expect(githubSlug("The status model (every platform)")).toBe("the-status-model-every-platform");
    expect(githubSlug("snake_case and [a link](x.md)")).toBe("snake_case-and-a-link");
    expect([...anchorsOf("# A\n## Limits\n```\n# not a heading\n```\n## Limits\n")]).toEqual(["a", "limits", "limits-1"]);
  });

  it("an npm script that does not exist", () => {
    const text = "```sh\nnpm run synth\nnpm run nope -- --x\nnpm test\n```\nand `npm run bench` but `npm run missing`\n";
    expect(npmRunProblems(fake, text, scripts).map((p) => p.line)).toEqual([3, 6]);
  });

  it("shell words: quotes, comments, placeholders, continuations and command separators", () => {
    expect(shellCommands(`a "b c" 'd e' f\\ g # comment 'quote\nh && i; j | k`).map((c) => c.words)).toEqual([["a", "b c", "d e", "f g"], ["h"], ["i"], ["j"], ["k"]]);
    expect(shellCommands(`x \\\n  --y "multi\nline" z\nnext`)).toEqual([
      { words: ["x", "--y", "multi\nline", "z"], line: 0 },
      { words: ["next"], line: 3 },
    ]);
    const { invocations } = cliInvocations(fake, "```sh\nnpx community-signals replay <dir> --url http://x # c\nnode bin/community-signals.js digest\n```\n");
    expect(invocations.map((i) => [i.line, i.args])).toEqual([
      [2, ["replay", "placeholder", "--url", "http://x"]],
      [3, ["digest"]],
    ]);
  });

  it("an unknown command, an unknown option, a missing argument, a bad value; accepts good lines", async () => {
    const text = [
      "```sh",
      "npx community-signals digest --json",
      "npx community-signals frobnicate",
      "npx community-signals digest --no-such-option",
      "npx community-signals replay --url http://127.0.0.1:8787",
      "npx community-signals export --from yesterday --to 2026-11-30",
      "npx community-signals export --from 2026-11-01 --to 2026-11-30 && npx community-signals forget",
      "```",
    ].join("\n");
    const { invocations, problems } = cliInvocations(fake, text);
    expect(problems).toEqual([]);
    const found = await cliProblems(invocations);
    expect(found.map((p) => p.line)).toEqual([3, 4, 5, 6, 7]);
    expect(found.map((p) => p.message).join("\n")).toMatch(/unknown command 'frobnicate'[\s\S]*unknown option '--no-such-option'[\s\S]*missing required argument 'path'[\s\S]*--from[\s\S]*required option '--member <id>' not specified/);
  });

  it("a README that is too long or misses a docs page", () => {
    const long = `${"line\n".repeat(README_MAX_LINES + 1)}[a](docs/github.md)\n`;
    const problems = readmeProblems(README, long, [join(DOCS, "github.md"), join(DOCS, "slack.md")]);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/more than 250/), "README does not link docs/slack.md"]);
  });
});
