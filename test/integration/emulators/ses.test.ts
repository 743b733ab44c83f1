import { afterEach, beforeEach, expect, it } from "vitest";
import { SendEmailCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { localClientConfig } from "../../../infra/local/emulators/clients.ts";
import { startSes, type LocalSes } from "../../../infra/local/emulators/ses.ts";

let ses: LocalSes;
let client: SESv2Client;
beforeEach(async () => {
  ses = await startSes();
  client = new SESv2Client(localClientConfig(ses.endpoint));
  await ses.clear(); // the package keeps one store per process
});
afterEach(async () => {
  client.destroy();
  await ses.stop();
});

it("keeps what SendEmail sent, readable through outbox()", async () => {
  const before = Math.floor(Date.now() / 1000) * 1000;
  const sent = await client.send(
    new SendEmailCommand({
      FromEmailAddress: "digest@signals.example",
      Destination: { ToAddresses: ["ada@example.com", "grace@example.com"], CcAddresses: ["lead@example.com"] },
      ReplyToAddresses: ["team@example.com"],
      Content: {
        Simple: {
          Subject: { Data: "3 questions need an answer" },
          Body: { Html: { Data: "<h1>Unanswered</h1>" }, Text: { Data: "Unanswered" } },
        },
      },
    }),
  );

  const outbox = await ses.outbox();
  expect(outbox).toHaveLength(1);
  const [mail] = outbox;
  expect(mail).toMatchObject({
    messageId: sent.MessageId,
    from: "digest@signals.example",
    to: ["ada@example.com", "grace@example.com"],
    cc: ["lead@example.com"],
    bcc: [],
    replyTo: ["team@example.com"],
    subject: "3 questions need an answer",
    html: "<h1>Unanswered</h1>",
    text: "Unanswered",
  });
  expect(mail?.at).toBeInstanceOf(Date);
  expect(mail!.at.getTime()).toBeGreaterThanOrEqual(before);
  expect(mail!.at.getTime()).toBeLessThanOrEqual(Date.now());

  await ses.clear();
  expect(await ses.outbox()).toEqual([]);
});

it("serves the mail viewer page and stops", async () => {
  expect(ses.viewerUrl).toBe(`${ses.endpoint}/`);
  const page = await fetch(ses.viewerUrl);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toMatch(/text\/html/);

  await ses.stop();
  await ses.stop(); // idempotent
  await expect(fetch(`${ses.endpoint}/store`)).rejects.toThrow();
});
