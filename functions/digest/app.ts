import type { Config, Recipient } from "../../shared/model/config.ts";
import type { Digest } from "../../shared/model/digest.ts";
import { buildDigest, digestSubject, renderDigestHtml, renderDigestText } from "../../shared/digest/index.ts";
import type { Mailer } from "../../shared/mail/ses.ts";
import type { SignalStore } from "../../shared/store/store.ts";

const DAY_MS = 86_400_000;

export interface DigestDeps {
  config: Config;
  store: SignalStore;
  mailer?: Mailer;
}

export interface SendResult {
  recipient: string;
  day: string;
  outcome: "sent" | "already-sent";
  openQuestions: number;
  messageId?: string;
}

/** The digest one recipient (or, with null, everyone) would get at `at`. */
export async function digestAt(deps: DigestDeps, at: Date, recipient: Recipient | null): Promise<Digest> {
  const [openQuestions, recentQuestions] = await Promise.all([
    deps.store.openQuestions({ createdBefore: at.toISOString() }),
    deps.store.questionsCreatedBetween(new Date(at.getTime() - 14 * DAY_MS), at),
  ]);
  return buildDigest({ now: at, config: deps.config, recipient, openQuestions, recentQuestions });
}

export function renderDigest(digest: Digest, config: Config): { subject: string; html: string; text: string } {
  const opts = { maxItems: config.digest.maxItems };
  return { subject: digestSubject(digest), html: renderDigestHtml(digest, opts), text: renderDigestText(digest, opts) };
}

export function recipientTimeZone(config: Config, recipient: Recipient): string {
  return recipient.timeZone ?? config.digest.timeZone;
}

/** The calendar day at `at` in a time zone, as YYYY-MM-DD. */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

/** The distinct (time, time zone) pairs digests go out at: one schedule each. */
export function digestSchedules(config: Config): { time: string; timeZone: string }[] {
  const zones = new Set([config.digest.timeZone, ...config.digest.recipients.map((r) => recipientTimeZone(config, r))]);
  return [...zones].sort().map((timeZone) => ({ time: config.digest.time, timeZone }));
}

/**
 * Send each recipient's digest at most once per local day: a conditional write claims the
 * day first; if the send itself fails the claim is released so a retry can send.
 */
export async function sendDigests(
  deps: DigestDeps,
  options: { at: Date; timeZone?: string; recipient?: string },
): Promise<SendResult[]> {
  if (!deps.mailer) throw new Error("sending needs a mailer");
  const wanted = deps.config.digest.recipients.filter(
    (r) =>
      (!options.timeZone || recipientTimeZone(deps.config, r) === options.timeZone) &&
      (!options.recipient || r.email.toLowerCase() === options.recipient.toLowerCase()),
  );
  const results: SendResult[] = [];
  for (const recipient of wanted) {
    const day = localDay(options.at, recipientTimeZone(deps.config, recipient));
    const digest = await digestAt(deps, options.at, recipient);
    const claimed = await deps.store.claimDigestSend(recipient.email, day, {
      claimedAt: new Date().toISOString(),
      generatedAt: digest.generatedAt,
      openQuestions: digest.unanswered.length,
    });
    if (!claimed) {
      results.push({ recipient: recipient.email, day, outcome: "already-sent", openQuestions: digest.unanswered.length });
      continue;
    }
    const { subject, html, text } = renderDigest(digest, deps.config);
    try {
      const messageId = await deps.mailer.send({ from: deps.config.digest.from, to: recipient.email, subject, html, text });
      results.push({ recipient: recipient.email, day, outcome: "sent", openQuestions: digest.unanswered.length, messageId });
    } catch (err) {
      await deps.store.releaseDigestSend(recipient.email, day);
      throw err;
    }
  }
  return results;
}
