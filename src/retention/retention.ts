import { ConfigurationError } from '../errors.js';
import { parseInteger } from '../util/inputs.js';
import { DAY_MS } from '../util/time.js';

/** Days each tier reaches back; 0 switches a tier off. */
export interface RetentionPolicy {
  dailyDays: number;
  weeklyDays: number;
  monthlyDays: number;
}

export const DEFAULT_RETENTION = 'daily=30,weekly=90,monthly=365';

/** The backup action's `min-keep` default: retention never leaves fewer complete backups than this. */
export const DEFAULT_MIN_KEEP = 7;

const TIERS = { daily: 'dailyDays', weekly: 'weeklyDays', monthly: 'monthlyDays' } as const;

/** The `min-keep` input (at least 1, default 7), under the name the action gives it. */
export function parseMinKeep(input: string, name = 'min-keep'): number {
  return parseInteger(input, name, DEFAULT_MIN_KEEP, 1);
}

/**
 * `daily=30,weekly=90,monthly=365` (any subset; a missing tier is off) or `off`; empty is the default.
 * `name` is the input's name in the action that reads it, so that a refusal says which input to change.
 */
export function parseRetention(input: string, name = 'retention'): RetentionPolicy | 'off' {
  const text = input.trim() || DEFAULT_RETENTION;
  if (text.toLowerCase() === 'off') return 'off';
  const policy: RetentionPolicy = { dailyDays: 0, weeklyDays: 0, monthlyDays: 0 };
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(\S+)\s*$/.exec(part);
    const tier = match?.[1] as keyof typeof TIERS | undefined;
    if (!match || !tier || !(tier in TIERS)) {
      throw new ConfigurationError(
        `${name} '${input}' is not understood: write tier=days pairs such as ${DEFAULT_RETENTION}, or off`,
      );
    }
    if (seen.has(tier)) throw new ConfigurationError(`${name} names ${tier} twice`);
    seen.add(tier);
    const days = Number(match[2]);
    if (!/^\d+$/.test(match[2] as string) || !Number.isSafeInteger(days)) {
      throw new ConfigurationError(`${name} ${tier}=${match[2]}: days must be a whole number, 0 or more`);
    }
    policy[TIERS[tier]] = days;
  }
  if (policy.dailyDays + policy.weeklyDays + policy.monthlyDays === 0) {
    throw new ConfigurationError(
      `${name} keeps no tier: give at least one tier some days, or use 'off' to disable pruning`,
    );
  }
  return policy;
}

export interface RetentionCandidate {
  key: string;
  /** The manifest's finish time: when the backup became complete. */
  finishedAt: Date;
}

export interface RetentionDecision {
  key: string;
  finishedAt: Date;
  keep: boolean;
  /** Why it is kept (every rule that keeps it), or why it goes. */
  reasons: string[];
}

/** ISO-8601 week of a UTC instant, e.g. 2026-W48 (weeks start Monday; week 1 holds the year's first Thursday). */
export function isoWeek(time: Date): string {
  const day = new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function calendarMonth(time: Date): string {
  return `${time.getUTCFullYear()}-${String(time.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * Decides which complete backups to keep, grandfather-father-son style:
 * - every backup inside the daily window;
 * - the newest backup of each ISO week inside the weekly window;
 * - the newest backup of each calendar month inside the monthly window;
 * - the newest `minKeep` backups, whatever their age;
 * - anything finished in the future (a skewed clock must not cost data).
 * Windows are measured from `now` back to the manifest's finish time (UTC). Everything else goes.
 */
export function decideRetention(
  backups: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  minKeep: number,
  now: Date,
): RetentionDecision[] {
  const newestFirst = [...backups].sort(
    (a, b) => b.finishedAt.getTime() - a.finishedAt.getTime() || (a.key < b.key ? 1 : -1),
  );
  const reasons = new Map<string, string[]>(newestFirst.map((b) => [b.key, []]));
  const ageDays = (b: RetentionCandidate) => (now.getTime() - b.finishedAt.getTime()) / DAY_MS;

  const keepNewestPerGroup = (days: number, group: (time: Date) => string, label: string) => {
    if (days <= 0) return;
    const seen = new Set<string>();
    for (const backup of newestFirst) {
      if (ageDays(backup) > days) continue;
      const name = group(backup.finishedAt);
      if (seen.has(name)) continue;
      seen.add(name);
      reasons.get(backup.key)?.push(`newest of ${label} ${name} (within ${days} d)`);
    }
  };

  newestFirst.forEach((backup, index) => {
    const why = reasons.get(backup.key) as string[];
    const age = ageDays(backup);
    if (age < 0) why.push('finished in the future (clock skew): kept');
    else if (policy.dailyDays > 0 && age <= policy.dailyDays) why.push(`daily (within ${policy.dailyDays} d)`);
    if (index < minKeep) why.push(`one of the newest ${minKeep} (min-keep)`);
  });
  keepNewestPerGroup(policy.weeklyDays, isoWeek, 'week');
  keepNewestPerGroup(policy.monthlyDays, calendarMonth, 'month');

  const whyDelete = (backup: RetentionCandidate): string[] => {
    const age = ageDays(backup);
    const why: string[] = [];
    if (policy.weeklyDays > 0 && age <= policy.weeklyDays)
      why.push(`not the newest of week ${isoWeek(backup.finishedAt)}`);
    if (policy.monthlyDays > 0 && age <= policy.monthlyDays)
      why.push(`not the newest of month ${calendarMonth(backup.finishedAt)}`);
    if (why.length === 0) why.push(`${Math.floor(age)} d old, beyond every window`);
    return why;
  };

  return newestFirst.map((backup) => {
    const why = reasons.get(backup.key) as string[];
    const keep = why.length > 0;
    return { key: backup.key, finishedAt: backup.finishedAt, keep, reasons: keep ? why : whyDelete(backup) };
  });
}
