import { secondsBetween } from '../util/format.js';
import type { RecoveryPoints } from './recovery-points.js';

export const RPO_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

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

interface Coverage {
  start: number;
  end: number;
  name: string;
}

/**
 * RPO of RDS recovery points: the age of the point restored, and the largest stretch of the last
 * 30 days no recovery point covers. The point-in-time window covers every second from its
 * earliest to its latest restorable time; a snapshot covers its own instant. The stretch from the
 * newest coverage to now counts too (a disaster now loses it).
 */
export function measureRdsRpo(points: RecoveryPoints, pointTime: Date, now: Date): RdsRpoMeasurement {
  const nowMs = now.getTime();
  const windowStart = nowMs - RPO_WINDOW_DAYS * DAY_MS;
  const coverage: Coverage[] = points.snapshots.map((s) => ({ start: Math.min(s.dataAt.getTime(), nowMs), end: Math.min(s.dataAt.getTime(), nowMs), name: `snapshot ${s.id}` }));
  const pitr = points.pointInTime?.window;
  if (pitr) coverage.push({ start: Math.min(pitr.earliest.getTime(), nowMs), end: Math.min(pitr.latest.getTime(), nowMs), name: 'the point-in-time window' });
  coverage.sort((a, b) => a.start - b.start || a.end - b.end);

  const before = coverage.filter((c) => c.end < windowStart).at(-1);
  let cursor: Coverage | undefined = before;
  let maxGap: RdsRecoveryGap | undefined;
  const consider = (from: Coverage, to: number, toName: string) => {
    const seconds = secondsBetween(new Date(from.end), new Date(to));
    if (!maxGap || seconds > maxGap.seconds) maxGap = { from: new Date(from.end).toISOString(), to: new Date(to).toISOString(), seconds, between: `${from.name} to ${toName}` };
  };
  for (const next of coverage.filter((c) => c.end >= windowStart)) {
    if (cursor && next.start > cursor.end) consider(cursor, next.start, next.name);
    if (!cursor || next.end >= cursor.end) cursor = next;
  }
  if (cursor) consider(cursor, nowMs, 'now');
  return {
    windowDays: RPO_WINDOW_DAYS,
    snapshotsInWindow: points.snapshots.filter((s) => s.dataAt.getTime() >= windowStart).length,
    ...(pitr ? { pointInTimeWindow: { earliest: pitr.earliest.toISOString(), latest: pitr.latest.toISOString() } } : {}),
    pointAgeSeconds: secondsBetween(pointTime, now),
    maxGapSeconds: maxGap ? maxGap.seconds : null,
    ...(maxGap ? { maxGap } : {}),
  };
}
