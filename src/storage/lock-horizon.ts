import { calendarMonth, isoWeek, type RetentionCandidate, type RetentionPolicy } from '../retention/retention.js';
import { DAY_MS } from '../util/time.js';

/**
 * How long retention keeps a backup that finished at `finishedAt` as a daily backup: the lock a
 * new backup gets. With no daily tier, the shortest tier that could keep it.
 */
export function dailyHorizon(finishedAt: Date, policy: RetentionPolicy): Date {
  const days = policy.dailyDays || Math.min(...[policy.weeklyDays, policy.monthlyDays].filter((d) => d > 0));
  return new Date(finishedAt.getTime() + days * DAY_MS);
}

/**
 * The later horizon of each backup that retention has promoted: the newest backup of a week (or
 * month) that is over is kept for the weekly (or monthly) window from its finish. While the week or
 * month still runs a newer backup may take its place, so nothing is promoted early. decideRetention
 * keeps exactly these backups for these windows; the daily horizon is the lock each backup got when
 * it was written, and min-keep is not a time, so neither appears here.
 */
export function promotedHorizons(
  backups: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  now: Date,
): Map<string, Date> {
  const horizons = new Map<string, Date>();
  const promote = (days: number, group: (time: Date) => string) => {
    if (days <= 0) return;
    const newest = new Map<string, RetentionCandidate>();
    for (const backup of backups) {
      const name = group(backup.finishedAt);
      const current = newest.get(name);
      if (!current || current.finishedAt.getTime() < backup.finishedAt.getTime()) newest.set(name, backup);
    }
    for (const [name, backup] of newest) {
      if (name === group(now) || backup.finishedAt.getTime() > now.getTime()) continue;
      const until = backup.finishedAt.getTime() + days * DAY_MS;
      const current = horizons.get(backup.key);
      if (until > now.getTime() && (!current || current.getTime() < until)) horizons.set(backup.key, new Date(until));
    }
  };
  promote(policy.weeklyDays, isoWeek);
  promote(policy.monthlyDays, calendarMonth);
  return horizons;
}
