/**
 * Discourse builds every body with `MultiJson.dump` (app/jobs/regular/emit_web_hook_event.rb), so
 * even a hook set to `application/x-www-form-urlencoded` sends JSON text under that content type
 * (and a redelivery resends the stored body as is). A genuinely form-encoded body, JSON in a
 * `payload` field as GitHub does it, is accepted too so a proxy that re-encodes cannot break us.
 */
import { mediaType, type ParsedBody } from "../common.ts";
import { parseJsonObject, quote } from "../shape.ts";

export type { ParsedBody };


/** Parse a webhook body by its content type; never throws. */
export function parseDiscourseBody(body: string, contentType: string | undefined): ParsedBody {
  const type = mediaType(contentType);
  if (type === "" || type === "application/json") return parseJsonObject(body, "body");
  if (type === "application/x-www-form-urlencoded") {
    if (body.trimStart().startsWith("{")) return parseJsonObject(body, "body");
    const payload = new URLSearchParams(body).get("payload");
    if (payload === null) return { ok: false, reason: "form-encoded body is neither JSON nor has a payload field" };
    return parseJsonObject(payload, "payload field");
  }
  return { ok: false, reason: `unsupported content type ${quote(type)}` };
}
