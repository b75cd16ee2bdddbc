import {
  calendarMonth,
  decideRetention,
  isoWeek,
  parseRetention,
  type RetentionPolicy,
} from '../../src/retention/retention.js';
import { ConfigurationError } from '../../src/errors.js';

const policy: RetentionPolicy = { dailyDays: 30, weeklyDays: 90, monthlyDays: 365 };
const at = (iso: string) => new Date(iso);

describe('isoWeek', () => {
  test.each([
    ['2026-11-26T12:00:00Z', '2026-W48'],
    ['2026-11-29T23:59:59Z', '2026-W48'], // Sunday ends the week
    ['2026-11-30T00:00:00Z', '2026-W49'], // Monday starts the next
    ['2026-01-01T00:00:00Z', '2026-W01'], // a Thursday: week 1
    ['2026-12-31T12:00:00Z', '2026-W53'], // 2026 has 53 weeks
    ['2027-01-03T12:00:00Z', '2026-W53'], // Sunday 3 Jan 2027 still in 2026-W53
    ['2027-01-04T00:00:00Z', '2027-W01'],
    ['2024-12-30T00:00:00Z', '2025-W01'], // Monday of the week holding 2025's first Thursday
    ['2028-02-29T10:00:00Z', '2028-W09'], // leap day
  ])('%s is in %s', (time, week) => {
    expect(isoWeek(at(time))).toBe(week);
  });
});

describe('calendarMonth', () => {
  test.each([
    ['2028-02-29T23:59:59Z', '2028-02'],
    ['2028-03-01T00:00:00Z', '2028-03'],
    ['2026-12-31T23:59:59Z', '2026-12'],
  ])('%s is in %s', (time, month) => expect(calendarMonth(at(time))).toBe(month));
});

describe('decideRetention', () => {
  const now = at('2026-11-26T03:00:00Z');
  const kept = (backups: [string, string][], p = policy, minKeep = 1) =>
    decideRetention(
      backups.map(([key, time]) => ({ key, finishedAt: at(time) })),
      p,
      minKeep,
      now,
    )
      .filter((d) => d.keep)
      .map((d) => d.key)
      .sort();

  test.each<[string, [string, string][], string[], RetentionPolicy?, number?]>([
    [
      'keeps everything inside the daily window',
      [
        ['a', '2026-11-25T02:00:00Z'],
        ['b', '2026-10-28T02:00:00Z'],
      ],
      ['a', 'b'],
    ],
    [
      'daily window edge: exactly 30 days old is kept, 30 days and 1 s is not',
      [
        ['edge', '2026-10-27T03:00:00Z'],
        ['over', '2026-10-27T02:59:59Z'],
      ],
      ['edge'],
      { dailyDays: 30, weeklyDays: 0, monthlyDays: 0 },
    ],
    [
      'weekly: only the newest of an ISO week beyond the daily window',
      [
        ['mon', '2026-09-14T02:00:00Z'],
        ['sun', '2026-09-20T02:00:00Z'],
        ['next-mon', '2026-09-21T02:00:00Z'],
      ],
      ['next-mon', 'sun'],
      { dailyDays: 30, weeklyDays: 90, monthlyDays: 0 },
    ],
    [
      'week boundary: Sunday 23:59 and Monday 00:00 belong to different weeks',
      [
        ['sun-late', '2026-08-30T23:59:00Z'],
        ['sun-early', '2026-08-30T01:00:00Z'],
        ['mon', '2026-08-31T00:00:00Z'],
      ],
      ['mon', 'sun-late'],
      { dailyDays: 7, weeklyDays: 90, monthlyDays: 0 },
    ],
    [
      'monthly: the newest of each month beyond the weekly window',
      [
        ['may-1', '2026-05-01T02:00:00Z'],
        ['may-31', '2026-05-31T02:00:00Z'],
        ['jun-1', '2026-06-01T02:00:00Z'],
      ],
      ['jun-1', 'may-31'],
    ],
    [
      'beyond every window goes',
      [
        ['old', '2025-06-01T02:00:00Z'],
        ['new', '2026-11-25T02:00:00Z'],
      ],
      ['new'],
    ],
    [
      'min-keep keeps the newest N whatever their age',
      [
        ['a', '2024-01-01T00:00:00Z'],
        ['b', '2024-01-02T00:00:00Z'],
        ['c', '2024-01-03T00:00:00Z'],
      ],
      ['b', 'c'],
      policy,
      2,
    ],
    [
      'a backup finished in the future (clock skew) is kept',
      [
        ['future', '2026-11-27T00:00:00Z'],
        ['old', '2020-01-01T00:00:00Z'],
      ],
      ['future'],
    ],
  ])('%s', (_name, backups, expected, p = policy, minKeep = 1) => {
    expect(kept(backups, p, minKeep)).toEqual([...expected].sort());
  });

  test('month boundary on a leap day: 29 Feb is the newest of February', () => {
    const decisions = decideRetention(
      [
        { key: 'feb-28', finishedAt: at('2028-02-28T10:00:00Z') },
        { key: 'feb-29', finishedAt: at('2028-02-29T10:00:00Z') },
        { key: 'mar-1', finishedAt: at('2028-03-01T10:00:00Z') },
      ],
      { dailyDays: 1, weeklyDays: 0, monthlyDays: 365 },
      1,
      at('2028-06-01T00:00:00Z'),
    );
    expect(
      decisions
        .filter((d) => d.keep)
        .map((d) => d.key)
        .sort(),
    ).toEqual(['feb-29', 'mar-1']);
  });

  test('minKeep larger than the number of backups keeps them all', () => {
    expect(
      kept(
        [
          ['a', '2020-01-01T00:00:00Z'],
          ['b', '2019-01-01T00:00:00Z'],
        ],
        policy,
        7,
      ),
    ).toEqual(['a', 'b']);
  });

  test('says why each backup is kept or deleted', () => {
    const decisions = decideRetention(
      [
        { key: 'recent', finishedAt: at('2026-11-20T02:00:00Z') },
        { key: 'same-week-older', finishedAt: at('2026-09-14T02:00:00Z') },
        { key: 'same-week-newer', finishedAt: at('2026-09-16T02:00:00Z') },
        { key: 'ancient', finishedAt: at('2024-11-20T02:00:00Z') },
      ],
      policy,
      1,
      now,
    );
    const why = Object.fromEntries(decisions.map((d) => [d.key, d.reasons.join('; ')]));
    expect(why.recent).toContain('daily (within 30 d)');
    expect(why['same-week-newer']).toContain('newest of week 2026-W38');
    expect(why['same-week-older']).toContain('not the newest of week 2026-W38');
    expect(why.ancient).toMatch(/^736 d old, beyond every window$/);
  });
});

describe('parseRetention', () => {
  test('default, subsets and off', () => {
    expect(parseRetention('')).toEqual({ dailyDays: 30, weeklyDays: 90, monthlyDays: 365 });
    expect(parseRetention(' daily = 7 , monthly=400 ')).toEqual({ dailyDays: 7, weeklyDays: 0, monthlyDays: 400 });
    expect(parseRetention('OFF')).toBe('off');
  });

  test.each([
    [
      'daily=30,yearly=3',
      /retention 'daily=30,yearly=3' is not understood: write tier=days pairs such as daily=30,weekly=90,monthly=365, or off/,
    ],
    ['daily:30', /is not understood/],
    ['daily=30,daily=7', /retention names daily twice/],
    ['daily=-1', /retention daily=-1: days must be a whole number, 0 or more/],
    ['weekly=1.5', /retention weekly=1.5: days must be a whole number/],
    ['daily=0', /retention keeps no tier: give at least one tier some days, or use 'off' to disable pruning/],
  ])('%s is refused', (input, message) => {
    expect(() => parseRetention(input)).toThrow(ConfigurationError);
    expect(() => parseRetention(input)).toThrow(message);
  });
});
