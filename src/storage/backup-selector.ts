import { ConfigurationError } from '../errors.js';
import { isManifestKey, backupKeyOfManifest, parseBackupKey } from './keys.js';

/** Which backup to restore: the `backup` input. */
export type BackupSelector =
  | { kind: 'latest' }
  | { kind: 'random' }
  | { kind: 'key'; key: string }
  /** The newest complete backup whose manifest says it finished at or before `at`. */
  | { kind: 'point-in-time'; at: Date };

const INPUT = 'backup';
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** An ISO-8601 date and time; without an offset it is UTC, like every time in this project. */
function parseTime(text: string): Date | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s = '00', fraction = '', offset = 'Z'] = match;
  const zone = offset.toUpperCase() === 'Z' ? 'Z' : offset.length === 5 ? `${offset.slice(0, 3)}:${offset.slice(3)}` : offset;
  const millis = fraction ? fraction.slice(0, 4).padEnd(4, '0') : '';
  const time = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${millis}${zone}`);
  const fieldsValid = Number(mo) >= 1 && Number(mo) <= 12 && Number(d) >= 1 && Number(h) <= 23 && Number(mi) <= 59 && Number(s) <= 59;
  // Date rolls 2026-02-30 over to March; such a day is a typo, not a time.
  const dayExists = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))).getUTCDate() === Number(d);
  if (Number.isNaN(time.getTime()) || !fieldsValid || !dayExists) {
    throw new ConfigurationError(`${INPUT} '${text}' is not a valid time; write an ISO-8601 time such as 2026-03-01T02:00:00Z`);
  }
  return time;
}

/** An object key as given, an s3://bucket/key URL, or a bare file name under the prefix. */
function parseKey(text: string, bucket: string, prefix: string): string {
  let key = text;
  if (key.startsWith('s3://')) {
    const rest = key.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const urlBucket = slash < 0 ? rest : rest.slice(0, slash);
    if (urlBucket !== bucket) {
      throw new ConfigurationError(`${INPUT} '${text}' is in bucket '${urlBucket}', but bucket is '${bucket}'; set bucket to '${urlBucket}' or give the key alone`);
    }
    key = slash < 0 ? '' : rest.slice(slash + 1);
  }
  if (isManifestKey(key)) {
    throw new ConfigurationError(`${INPUT} '${text}' is a manifest; name the backup object it describes: ${backupKeyOfManifest(key)}`);
  }
  if (!key.includes('/') && prefix && parseBackupKey(`${prefix}${key}`, prefix)) return `${prefix}${key}`;
  if (parseBackupKey(key, prefix)) return key;
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  if (folder !== prefix && parseBackupKey(key, folder)) {
    throw new ConfigurationError(`${INPUT} '${text}' is not under prefix '${prefix}'; set prefix to '${folder}'`);
  }
  throw new ConfigurationError(
    `${INPUT} must be latest, random, an ISO-8601 time (e.g. 2026-03-01T02:00:00Z) or a backup key such as ${prefix}backup_20260301_020000.dump; got '${text}'`,
  );
}

export function parseBackupSelector(input: string, bucket: string, prefix: string): BackupSelector {
  const text = input.trim();
  if (text === '' || text.toLowerCase() === 'latest') return { kind: 'latest' };
  if (text.toLowerCase() === 'random') return { kind: 'random' };
  if (DATE_ONLY.test(text)) {
    throw new ConfigurationError(`${INPUT} '${text}' is a date without a time; write the instant, e.g. ${text}T23:59:59Z for the end of that day (UTC)`);
  }
  const at = parseTime(text);
  if (at) return { kind: 'point-in-time', at };
  return { kind: 'key', key: parseKey(text, bucket, prefix) };
}

export function describeSelector(selector: BackupSelector): string {
  switch (selector.kind) {
    case 'latest':
      return 'latest';
    case 'random':
      return 'random';
    case 'key':
      return selector.key;
    case 'point-in-time':
      return `finished at or before ${selector.at.toISOString()}`;
  }
}
