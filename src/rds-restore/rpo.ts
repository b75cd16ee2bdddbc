import { largestGap, RPO_WINDOW_DAYS, windowStart, type Coverage } from '../report/recovery-gap.js';
import { secondsBetween } from '../util/format.js';
import type { RecoveryPoints } from '../aws/rds-recovery-points.js';

export interface RdsRecoveryGap {
  from: string;
  to: string;
  seconds: number;
  /** What bounds it, e.g. "snapshot x to the point-in-time window". */
  between: string;
}

export interface RdsRpoMeasurement {
  windowDays: number;
  /** Snapshots whose data is from inside the window. */
  snapshotsInWindow: number;
  pointInTimeWindow?: { earliest: string; latest: string };
  /** Seconds from the restored point's data to the test. */
  pointAgeSeconds: number;
  /** How much a disaster at the worst moment of the window would have lost. */
  maxGapSeconds: number | null;
  maxGap?: RdsRecoveryGap;
}

/**
 * RPO of RDS recovery points: the age of the point restored, and the largest stretch of the last
 * 30 days no recovery point covers. The point-in-time window covers every second from its
 * earliest to its latest restorable time; a snapshot covers its own instant. The stretch from the
 * newest coverage to now counts too (a disaster now loses it).
 */
export function measureRdsRpo(points: RecoveryPoints, pointTime: Date, now: Date): RdsRpoMeasurement {
  const coverage: Coverage<string>[] = points.snapshots.map((s) => ({
    start: s.dataAt.getTime(),
    end: s.dataAt.getTime(),
    point: `snapshot ${s.id}`,
  }));
  const pitr = points.pointInTime?.window;
  if (pitr)
    coverage.push({ start: pitr.earliest.getTime(), end: pitr.latest.getTime(), point: 'the point-in-time window' });
  const gap = largestGap(coverage, now);
  const maxGap: RdsRecoveryGap | undefined = gap && {
    from: new Date(gap.fromMs).toISOString(),
    to: new Date(gap.toMs).toISOString(),
    seconds: gap.seconds,
    between: `${gap.from} to ${gap.to ?? 'now'}`,
  };
  return {
    windowDays: RPO_WINDOW_DAYS,
    snapshotsInWindow: points.snapshots.filter((s) => s.dataAt.getTime() >= windowStart(now)).length,
    ...(pitr
      ? { pointInTimeWindow: { earliest: pitr.earliest.toISOString(), latest: pitr.latest.toISOString() } }
      : {}),
    pointAgeSeconds: secondsBetween(pointTime, now),
    maxGapSeconds: maxGap ? maxGap.seconds : null,
    ...(maxGap ? { maxGap } : {}),
  };
}
