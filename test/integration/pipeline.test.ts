import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestAt, sendDigests, throwIfAnyFailed } from "../../functions/digest/app.ts";
import { Mailer } from "../../shared/mail/ses.ts";
import { localClientConfig } from "../../infra/local/emulators/clients.ts";
import type { LocalStack } from "../../infra/local/stack.ts";
import { issueCommentEvent, issuesEvent, type IssueSpec, type Person } from "../support/github-payloads.ts";
import { postGitHub, startTestStack, testConfig } from "../support/stack.ts";

const asker: Person = { id: 501, login: "casey-community" };
const helper: Person = { id: 502, login: "robin-helper" };
const teamMember: Person = { id: 503, login: "dana-okafor", association: "MEMBER" };
const bot: Person = { id: 504, login: "github-actions[bot]", bot: true };

const AT = new Date("2026-11-21T12:00:00Z");
let nextId = 7000;
const newIssue = (title: string, createdAt: string, author: Person = asker): IssueSpec => {
  nextId++;
  return { id: nextId, number: nextId - 6000, title, author, createdAt };
};

describe("GitHub webhooks through the local stack", () => {
  let stack: LocalStack;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    // Bodies over a queue message are accepted (claim check) up to queue.maxBodyBytes: a small limit here.
    ({ stack, cleanup } = await startTestStack({ config: testConfig({ queue: { maxReceiveCount: 2, visibilityTimeoutSeconds: 30, maxBodyBytes: 250_000 } }) }));
  });
  afterAll(async () => {
    await cleanup?.();
  });

  const openTitles = async (at = AT) => (await digestAt({ config: testConfig(), store: stack.store }, at, null)).unanswered.map((u) => u.title);

  it("refuses what it cannot trust, and queues none of it", async () => {
    const payload = issuesEvent("opened", newIssue("Rejected question", "2026-11-20T09:00:00Z"));
    const before = (await stack.health()).processed.succeeded;

    expect((await postGitHub(stack, "issues", payload, { secret: null })).status).toBe(401);
    expect((await postGitHub(stack, "issues", payload, { secret: "not-the-secret" })).status).toBe(401);
    const tampered = await postGitHub(stack, "issues", payload, { body: JSON.stringify(payload).replace("Rejected", "Injected"), headers: { "x-hub-signature-256": "sha256=" + "0".repeat(64) } });
    expect(tampered.status).toBe(401);
    expect((await postGitHub(stack, "issues", null, { body: "{not json" })).status).toBe(400);
    const unknown = await postGitHub(stack, "workflow_run", { action: "completed" });
    expect(unknown.status).toBe(202);
    expect(JSON.parse(unknown.body)).toMatchObject({ ignored: true });
    const ping = await postGitHub(stack, "ping", { zen: "Keep it logically awesome.", hook_id: 1 });
    expect(ping.status).toBe(200);
    const huge = await postGitHub(stack, "issues", null, { body: JSON.stringify({ ...payload, padding: "x".repeat(300_000) }) });
    expect(huge.status).toBe(413);

    const health = await stack.drained();
    expect(health.processed.succeeded).toBe(before);
    expect(health.webhooks.github).toMatchObject({ unauthorized: 3, malformed: 1, ignored: 1, handshake: 1, too_large: 1 });
    expect(await openTitles()).not.toContain("Rejected question");
    expect(await openTitles()).not.toContain("Injected question");
  });

  it("lists exactly the unanswered questions", async () => {
    const untouched = newIssue("How do I configure replication?", "2026-11-20T08:00:00Z");
    const answered = newIssue("Why is compaction slow?", "2026-11-20T09:00:00Z");
    const teamAnswered = newIssue("Is ARM supported?", "2026-11-20T09:30:00Z");
    const botOnly = newIssue("Crash on startup with 2.1", "2026-11-20T10:00:00Z");
    const selfReply = newIssue("Docs link is broken?", "2026-11-20T11:00:00Z");
    const closed = newIssue("Question about licensing", "2026-11-20T12:00:00Z");
    const teamIssue = newIssue("Release checklist for 2.2", "2026-11-20T12:30:00Z", teamMember);

    for (const spec of [untouched, answered, teamAnswered, botOnly, selfReply, closed, teamIssue]) {
      expect((await postGitHub(stack, "issues", issuesEvent("opened", spec))).status).toBe(202);
    }
    await postGitHub(stack, "issue_comment", issueCommentEvent("created", answered, { id: 91001, author: helper, createdAt: "2026-11-20T13:00:00Z" }));
    await postGitHub(stack, "issue_comment", issueCommentEvent("created", teamAnswered, { id: 91002, author: teamMember, createdAt: "2026-11-20T10:30:00Z" }));
    await postGitHub(stack, "issue_comment", issueCommentEvent("created", botOnly, { id: 91003, author: bot, createdAt: "2026-11-20T10:01:00Z" }));
    await postGitHub(stack, "issue_comment", issueCommentEvent("created", selfReply, { id: 91004, author: asker, createdAt: "2026-11-20T11:30:00Z" }));
    await postGitHub(stack, "issues", issuesEvent("closed", { ...closed, state: "closed", closedAt: "2026-11-20T12:10:00Z", updatedAt: "2026-11-20T12:10:00Z", stateReason: "not_planned" }, teamMember));
    await stack.drained();

    const digest = await digestAt({ config: testConfig(), store: stack.store }, AT, null);
    const titles = digest.unanswered.map((u) => u.title);
    expect(titles).toEqual(["How do I configure replication?", "Crash on startup with 2.1", "Docs link is broken?"]);
    const first = digest.unanswered[0]!;
    expect(first).toMatchObject({
      source: "github",
      instance: "acme-labs/rocketdb",
      channel: "Issues",
      url: `https://github.com/acme-labs/rocketdb/issues/${untouched.number}`,
      author: "casey-community",
      createdAt: "2026-11-20T08:00:00.000Z",
      ageHours: 28,
      overdue: true,
    });

    const answeredThread = await stack.store.getThread(`github:issue:${answered.id}`);
    expect(answeredThread?.thread).toMatchObject({ status: "answered", firstResponseAt: "2026-11-20T13:00:00.000Z", replyCount: 1 });
    expect(answeredThread?.thread.firstResponder?.login).toBe("robin-helper");
    expect((await stack.store.getThread(`github:issue:${closed.id}`))?.thread.status).toBe("closed");
    expect((await stack.store.getThread(`github:issue:${teamIssue.id}`))?.thread.isQuestion).toBe(false);
    expect(digest.metrics.last7Days.responded).toBeGreaterThanOrEqual(2);
  });

  it("handles a reply before its question, and duplicates change nothing", async () => {
    const spec = newIssue("Out of order question", "2026-11-20T14:00:00Z");
    const reply = issueCommentEvent("created", spec, { id: 92001, author: helper, createdAt: "2026-11-20T15:00:00Z" });
    await postGitHub(stack, "issue_comment", reply, { delivery: "11111111-1111-4111-8111-111111111111" });
    await stack.drained();
    const early = await stack.store.getThread(`github:issue:${spec.id}`);
    expect(early?.thread.status).toBe("answered");

    await postGitHub(stack, "issues", issuesEvent("opened", spec));
    await stack.drained();
    const settled = await stack.store.getThread(`github:issue:${spec.id}`);
    expect(settled?.thread).toMatchObject({ status: "answered", hasOpening: true, createdAt: "2026-11-20T14:00:00.000Z" });
    const storedBefore = await stack.store.threadActivities(`github:issue:${spec.id}`);

    // GitHub redelivery keeps the body and the delivery id.
    await postGitHub(stack, "issue_comment", reply, { delivery: "11111111-1111-4111-8111-111111111111" });
    await postGitHub(stack, "issues", issuesEvent("opened", spec));
    await stack.drained();
    const again = await stack.store.getThread(`github:issue:${spec.id}`);
    expect(again?.rev).toBe(settled?.rev);
    expect(await stack.store.threadActivities(`github:issue:${spec.id}`)).toEqual(storedBefore);
    expect(again?.thread).toEqual(settled?.thread);
  });

  it("re-opens a question when its only answer is deleted", async () => {
    const spec = newIssue("Deleted answer question", "2026-11-20T16:00:00Z");
    const comment = { id: 93001, author: helper, createdAt: "2026-11-20T16:30:00Z" };
    await postGitHub(stack, "issues", issuesEvent("opened", spec));
    await postGitHub(stack, "issue_comment", issueCommentEvent("created", spec, comment));
    await stack.drained();
    expect(await openTitles()).not.toContain("Deleted answer question");
    await postGitHub(stack, "issue_comment", issueCommentEvent("deleted", spec, comment));
    await stack.drained();
    expect(await openTitles()).toContain("Deleted answer question");
    // A question asked after --at does not exist yet at --at.
    expect(await openTitles(new Date("2026-11-20T15:59:00Z"))).not.toContain("Deleted answer question");
  });

  it("emails each recipient their digest at most once per day", async () => {
    let now = AT;
    const deps = { config: testConfig(), store: stack.store, mailer: new Mailer(new SESv2Client(localClientConfig(stack.endpoints.ses))), now: () => now };
    const first = await sendDigests(deps, { at: AT });
    now = new Date(AT.getTime() + 3_600_000);
    const retried = await sendDigests(deps, { at: now });
    // Built as of another day, sent today: still today's one digest.
    const asOfYesterday = await sendDigests(deps, { at: new Date(AT.getTime() - 86_400_000) });
    expect(asOfYesterday.map((r) => r.outcome)).toEqual(["already-sent"]);
    expect(first.map((r) => r.outcome)).toEqual(["sent"]);
    expect(retried.map((r) => r.outcome)).toEqual(["already-sent"]);
    const mails = (await stack.outbox()).filter((m) => m.to.includes("dana@acme.example"));
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.from).toBe("signals@acme.example");
    expect(mail.subject).toMatch(/unanswered/i);
    expect(mail.html).toContain("How do I configure replication?");
    expect(mail.text).toContain("How do I configure replication?");
    // The next local day is a new digest.
    now = new Date(AT.getTime() + 86_400_000);
    const nextDay = await sendDigests(deps, { at: now });
    expect(nextDay.map((r) => r.outcome)).toEqual(["sent"]);
  });

  it("one refused recipient costs no one else the digest; the retry sends only to that one, once", async () => {
    const day = new Date("2026-11-23T12:00:00Z");
    const recipients = ["ana@acme.example", "unverified@acme.example", "zoe@acme.example"].map((email) => ({ email }));
    const config = testConfig({ digest: { from: "signals@acme.example", minAgeHours: 0, slaHours: 24, recipients } });
    // SES in its sandbox refuses an unverified recipient (MessageRejected); the emulator accepts
    // everyone, so that one refusal is injected: the store and the other sends are real.
    let refusing = true;
    class SandboxMailer extends Mailer {
      override async send(mail: Parameters<Mailer["send"]>[0]): Promise<string> {
        if (refusing && mail.to === "unverified@acme.example") throw Object.assign(new Error("Email address is not verified."), { name: "MessageRejected" });
        return super.send(mail);
      }
    }
    const deps = { config, store: stack.store, mailer: new SandboxMailer(new SESv2Client(localClientConfig(stack.endpoints.ses))), now: () => day };

    const first = await sendDigests(deps, { at: day });
    expect(first.map((r) => [r.recipient, r.outcome])).toEqual([
      ["ana@acme.example", "sent"],
      ["unverified@acme.example", "failed"],
      ["zoe@acme.example", "sent"],
    ]);
    expect(first[1]!.error).toBe("Email address is not verified.");
    expect(() => throwIfAnyFailed(first)).toThrow(/1 of 3 digest\(s\) failed: unverified@acme.example \(Email address is not verified.\)/);

    refusing = false;
    const retry = await sendDigests(deps, { at: new Date(day.getTime() + 600_000) });
    expect(retry.map((r) => r.outcome)).toEqual(["already-sent", "sent", "already-sent"]);
    const mails = await stack.outbox();
    for (const r of recipients) expect(mails.filter((m) => m.to.includes(r.email))).toHaveLength(1);
  });

  it("sends a record that can never succeed to the DLQ, and keeps going", async () => {
    const sqs = new SQSClient(localClientConfig(stack.endpoints.sqs));
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.endpoints.queueUrl, MessageBody: '{"not":"an envelope"}' }));
    const spec = newIssue("Question after a poison message", "2026-11-20T17:00:00Z");
    await postGitHub(stack, "issues", issuesEvent("opened", spec));
    const health = await stack.drained(30_000);
    expect(health.dlq.depth).toBe(1);
    expect(await openTitles()).toContain("Question after a poison message");
  });
});
