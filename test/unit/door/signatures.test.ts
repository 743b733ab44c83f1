// Signatures are over the raw bytes, for every source: never over text decoded from them.
import { describe, expect, it } from "vitest";
import { signDiscourseBody } from "../../../shared/sources/discourse/index.ts";
import { signGitHubBody, verifyGitHubSignature } from "../../../shared/sources/github/index.ts";
import { signSlackRequest } from "../../../shared/sources/slack/index.ts";
import { door, errorOf, NOW, SECRETS, signed, validPayload, type WebhookSource } from "./helpers.ts";

// GitHub's documented test vector (docs: validating webhook deliveries).
const VECTOR = {
  secret: "It's a Secret to Everybody",
  body: "Hello, World!",
  signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
};

/** Valid JSON around bytes that are not UTF-8; decoding turns them into U+FFFD. */
const notUtf8 = (source: WebhookSource) =>
  Buffer.concat([Buffer.from(`${JSON.stringify(validPayload(source)).slice(0, -1)},"x":"`), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from('"}')]);

/** The signature headers for `text` in place of the bytes actually sent. */
function signatureOverText(source: WebhookSource, text: string): Record<string, string> {
  switch (source) {
    case "github":
      return { "x-hub-signature-256": signGitHubBody(SECRETS.GITHUB_WEBHOOK_SECRET, text) };
    case "discourse":
      return { "x-discourse-event-signature": signDiscourseBody(SECRETS.DISCOURSE_WEBHOOK_SECRET, text) };
    case "slack": {
      const timestamp = String(Math.floor(NOW.getTime() / 1000));
      return { "x-slack-request-timestamp": timestamp, "x-slack-signature": signSlackRequest(SECRETS.SLACK_SIGNING_SECRET, timestamp, text) };
    }
  }
}

describe("GitHub signatures", () => {
  it("accept the documented test vector, given as bytes", async () => {
    const request = { headers: { "x-hub-signature-256": VECTOR.signature }, body: Buffer.from(VECTOR.body, "utf8") };
    expect(await verifyGitHubSignature(request, VECTOR.secret)).toEqual({ ok: true });
    expect(signGitHubBody(VECTOR.secret, Buffer.from(VECTOR.body))).toBe(VECTOR.signature);
  });

  it("verify an empty body like any other (the door then answers 400, not 401)", async () => {
    const request = { headers: { "x-hub-signature-256": signGitHubBody(VECTOR.secret, "") }, body: Buffer.alloc(0) };
    expect(await verifyGitHubSignature(request, VECTOR.secret)).toEqual({ ok: true });
  });

  it("refuse a signature in another case or form without throwing", async () => {
    const body = Buffer.from(VECTOR.body);
    for (const bad of [VECTOR.signature.toUpperCase(), `sha1=${VECTOR.signature.slice(7)}`, "sha256=", "garbage", `${VECTOR.signature}00`]) {
      expect(await verifyGitHubSignature({ headers: { "x-hub-signature-256": bad }, body }, VECTOR.secret), bad).toEqual({
        ok: false,
        reason: "signature does not match",
      });
    }
  });
});

describe.each(["github", "discourse", "slack"] as const)("%s: the raw bytes are what is signed", (source) => {
  it("a body that is not UTF-8, signed over its bytes, passes the signature and is a 400", async () => {
    const { ingest, sent, outcomes } = door();
    const answer = await ingest(signed(source, notUtf8(source)));
    expect(answer.status).toBe(400);
    expect(errorOf(answer)).toBe("body is not valid UTF-8");
    expect(outcomes.map((o) => o.outcome)).toEqual(["malformed"]);
    expect(sent).toEqual([]);
  });

  it("the same bytes signed over their decoded text (replacement characters) are a 401", async () => {
    const { ingest, sent } = door();
    const bytes = notUtf8(source);
    expect(bytes.toString("utf8")).toContain("\uFFFD");
    const answer = await ingest(signed(source, bytes, { headers: signatureOverText(source, bytes.toString("utf8")) }));
    expect(answer.status).toBe(401);
    expect(errorOf(answer)).toBe("signature does not match");
    expect(sent).toEqual([]);
  });

  it("a correctly signed empty body is a 400, an unsigned one a 401", async () => {
    const { ingest, sent } = door();
    const answer = await ingest(signed(source, ""));
    expect(answer.status).toBe(400);
    expect(errorOf(answer)).toBe("body is not valid JSON (it is empty)");
    const unsigned = signed(source, "");
    for (const name of ["x-hub-signature-256", "x-discourse-event-signature", "x-slack-signature"]) delete unsigned.headers[name];
    expect((await ingest(unsigned)).status).toBe(401);
    expect(sent).toEqual([]);
  });
});
