export type BackupFormat = 'custom' | 'plain';

export const EXTENSION: Record<BackupFormat, string> = { custom: '.dump', plain: '.sql.gz' };
export const MANIFEST_SUFFIX = '.manifest.json';

const KEY_PATTERN = /^backup_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(\.dump|\.sql\.gz)$/;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** YYYYMMDD_HHMMSS in UTC: lexical order is time order, as the plan's `aws s3 ls | tail -5` expects. */
export function timestampPart(time: Date): string {
  return (
    `${pad(time.getUTCFullYear(), 4)}${pad(time.getUTCMonth() + 1)}${pad(time.getUTCDate())}_` +
    `${pad(time.getUTCHours())}${pad(time.getUTCMinutes())}${pad(time.getUTCSeconds())}`
  );
}

export function backupKey(prefix: string, startedAt: Date, format: BackupFormat): string {
  return `${prefix}backup_${timestampPart(startedAt)}${EXTENSION[format]}`;
}

/**
 * The n-th data part of a parallel backup (from 1), beside its key. The key pattern is anchored at
 * the extension, so a listing never takes a part for a backup.
 */
export function partKeyFor(key: string, index: number): string {
  return `${key}.part-${index}`;
}

const PART_PATTERN = /^(.+)\.part-([1-9]\d*)$/;

/** The backup key a part's key belongs to (partKeyFor's inverse), else undefined. */
export function backupKeyOfPart(key: string): string | undefined {
  return PART_PATTERN.exec(key)?.[1];
}

export function manifestKeyFor(key: string): string {
  return `${key}${MANIFEST_SUFFIX}`;
}

export interface ParsedBackupKey {
  key: string;
  format: BackupFormat;
  /** The time in the key's name (when the backup started). */
  time: Date;
}

/** A backup object directly under prefix (not in a deeper folder), else undefined. */
export function parseBackupKey(key: string, prefix: string): ParsedBackupKey | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const match = KEY_PATTERN.exec(key.slice(prefix.length));
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, ext] = match;
  const time = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (Number.isNaN(time.getTime()) || timestampPart(time) !== key.slice(prefix.length + 7, prefix.length + 22))
    return undefined;
  return { key, format: ext === '.dump' ? 'custom' : 'plain', time };
}

export function isManifestKey(key: string): boolean {
  return key.endsWith(MANIFEST_SUFFIX);
}

export function backupKeyOfManifest(manifestKey: string): string {
  return manifestKey.slice(0, -MANIFEST_SUFFIX.length);
}
