import { describe, expect, it } from "vitest";
import { DISCOURSE_SUPPORTED_EVENTS, classifyDiscourseRequest } from "../../../shared/sources/discourse/index.ts";
import { INSTANCE, fixture } from "./helpers.ts";

function request(headers: Record<string, string>, body: string) {
  return { headers, body: Buffer.from(body, "utf8") };
}

const POST_HEADERS = {
  accept: "*/*",
  "content-type": "application/json",
  "user-agent": "Discourse/3.5.0",
  "x-discourse-instance": INSTANCE,
  "x-discourse-event-id": "58213",
  "x-discourse-event-type": "post",
  "x-discourse-event": "post_created",
  "x-discourse-event-signature": "sha256=abc",
};

describe("classifyDiscourseRequest", () => {
  it("answers a ping (X-Discourse-Event-Type: ping) at once, queueing nothing", () => {
    const headers = { ...POST_HEADERS, "x-discourse-event-type": "ping", "x-discourse-event": "ping" };
    expect(classifyDiscourseRequest(request(headers, '{"ping":"OK"}'))).toEqual({
      action: "handshake",
      answer: { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ ok: true }) },
    });
  });

  it("recognises a ping by its body alone (older versions send no X-Discourse-Event)", () => {
    const result = classifyDiscourseRequest(request({ "x-discourse-instance": INSTANCE }, '{"ping":"OK"}'));
    expect(result.action).toBe("handshake");
  });

  it("queues a supported event under X-Discourse-Event with the event id and only the headers that matter", () => {
    const result = classifyDiscourseRequest(request(POST_HEADERS, JSON.stringify(fixture("post_created.reply.json"))));
    expect(result).toEqual({
      action: "queue",
      eventType: "post_created",
      deliveryId: "58213",
      headers: {
        "x-discourse-instance": INSTANCE,
        "x-discourse-event-id": "58213",
        "x-discourse-event-type": "post",
        "x-discourse-event": "post_created",
        "content-type": "application/json",
      },
    });
  });

  it("queues a status update and a Solved event", () => {
    const status = { ...POST_HEADERS, "x-discourse-event-type": "topic", "x-discourse-event": "topic_closed_status_updated" };
    expect(classifyDiscourseRequest(request(status, JSON.stringify(fixture("topic_closed_status_updated.json")))).action).toBe("queue");
    const solved = { ...POST_HEADERS, "x-discourse-event-type": "solved", "x-discourse-event": "accepted_solution" };
    const result = classifyDiscourseRequest(request(solved, JSON.stringify(fixture("accepted_solution.json"))));
    expect(result.action === "queue" && result.eventType).toBe("accepted_solution");
  });

  it("queues with a null delivery id when X-Discourse-Event-Id is absent", () => {
    const { ["x-discourse-event-id"]: _omitted, ...headers } = POST_HEADERS;
    const result = classifyDiscourseRequest(request(headers, JSON.stringify(fixture("post_created.reply.json"))));
    expect(result.action === "queue" && result.deliveryId).toBeNull();
  });

  it("ignores events we do not use, naming them", () => {
    for (const event of ["user_created", "category_updated", "tag_created", "topic_pinned_status_updated", "topic_visible_status_updated", "like_created"]) {
      const headers = { ...POST_HEADERS, "x-discourse-event-type": event.split("_")[0]!, "x-discourse-event": event };
      expect(classifyDiscourseRequest(request(headers, '{"user":{"id":1}}'))).toEqual({
        action: "ignore",
        eventType: event,
        reason: `unsupported event ${event}`,
      });
    }
  });

  it("calls a request without X-Discourse-Event or X-Discourse-Instance malformed", () => {
    const { ["x-discourse-event"]: _e, ...noEvent } = POST_HEADERS;
    expect(classifyDiscourseRequest(request(noEvent, "{}"))).toEqual({ action: "malformed", reason: "missing X-Discourse-Event header" });
    const { ["x-discourse-instance"]: _i, ...noInstance } = POST_HEADERS;
    expect(classifyDiscourseRequest(request(noInstance, "{}"))).toEqual({
      action: "malformed",
      reason: "missing X-Discourse-Instance header",
    });
  });

  it("calls a body that is not a JSON object malformed", () => {
    const notJson = classifyDiscourseRequest(request(POST_HEADERS, "{nope"));
    expect(notJson.action === "malformed" && notJson.reason).toMatch(/^body is not valid JSON/);
    expect(classifyDiscourseRequest(request(POST_HEADERS, "[1]"))).toEqual({ action: "malformed", reason: "body is not a JSON object" });
  });

  it("reads JSON sent under the form content type, as Discourse does for form-encoded hooks", () => {
    const headers = { ...POST_HEADERS, "content-type": "application/x-www-form-urlencoded" };
    expect(classifyDiscourseRequest(request(headers, JSON.stringify(fixture("post_created.reply.json")))).action).toBe("queue");
    const ping = classifyDiscourseRequest(request({ ...headers, "x-discourse-event-type": "ping" }, '{"ping":"OK"}'));
    expect(ping.action).toBe("handshake");
  });

  it("also reads a truly form-encoded body (payload=<json>)", () => {
    const headers = { ...POST_HEADERS, "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
    const body = new URLSearchParams({ payload: JSON.stringify(fixture("post_created.reply.json")) }).toString();
    expect(classifyDiscourseRequest(request(headers, body)).action).toBe("queue");
    expect(classifyDiscourseRequest(request(headers, "foo=bar"))).toEqual({
      action: "malformed",
      reason: "form-encoded body is neither JSON nor has a payload field",
    });
    const bad = classifyDiscourseRequest(request(headers, "payload=%7Bnope"));
    expect(bad.action === "malformed" && bad.reason).toMatch(/^payload field is not valid JSON/);
  });

  it("calls an unknown content type malformed", () => {
    const result = classifyDiscourseRequest(request({ ...POST_HEADERS, "content-type": "text/plain" }, "{}"));
    expect(result).toEqual({ action: "malformed", reason: "unsupported content type text/plain" });
  });

  it("supports exactly the events normalize understands", () => {
    expect([...DISCOURSE_SUPPORTED_EVENTS].sort()).toEqual(
      [
        "accepted_solution",
        "post_created",
        "post_destroyed",
        "post_edited",
        "post_recovered",
        "topic_archived_status_updated",
        "topic_autoclosed_status_updated",
        "topic_closed_status_updated",
        "topic_created",
        "topic_destroyed",
        "topic_edited",
        "topic_recovered",
        "unaccepted_solution",
      ].sort(),
    );
  });
});
