import type { Activity } from "../../shared/model/activity.ts";
import type { Config, Recipient } from "../../shared/model/config.ts";
import { recipientId } from "../../shared/model/config-values.ts";
import type { Thread } from "../../shared/model/thread.ts";
import { buildDigest, digestSubject, renderDigestHtml, renderDigestText } from "../../shared/digest/index.ts";
import type { ActionRecord, AdvocateDigest, AskedQuestion } from "../../shared/digest/index.ts";
import type { Mailer } from "../../shared/mail/ses.ts";
import { withSlackNames, type SlackNameSource } from "../../shared/digest/names.ts";
import { SlackDirectory } from "../../shared/sources/slack/directory.ts";
import { SlackDelivery, SlackDeliveryError, type SlackDeliveryOptions } from "../../shared/sources/slack/delivery.ts";
import { blockKitProblems, renderDigestSlack, slackFallbackText } from "../../shared/digest/slack.ts";
import type { NameCache } from "../../shared/store/names.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { SecretResolver } from "../../shared/secrets/resolver.ts";
import { ACTION_KINDS, isActionActivity } from "../../shared/threads/index.ts";

const DAY_MS = 86_400_000;

/**
 * What the digest reads and writes. `SignalStore` serves all of it from small indexes:
 * - `firstQuestionBy(actorId)`: the earliest question thread the actor opened (`ASKER#`),
 *   for the first-time asker mark;
 * - `digestActionsBetween(from, to)`: the digest actions taken in [from, to]
 *   (`DIGESTACTIONS#<day>`), for the metrics.
 * A store without those two still works through `memberActivityKeys` + `getThread` and
 * `activitiesOfDay` (slower: see `firstQuestionOf` and `actionsBetween` below).
 */
export interface DigestStore {
  openQuestions(filter?: { createdBefore?: string }): Promise<Thread[]>;
  questionsCreatedBetween(from: Date, to: Date): Promise<Thread[]>;
  claimDigestSend(recipient: string, localDay: string, details: Record<string, unknown>): Promise<boolean>;
  releaseDigestSend(recipient: string, localDay: string): Promise<void>;
  firstQuestionBy?(actorId: string): Promise<AskedQuestion | null>;
  digestActionsBetween?(from: Date, to: Date): Promise<ActionRecord[]>;
  memberActivityKeys?(actorId: string): Promise<{ SK: string; threadId: string | null }[]>;
  getThread?(threadId: string): Promise<{ thread: Thread } | null>;
  activitiesOfDay?(day: string, pageSize?: number): AsyncGenerator<Activity[]>;
}

export interface DigestDeps {
  config: Config;
  store: DigestStore;
  mailer?: Mailer;
  /** Where action links point and the key that signs them; absent or null: no action links. */
  links?: { baseUrl: string; secret: string } | null;
  /** Names for Slack's ids (with the Slack bot token); absent: the ids are shown. */
  slackNames?: SlackNameSource | null;
  /** Posts a recipient's digest to Slack (their `slack` target); absent: Slack recipients fail, named. */
  slack?: Pick<SlackDelivery, "post"> | null;
}

/** How a digest reaches a recipient: each channel is claimed, sent and retried on its own. */
export type DigestChannel = "email" | "slack";

/** The channels a recipient gets the digest on, in the order they are sent. */
export function channelsOf(recipient: Recipient): DigestChannel[] {
  return [...(recipient.email !== undefined ? (["email"] as const) : []), ...(recipient.slack !== undefined ? (["slack"] as const) : [])];
}

/**
 * The key of a recipient's daily send claim on one channel: the address for email (the key every
 * claim had before Slack delivery, so today's claims still hold), `slack#<recipient id>` for Slack
 * (`#` never occurs in a configured address, so the two can never meet).
 */
export function claimKey(recipient: Recipient, channel: DigestChannel): string {
  return channel === "email" && recipient.email !== undefined ? recipient.email : `slack#${recipientId(recipient)}`;
}

/**
 * The Slack poster when any recipient has a Slack target; null otherwise. Secrets (a webhook URL,
 * the bot token) are read when a post needs them, so one missing secret fails only its recipient.
 */
export function resolveSlackDelivery(
  config: Config,
  secrets: SecretResolver,
  options: Omit<SlackDeliveryOptions, "secrets" | "slack"> = {},
): SlackDelivery | null {
  if (!config.digest.recipients.some((r) => r.slack !== undefined)) return null;
  const slack = config.sources.slack;
  return new SlackDelivery({ ...options, secrets, slack: slack?.enabled ? { botTokenSecretName: slack.botTokenSecretName, apiBaseUrl: slack.apiBaseUrl } : null });
}

/**
 * The Slack directory when the Slack source is on and its bot token is set; null otherwise (the
 * digest then shows ids, as before).
 */
export async function resolveSlackNames(
  config: Config,
  secrets: SecretResolver,
  deps: { cache: NameCache; now: Clock; log?: (line: string) => void },
): Promise<SlackDirectory | null> {
  const slack = config.sources.slack;
  if (!slack?.enabled) return null;
  const token = await secrets.get(slack.botTokenSecretName).catch(() => null);
  if (!token) return null;
  return new SlackDirectory({ token, apiBaseUrl: slack.apiBaseUrl, cache: deps.cache, now: deps.now, tokenName: slack.botTokenSecretName, ...(deps.log ? { log: deps.log } : {}) });
}

export interface SendResult {
  /** The recipient's id (their address, or `slack:…` for a Slack-only recipient). */
  recipient: string;
  channel: DigestChannel;
  day: string;
  /** `failed`: this recipient's day was released, so a retry sends it; the others are unaffected. */
  outcome: "sent" | "already-sent" | "failed";
  openQuestions: number;
  messageId?: string;
  /** Why it failed (the mailer's, Slack's or the store's message). */
  error?: string;
  /** A send that went through with something to say (Slack refused the blocks: sent as text). */
  warning?: string;
}

/** Some recipients' digests failed: `results` holds every recipient's outcome, sent ones included. */
export class DigestSendError extends Error {
  override readonly name = "DigestSendError";
  constructor(readonly results: SendResult[]) {
    const failed = results.filter((r) => r.outcome === "failed");
    super(`${failed.length} of ${results.length} digest(s) failed: ${failed.map((r) => `${r.recipient}${r.channel === "slack" ? " on Slack" : ""} (${r.error ?? "unknown error"})`).join("; ")}`);
  }
}

/** Throws DigestSendError when any recipient failed, after all were tried; otherwise the results. */
export function throwIfAnyFailed(results: SendResult[]): SendResult[] {
  if (results.some((r) => r.outcome === "failed")) throw new DigestSendError(results);
  return results;
}

/**
 * The action links' settings: the signing key from the secret named by `actions.secretName`,
 * the base URL from `actions.baseUrl` or else `fallbackBaseUrl` (the dev front door; in AWS the
 * HTTP API's URL). Null (no links) when actions are off, or the key or a URL is missing.
 */
export async function resolveActionLinks(config: Config, secrets: SecretResolver, fallbackBaseUrl?: string | null): Promise<{ baseUrl: string; secret: string } | null> {
  if (!config.actions.enabled) return null;
  const baseUrl = config.actions.baseUrl ?? fallbackBaseUrl ?? null;
  const secret = await secrets.get(config.actions.secretName);
  return baseUrl && secret ? { baseUrl, secret } : null;
}

/**
 * The asker's earliest question, from the member index (keys only) and the thread summaries:
 * an opening activity is the one whose id is its thread's id. Keys come in time order, so the
 * first opening that is a question is the answer and the rest are not read.
 */
export async function firstQuestionOf(store: DigestStore, actorId: string): Promise<AskedQuestion | null | undefined> {
  if (store.firstQuestionBy) return store.firstQuestionBy(actorId);
  if (!store.memberActivityKeys || !store.getThread) return undefined;
  const openings = (await store.memberActivityKeys(actorId)).filter((k) => k.threadId !== null && k.SK === `ACT#${k.threadId}`);
  for (const key of openings) {
    const stored = await store.getThread(key.threadId as string);
    if (stored?.thread.isQuestion) return { threadId: stored.thread.id, createdAt: stored.thread.createdAt };
  }
  return null;
}

/** Digest actions taken in [from, to]: from the store's own method, or from the activities of each day. */
export async function actionsBetween(store: DigestStore, from: Date, to: Date): Promise<ActionRecord[] | undefined> {
  if (store.digestActionsBetween) return store.digestActionsBetween(from, to);
  if (!store.activitiesOfDay) return undefined;
  const records: ActionRecord[] = [];
  for (let d = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); d <= to.getTime(); d += DAY_MS) {
    for await (const page of store.activitiesOfDay(new Date(d).toISOString().slice(0, 10))) {
      for (const a of page) {
        if (!isActionActivity(a) || a.thread === null) continue;
        const ms = Date.parse(a.occurredAt);
        if (ms < from.getTime() || ms > to.getTime()) continue;
        records.push({ action: ACTION_KINDS[a.kind], at: a.occurredAt, threadId: a.thread.id, source: a.source, channelId: a.channel.id });
      }
    }
  }
  return records;
}

/** Everything a digest at `at` reads, read once and shared by every recipient of a run. */
interface DigestReads {
  openQuestions: Thread[];
  recentQuestions: Thread[];
  askerHistory: Map<string, AskedQuestion[]> | undefined;
  recentActions: ActionRecord[] | undefined;
}

async function readForDigest(store: DigestStore, at: Date): Promise<DigestReads> {
  const twoWeeksAgo = new Date(at.getTime() - 14 * DAY_MS);
  const [openQuestions, recentQuestions, recentActions] = await Promise.all([
    store.openQuestions({ createdBefore: at.toISOString() }),
    store.questionsCreatedBetween(twoWeeksAgo, at),
    actionsBetween(store, twoWeeksAgo, at),
  ]);
  const askers = [...new Set(openQuestions.flatMap((t) => (t.author ? [t.author.id] : [])))];
  const firsts = await Promise.all(askers.map(async (id) => [id, await firstQuestionOf(store, id)] as const));
  let askerHistory: Map<string, AskedQuestion[]> | undefined;
  if (firsts.every(([, first]) => first !== undefined)) {
    askerHistory = new Map(firsts.map(([id, first]) => [id, first ? [first] : []]));
  }
  return { openQuestions, recentQuestions, askerHistory, recentActions };
}

function build(deps: DigestDeps, reads: DigestReads, at: Date, recipient: Recipient | null): AdvocateDigest {
  return buildDigest({
    now: at,
    config: deps.config,
    recipient,
    openQuestions: reads.openQuestions,
    recentQuestions: reads.recentQuestions,
    ...(reads.askerHistory ? { askerHistory: reads.askerHistory } : {}),
    ...(reads.recentActions ? { recentActions: reads.recentActions } : {}),
    ...(deps.links ? { links: deps.links } : {}),
  });
}

/** The digest one recipient (or, with null, everyone) would get at `at`, links included. */
export async function digestAt(deps: DigestDeps, at: Date, recipient: Recipient | null): Promise<AdvocateDigest> {
  return named(deps, build(deps, await readForDigest(deps.store, at), at, recipient));
}

function named(deps: DigestDeps, digest: AdvocateDigest): Promise<AdvocateDigest> | AdvocateDigest {
  return deps.slackNames ? withSlackNames(digest, deps.slackNames) : digest;
}

export function renderDigest(digest: AdvocateDigest, config: Config): { subject: string; html: string; text: string } {
  const opts = { maxItems: config.digest.maxItems, snoozeHours: config.actions.snoozeHours };
  return { subject: digestSubject(digest), html: renderDigestHtml(digest, opts), text: renderDigestText(digest, opts) };
}

export function recipientTimeZone(config: Config, recipient: Recipient): string {
  return recipient.timeZone ?? config.digest.timeZone;
}

export function recipientTime(config: Config, recipient: Recipient): string {
  return recipient.time ?? config.digest.time;
}

/** The calendar day at `at` in a time zone, as YYYY-MM-DD. */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

/** The wall-clock time at `at` in a time zone, as HH:MM (24-hour). */
export function localTime(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(at);
}

/**
 * The distinct (time, time zone) pairs digests go out at: one schedule each. The digest's own
 * slot is always there (as the AWS schedules have it), then every recipient's local time.
 */
export function digestSchedules(config: Config): { time: string; timeZone: string }[] {
  const slots = new Map<string, { time: string; timeZone: string }>();
  const add = (time: string, timeZone: string) => slots.set(`${timeZone}\n${time}`, { time, timeZone });
  add(config.digest.time, config.digest.timeZone);
  for (const r of config.digest.recipients) add(recipientTime(config, r), recipientTimeZone(config, r));
  return [...slots.values()].sort((a, b) => (a.timeZone < b.timeZone ? -1 : a.timeZone > b.timeZone ? 1 : a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/**
 * The recipients one run serves. With `timeZone` and `time` (a schedule's input): exactly that
 * schedule's recipients. With `timeZone` alone (a caller that only knows the zone): those in the
 * zone whose send time has come by `at`, local time; the daily claim stops a second send. With
 * neither: everyone. `recipient` narrows it to one address.
 */
export function recipientsFor(config: Config, options: { at: Date; time?: string; timeZone?: string; recipient?: string }): Recipient[] {
  return config.digest.recipients.filter((r) => {
    if (options.recipient && recipientId(r) !== options.recipient.toLowerCase()) return false;
    if (!options.timeZone) return true;
    const zone = recipientTimeZone(config, r);
    if (zone !== options.timeZone) return false;
    const time = recipientTime(config, r);
    return options.time ? time === options.time : time <= localTime(options.at, zone);
  });
}

/**
 * Send each recipient's digest at most once per local day on each of their channels (email,
 * Slack): a conditional write claims the day for that channel first; if the send itself fails the
 * claim is released so a retry can send, on that channel alone. A Slack post that may have gone
 * through (no clear answer from Slack) keeps its claim: it is reported failed, never posted twice.
 */
export async function sendDigests(
  /** `now` is the one clock: when a send is claimed (the digest itself is built as of `at`). */
  deps: DigestDeps & { now: Clock },
  options: { at: Date; time?: string; timeZone?: string; recipient?: string },
): Promise<SendResult[]> {
  const wanted = recipientsFor(deps.config, options);
  if (wanted.some((r) => r.email !== undefined) && !deps.mailer) throw new Error("sending needs a mailer");
  if (wanted.length === 0) return [];
  const reads = await readForDigest(deps.store, options.at);
  const results: SendResult[] = [];
  // Each recipient and channel on its own: one refused address (an unverified one in the SES
  // sandbox, a throttle) or one Slack channel the app is not in must not cost the others their
  // digest, nor stop every retry at the same place.
  for (const recipient of wanted) {
    const id = recipientId(recipient);
    // The day claimed is the one the digest goes out on: a digest built as of another time (`--at`)
    // neither sends a second one today nor blocks another day's.
    const day = localDay(deps.now(), recipientTimeZone(deps.config, recipient));
    let digest: AdvocateDigest;
    try {
      digest = await named(deps, build(deps, reads, options.at, recipient));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      for (const channel of channelsOf(recipient)) results.push({ recipient: id, channel, day, outcome: "failed", openQuestions: 0, error });
      continue;
    }
    for (const channel of channelsOf(recipient)) results.push(await sendOne(deps, recipient, channel, day, digest));
  }
  return results;
}

async function sendOne(deps: DigestDeps & { now: Clock }, recipient: Recipient, channel: DigestChannel, day: string, digest: AdvocateDigest): Promise<SendResult> {
  const base = { recipient: recipientId(recipient), channel, day, openQuestions: digest.unanswered.length };
  const key = claimKey(recipient, channel);
  let claimed = false;
  try {
    claimed = await deps.store.claimDigestSend(key, day, {
      claimedAt: deps.now().toISOString(),
      generatedAt: digest.generatedAt,
      openQuestions: base.openQuestions,
      channel,
    });
    if (!claimed) return { ...base, outcome: "already-sent" };
    const sent = channel === "email" ? await sendEmail(deps, recipient, digest) : await postToSlack(deps, recipient, digest);
    return { ...base, outcome: "sent", ...sent };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    if (err instanceof SlackDeliveryError && err.delivered === "unknown") {
      return { ...base, outcome: "failed", error: `${error}; the day stays claimed, so it is not posted twice (look in the channel)` };
    }
    // Only a claim this run made is released: the retry sends that recipient's digest on this channel, once.
    if (claimed) {
      try {
        await deps.store.releaseDigestSend(key, day);
      } catch (releaseErr) {
        return { ...base, outcome: "failed", error: `${error}; and its claim could not be released (${(releaseErr as Error).message}), so no retry sends it today` };
      }
    }
    return { ...base, outcome: "failed", error };
  }
}

async function sendEmail(deps: DigestDeps, recipient: Recipient, digest: AdvocateDigest): Promise<{ messageId: string }> {
  if (!deps.mailer || recipient.email === undefined) throw new Error("sending needs a mailer");
  const { subject, html, text } = renderDigest(digest, deps.config);
  return { messageId: await deps.mailer.send({ from: deps.config.digest.from, to: recipient.email, subject, html, text }) };
}

async function postToSlack(deps: DigestDeps, recipient: Recipient, digest: AdvocateDigest): Promise<{ messageId: string; warning?: string }> {
  if (recipient.slack === undefined) throw new Error("the recipient has no slack target");
  if (!deps.slack) throw new Error("Slack delivery is not set up in this process");
  const message = renderSlackDigest(digest, deps.config);
  const fallback = slackFallbackText(message, digest.queueUrl);
  // A message our own checks find over Block Kit's limits would be refused: the text version goes instead.
  const problems = blockKitProblems(message);
  const sent = await deps.slack.post(recipient.slack, problems.length === 0 ? message : { text: fallback }, fallback);
  const warnings = [
    ...(problems.length > 0 ? [`the Block Kit message broke Slack's limits (${problems.slice(0, 3).join("; ")}): posted as text`] : []),
    ...(sent.fellBackToText ? [`Slack refused the blocks (${sent.fellBackToText}): posted as text with the queue link`] : []),
  ];
  return { messageId: sent.id, ...(warnings.length > 0 ? { warning: warnings.join("; ") } : {}) };
}

/** The digest as one recipient's Slack message (Block Kit), with the email's limits. */
export function renderSlackDigest(digest: AdvocateDigest, config: Config) {
  return renderDigestSlack(digest, { maxItems: config.digest.maxItems, snoozeHours: config.actions.snoozeHours });
}
