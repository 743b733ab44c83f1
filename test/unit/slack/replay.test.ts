import { describe, expect, it } from "vitest";
import {
  SLACK_USER_AGENT,
  latestSlackTime,
  replayRequest,
  shiftSlackTimes,
  signSlackRequest,
  slackAdapter,
} from "../../../shared/sources/slack/index.ts";
import { fixture } from "./helpers.ts";

const SECRET = "replay-secret";
const NOW = new Date("2026-11-25T09:00:00.000Z");

describe("replayRequest", () => {
  it("builds the request Slack would send: JSON body, its headers, signed for now", async () => {
    const payload = fixture("message.json");
    const { headers, body } = replayRequest({ event: "message", payload }, SECRET, NOW);
    expect(body).toBe(JSON.stringify(payload));
    expect(headers).toEqual({
      "content-type": "application/json",
      "user-agent": SLACK_USER_AGENT,
      "x-slack-request-timestamp": "1795597200",
      "x-slack-signature": signSlackRequest(SECRET, "1795597200", body),
    });
    const request = { headers, body: Buffer.from(body) };
    expect(await slackAdapter.verify(request, SECRET, NOW)).toEqual({ ok: true });
    expect(slackAdapter.classify(request)).toMatchObject({ action: "queue", eventType: "message", deliveryId: "Ev0AAAA00001" });
  });

  it("adds the sample's own headers, lower-cased, but never its stale signature or timestamp", async () => {
    const { headers, body } = replayRequest(
      {
        payload: fixture("reaction_added.json"),
        headers: { "X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error", "X-Slack-Signature": "v0=old", "X-Slack-Request-Timestamp": "1" },
      },
      SECRET,
      NOW,
    );
    expect(headers).toMatchObject({ "x-slack-retry-num": "2", "x-slack-retry-reason": "http_error", "x-slack-request-timestamp": "1795597200" });
    expect(headers["x-slack-signature"]).toBe(signSlackRequest(SECRET, "1795597200", body));
    expect(await slackAdapter.verify({ headers, body: Buffer.from(body) }, SECRET, NOW)).toEqual({ ok: true });
  });

  it("refuses a sample without a payload", () => {
    expect(() => replayRequest({ event: "message" } as never, SECRET, NOW)).toThrow(TypeError);
  });
});

describe("shiftSlackTimes and latestSlackTime", () => {
  it("find the latest ts or event_time and move every one of them, micros kept", () => {
    const payload = fixture("message-message_changed.json");
    expect(latestSlackTime(payload)).toBe(1794830700.0005);
    const shifted = shiftSlackTimes(payload, 3600) as Record<string, any>;
    expect(shifted["event_time"]).toBe(1794830700 + 3600);
    expect(shifted["event"].ts).toBe("1794834300.000500");
    expect(shifted["event"].message.ts).toBe("1794834000.123456");
    expect(shifted["event"].message.edited.ts).toBe("1794834300.000000");
    expect(shifted["event"].previous_message.ts).toBe("1794834000.123456");
    // Text and ids are left alone.
    expect(shifted["event"].message.text).toBe(payload["event"].message.text);
    expect(shifted["event_id"]).toBe(payload["event_id"]);
    expect(latestSlackTime(shifted)).toBe(1794830700.0005 + 3600);
  });

  it("keeps a shifted sample normalising to the same ids, moved in time", () => {
    const payload = fixture("reaction_added.json");
    const shifted = shiftSlackTimes(payload, -86_400) as Record<string, any>;
    expect(shifted["event"].item.ts).toBe("1794744000.123456");
    expect(shifted["event"].event_ts).toBe("1794748600.000900");
    expect(latestSlackTime({ text: "no times here" })).toBeNull();
  });
});
