import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { signGitHubBody, verifyGitHubSignature } from "../../../shared/sources/github/index.ts";

// GitHub's documented test vector (docs: validating webhook deliveries).
const SECRET = "It's a Secret to Everybody";
const BODY = "Hello, World!";
const SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

function request(body: string, signature?: string) {
  return {
    headers: { "x-github-event": "issues", ...(signature === undefined ? {} : { "x-hub-signature-256": signature }) },
    body: Buffer.from(body, "utf8"),
  };
}

describe("verifyGitHubSignature", () => {
  it("accepts GitHub's documented test vector", async () => {
    expect(await verifyGitHubSignature(request(BODY, SIGNATURE), SECRET)).toEqual({ ok: true });
  });

  it("rejects a tampered body", async () => {
    expect(await verifyGitHubSignature(request("Hello, World?", SIGNATURE), SECRET)).toEqual({
      ok: false,
      reason: "signature does not match",
    });
  });

  it("rejects the right body signed with another secret", async () => {
    const result = await verifyGitHubSignature(request(BODY, signGitHubBody("another secret", BODY)), SECRET);
    expect(result).toEqual({ ok: false, reason: "signature does not match" });
  });

  it("rejects a truncated or differently-prefixed signature", async () => {
    expect((await verifyGitHubSignature(request(BODY, SIGNATURE.slice(0, -2)), SECRET)).ok).toBe(false);
    expect((await verifyGitHubSignature(request(BODY, SIGNATURE.replace("sha256=", "sha1=")), SECRET)).ok).toBe(false);
  });

  it("names a missing header", async () => {
    expect(await verifyGitHubSignature(request(BODY), SECRET)).toEqual({
      ok: false,
      reason: "missing X-Hub-Signature-256 header",
    });
  });

  it("answers, rather than throws, for an empty body or an empty secret", async () => {
    expect((await verifyGitHubSignature(request("", SIGNATURE), SECRET)).ok).toBe(false);
    expect((await verifyGitHubSignature(request(BODY, SIGNATURE), "")).ok).toBe(false);
  });

  it("verifies the exact bytes of a non-ASCII body", async () => {
    const body = JSON.stringify({ comment: { body: "Grüße — ✓ 日本語" } });
    const signed = request(body, signGitHubBody(SECRET, body));
    expect(await verifyGitHubSignature(signed, SECRET)).toEqual({ ok: true });
    // Re-serialised JSON with different spacing is a different body.
    const reserialised = request(JSON.stringify(JSON.parse(body), null, 2), signGitHubBody(SECRET, body));
    expect((await verifyGitHubSignature(reserialised, SECRET)).ok).toBe(false);
  });
});

describe("signGitHubBody", () => {
  it("produces the documented header value", () => {
    expect(signGitHubBody(SECRET, BODY)).toBe(SIGNATURE);
  });

  it("agrees with @octokit/webhooks-methods sign", async () => {
    const body = JSON.stringify({ zen: "Keep it logically awesome.", emoji: "🚀" });
    expect(signGitHubBody("s3cr3t", body)).toBe(await sign("s3cr3t", body));
  });
});
