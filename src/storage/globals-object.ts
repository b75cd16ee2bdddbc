import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CREATED_BY_METADATA, type BackupStore, type Encryption } from './backup-store.js';
import { deleteKeys } from './backup-writes.js';
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


/** Stores the globals next to the backup; like the manifest, in STANDARD, so a rebuild reads it at once. */
export async function putGlobals(store: BackupStore, backupKey: string, sql: string, encryption: Encryption, pgDumpallVersion: string): Promise<StoredGlobals> {
  const key = globalsKeyFor(backupKey);
  const body = Buffer.from(sql, 'utf8');
  await store.client.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: key,
      Body: body,
      ContentType: 'application/sql',
      ServerSideEncryption: encryption.serverSideEncryption,
      SSEKMSKeyId: encryption.kmsKeyId,
      Metadata: CREATED_BY_METADATA,
    }),
  );
  return { status: 'stored', key, sha256: sha256Of(body), sizeBytes: body.length, pgDumpallVersion };
}

/** Removes the globals of a backup that could not be published, so nothing is left beside no manifest. */
export async function removeGlobals(store: BackupStore, record: GlobalsRecord | undefined): Promise<void> {
  if (record?.status === 'stored') await deleteKeys(store, [record.key]).catch(() => undefined);
}

/** The globals object a manifest records, for deleting it with its backup (after the manifest, so a backup never looks complete without them). */
export function globalsKeysOf(read: { manifest: { globals?: GlobalsRecord } } | { error: string } | undefined): string[] {
  return read && 'manifest' in read && read.manifest.globals?.status === 'stored' ? [read.manifest.globals.key] : [];
}
