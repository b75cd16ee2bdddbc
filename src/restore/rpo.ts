import { largestGap, RPO_WINDOW_DAYS, windowStart } from '../report/recovery-gap.js';
import { secondsBetween } from '../util/format.js';

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
  const sorted = points
    .map((p) => ({ key: p.key, at: Math.min(p.snapshotAt.getTime(), now.getTime()) }))
    .sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : 1));
  const newest = sorted.at(-1);
  if (!newest) return { windowDays, backupsInWindow: 0, ageSeconds: null, maxGapSeconds: null };

  const gap = largestGap(
    sorted.map((p) => ({ start: p.at, end: p.at, point: p })),
    now,
    windowDays,
  );
  const maxGap: RecoveryGap | undefined = gap && {
    fromKey: gap.from.key,
    from: new Date(gap.fromMs).toISOString(),
    ...(gap.to ? { toKey: gap.to.key } : {}),
    to: new Date(gap.toMs).toISOString(),
    seconds: gap.seconds,
  };
  return {
    windowDays,
    backupsInWindow: sorted.filter((p) => p.at >= windowStart(now, windowDays)).length,
    newest: { key: newest.key, snapshotAt: new Date(newest.at).toISOString() },
    ageSeconds: secondsBetween(new Date(newest.at), now),
    maxGapSeconds: maxGap ? maxGap.seconds : null,
    maxGap,
  };
}
