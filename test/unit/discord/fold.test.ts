import { describe, expect, it } from "vitest";
import type { Activity } from "../../../shared/model/activity.ts";
import { discordAdapter } from "../../../shared/sources/discord/index.ts";
import { foldThread } from "../../../shared/threads/fold.ts";
import { FORUM, HELP, configWith, felix, maria, message, messagesEnvelope, priya, reply, rocketBot, textBody, thread, threadBody } from "./helpers.ts";
import type { Json } from "./helpers.ts";

/** What the normaliser makes of each envelope, as the store would hold it: all of one thread. */
function activitiesOf(...bodies: Json[]): Activity[] {
  const config = configWith();
  return bodies.flatMap((body, i) => discordAdapter.normalize(messagesEnvelope(body, { id: `env-${i}` }), config));
}

function fold(activities: Activity[], policy: "any-reply" | "team-reply" | "accepted" = "any-reply") {
  const threadIds = new Set(activities.map((a) => a.thread?.id));
  expect(threadIds.size, `one thread: ${[...threadIds].join(", ")}`).toBe(1);
  return foldThread(activities, policy);
}

const question = message("2026-11-17T10:15:09.500Z", priya, "Is there a way to run compaction on a replica without blocking reads?");

describe("text-channel questions, folded", () => {
  it("is answered by someone else's reply, with the first response time", () => {
    const answer = reply("2026-11-17T11:00:00.000Z", felix, question, "Use `compaction.throttle`.");
    const state = fold(activitiesOf(textBody([question, answer])));
    expect(state).toMatchObject({
      status: "answered",
      isQuestion: true,
      title: "Is there a way to run compaction on a replica without blocking reads?",
      createdAt: "2026-11-17T10:15:09.500Z",
      firstResponseAt: "2026-11-17T11:00:00.000Z",
      firstResponder: { login: "felixr" },
      replyCount: 1,
      hasOpening: true,
    });
  });

  it("stays open after the asker's own reply and a bot's", () => {
    const bump = reply("2026-11-18T08:30:00.000Z", priya, question, "Bumping this, still stuck.");
    const botReply = reply("2026-11-17T10:15:40.000Z", rocketBot, question, "Have you read the FAQ?");
    const state = fold(activitiesOf(textBody([question, botReply, bump])));
    expect(state).toMatchObject({ status: "open", isQuestion: true, replyCount: 2, firstResponseAt: null });
  });

  it("under team-reply, only the team's reply answers", () => {
    const community = reply("2026-11-17T11:00:00.000Z", felix, question, "Try the throttle.");
    expect(fold(activitiesOf(textBody([question, community])), "team-reply")?.status).toBe("open");
    const team = reply("2026-11-17T12:00:00.000Z", maria, question, "The throttle is the way.");
    expect(fold(activitiesOf(textBody([question, community, team])), "team-reply")).toMatchObject({
      status: "answered",
      firstResponder: { login: "maria.acme", isTeam: true },
    });
  });

  it("gives the same thread whichever page arrives first, also when the reply came in an earlier page alone", () => {
    const answer = reply("2026-11-17T11:00:00.000Z", felix, question, "Use the throttle.");
    const thanks = reply("2026-11-17T11:05:00.000Z", priya, answer, "thanks!");
    const together = fold(activitiesOf(textBody([question, answer, thanks])));
    const apart = fold(activitiesOf(textBody([thanks]), textBody([answer]), textBody([question]), textBody([answer])));
    expect(apart).toEqual(together);
    // The asker's thanks lands in the question's thread, and does not answer it by itself.
    expect(fold(activitiesOf(textBody([question, thanks])))?.status).toBe("open");
  });

  it("a small-talk message opens a thread that is not a question", () => {
    const chat = message("2026-11-16T14:02:31.777Z", priya, "Just upgraded our staging cluster to 3.2, smooth ride so far");
    expect(fold(activitiesOf(textBody([chat])))).toMatchObject({ isQuestion: false, status: "open" });
  });

  it("an answer inside a thread started on the question answers it", () => {
    const onQuestion = thread("2026-11-17T10:20:00.000Z", HELP, "compaction and reads", priya, { id: question["id"] });
    const inThread = message("2026-11-17T10:40:00.000Z", felix, "Throttle it.", { channel_id: onQuestion["id"] });
    const state = fold(activitiesOf(textBody([question]), threadBody(onQuestion, [inThread])));
    expect(state).toMatchObject({ status: "answered", title: question["content"], firstResponder: { login: "felixr" } });
  });
});

describe("forum posts, folded", () => {
  const post = thread("2026-11-21T09:20:00.000Z", FORUM, "Sharding strategy for multi-tenant workloads", priya);
  const starter = message("2026-11-21T09:20:00.000Z", priya, "One database per tenant, or shard by tenant id?", { id: post["id"], channel_id: post["id"] });

  it("a post with no replies stays an open question", () => {
    expect(fold(activitiesOf(threadBody(post, [starter])))).toMatchObject({
      status: "open",
      isQuestion: true,
      title: "Sharding strategy for multi-tenant workloads",
      author: { login: "priya.dev" },
      replyCount: 0,
      hasOpening: true,
    });
  });

  it("the poster's own follow-up does not answer it, even before the starter is stored", () => {
    const followUp = message("2026-11-21T10:00:00.000Z", priya, "We have ~4,000 tenants.", { channel_id: post["id"] });
    // The owner id on the thread is enough to recognise the asker.
    expect(fold(activitiesOf(threadBody(post, [followUp])))).toMatchObject({ status: "open", isQuestion: true, hasOpening: false });
    expect(fold(activitiesOf(threadBody(post, [starter, followUp])))?.status).toBe("open");
  });

  it("someone else's message in the post answers it", () => {
    const answer = message("2026-11-21T11:00:00.000Z", felix, "Shard by tenant id; isolate the big ones.", { channel_id: post["id"] });
    expect(fold(activitiesOf(threadBody(post, [starter, answer])))).toMatchObject({
      status: "answered",
      firstResponseAt: "2026-11-21T11:00:00.000Z",
    });
  });
});
