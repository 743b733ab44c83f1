import type { Activity } from "../model/activity.ts";
import { canonicalJson, compareStrings } from "./order.ts";

/**
 * Which of two stored copies of one natural id the store keeps: the greater `version`; on equal
 * versions the greater canonical JSON, an arbitrary but order-free choice between conflicting
 * copies (deep-equal copies compare equal, so either is the same value).
 */
function compareCopies(a: Activity, b: Activity): number {
  return compareStrings(a.version, b.version) || compareStrings(canonicalJson(a), canonicalJson(b));
}

/** One activity per natural id (the newest version), sorted by id. */
export function dedupeActivities(activities: readonly Activity[]): Activity[] {
  const byId = new Map<string, Activity>();
  for (const activity of activities) {
    const kept = byId.get(activity.id);
    if (kept === undefined || compareCopies(activity, kept) > 0) byId.set(activity.id, activity);
  }
  return [...byId.values()].sort((a, b) => compareStrings(a.id, b.id));
}
