import { sha256Of } from './globals-read.js';
import type { GlobalsRecord, StoredGlobals } from './globals-record.js';

/**
 * The server's globals (roles without passwords, memberships, role settings) and the database's
 * own settings, as SQL, stored beside the backup as `<backup key>.globals.sql` before its
 * manifest, which records its SHA-256.
 */
export const GLOBALS_SUFFIX = '.globals.sql';

export function globalsKeyFor(backupKey: string): string {
  return `${backupKey}${GLOBALS_SUFFIX}`;
}

export const GLOBALS_CONTENT_TYPE = 'application/sql';

/** What the manifest records of globals stored beside the backup at `backupKey` (publishBackup writes them). */
export function storedGlobalsRecord(backupKey: string, sql: string, pgDumpallVersion: string): StoredGlobals {
  const body = Buffer.from(sql, 'utf8');
  return {
    status: 'stored',
    key: globalsKeyFor(backupKey),
    sha256: sha256Of(body),
    sizeBytes: body.length,
    pgDumpallVersion,
  };
}

/** The globals object a manifest records, for deleting it with its backup (after the manifest, so a backup never looks complete without them). */
export function globalsKeysOf(
  read: { manifest: { globals?: GlobalsRecord } } | { error: string } | undefined,
): string[] {
  return read && 'manifest' in read && read.manifest.globals?.status === 'stored' ? [read.manifest.globals.key] : [];
}
