import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { actionActivityId, actionUrl, canonicalPayload, signedParams, verifyActionLink, type ActionLink } from "../../../shared/actions/index.ts";

const SECRET = "actions-test-secret-0123456789";
const NOW = new Date("2026-11-21T08:00:00.000Z");
const LINK: ActionLink = {
  action: "snooze",
  threadId: "github:issue:7001",
  recipient: "dana@acme.example",
  expiresAt: new Date("2026-11-24T08:00:00.000Z"),
};

function paramsOf(url: string): { action: string; params: URLSearchParams } {
  const parsed = new URL(url);
  return { action: parsed.pathname.split("/").pop() ?? "", params: parsed.searchParams };
}

describe("signed action links", () => {
  it("round-trips: the link made for a recipient verifies until it expires", () => {
    const url = actionUrl("http://127.0.0.1:8787", SECRET, LINK);
    expect(url.startsWith("http://127.0.0.1:8787/actions/snooze?t=github%3Aissue%3A7001&r=dana%40acme.example&e=1795507200&s=")).toBe(true);
    const { action, params } = paramsOf(url);
    expect(verifyActionLink(SECRET, action, params, NOW)).toEqual({ ok: true, link: LINK });
    // One second before expiry it still works; at the expiry it does not.
    expect(verifyActionLink(SECRET, action, params, new Date(LINK.expiresAt.getTime() - 1000)).ok).toBe(true);
    expect(verifyActionLink(SECRET, action, params, LINK.expiresAt)).toEqual({ ok: false, reason: "expired" });
  });

  it("signs exactly the documented payload with HMAC-SHA256 (checked independently)", () => {
    const payload = "v1\nsnooze\ngithub:issue:7001\ndana@acme.example\n1795507200";
    expect(canonicalPayload(LINK)).toBe(payload);
    expect(signedParams(SECRET, LINK).s).toBe(createHmac("sha256", SECRET).update(payload).digest("base64url"));
  });

  it("keeps a base URL's path and lower-cases the recipient", () => {
    const url = actionUrl("https://signals.acme.example/prod", SECRET, { ...LINK, recipient: "Dana@Acme.Example" });
    expect(url).toMatch(/^https:\/\/signals\.acme\.example\/prod\/actions\/snooze\?t=.*&r=dana%40acme\.example&/);
    const { action, params } = paramsOf(url);
    expect(verifyActionLink(SECRET, action, params, NOW).ok).toBe(true);
  });

  it("refuses any altered part: action, thread, recipient, expiry, signature", () => {
    const { params } = paramsOf(actionUrl("http://x.test", SECRET, LINK));
    const altered = (name: string, value: string) => {
      const copy = new URLSearchParams(params);
      copy.set(name, value);
      return copy;
    };
    expect(verifyActionLink(SECRET, "take", params, NOW)).toEqual({ ok: false, reason: "bad-signature" });
    expect(verifyActionLink(SECRET, "snooze", altered("t", "github:issue:7002"), NOW)).toEqual({ ok: false, reason: "bad-signature" });
    expect(verifyActionLink(SECRET, "snooze", altered("r", "mallory@evil.example"), NOW)).toEqual({ ok: false, reason: "bad-signature" });
    expect(verifyActionLink(SECRET, "snooze", altered("r", "DANA@acme.example"), NOW)).toEqual({ ok: false, reason: "bad-signature" });
    expect(verifyActionLink(SECRET, "snooze", altered("e", String(Number(params.get("e")) + 86400)), NOW)).toEqual({ ok: false, reason: "bad-signature" });
    const sig = params.get("s")!;
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    expect(verifyActionLink(SECRET, "snooze", altered("s", flipped), NOW)).toEqual({ ok: false, reason: "bad-signature" });
    expect(verifyActionLink(SECRET, "snooze", altered("s", sig.slice(0, -2)), NOW)).toEqual({ ok: false, reason: "bad-signature" });
    // Signed with another key: a forgery.
    expect(verifyActionLink("another-secret-0123456789", "snooze", params, NOW)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("refuses incomplete, repeated or nonsense parameters as malformed, without throwing", () => {
    const { params } = paramsOf(actionUrl("http://x.test", SECRET, LINK));
    for (const name of ["t", "r", "e", "s"]) {
      const copy = new URLSearchParams(params);
      copy.delete(name);
      expect(verifyActionLink(SECRET, "snooze", copy, NOW)).toEqual({ ok: false, reason: "malformed" });
    }
    const repeated = new URLSearchParams(params);
    repeated.append("t", "github:issue:7002");
    expect(verifyActionLink(SECRET, "snooze", repeated, NOW)).toEqual({ ok: false, reason: "malformed" });
    const notANumber = new URLSearchParams(params);
    notANumber.set("e", "tomorrow");
    expect(verifyActionLink(SECRET, "snooze", notANumber, NOW)).toEqual({ ok: false, reason: "malformed" });
    expect(verifyActionLink(SECRET, "delete-everything", params, NOW)).toEqual({ ok: false, reason: "malformed" });
  });

  it("will not sign or verify with a missing or short key", () => {
    expect(() => signedParams("", LINK)).toThrow(/at least 16 characters/);
    expect(() => verifyActionLink("short", "snooze", new URLSearchParams(), NOW)).toThrow(RangeError);
    expect(() => signedParams(SECRET, { ...LINK, expiresAt: new Date("nope") })).toThrow(/valid expiry/);
  });

  it("derives one activity id per link: the same link twice is the same id, any other link another", () => {
    const id = actionActivityId(LINK);
    expect(id).toMatch(/^action:github:issue:7001:snooze:[0-9a-f]{24}$/);
    expect(actionActivityId({ ...LINK })).toBe(id);
    expect(actionActivityId({ ...LINK, action: "take" })).not.toBe(id);
    expect(actionActivityId({ ...LINK, recipient: "sam@acme.example" })).not.toBe(id);
    expect(actionActivityId({ ...LINK, expiresAt: new Date(LINK.expiresAt.getTime() + 1000) })).not.toBe(id);
  });
});
