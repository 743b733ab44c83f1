/** GitHub sends `application/json`, or `application/x-www-form-urlencoded` with the JSON in `payload`. */
import { mediaType, type ParsedBody } from "../common.ts";
import { parseJsonObject, quote } from "../shape.ts";

export type { ParsedBody };


/** Parse a webhook body by its content type; never throws. */
export function parseGitHubBody(body: string, contentType: string | undefined): ParsedBody {
  const type = mediaType(contentType);
  if (type === "" || type === "application/json") return parseJsonObject(body, "body");
  if (type === "application/x-www-form-urlencoded") {
    const payload = new URLSearchParams(body).get("payload");
    if (payload === null) return { ok: false, reason: "form-encoded body has no payload field" };
    return parseJsonObject(payload, "payload field");
  }
  return { ok: false, reason: `unsupported content type ${quote(type)}` };
}
