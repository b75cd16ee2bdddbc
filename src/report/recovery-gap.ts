import { secondsBetween } from '../util/format.js';
import { DAY_MS } from '../util/time.js';

/** How far back RPO looks for the worst moment to have lost the database. */
export const RPO_WINDOW_DAYS = 30;

/** What one recovery point lets a restore reach, in epoch ms: a backup or a snapshot its own instant, a point-in-time window every moment of it. */
export interface Coverage<T> {
  start: number;
  end: number;
  point: T;
}

/** The longest stretch no recovery point covers: from the end of one coverage to the start of the next, or to now. */
export interface CoverageGap<T> {
  from: T;
  fromMs: number;
  /** Absent: the gap is still open (from the newest coverage to now). */
  to?: T;
  toMs: number;
  seconds: number;
}

/** The first instant (epoch ms) of the RPO window that ends at `now`. */
export function windowStart(now: Date, windowDays = RPO_WINDOW_DAYS): number {
  return now.getTime() - windowDays * DAY_MS;
}

/**
 * The largest gap over the window: measured from the last coverage that ended before the window
 * (a disaster just inside it would have fallen back to that one), through every coverage in the
 * window, to now, so the open gap since the newest coverage counts too. Coverage past `now`
 * (clock skew) counts as now; of equal gaps the earliest is named. Undefined without coverage.
 */
export function largestGap<T>(
  coverage: readonly Coverage<T>[],
  now: Date,
  windowDays = RPO_WINDOW_DAYS,
): CoverageGap<T> | undefined {
  const nowMs = now.getTime();
  const start = windowStart(now, windowDays);
  const sorted = coverage
    .map((c) => ({ ...c, start: Math.min(c.start, nowMs), end: Math.min(c.end, nowMs) }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  let cursor = sorted.filter((c) => c.end < start).at(-1);
  let gap: CoverageGap<T> | undefined;
  const consider = (from: Coverage<T>, toMs: number, to?: Coverage<T>) => {
    const seconds = secondsBetween(new Date(from.end), new Date(toMs));
    if (!gap || seconds > gap.seconds)
      gap = { from: from.point, fromMs: from.end, ...(to ? { to: to.point } : {}), toMs, seconds };
  };
  for (const next of sorted.filter((c) => c.end >= start)) {
    if (cursor && next.start > cursor.end) consider(cursor, next.start, next);
    if (!cursor || next.end >= cursor.end) cursor = next;
  }
  if (cursor) consider(cursor, nowMs);
  return gap;
}
