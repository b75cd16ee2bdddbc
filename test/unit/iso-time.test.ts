import { describe, expect, test } from '@jest/globals';
import { DAY_MS, isIsoTime, parseIsoTime, startsWithDate } from '../../src/util/time.js';
import { refusalOf } from '../helpers/refusal.js';

describe('parseIsoTime, the one reading of a time input', () => {
  test.each([
    ['2026-03-01T02:00:00Z', '2026-03-01T02:00:00.000Z'],
    ['2026-03-01t02:00z', '2026-03-01T02:00:00.000Z'],
    ['2026-03-01 02:00:00Z', '2026-03-01T02:00:00.000Z'],
    ['2026-03-01T04:00:00+02:00', '2026-03-01T02:00:00.000Z'],
    ['2026-03-01T04:00:00+0200', '2026-03-01T02:00:00.000Z'],
    ['2026-02-28T21:00:00-05:00', '2026-03-01T02:00:00.000Z'],
    ['2026-03-01T02:00:00.123456789Z', '2026-03-01T02:00:00.123Z'],
    ['2028-02-29T12:00:00Z', '2028-02-29T12:00:00.000Z'],
    ['  2026-03-01T02:00:00Z\n', '2026-03-01T02:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseIsoTime(text, 'at').toISOString()).toBe(iso);
  });

  test.each([
    [
      '2026-02-30T12:00:00Z',
      "at '2026-02-30T12:00:00Z' is not a time: February 2026 has no day 30 (it has 28 days); correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      '2027-02-29T12:00:00Z',
      "at '2027-02-29T12:00:00Z' is not a time: February 2027 has no day 29 (it has 28 days); correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      '2026-04-31T00:00:00Z',
      "at '2026-04-31T00:00:00Z' is not a time: April 2026 has no day 31 (it has 30 days); correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      '2026-03-00T00:00:00Z',
      "at '2026-03-00T00:00:00Z' is not a time: March 2026 has no day 0 (it has 31 days); correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      '2026-00-10T00:00:00Z',
      "at '2026-00-10T00:00:00Z' is not a time: there is no month 0; correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      '2026-03-01T24:00:00Z',
      "at '2026-03-01T24:00:00Z' is not a time: the hour is 24, past 23; correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      '2026-03-01T02:60:00Z',
      "at '2026-03-01T02:60:00Z' is not a time: the minute is 60, past 59; correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      '2026-03-01T02:00:60Z',
      "at '2026-03-01T02:00:60Z' is not a time: the second is 60, past 59; correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      '2026-03-01T02:00:00+24:00',
      "at '2026-03-01T02:00:00+24:00' is not a time: the offset +24:00 is not a zone; correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      '2026-03-01T02:00:00',
      "at '2026-03-01T02:00:00' has no zone, so the instant it means is a guess; add Z for UTC (2026-03-01T02:00:00Z) or the offset it was written in, e.g. +02:00",
    ],
    [
      '2026-03-01',
      "at '2026-03-01' is a date without a time; write the instant, e.g. 2026-03-01T23:59:59Z for the end of that day (UTC)",
    ],
    [
      '2026-03-01Tnoon',
      "at '2026-03-01Tnoon' is not a time; write an ISO-8601 time with its zone (e.g. 2026-03-01T02:00:00Z)",
    ],
  ])('%s is refused, never moved to another moment', (text, message) => {
    expect(refusalOf(() => parseIsoTime(text, 'at'))).toBe(message);
  });

  test('an input is read as a time when it starts with a date, and a day is DAY_MS long', () => {
    expect(
      [' 2026-03-01', '2026-03-01Tx', 'latest', 'backup_20260301_020000.dump', 's3://b/2026-03-01'].map(startsWithDate),
    ).toEqual([true, true, false, false, false]);
    expect(
      parseIsoTime('2026-03-02T00:00:00Z', 'at').getTime() - parseIsoTime('2026-03-01T00:00:00Z', 'at').getTime(),
    ).toBe(DAY_MS);
    // Stored times (manifests, reports) are read by the same rule.
    expect(
      [new Date().toISOString(), '2026-02-30T00:00:00.000Z', '2026-03-01T00:00:00.000', 'March 1, 2026'].map(isIsoTime),
    ).toEqual([true, false, false, false]);
  });
});
