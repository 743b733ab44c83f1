/** GitHub sends `application/json`, or `application/x-www-form-urlencoded` with the JSON in `payload`. */
export type ParsedBody = { ok: true; payload: Record<string, unknown> } | { ok: false; reason: string };

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

function parseJsonObject(text: string, what: string): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `${what} is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: `${what} is not a JSON object` };
  }
  return { ok: true, payload: value as Record<string, unknown> };
}

/** Parse a webhook body by its content type; never throws. */
export function parseGitHubBody(body: string, contentType: string | undefined): ParsedBody {
  const type = mediaType(contentType);
  if (type === "" || type === "application/json") return parseJsonObject(body, "body");
  if (type === "application/x-www-form-urlencoded") {
    const payload = new URLSearchParams(body).get("payload");
    if (payload === null) return { ok: false, reason: "form-encoded body has no payload field" };
    return parseJsonObject(payload, "payload field");
  }
  return { ok: false, reason: `unsupported content type ${type}` };
}
