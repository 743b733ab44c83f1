/**
 * What every webhook source's door checks share: the body must be UTF-8 and a JSON object, and
 * the fields its normaliser will read must have the right shape. Whatever is wrong is told to
 * the client in our own words (a field path and what was expected), never as exception text.
 */
import { isUtf8 } from "node:buffer";
import type * as z from "../model/zod.ts";
import type { ParsedBody } from "./common.ts";

/** How many problems a 400 names; the rest are counted. */
const MAX_PROBLEMS = 3;
/** Client-controlled text (an event name) is quoted at most this long in an answer. */
const MAX_ECHO = 100;

/** The body as text, or null when its bytes are not valid UTF-8 (no replacement characters). */
export function decodeUtf8(body: Buffer): string | null {
  return isUtf8(body) ? body.toString("utf8") : null;
}

export const NOT_UTF8 = "body is not valid UTF-8";

/**
 * Parse text that must be a JSON object; never throws, and never repeats the parser's message
 * (V8 quotes the input back in it): where it failed is all a client needs.
 */
export function parseJsonObject(text: string, what = "body"): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : "";
    const at = /at position (\d+)/.exec(message)?.[1];
    let where = "";
    if (text.trim() === "") where = " (it is empty)";
    else if (at !== undefined) where = ` (at character ${at})`;
    else if (/end of JSON input/.test(message)) where = " (it ends too soon)";
    return { ok: false, reason: `${what} is not valid JSON${where}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: `${what} is not a JSON object` };
  }
  return { ok: true, payload: value as Record<string, unknown> };
}

/** `issue.number: expected number, received string`, for the first few problems. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ""): string {
  const described = issues.slice(0, MAX_PROBLEMS).map((issue) => {
    const path = issue.path.length ? `${prefix}${issue.path.map(String).join(".")}` : prefix ? prefix.slice(0, -1) : "(body)";
    return `${path}: ${describeIssue(issue)}`;
  });
  const more = issues.length - MAX_PROBLEMS;
  return more > 0 ? `${described.join("; ")} (and ${more} more)` : described.join("; ");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // Our schemas' messages name what was expected; zod's say "Invalid input: " first.
  const message = issue.message.replace(/^Invalid input: /, "");
  if (issue.code === "invalid_type" && /received undefined$/.test(message)) return `missing (expected ${issue.expected})`;
  return message;
}

/** The problems `value` has against `schema`, or null when it has none. */
export function shapeProblems(schema: z.ZodMiniType, value: unknown, prefix = ""): string | null {
  const result = schema.safeParse(value);
  return result.success ? null : describeIssues(result.error.issues, prefix);
}

/** Client text quoted in an answer, cut to a readable length. */
export function quote(text: string): string {
  return text.length <= MAX_ECHO ? text : `${text.slice(0, MAX_ECHO)}…`;
}
