import { describe, expect, it } from "vitest";
import {
  createSlackAdapter,
  signSlackRequest,
  slackAdapter,
  verifySlackRequest,
} from "../../../shared/sources/slack/index.ts";

// Slack's documented example (docs: "Verifying requests from Slack"): a slash-command body.
const DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const DOC_TIMESTAMP = "1531420618";
const DOC_BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

const SECRET = "rocketdb-community-signing-secret";
const BODY = JSON.stringify({ type: "event_callback", team_id: "T0ROCKETDB", event_id: "Ev0AAAA00001", event: { type: "message", text: "Grüße ✓" } });
const SENT_AT = new Date("2026-11-16T12:00:00.000Z");
const SENT_TS = String(SENT_AT.getTime() / 1000);

function request(body: string, headers: Record<string, string | undefined>) {
  return { headers, body: Buffer.from(body, "utf8") };
}

function signed(body = BODY, timestamp = SENT_TS, secret = SECRET) {
  return request(body, { "x-slack-request-timestamp": timestamp, "x-slack-signature": signSlackRequest(secret, timestamp, body) });
}

const at = (secondsAfterSending: number) => new Date(SENT_AT.getTime() + secondsAfterSending * 1000);

/** HMAC-SHA256 through WebCrypto: a second implementation of the same scheme, to hold the first to. */
async function webCryptoSignature(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:${timestamp}:${body}`));
  return `v0=${Buffer.from(mac).toString("hex")}`;
}

describe("signSlackRequest", () => {
  it("reproduces Slack's documented example", () => {
    expect(signSlackRequest(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY)).toBe(DOC_SIGNATURE);
    expect(signSlackRequest(DOC_SECRET, Number(DOC_TIMESTAMP), Buffer.from(DOC_BODY))).toBe(DOC_SIGNATURE);
  });

  it("agrees with an independent WebCrypto computation, non-ASCII body included", async () => {
    expect(signSlackRequest(SECRET, SENT_TS, BODY)).toBe(await webCryptoSignature(SECRET, SENT_TS, BODY));
    expect(await webCryptoSignature(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY)).toBe(DOC_SIGNATURE);
  });
});

describe("verifySlackRequest", () => {
  it("accepts the documented example at its own time", async () => {
    const doc = request(DOC_BODY, { "x-slack-request-timestamp": DOC_TIMESTAMP, "x-slack-signature": DOC_SIGNATURE });
    expect(await verifySlackRequest(doc, DOC_SECRET, new Date(Number(DOC_TIMESTAMP) * 1000 + 20_000))).toEqual({ ok: true });
  });

  it("accepts a fresh request, up to five minutes either way", async () => {
    expect(await verifySlackRequest(signed(), SECRET, at(0))).toEqual({ ok: true });
    expect(await verifySlackRequest(signed(), SECRET, at(300))).toEqual({ ok: true });
    expect(await verifySlackRequest(signed(), SECRET, at(-300))).toEqual({ ok: true });
  });

  it("refuses a captured request replayed six minutes later, signature and all", async () => {
    const captured = signed();
    expect(await verifySlackRequest(captured, SECRET, at(1))).toEqual({ ok: true });
    expect(await verifySlackRequest(captured, SECRET, at(360))).toEqual({ ok: false, reason: "stale timestamp" });
    expect(await verifySlackRequest(captured, SECRET, at(301))).toEqual({ ok: false, reason: "stale timestamp" });
  });

  it("refuses a timestamp too far in the future", async () => {
    expect(await verifySlackRequest(signed(), SECRET, at(-360))).toEqual({ ok: false, reason: "stale timestamp" });
  });

  it("refuses a replay whose timestamp header was refreshed (the signature covers the timestamp)", async () => {
    const captured = signed();
    const later = at(360);
    const refreshed = request(BODY, {
      "x-slack-request-timestamp": String(later.getTime() / 1000),
      "x-slack-signature": captured.headers["x-slack-signature"],
    });
    expect(await verifySlackRequest(refreshed, SECRET, later)).toEqual({ ok: false, reason: "signature does not match" });
  });

  it("rejects a tampered body, another secret, and a malformed signature", async () => {
    const good = signed();
    const tampered = request(BODY.replace("Grüße", "Grüsse"), good.headers);
    expect(await verifySlackRequest(tampered, SECRET, at(0))).toEqual({ ok: false, reason: "signature does not match" });
    expect(await verifySlackRequest(signed(BODY, SENT_TS, "another secret"), SECRET, at(0))).toEqual({ ok: false, reason: "signature does not match" });
    const sig = good.headers["x-slack-signature"]!;
    for (const bad of [sig.slice(0, -1), sig.replace("v0=", "v1="), sig.toUpperCase(), `${sig}00`]) {
      expect((await verifySlackRequest(request(BODY, { ...good.headers, "x-slack-signature": bad }), SECRET, at(0))).ok).toBe(false);
    }
  });

  it("verifies the raw bytes, not re-serialised JSON", async () => {
    const good = signed();
    const reserialised = request(JSON.stringify(JSON.parse(BODY), null, 2), good.headers);
    expect((await verifySlackRequest(reserialised, SECRET, at(0))).ok).toBe(false);
  });

  it("names missing and malformed headers, and a missing secret", async () => {
    const { headers } = signed();
    expect(await verifySlackRequest(request(BODY, { ...headers, "x-slack-signature": undefined }), SECRET, at(0))).toEqual({
      ok: false,
      reason: "missing X-Slack-Signature header",
    });
    expect(await verifySlackRequest(request(BODY, { ...headers, "x-slack-request-timestamp": undefined }), SECRET, at(0))).toEqual({
      ok: false,
      reason: "missing X-Slack-Request-Timestamp header",
    });
    expect(await verifySlackRequest(request(BODY, { ...headers, "x-slack-request-timestamp": "yesterday" }), SECRET, at(0))).toEqual({
      ok: false,
      reason: "malformed X-Slack-Request-Timestamp header",
    });
    expect(await verifySlackRequest(signed(), "", at(0))).toEqual({ ok: false, reason: "no signing secret configured" });
  });
});

describe("the adapter's replay window", () => {
  it("is five minutes by default and configurable through createSlackAdapter", async () => {
    const twoMinutesOld = signed();
    expect(await slackAdapter.verify(twoMinutesOld, SECRET, at(120))).toEqual({ ok: true });
    const strict = createSlackAdapter(60);
    expect(await strict.verify(twoMinutesOld, SECRET, at(120))).toEqual({ ok: false, reason: "stale timestamp" });
    expect(await strict.verify(twoMinutesOld, SECRET, at(59))).toEqual({ ok: true });
  });

  it("refuses a window that is not a positive number", () => {
    expect(() => createSlackAdapter(0)).toThrow(RangeError);
    expect(() => createSlackAdapter(Number.NaN)).toThrow(RangeError);
  });
});
