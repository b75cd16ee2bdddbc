import type { ClientBinary } from '../postgres/binaries.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import { restorePlain } from '../postgres/restore-process.js';
import { restoreCustomFromStream } from '../postgres/restore-stream.js';
import type { BackupStore } from '../storage/backup-store.js';
import type { BackupFormat } from '../storage/keys.js';
import { readBackupObject, type ReadObject } from '../storage/streamed-restore-source.js';
import type { Logger } from '../util/logger.js';

/** Why the download step does not run on its own with download: stream. */
export const STREAMED = 'download: stream: the restore reads the backup as it arrives, with no local copy of its data';

export interface StreamedRestore {
  store: BackupStore;
  key: string;
  format: BackupFormat;
  /** A backup without a manifest has only S3's own checksum to prove the transfer. */
  hasManifest: boolean;
  client: ClientBinary;
  target: DatabaseTarget;
  withOwners: boolean;
  log: Logger;
  now: () => Date;
  signal?: AbortSignal;
}

/**
 * download: stream. One GET whose bytes go to pg_restore's (or, through gunzip, psql's) stdin as
 * they arrive, hashed on the way: no archive on this machine's disk. What was restored is not yet
 * proved: the caller compares the returned size and SHA-256 with the manifest, and drops the
 * database when they differ.
 */
export async function restoreStreamed(restore: StreamedRestore): Promise<ReadObject> {
  const { client, target, signal } = restore;
  const consume = (bytes: AsyncIterable<Buffer>) =>
    restore.format === 'custom'
      ? restoreCustomFromStream(client, target, bytes, { signal, withOwners: restore.withOwners })
      : restorePlain(client, target, bytes, signal);
  return readBackupObject(restore.store, restore.key, consume, {
    log: restore.log,
    signal,
    now: restore.now,
    storageChecksum: !restore.hasManifest,
  });
}
