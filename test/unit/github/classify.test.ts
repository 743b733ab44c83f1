import { describe, expect, it } from "vitest";
import { GITHUB_SUPPORTED_EVENTS, classifyGitHubRequest } from "../../../shared/sources/github/index.ts";
import { example } from "./helpers.ts";

function request(headers: Record<string, string>, body: string) {
  return { headers, body: Buffer.from(body, "utf8") };
}

const DELIVERY = "d2f1a7e0-c5b1-11f0-8a3e-7c2a0b1e9d44";

describe("classifyGitHubRequest", () => {
  it("answers a ping with zen and hook_id, queueing nothing", () => {
    const ping = example("ping");
    const result = classifyGitHubRequest(
      request({ "x-github-event": "ping", "content-type": "application/json" }, JSON.stringify(ping)),
    );
    expect(result.action).toBe("handshake");
    if (result.action !== "handshake") return;
    expect(result.answer.status).toBe(200);
    expect(result.answer.headers).toEqual({ "content-type": "application/json" });
    expect(JSON.parse(result.answer.body)).toEqual({ ok: true, zen: ping["zen"], hook_id: ping["hook_id"] });
  });

  it("queues a supported event with its delivery id and only the headers that matter", () => {
    const headers = {
      "x-github-event": "issues",
      "x-github-delivery": DELIVERY,
      "x-github-hook-id": "292430182",
      "x-github-hook-installation-target-type": "repository",
      "x-github-hook-installation-target-id": "79929171",
      "x-hub-signature-256": "sha256=abc",
      "user-agent": "GitHub-Hookshot/8d33975",
      "content-type": "application/json",
      accept: "*/*",
    };
    const result = classifyGitHubRequest(request(headers, JSON.stringify(example("issues", "opened"))));
    expect(result).toEqual({
      action: "queue",
      eventType: "issues",
      deliveryId: DELIVERY,
      headers: {
        "x-github-event": "issues",
        "x-github-delivery": DELIVERY,
        "x-github-hook-id": "292430182",
        "x-github-hook-installation-target-type": "repository",
        "x-github-hook-installation-target-id": "79929171",
        "user-agent": "GitHub-Hookshot/8d33975",
        "content-type": "application/json",
      },
    });
  });

  it("queues with a null delivery id when GitHub did not send one", () => {
    const result = classifyGitHubRequest(request({ "x-github-event": "star" }, JSON.stringify(example("star", "created"))));
    expect(result).toEqual({ action: "queue", eventType: "star", deliveryId: null, headers: { "x-github-event": "star" } });
  });

  it("ignores an event we do not use, naming it", () => {
    const result = classifyGitHubRequest(request({ "x-github-event": "push" }, JSON.stringify(example("push"))));
    expect(result).toEqual({ action: "ignore", eventType: "push", reason: "unsupported event push" });
  });

  it("calls a body that is not JSON malformed", () => {
    const result = classifyGitHubRequest(request({ "x-github-event": "issues", "content-type": "application/json" }, "{not json"));
    expect(result.action).toBe("malformed");
    if (result.action === "malformed") expect(result.reason).toMatch(/not valid JSON/);
  });

  it("calls JSON that is not an object malformed", () => {
    const result = classifyGitHubRequest(request({ "x-github-event": "issues" }, "[1,2,3]"));
    expect(result).toEqual({ action: "malformed", reason: "body is not a JSON object" });
  });

  it("calls a request without X-GitHub-Event malformed", () => {
    const result = classifyGitHubRequest(request({}, "{}"));
    expect(result).toEqual({ action: "malformed", reason: "missing X-GitHub-Event header" });
  });

  it("parses GitHub's form content type (payload=<json>)", () => {
    const payload = example("issue_comment", "created");
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const headers = { "x-github-event": "issue_comment", "content-type": "application/x-www-form-urlencoded" };
    expect(classifyGitHubRequest(request(headers, body)).action).toBe("queue");

    const ping = new URLSearchParams({ payload: JSON.stringify({ zen: "Design for failure.", hook_id: 7 }) }).toString();
    const answer = classifyGitHubRequest(request({ ...headers, "x-github-event": "ping" }, ping));
    expect(answer.action === "handshake" && JSON.parse(answer.answer.body)).toEqual({ ok: true, zen: "Design for failure.", hook_id: 7 });
  });

  it("calls a form body without a payload field, or with bad JSON in it, malformed", () => {
    const headers = { "x-github-event": "issues", "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
    expect(classifyGitHubRequest(request(headers, "foo=bar"))).toEqual({
      action: "malformed",
      reason: "form-encoded body has no payload field",
    });
    const bad = classifyGitHubRequest(request(headers, "payload=%7Bnope"));
    expect(bad.action === "malformed" && bad.reason).toMatch(/^payload field is not valid JSON/);
  });

  it("calls an unknown content type malformed", () => {
    const result = classifyGitHubRequest(request({ "x-github-event": "issues", "content-type": "text/plain" }, "{}"));
    expect(result).toEqual({ action: "malformed", reason: "unsupported content type text/plain" });
  });

  it("supports exactly the events normalize understands", () => {
    expect([...GITHUB_SUPPORTED_EVENTS].sort()).toEqual(
      [
        "discussion",
        "discussion_comment",
        "fork",
        "issue_comment",
        "issues",
        "member",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "star",
      ].sort(),
    );
  });
});
