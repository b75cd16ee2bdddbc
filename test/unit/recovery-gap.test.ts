import { describe, expect, test } from '@jest/globals';
import { largestGap, RPO_WINDOW_DAYS, windowStart, type Coverage } from '../../src/report/recovery-gap.js';

const ms = (iso: string) => Date.parse(iso);
const point = (iso: string): Coverage<string> => ({ start: ms(iso), end: ms(iso), point: iso });
const now = new Date('2026-03-31T12:00:00Z');

describe('largestGap, the RPO of recovery points over the window', () => {
  test('from the last point before the window, through the window, to now; a window of time covers every moment of it; skew counts as now', () => {
    expect(RPO_WINDOW_DAYS).toBe(30);
    expect(new Date(windowStart(now)).toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(largestGap([], now)).toBeUndefined();

    // The anchor before the window opens the first gap; older points do not count.
    const daily = ['2026-01-01', '2026-02-27', '2026-03-10', '2026-03-18', '2026-03-25', '2026-03-31T11:00'].map(
      (day) => point(day.length === 10 ? `${day}T00:00:00Z` : `${day}:00Z`),
    );
    expect(largestGap(daily, now)).toEqual({
      from: '2026-02-27T00:00:00Z',
      fromMs: ms('2026-02-27T00:00:00Z'),
      to: '2026-03-10T00:00:00Z',
      toMs: ms('2026-03-10T00:00:00Z'),
      seconds: 11 * 86_400,
    });

    // A point-in-time window covers every moment of it: what is left is the stretch before it, or the open gap after it.
    const pitr: Coverage<string> = {
      start: ms('2026-03-05T00:00:00Z'),
      end: ms('2026-03-31T06:00:00Z'),
      point: 'window',
    };
    expect(largestGap([point('2026-03-04T00:00:00Z'), pitr], now)).toMatchObject({
      from: '2026-03-04T00:00:00Z',
      to: 'window',
      seconds: 86_400,
    });
    const open = largestGap([{ ...pitr, start: ms('2026-02-01T00:00:00Z') }, point('2026-03-20T00:00:00Z')], now);
    expect(open).toEqual({
      from: 'window',
      fromMs: ms('2026-03-31T06:00:00Z'),
      toMs: now.getTime(),
      seconds: 6 * 3600,
    });

    // Of equal gaps the earliest is named; the same instant twice is no gap.
    const even = [point('2026-03-31T08:00:00Z'), point('2026-03-31T08:00:00Z'), point('2026-03-31T10:00:00Z')];
    expect(largestGap(even, now)).toMatchObject({
      from: '2026-03-31T08:00:00Z',
      to: '2026-03-31T10:00:00Z',
      seconds: 7200,
    });

    expect(largestGap([point('2026-03-31T12:00:05Z')], now)).toMatchObject({ toMs: now.getTime(), seconds: 0 });
    expect(largestGap(daily, now, 7)).toMatchObject({
      from: '2026-03-18T00:00:00Z',
      to: '2026-03-25T00:00:00Z',
      seconds: 7 * 86_400,
    });
  });
});
