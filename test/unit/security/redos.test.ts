/**
 * Issue 10, "Hostile input": every regular expression in the code that runs on a server (shared/,
 * functions/, infra/local/) must be proven linear by recheck, so no correctly signed message can
 * stall the process with backtracking (a 120,000-character Slack line once blocked it for 27 s).
 *
 * The sources are parsed with the TypeScript compiler, so every regex literal is found wherever it
 * is (a new one added later is checked the same day), as are `RegExp(...)` / `new RegExp(...)` and
 * `.match("...")` / `.matchAll("...")` / `.search("...")`, which turn a string into a pattern. A
 * `RegExp` built from anything but string literals cannot be checked here and fails the test.
 *
 * recheck runs its automaton checker (a proof from the pattern's automaton, no random fuzzing, so
 * the verdict is the same on every run) on its pure JavaScript backend (no native binary, no Java,
 * no network). Anything but `safe` fails: `vulnerable`, and `unknown` too (a timeout, or a feature
 * the automaton cannot model such as look-ahead). A pattern too large to prove in time is split into
 * smaller ones (see LEAD_IN in shared/sources/slack/question-classifier.ts), and one that cannot be
 * made linear is replaced by a scan by hand (`sentences` in shared/sources/slack/text.ts).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { checkSync } from "recheck";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SCANNED = ["shared", "functions", join("infra", "local")];
const CODE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

/**
 * Patterns that never see user text, and so may stay unproven. Each says which text it does see.
 * Keep this short: a pattern over anything a webhook, a poll or a stored record carries does not
 * belong here, it gets rewritten. An entry that matches no pattern any more fails the test.
 */
const NEVER_USER_TEXT: ReadonlyArray<{ file: string; source: string; why: string }> = [
  {
    file: "shared/model/config.ts",
    source: String.raw`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$`,
    why: "validates the operator's SNS topic ARN in the config file; the automaton checker times out on its {1,256} counter",
  },
];

interface FoundPattern {
  file: string;
  line: number;
  /** The pattern's source, or null when it is built at run time and cannot be checked. */
  source: string | null;
  flags: string;
  text: string;
}

function codeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...codeFiles(path));
    else if (CODE.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

function literalText(node: ts.Node | undefined): string | null {
  if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) return node.text;
  return null;
}

/** Every regular expression in one file: literals, RegExp constructions, string patterns. */
function patternsIn(file: string, text: string): FoundPattern[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: FoundPattern[] = [];
  const add = (node: ts.Node, source: string | null, flags: string) =>
    found.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, source, flags, text: node.getText(sf) });
  const visit = (node: ts.Node): void => {
    if (ts.isRegularExpressionLiteral(node)) {
      const slash = node.text.lastIndexOf("/");
      add(node, node.text.slice(1, slash), node.text.slice(slash + 1));
    } else if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === "RegExp") {
      const [pattern, flags] = node.arguments ?? [];
      // `new RegExp(/x/g)` copies a literal, which is checked on its own.
      if (!(pattern !== undefined && ts.isRegularExpressionLiteral(pattern) && flags === undefined)) {
        const source = literalText(pattern);
        const flagText = flags === undefined ? "" : literalText(flags);
        // Anything computed (a template with substitutions, a variable) cannot be checked: source null.
        add(node, source !== null && flagText !== null ? source : null, flagText ?? "");
      }
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ["match", "matchAll", "search"].includes(node.expression.name.text)
    ) {
      const source = literalText(node.arguments[0]);
      if (source !== null) add(node, source, node.expression.name.text === "matchAll" ? "g" : "");
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

const patterns = SCANNED.flatMap((dir) => codeFiles(join(ROOT, dir))).flatMap((path) => {
  const file = relative(ROOT, path).split(sep).join("/");
  return patternsIn(file, readFileSync(path, "utf8"));
});

const allowed = (p: FoundPattern) => NEVER_USER_TEXT.some((a) => a.file === p.file && a.source === p.source);

// Deterministic and offline: the Scala.js build inside the package, not the native binary or a JVM.
process.env["RECHECK_BACKEND"] = "pure";

function verdict(source: string, flags: string) {
  return checkSync(source, flags, { checker: "automaton", timeout: 15_000 });
}

describe("regular expressions over user text are linear (recheck)", () => {
  it("the scan finds the patterns it must (and so would find a new one)", () => {
    expect(patterns.length).toBeGreaterThan(100);
    const sources = new Set(patterns.map((p) => `${p.file} ${p.source}`));
    expect(sources).toContain("shared/sources/slack/text.ts <([^<>]+)>");
    expect(sources).toContain("shared/text/limits.ts [\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\s]+");
    expect(patternsIn("x.ts", 'new RegExp(`${a}+`); RegExp("a+b", "i"); s.match("(a+)+$"); s.replace(/b/g, "")')).toMatchObject([
      { source: null },
      { source: "a+b", flags: "i" },
      { source: "(a+)+$", flags: "" },
      { source: "b", flags: "g" },
    ]);
  });

  it("recheck tells a quadratic pattern from a linear one (this test is not vacuous)", () => {
    // The Discourse tag strip and the trailing-slash trim this issue replaced.
    expect(verdict("<[^>]*>", "g").status).toBe("vulnerable");
    expect(verdict(String.raw`\/+$`, "").status).toBe("vulnerable");
    // The old Slack title sentence split: look-ahead is beyond the automaton, so not proven safe.
    expect(verdict(String.raw`.+?[.!?]+(?=\s|$)`, "g").status).not.toBe("safe");
    expect(verdict("<[^<>]*>", "g").status).toBe("safe");
  });

  it("every allow-list entry still names a pattern in the code", () => {
    for (const entry of NEVER_USER_TEXT) {
      expect(patterns.some((p) => p.file === entry.file && p.source === entry.source), `${entry.file} ${entry.source}`).toBe(true);
    }
  });

  it.each(patterns.filter((p) => !allowed(p)).map((p) => [`${p.file}:${p.line} ${p.text.slice(0, 90)}`, p] as const))(
    "%s",
    (_name, p) => {
      expect(p.source, "a RegExp built at run time cannot be proven linear: use a literal").not.toBeNull();
      const result = verdict(p.source!, p.flags);
      const detail =
        result.status === "vulnerable"
          ? `${result.complexity.summary}; attack: ${result.attack.pattern}`
          : result.status === "unknown"
            ? `not proven: ${JSON.stringify(result.error)}`
            : "";
      expect(result.status, detail).toBe("safe");
    },
  );
});
