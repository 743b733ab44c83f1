import { describe, expect, it } from "vitest";
import { signDiscourseBody, verifyDiscourseSignature } from "../../../shared/sources/discourse/index.ts";

// The published test vector (PLATFORMS.md, Discourse section).
const SECRET = "my_lovely_secret_for_web_hook";
const BODY = '{"ping":"OK"}';
const SIGNATURE = "sha256=162f107f6b5022353274eb1a7197885cfd35744d8d08e5bcea025d309386b7d6";

function request(body: string | Buffer, signature?: string) {
  return {
    headers: {
      "x-discourse-event-type": "ping",
      ...(signature === undefined ? {} : { "x-discourse-event-signature": signature }),
    },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8"),
  };
}

describe("verifyDiscourseSignature", () => {
  it("accepts the documented test vector", async () => {
    expect(await verifyDiscourseSignature(request(BODY, SIGNATURE), SECRET)).toEqual({ ok: true });
  });

  it("rejects a tampered body", async () => {
    expect(await verifyDiscourseSignature(request('{"ping":"OK!"}', SIGNATURE), SECRET)).toEqual({
      ok: false,
      reason: "signature does not match",
    });
  });

  it("rejects the right body signed with another secret", async () => {
    const result = await verifyDiscourseSignature(request(BODY, signDiscourseBody("another_secret_1", BODY)), SECRET);
    expect(result).toEqual({ ok: false, reason: "signature does not match" });
  });

  it("rejects a truncated, prefix-less or differently-prefixed signature without throwing", async () => {
    for (const bad of [SIGNATURE.slice(0, -2), SIGNATURE.slice("sha256=".length), SIGNATURE.replace("sha256=", "sha1="), "sha256=", "garbage"]) {
      expect(await verifyDiscourseSignature(request(BODY, bad), SECRET), bad).toEqual({ ok: false, reason: "signature does not match" });
    }
  });

  it("accepts the hex digest in upper case (it is the same digest)", async () => {
    const upper = `sha256=${SIGNATURE.slice(7).toUpperCase()}`;
    expect(await verifyDiscourseSignature(request(BODY, upper), SECRET)).toEqual({ ok: true });
  });

  it("refuses an unsigned request: a hook without a secret is not accepted", async () => {
    expect(await verifyDiscourseSignature(request(BODY), SECRET)).toEqual({
      ok: false,
      reason: "missing X-Discourse-Event-Signature header",
    });
  });

  it("answers, rather than throws, when no secret is configured or the body is empty", async () => {
    expect(await verifyDiscourseSignature(request(BODY, SIGNATURE), "")).toEqual({ ok: false, reason: "no webhook secret configured" });
    expect((await verifyDiscourseSignature(request("", SIGNATURE), SECRET)).ok).toBe(false);
    expect(await verifyDiscourseSignature(request("", signDiscourseBody(SECRET, "")), SECRET)).toEqual({ ok: true });
  });

  it("verifies the exact bytes of a non-ASCII body, not re-serialised JSON", async () => {
    const body = JSON.stringify({ post: { raw: "Grüße — ✓ 日本語" } });
    expect(await verifyDiscourseSignature(request(body, signDiscourseBody(SECRET, body)), SECRET)).toEqual({ ok: true });
    const reserialised = JSON.stringify(JSON.parse(body), null, 2);
    expect((await verifyDiscourseSignature(request(reserialised, signDiscourseBody(SECRET, body)), SECRET)).ok).toBe(false);
    // A Latin-1 re-encoding of the same text is a different body too.
    expect((await verifyDiscourseSignature(request(Buffer.from(body, "latin1"), signDiscourseBody(SECRET, body)), SECRET)).ok).toBe(false);
  });
});

describe("signDiscourseBody", () => {
  it("produces the documented header value, from a string or from bytes", () => {
    expect(signDiscourseBody(SECRET, BODY)).toBe(SIGNATURE);
    expect(signDiscourseBody(SECRET, Buffer.from(BODY))).toBe(SIGNATURE);
  });
});
