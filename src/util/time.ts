import { ConfigurationError } from '../errors.js';

export const DAY_MS = 86_400_000;

/** How every time input is written, for messages that say what is accepted. */
export const ISO_TIME_FORM = 'an ISO-8601 time with its zone (e.g. 2026-03-01T02:00:00Z)';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?$/;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Whether a stored time (a manifest's, a report's) is one parseIsoTime reads: written by toISOString, it always is. */
export function isIsoTime(text: string): boolean {
  try {
    parseIsoTime(text, 'time');
    return true;
  } catch {
    return false;
  }
}

/** Whether an input is meant as a time (it starts with a date), so that it is read as one and refused as one. */
export function startsWithDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}/.test(text.trim());
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** What is out of range in a time's fields, or nothing. */
function outOfRange(fields: {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  offset: string;
}): string | undefined {
  const { y, mo, d, h, mi, s, offset } = fields;
  if (mo < 1 || mo > 12) return `there is no month ${mo}`;
  if (d < 1 || d > daysIn(y, mo)) return `${MONTHS[mo - 1]} ${y} has no day ${d} (it has ${daysIn(y, mo)} days)`;
  if (h > 23) return `the hour is ${h}, past 23`;
  if (mi > 59) return `the minute is ${mi}, past 59`;
  if (s > 59) return `the second is ${s}, past 59`;
  const offsetMatch = /^[+-](\d{2}):?(\d{2})$/.exec(offset);
  if (offsetMatch && (Number(offsetMatch[1]) > 23 || Number(offsetMatch[2]) > 59))
    return `the offset ${offset} is not a zone`;
  return undefined;
}

/**
 * The one reading of a time input: an ISO-8601 date and time with its zone (Z or an offset);
 * seconds and fractions optional, fractions kept to the millisecond. A time is never moved to
 * fit: a day that does not exist (2026-02-30) or an hour 24 is refused, not rolled into the
 * next, because a point-in-time restore to another moment is another recovery point. Without
 * a zone the instant is a guess, so it is refused too.
 */
export function parseIsoTime(input: string, inputName: string): Date {
  const text = input.trim();
  if (DATE_ONLY.test(text)) {
    throw new ConfigurationError(
      `${inputName} '${text}' is a date without a time; write the instant, e.g. ${text}T23:59:59Z for the end of that day (UTC)`,
    );
  }
  const match = DATE_TIME.exec(text);
  if (!match) throw new ConfigurationError(`${inputName} '${text}' is not a time; write ${ISO_TIME_FORM}`);
  const [, y = '', mo = '', d = '', h = '', mi = '', s = '00', fraction = '', offset = ''] = match;
  if (!offset) {
    throw new ConfigurationError(
      `${inputName} '${text}' has no zone, so the instant it means is a guess; add Z for UTC (${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}Z) or the offset it was written in, e.g. +02:00`,
    );
  }
  const problem = outOfRange({
    y: Number(y),
    mo: Number(mo),
    d: Number(d),
    h: Number(h),
    mi: Number(mi),
    s: Number(s),
    offset,
  });
  if (problem)
    throw new ConfigurationError(
      `${inputName} '${text}' is not a time: ${problem}; correct it, e.g. 2026-03-01T02:00:00Z`,
    );
  const zone = offset.toUpperCase() === 'Z' ? 'Z' : `${offset.slice(0, 3)}:${offset.slice(-2)}`;
  const millis = fraction ? fraction.slice(0, 4).padEnd(4, '0') : '';
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${millis}${zone}`);
}
