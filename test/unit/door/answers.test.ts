// What a client reads in an error: what was wrong with its request, in our words. Exception
// text, stack traces and parser messages go to the observer (logs), never into an answer.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createIngest } from "../../../functions/ingest/app.ts";
import { fixedClock } from "../../../shared/runtime/clock.ts";
import { EnvSecretResolver } from "../../../shared/secrets/resolver.ts";
import { DOOR_ADAPTERS } from "../../../shared/sources/door.ts";
import { config, door, errorOf, NOW, SECRETS, signed, validPayload } from "./helpers.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("answers to clients", () => {
  it("a door step that throws is a 500 without the exception's text, which is logged instead", async () => {
    vi.spyOn(DOOR_ADAPTERS.github, "classify").mockImplementation(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'secret-internals')");
    });
    const { ingest, sent, outcomes } = door();
    const answer = await ingest(signed("github", JSON.stringify(validPayload("github"))));
    expect(answer.status).toBe(500);
    expect(answer.body).not.toMatch(/secret-internals|TypeError|Cannot read/);
    expect(errorOf(answer)).toBe("the webhook could not be processed; please redeliver");
    expect(outcomes).toEqual([{ source: "github", outcome: "error", detail: expect.stringContaining("secret-internals") }]);
    expect(sent).toEqual([]);
  });

  it("a signature check that throws is a 500 the same way", async () => {
    vi.spyOn(DOOR_ADAPTERS.github, "verify").mockRejectedValue(new Error("ECONNRESET at internal.host:4242"));
    const { ingest } = door();
    const answer = await ingest(signed("github", JSON.stringify(validPayload("github"))));
    expect(answer.status).toBe(500);
    expect(answer.body).not.toContain("internal.host");
  });

  it("a body that is not JSON is named as such, without the parser's message or the body", async () => {
    const { ingest } = door();
    const cut = await ingest(signed("github", '{"secret-ish": tru'));
    expect(cut.status).toBe(400);
    expect(errorOf(cut)).toBe("body is not valid JSON (it ends too soon)");
    // V8 would say: Unexpected token 'o', "{"secret-ish": nope}" is not valid JSON.
    const quoted = await ingest(signed("github", '{"secret-ish": nope}'));
    expect(errorOf(quoted)).toBe("body is not valid JSON");
    const placed = await ingest(signed("github", '{"secret-ish": 1} and more'));
    expect(errorOf(placed)).toBe("body is not valid JSON (at character 18)");
  });

  it("a queue failure is a 503 without the queue's message", async () => {
    const broken = createIngest({
      config,
      secrets: new EnvSecretResolver({ ...SECRETS }),
      queue: { send: async () => Promise.reject(new Error("AccessDenied: arn:aws:sqs:eu-west-1:123456789012:internal")) },
      now: fixedClock(NOW),
    });
    const answer = await broken(signed("github", JSON.stringify(validPayload("github"))));
    expect(answer.status).toBe(503);
    expect(answer.body).not.toContain("arn:aws");
  });

  it("a very long path or event name is quoted cut short", async () => {
    const { ingest } = door();
    const path = `/webhooks/${"a".repeat(5000)}`;
    const notFound = await ingest({ ...signed("github", "{}"), path });
    expect(notFound.status).toBe(404);
    expect(notFound.body.length).toBeLessThan(400);
    const ignored = await ingest(signed("github", "{}", { event: "e".repeat(5000) }));
    expect(ignored.status).toBe(202);
    expect(ignored.body.length).toBeLessThan(400);
  });
});
