/**
 * A duration in hours as people read it in an email: minutes under an hour, whole hours
 * under two days (so "30 h" can be compared with a 24 h SLA at a glance), then days and hours.
 */
export function formatAge(hours: number): string {
  if (!Number.isFinite(hours) || hours < 0) {
    throw new RangeError(`an age must be a non-negative number of hours, got ${String(hours)}`);
  }
  const minutes = Math.round(hours * 60);
  if (minutes < 60) return `${minutes} min`;
  const wholeHours = Math.round(hours);
  if (wholeHours < 48) return `${wholeHours} h`;
  const days = Math.floor(wholeHours / 24);
  const rest = wholeHours - days * 24;
  return rest === 0 ? `${days} d` : `${days} d ${rest} h`;
}

/** A 0..1 share as a whole percentage; null (nothing to divide by) reads as "n/a". */
export function formatRate(rate: number | null): string {
  if (rate === null) return "n/a";
  if (!Number.isFinite(rate)) throw new RangeError(`a rate must be a finite number, got ${String(rate)}`);
  return `${Math.round(rate * 100)}%`;
}

/** Hours (or null for no data) for the metrics table. */
export function formatHours(hours: number | null): string {
  return hours === null ? "n/a" : formatAge(hours);
}

export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
