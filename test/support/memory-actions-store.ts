import type { ActionsStore } from "../../functions/actions/app.ts";
import { ActivitySchema, type Activity } from "../../shared/model/activity.ts";
import type { AnswerPolicy, Thread } from "../../shared/model/thread.ts";
import type { CachedName } from "../../shared/store/names.ts";
import { foldThread } from "../../shared/threads/index.ts";

/**
 * The actions route's store contract in memory, the queue page's reads included: activities by
 * natural id (newer versions only), threads refolded from them as the real store does, the open
 * question index as the open question threads, and a name cache.
 */
export class MemoryActionsStore implements ActionsStore {
  readonly activities = new Map<string, Activity>();
  readonly threads = new Map<string, Thread>();
  readonly cachedNames = new Map<string, string>();
  writes = 0;

  constructor(seed: Activity[] = []) {
    for (const a of seed) this.activities.set(a.id, a);
    for (const id of new Set(seed.flatMap((a) => (a.thread ? [a.thread.id] : [])))) this.refold(id, "any-reply");
  }

  private refold(id: string, policy: AnswerPolicy): Thread | null {
    const thread = foldThread([...this.activities.values()].filter((a) => a.thread?.id === id), policy);
    if (thread) this.threads.set(id, thread);
    return thread;
  }

  async getThread(id: string) {
    const thread = this.threads.get(id);
    return thread ? { thread } : null;
  }

  async putActivity(activity: Activity) {
    const kept = this.activities.get(activity.id);
    if (kept && kept.version >= activity.version) return "duplicate" as const;
    this.writes++;
    this.activities.set(activity.id, activity);
    return "stored" as const;
  }

  async refreshThread(id: string, policy: AnswerPolicy) {
    return { thread: this.refold(id, policy) };
  }

  async openQuestions(filter: { createdBefore?: string } = {}) {
    return [...this.threads.values()].filter((t) => t.status === "open" && t.isQuestion && (!filter.createdBefore || t.createdAt <= filter.createdBefore));
  }

  readonly names = {
    getMany: async (source: string, kind: string, ids: readonly string[]) => {
      const found = new Map<string, CachedName>();
      for (const id of ids) {
        const name = this.cachedNames.get(`${source}:${kind}:${id}`);
        if (name) found.set(id, { name, fetchedAt: "2024-01-01T00:00:00.000Z" });
      }
      return found;
    },
  };
}

export interface QuestionSpec {
  n: number;
  title: string;
  createdAt: string;
  source?: "github" | "discourse" | "slack";
  channel?: { id: string; name: string };
  excerpt?: string;
  url?: string;
}

/** The opening activity of a question thread, as an adapter would have stored it. */
export function questionOpening(spec: QuestionSpec): Activity {
  const source = spec.source ?? "github";
  const id = source === "slack" ? `slack:message:T0ACME:${spec.channel?.id ?? "C0HELP0001"}:${spec.n}.000100` : `${source}:issue:acme/widgets#${spec.n}`;
  const url = spec.url ?? (source === "slack" ? `https://acme.slack.com/archives/${spec.channel?.id ?? "C0HELP0001"}/p${spec.n}000100` : `https://github.com/acme/widgets/issues/${spec.n}`);
  const asker = { id: `${source}:user:asker${spec.n}`, login: source === "slack" ? `U0ASKER${String(spec.n).padStart(3, "0")}` : `asker-${spec.n}`, name: null, isBot: false, isTeam: false };
  return ActivitySchema.parse({
    id,
    source,
    instance: source === "slack" ? "T0ACME" : "acme/widgets",
    channel: spec.channel ?? { id: "github:acme/widgets:issues", name: "Issues" },
    kind: "thread_opened",
    thread: { id, title: spec.title, url, author: asker, createdAt: spec.createdAt, isQuestion: true, version: spec.createdAt },
    actor: asker,
    occurredAt: spec.createdAt,
    receivedAt: spec.createdAt,
    url,
    excerpt: spec.excerpt ?? null,
    isQuestion: true,
    version: "1",
    target: null,
    reason: null,
  });
}
