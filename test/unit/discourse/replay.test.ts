import { describe, expect, it } from "vitest";
import { classifyDiscourseRequest, replayRequest, signDiscourseBody, verifyDiscourseSignature } from "../../../shared/sources/discourse/index.ts";
import { fixture } from "./helpers.ts";

const SECRET = "replay_secret_123";
const NOW = new Date("2026-11-24T18:00:00Z");

describe("replayRequest", () => {
  it("builds the request Discourse would send: JSON body, every Discourse header, signed", async () => {
    const payload = fixture("post_created.reply.json");
    const { headers, body } = replayRequest({ event: "post_created", payload }, SECRET, NOW);
    expect(body).toBe(JSON.stringify(payload));
    expect(headers).toMatchObject({
      accept: "*/*",
      "content-type": "application/json",
      "x-discourse-instance": "https://forum.rocketdb.example",
      "x-discourse-event-type": "post",
      "x-discourse-event": "post_created",
      "x-discourse-event-signature": signDiscourseBody(SECRET, body),
    });
    expect(headers["user-agent"]).toMatch(/^Discourse\//);
    expect(headers["x-discourse-event-id"]).toMatch(/^\d+$/);
    const request = { headers, body: Buffer.from(body) };
    expect(await verifyDiscourseSignature(request, SECRET)).toEqual({ ok: true });
    expect(classifyDiscourseRequest(request)).toMatchObject({ action: "queue", eventType: "post_created", deliveryId: headers["x-discourse-event-id"] });
  });

  it("keeps the event id stable for the same sample (a redelivery) and different for another", () => {
    const a = replayRequest({ event: "post_created", payload: fixture("post_created.reply.json") }, SECRET, NOW);
    const again = replayRequest({ event: "post_created", payload: fixture("post_created.reply.json") }, "another_secret_12", NOW);
    const b = replayRequest({ event: "post_created", payload: fixture("post_created.first.json") }, SECRET, NOW);
    expect(again.headers["x-discourse-event-id"]).toBe(a.headers["x-discourse-event-id"]);
    expect(b.headers["x-discourse-event-id"]).not.toBe(a.headers["x-discourse-event-id"]);
  });

  it("takes the sample's headers (any case) over the defaults, but always signs itself", () => {
    const { headers } = replayRequest(
      {
        event: "accepted_solution",
        headers: { "X-Discourse-Instance": "https://discuss.example.org", "X-Discourse-Event-Id": "777", "X-Discourse-Event-Signature": "sha256=forged" },
        payload: fixture("accepted_solution.json"),
      },
      SECRET,
      NOW,
    );
    expect(headers).toMatchObject({ "x-discourse-instance": "https://discuss.example.org", "x-discourse-event-id": "777", "x-discourse-event-type": "solved" });
    expect(headers["x-discourse-event-signature"]).not.toBe("sha256=forged");
  });

  it("replays a ping, which classify answers as a handshake", () => {
    const { headers, body } = replayRequest({ event: "ping", payload: { ping: "OK" } }, SECRET, NOW);
    expect(body).toBe('{"ping":"OK"}');
    expect(headers["x-discourse-event-type"]).toBe("ping");
    expect(classifyDiscourseRequest({ headers, body: Buffer.from(body) }).action).toBe("handshake");
  });

  it("takes the type of an event it does not know from the body's only key, and refuses a sample without an event", () => {
    expect(replayRequest({ event: "user_created", payload: { user: { id: 1 } } }, SECRET, NOW).headers["x-discourse-event-type"]).toBe("user");
    expect(() => replayRequest({ payload: { post: {} } }, SECRET, NOW)).toThrow(/needs an event name/);
    expect(() => replayRequest({ event: "mystery", payload: { a: 1, b: 2 } }, SECRET, NOW)).toThrow(/cannot tell the X-Discourse-Event-Type/);
  });
});
