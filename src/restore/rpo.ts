import { secondsBetween } from '../util/format.js';

export const RPO_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

/** A complete backup as RPO sees it: the instant its data is from. */
export interface RecoveryPoint {
  key: string;
  snapshotAt: Date;
}

/** The longest stretch without a recovery point: from one backup's data to the next one's, or to now. */
export interface RecoveryGap {
  fromKey: string;
  from: string;
  /** Absent: the gap is still open (from the newest backup to now). */
  toKey?: string;
  to: string;
  seconds: number;
}

export interface RpoMeasurement {
  windowDays: number;
  /** Complete backups whose data is from inside the window. */
  backupsInWindow: number;
  newest?: { key: string; snapshotAt: string };
  /** How much data a disaster now would lose: now minus the newest backup's snapshot. */
  ageSeconds: number | null;
  /** How much a disaster at the worst moment of the window would have lost. */
  maxGapSeconds: number | null;
  maxGap?: RecoveryGap;
}

/**
 * RPO measured two ways over complete backups, from the instant each backup's data is from
 * (its snapshot): the age of the newest one now, and the largest gap over the last 30 days.
 * The gaps run from the last backup before the window (a disaster just inside the window
 * would have fallen back to it) through every backup in the window to now, so the open gap
 * since the newest backup counts too. Snapshots stamped after `now` (clock skew) count as now.
 */
export function measureRpo(points: readonly RecoveryPoint[], now: Date, windowDays = RPO_WINDOW_DAYS): RpoMeasurement {
  const windowStart = now.getTime() - windowDays * DAY_MS;
  const sorted = points
    .map((p) => ({ key: p.key, at: Math.min(p.snapshotAt.getTime(), now.getTime()) }))
    .sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : 1));
  const inWindow = sorted.filter((p) => p.at >= windowStart);
  const anchor = [...sorted].reverse().find((p) => p.at < windowStart);
  const newest = sorted[sorted.length - 1];
  if (!newest) return { windowDays, backupsInWindow: 0, ageSeconds: null, maxGapSeconds: null };

  const series = anchor ? [anchor, ...inWindow] : inWindow;
  let maxGap: RecoveryGap | undefined;
  series.forEach((point, index) => {
    const next = series[index + 1];
    const to = next ? next.at : now.getTime();
    const seconds = secondsBetween(new Date(point.at), new Date(to));
    if (!maxGap || seconds > maxGap.seconds) {
      maxGap = { fromKey: point.key, from: new Date(point.at).toISOString(), ...(next ? { toKey: next.key } : {}), to: new Date(to).toISOString(), seconds };
    }
  });
  return {
    windowDays,
    backupsInWindow: inWindow.length,
    newest: { key: newest.key, snapshotAt: new Date(newest.at).toISOString() },
    ageSeconds: secondsBetween(new Date(newest.at), now),
    maxGapSeconds: maxGap ? maxGap.seconds : null,
    maxGap,
  };
}
