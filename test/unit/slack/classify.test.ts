import { describe, expect, it } from "vitest";
import { SLACK_SUPPORTED_EVENTS, classifySlackRequest } from "../../../shared/sources/slack/index.ts";
import { fixture } from "./helpers.ts";

function request(body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) {
  return { headers, body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body), "utf8") };
}

describe("classifySlackRequest", () => {
  it("answers url_verification with the challenge as JSON, queueing nothing", () => {
    const handshake = fixture("url_verification.json");
    const result = classifySlackRequest(request(handshake));
    expect(result).toEqual({
      action: "handshake",
      answer: { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ challenge: handshake["challenge"] }) },
    });
  });

  it("queues an event_callback under its inner type and event_id, keeping only the headers that matter", () => {
    const headers = {
      "content-type": "application/json",
      "x-slack-request-timestamp": "1794830401",
      "x-slack-signature": "v0=abc",
      "x-slack-retry-num": "1",
      "x-slack-retry-reason": "http_timeout",
      "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
      accept: "*/*",
    };
    expect(classifySlackRequest(request(fixture("message.json"), headers))).toEqual({
      action: "queue",
      eventType: "message",
      deliveryId: "Ev0AAAA00001",
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": "1794830401",
        "x-slack-retry-num": "1",
        "x-slack-retry-reason": "http_timeout",
      },
    });
  });

  it("queues every supported event type, and a retry under the same delivery id", () => {
    for (const [file, type] of [
      ["reaction_added.json", "reaction_added"],
      ["reaction_removed.json", "reaction_removed"],
      ["app_uninstalled.json", "app_uninstalled"],
      ["tokens_revoked.json", "tokens_revoked"],
      ["message-message_deleted.json", "message"],
    ] as const) {
      const payload = fixture(file);
      const first = classifySlackRequest(request(payload));
      const retry = classifySlackRequest(request(payload, { "content-type": "application/json", "x-slack-retry-num": "2" }));
      expect(first).toMatchObject({ action: "queue", eventType: type, deliveryId: payload["event_id"] });
      expect(retry).toMatchObject({ action: "queue", deliveryId: payload["event_id"] });
    }
  });

  it("ignores inner event types we do not use, naming them", () => {
    const joined = fixture("message.json");
    joined["event"] = { type: "member_joined_channel", user: "U0NEWBIE01", channel: "C0HELP0001", event_ts: "1794829000.000800" };
    expect(classifySlackRequest(request(joined))).toEqual({
      action: "ignore",
      eventType: "member_joined_channel",
      reason: "unsupported event member_joined_channel",
    });
  });

  it("ignores envelope types other than event_callback (app_rate_limited)", () => {
    expect(classifySlackRequest(request(fixture("app_rate_limited.json")))).toEqual({
      action: "ignore",
      eventType: "app_rate_limited",
      reason: "unsupported envelope type app_rate_limited",
    });
  });

  it("calls bodies that are not JSON objects malformed", () => {
    const notJson = classifySlackRequest(request("{nope"));
    expect(notJson.action === "malformed" && notJson.reason).toMatch(/^body is not valid JSON/);
    expect(classifySlackRequest(request("[1]"))).toEqual({ action: "malformed", reason: "body is not a JSON object" });
    expect(classifySlackRequest(request("token=x&command=%2Frocket", { "content-type": "application/x-www-form-urlencoded" }))).toEqual({
      action: "malformed",
      reason: "unsupported content type application/x-www-form-urlencoded",
    });
  });

  it("names what an envelope is missing", () => {
    const noType = classifySlackRequest(request({ team_id: "T0ROCKETDB" }));
    expect(noType.action === "malformed" && noType.reason).toMatch(/^body has no type \(type: /);

    const noChallenge = classifySlackRequest(request({ type: "url_verification", token: "x" }));
    expect(noChallenge.action === "malformed" && noChallenge.reason).toMatch(/^url_verification: challenge: /);

    const noEventId = fixture("message.json");
    delete noEventId["event_id"];
    const result = classifySlackRequest(request(noEventId));
    expect(result.action === "malformed" && result.reason).toMatch(/^event_callback: event_id: /);

    const noEvent = fixture("message.json");
    delete noEvent["event"];
    const missing = classifySlackRequest(request(noEvent));
    expect(missing.action === "malformed" && missing.reason).toMatch(/^event_callback: event: /);
  });

  it("supports exactly the events normalize understands", () => {
    expect([...SLACK_SUPPORTED_EVENTS].sort()).toEqual(["app_uninstalled", "message", "reaction_added", "reaction_removed", "tokens_revoked"]);
  });
});
