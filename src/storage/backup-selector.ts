import { ConfigurationError } from '../errors.js';
import { ISO_TIME_FORM, parseIsoTime, startsWithDate } from '../util/time.js';
import { isManifestKey, backupKeyOfManifest, parseBackupKey } from './keys.js';

/** Which backup to restore: the `backup` input. */
export type BackupSelector =
  | { kind: 'latest' }
  | { kind: 'random' }
  | { kind: 'key'; key: string }
  /** The newest complete backup whose manifest says it finished at or before `at`. */
  | { kind: 'point-in-time'; at: Date };

const INPUT = 'backup';

/** An object key as given, an s3://bucket/key URL, or a bare file name under the prefix. */
function parseKey(text: string, bucket: string, prefix: string): string {
  let key = text;
  if (key.startsWith('s3://')) {
    const rest = key.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const urlBucket = slash < 0 ? rest : rest.slice(0, slash);
    if (urlBucket !== bucket) {
      throw new ConfigurationError(
        `${INPUT} '${text}' is in bucket '${urlBucket}', but bucket is '${bucket}'; set bucket to '${urlBucket}' or give the key alone`,
      );
    }
    key = slash < 0 ? '' : rest.slice(slash + 1);
  }
  if (isManifestKey(key)) {
    throw new ConfigurationError(
      `${INPUT} '${text}' is a manifest; name the backup object it describes: ${backupKeyOfManifest(key)}`,
    );
  }
  if (!key.includes('/') && prefix && parseBackupKey(`${prefix}${key}`, prefix)) return `${prefix}${key}`;
  if (parseBackupKey(key, prefix)) return key;
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  if (folder !== prefix && parseBackupKey(key, folder)) {
    throw new ConfigurationError(`${INPUT} '${text}' is not under prefix '${prefix}'; set prefix to '${folder}'`);
  }
  throw new ConfigurationError(
    `${INPUT} '${text}' is not understood: use latest, random, ${ISO_TIME_FORM}, or a backup key such as ${prefix}backup_20260301_020000.dump`,
  );
}

export function parseBackupSelector(input: string, bucket: string, prefix: string): BackupSelector {
  const text = input.trim();
  if (text === '' || text.toLowerCase() === 'latest') return { kind: 'latest' };
  if (text.toLowerCase() === 'random') return { kind: 'random' };
  if (startsWithDate(text)) return { kind: 'point-in-time', at: parseIsoTime(text, INPUT) };
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
