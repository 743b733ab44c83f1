/**
 * Just enough Markdown for checking the README and docs/: headings and their GitHub anchors,
 * links, code blocks and inline code, and a small shell-words splitter for the commands in
 * code blocks. Every check returns problems (file, line, message) instead of throwing, so a
 * test can list all of them at once and the checks themselves can be tested on broken input.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, relative, resolve, sep } from "node:path";

export interface Problem {
  file: string;
  line: number;
  message: string;
}

export const formatProblem = (root: string, p: Problem) => `${relative(root, p.file) || p.file}:${p.line}: ${p.message}`;

export interface CodeBlock {
  lang: string;
  /** Line number (1-based) of the first line inside the fence. */
  firstLine: number;
  lines: string[];
}

export interface Heading {
  level: number;
  text: string;
  line: number;
}

export interface Link {
  target: string;
  line: number;
}

export interface InlineCode {
  text: string;
  line: number;
}

export interface ScannedMarkdown {
  headings: Heading[];
  links: Link[];
  codeBlocks: CodeBlock[];
  inlineCode: InlineCode[];
  lineCount: number;
}

const FENCE = /^ {0,3}\s*(`{3,}|~{3,})\s*([^`\s]*)/;

/** Split a Markdown text into code blocks, headings, links and inline code, with line numbers. */
export function scanMarkdown(text: string): ScannedMarkdown {
  const lines = text.split("\n");
  const codeBlocks: CodeBlock[] = [];
  const headings: Heading[] = [];
  // The text outside code blocks, same line count (fenced lines blanked), for links and spans.
  const prose: string[] = [];
  let open: { fence: string; block: CodeBlock } | null = null;
  lines.forEach((line, i) => {
    const fence = FENCE.exec(line);
    if (open) {
      const closing = fence && fence[1]![0] === open.fence[0] && fence[1]!.length >= open.fence.length && fence[2] === "";
      if (closing) open = null;
      else open.block.lines.push(line);
      prose.push("");
      return;
    }
    if (fence) {
      const block: CodeBlock = { lang: fence[2]!.toLowerCase(), firstLine: i + 2, lines: [] };
      codeBlocks.push(block);
      open = { fence: fence[1]!, block };
      prose.push("");
      return;
    }
    const h = /^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (h) headings.push({ level: h[1]!.length, text: h[2]!, line: i + 1 });
    prose.push(line);
  });

  const proseText = prose.join("\n");
  const lineAt = (offset: number) => proseText.slice(0, offset).split("\n").length;

  // Inline code spans (not across a blank line); blank them before looking for links.
  const inlineCode: InlineCode[] = [];
  const spans = /(`+)((?:(?!\1)[^\n]|\n(?!\s*\n))+?)\1(?!`)/g;
  let withoutCode = proseText;
  for (const m of proseText.matchAll(spans)) {
    inlineCode.push({ text: m[2]!.trim(), line: lineAt(m.index) });
    withoutCode = withoutCode.slice(0, m.index) + m[0].replace(/[^\n]/g, " ") + withoutCode.slice(m.index + m[0].length);
  }

  const links: Link[] = [];
  // [text](target "title") and ![alt](target); the text may span lines and hold brackets one level deep.
  const inline = /!?\[(?:[^[\]]|\[[^[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g;
  for (const m of withoutCode.matchAll(inline)) links.push({ target: m[1]!, line: lineAt(m.index) });
  // [label]: target (reference definitions)
  for (const m of withoutCode.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) links.push({ target: m[1]!, line: lineAt(m.index) });
  // <a href="..."> and <img src="...">
  for (const m of withoutCode.matchAll(/<(?:a|img)\s[^>]*?(?:href|src)="([^"]*)"/g)) links.push({ target: m[1]!, line: lineAt(m.index) });

  return { headings, links, codeBlocks, inlineCode, lineCount: text.endsWith("\n") ? lines.length - 1 : lines.length };
}

/** The anchor GitHub gives a heading's text (without the duplicate suffix). */
export function githubSlug(headingText: string): string {
  const text = headingText
    .replace(/!?\[((?:[^[\]]|\[[^[\]]*\])*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/<[^>]+>/g, "") // HTML tags
    .replace(/`/g, "");
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a Markdown text has: its headings' slugs, duplicates numbered as GitHub does. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const h of scanMarkdown(text).headings) {
    const base = githubSlug(h.text);
    let slug = base;
    let n = seen.get(base) ?? 0;
    while (anchors.has(slug)) slug = `${base}-${++n}`;
    seen.set(base, n);
    anchors.add(slug);
  }
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]!);
  return anchors;
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/** An external link is checked for being well-formed only (no network). */
export function externalLinkProblem(target: string): string | null {
  if (/^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$/i.test(target)) return null;
  if (!/^https?:\/\//i.test(target)) return `link ${target}: only http(s) and mailto links are allowed`;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return `link ${target} is not a well-formed URL`;
  }
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(url.hostname) && url.hostname !== "localhost" && !/^\d+\.\d+\.\d+\.\d+$/.test(url.hostname)) {
    return `link ${target} has no proper host name`;
  }
  return null;
}

/**
 * Every link of a Markdown file: a relative link must name an existing file (or folder) of the
 * repository, and its #anchor a heading of the target page; an external one must be well-formed.
 */
export function linkProblems(file: string, text: string, root: string): Problem[] {
  const problems: Problem[] = [];
  const add = (line: number, message: string) => problems.push({ file, line, message });
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (path: string, content?: string) => {
    if (!anchorCache.has(path)) anchorCache.set(path, anchorsOf(content ?? readFileSync(path, "utf8")));
    return anchorCache.get(path)!;
  };
  anchors(file, text);

  for (const { target, line } of scanMarkdown(text).links) {
    if (target === "") {
      add(line, "empty link target");
      continue;
    }
    if (EXTERNAL.test(target)) {
      const problem = externalLinkProblem(target);
      if (problem) add(line, problem);
      continue;
    }
    const hash = target.indexOf("#");
    const pathPart = hash >= 0 ? target.slice(0, hash) : target;
    const anchor = hash >= 0 ? target.slice(hash + 1) : null;
    let path = file;
    if (pathPart !== "") {
      let decoded: string;
      try {
        decoded = decodeURIComponent(pathPart.split("?")[0]!);
      } catch {
        add(line, `link ${target}: malformed percent-encoding`);
        continue;
      }
      path = decoded.startsWith("/") ? resolve(root, `.${decoded}`) : resolve(dirname(file), decoded);
      if (path !== root && !path.startsWith(root + sep)) {
        add(line, `link ${target} points outside the repository`);
        continue;
      }
      if (!existsSync(path)) {
        add(line, `link ${target}: ${relative(root, path)} does not exist`);
        continue;
      }
    }
    if (anchor === null) continue;
    if (anchor === "") {
      add(line, `link ${target}: empty #anchor`);
      continue;
    }
    if (path !== file && (statSync(path).isDirectory() || extname(path).toLowerCase() !== ".md")) {
      // GitHub's line anchors are the only ones other files have.
      if (!/^L\d+(-L\d+)?$/.test(anchor)) add(line, `link ${target}: #${anchor} on a file that is not Markdown`);
      continue;
    }
    let decodedAnchor = anchor;
    try {
      decodedAnchor = decodeURIComponent(anchor);
    } catch {
      // keep it as written: it will not match
    }
    const known = anchors(path);
    if (!known.has(decodedAnchor)) {
      add(line, `link ${target}: no heading with the anchor #${decodedAnchor} in ${relative(root, path)} (anchors: ${[...known].join(", ")})`);
    }
  }
  return problems;
}

/** `npm run X` (and `npm start`, `npm test`) in code blocks and inline code must name a package.json script. */
export function npmRunProblems(file: string, text: string, scripts: ReadonlySet<string>): Problem[] {
  const problems: Problem[] = [];
  const scanned = scanMarkdown(text);
  const candidates: { text: string; line: number }[] = [
    ...scanned.codeBlocks.flatMap((b) => b.lines.map((l, i) => ({ text: l, line: b.firstLine + i }))),
    ...scanned.inlineCode,
  ];
  for (const c of candidates) {
    for (const m of c.text.matchAll(/\bnpm\s+(?:run(?:-script)?|run-script)\s+([^\s;&|#'"`)]+)/g)) {
      if (!scripts.has(m[1]!)) problems.push({ file, line: c.line, message: `npm run ${m[1]}: no such script in package.json (scripts: ${[...scripts].join(", ")})` });
    }
    for (const m of c.text.matchAll(/\bnpm\s+(start|test|stop|restart)\b/g)) {
      if (!scripts.has(m[1]!)) problems.push({ file, line: c.line, message: `npm ${m[1]}: no "${m[1]}" script in package.json` });
    }
  }
  return problems;
}

/**
 * Split shell text into commands (arrays of words): quotes ('...', "..." with \-escapes), \-escapes,
 * comments from an unquoted # at the start of a word, backslash-newline continuations; commands
 * end at a newline, ;, &, &&, | or ||. Each command carries the line (0-based, in `text`) it starts on.
 */
export function shellCommands(text: string): { words: string[]; line: number }[] {
  const commands: { words: string[]; line: number }[] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  let line = 0;
  let startLine = 0;
  let wordLine = 0;
  const endWord = () => {
    if (inWord) {
      if (words.length === 0) startLine = wordLine;
      words.push(word);
    }
    word = "";
    inWord = false;
  };
  const startWord = () => {
    if (!inWord) wordLine = line;
    inWord = true;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push({ words, line: startLine });
    words = [];
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      startWord();
      let j = i + 1;
      while (j < text.length && text[j] !== "'") {
        if (text[j] === "\n") line++;
        j++;
      }
      word += text.slice(i + 1, j);
      i = j + 1;
      continue;
    }
    if (c === '"') {
      startWord();
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) {
          word += text[i + 1];
          i += 2;
          continue;
        }
        if (text[i] === "\\" && text[i + 1] === "\n") {
          line++;
          i += 2;
          continue;
        }
        if (text[i] === "\n") line++;
        word += text[i];
        i++;
      }
      i++;
      continue;
    }
    if (c === "\\") {
      if (text[i + 1] === "\n") {
        line++;
        i += 2;
        endWord();
        continue;
      }
      startWord();
      if (i + 1 < text.length) word += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "\n") {
      endCommand();
      line++;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      endWord();
      i++;
      continue;
    }
    if (c === "#" && !inWord) {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === ";" || c === "&" || c === "|") {
      endCommand();
      i += text[i + 1] === c ? 2 : 1;
      continue;
    }
    startWord();
    word += c;
    i++;
  }
  endCommand();
  return commands;
}

/** The ways the docs run the CLI: `community-signals`, `npx community-signals`, `node bin/community-signals.js`. */
export function cliArgs(words: string[]): string[] | null {
  let w = [...words];
  // A prompt, environment assignments and shell keywords may come first.
  while (w.length > 0 && (w[0] === "$" || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w[0]!) || ["do", "then", "else", "time", "exec"].includes(w[0]!))) w = w.slice(1);
  if (w[0] === "community-signals") return w.slice(1);
  if (w[0] === "npx") {
    let k = 1;
    while (w[k]?.startsWith("-")) k++;
    if (w[k] === "community-signals") return w.slice(k + 1);
    return null;
  }
  if (w[0] === "node" && /(^|\/)bin\/community-signals\.js$/.test(w[1] ?? "")) return w.slice(2);
  return null;
}

/** A line that, read by a person, runs the CLI: each must be found as the start of a command. */
const CLI_LINE = /^\s*(?:\$\s+)?(?:npx\s+(?:-\S+\s+)*community-signals|community-signals|node\s+\S*bin\/community-signals\.js)(?:\s|$)/;

export interface CliInvocation {
  file: string;
  line: number;
  text: string;
  args: string[];
}

/** Placeholders such as `<file>` or `<APPLICATION_ID>` become a dummy value before parsing. */
export const replacePlaceholders = (s: string) => s.replace(/<[A-Za-z][^<>\n]*>/g, "placeholder");

/** Every CLI invocation in the code blocks of a Markdown file (languages that are not shell are skipped). */
export function cliInvocations(file: string, text: string): { invocations: CliInvocation[]; problems: Problem[] } {
  const invocations: CliInvocation[] = [];
  const problems: Problem[] = [];
  const notShell = new Set(["json", "jsonc", "json5", "yaml", "yml", "sql", "ts", "typescript", "js", "javascript", "toml", "diff"]);
  for (const block of scanMarkdown(text).codeBlocks) {
    if (notShell.has(block.lang)) continue;
    const source = replacePlaceholders(block.lines.join("\n"));
    const found = new Set<number>();
    for (const cmd of shellCommands(source)) {
      const args = cliArgs(cmd.words);
      if (!args) continue;
      found.add(cmd.line);
      invocations.push({ file, line: block.firstLine + cmd.line, text: block.lines[cmd.line]!.trim(), args });
    }
    block.lines.forEach((l, i) => {
      if (CLI_LINE.test(l) && !found.has(i)) {
        problems.push({ file, line: block.firstLine + i, message: `could not split this line into a community-signals command: ${l.trim()}` });
      }
    });
  }
  return { invocations, problems };
}
