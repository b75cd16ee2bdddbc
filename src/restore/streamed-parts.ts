import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ClientBinary } from '../postgres/binaries.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import { labelled, restoreSchemaAndParts, type DataPartRestore } from '../postgres/restore-sections.js';
import { restoreCustomFromStream } from '../postgres/restore-stream.js';
import { compareWithManifest, downloadToFile } from '../storage/backup-download.js';
import { compareParts, type ReadPart } from '../storage/backup-parts.js';
import type { BackupStore } from '../storage/backup-store.js';
import type { BackupManifest, BackupPart } from '../storage/manifest.js';
import { readBackupObject, type ReadObject } from '../storage/streamed-restore-source.js';
import type { Logger } from '../util/logger.js';

export interface StreamedPartsRestore {
  store: BackupStore;
  key: string;
  /** The schema object's size as S3 lists it. */
  listedBytes: number;
  /** A parallel backup's manifest: it lists the parts. */
  manifest: BackupManifest;
  client: ClientBinary;
  target: DatabaseTarget;
  withOwners: boolean;
  jobs: number;
  /** Where the schema is kept while the restore runs. */
  tempDir: string;
  log: Logger;
  now: () => Date;
  signal?: AbortSignal;
}

/** The schema as it was downloaded, and each part as it streamed into its restore. */
export interface StreamedParts extends ReadObject {
  parts: ReadPart[];
}

/** A logger whose progress lines say which part they are about. */
function partLogger(log: Logger, part: BackupPart): Logger {
  return {
    info: (message) => log.info(`part ${part.key}: ${message}`),
    warning: (message) => log.warning(message),
    debug: (message) => log.debug(message),
  };
}

/**
 * One data part: one GET whose bytes go through SHA-256 into a pg_restore of its own reading
 * stdin, with backpressure (nothing of the part is held beyond the stream's buffers). Its size and
 * SHA-256 are compared with the manifest when its last byte has arrived; a part that differs fails,
 * named, which stops the other parts.
 */
async function streamPart(restore: StreamedPartsRestore, part: BackupPart, signal: AbortSignal): Promise<ReadPart> {
  const consume = (bytes: AsyncIterable<Buffer>) =>
    restoreCustomFromStream(restore.client, restore.target, bytes, { signal, withOwners: restore.withOwners });
  const read = await readBackupObject(restore.store, part.key, consume, {
    log: partLogger(restore.log, part),
    now: restore.now,
    signal,
    storageChecksum: false,
  }).catch((error: unknown) => {
    throw labelled(`part ${part.key}`, error);
  });
  const streamed = { ...read, part };
  compareParts([streamed], restore.store.bucket);
  return streamed;
}

/**
 * download: stream of a parallel backup. The schema object (pre-data and post-data: definitions
 * only, small beside the data) is downloaded to a file and checked against the manifest before
 * anything is restored: pg_restore builds indexes and constraints with --jobs only from a file it
 * can seek in. Its size as listed is compared first, so the file never exceeds what the disk
 * preflight counted. The data parts never touch the disk: `jobs` of them stream at once, each
 * into its own pg_restore, and each is checked at its end. The first part that fails or differs
 * stops the others, and this returns only once every pg_restore it started has exited.
 */
export async function restoreStreamedParts(restore: StreamedPartsRestore): Promise<StreamedParts> {
  const { store, key, manifest, signal } = restore;
  const where = `s3://${store.bucket}/${key}`;
  // Only the size can be known before the download; the SHA-256 follows it.
  compareWithManifest({ bytes: restore.listedBytes, sha256: manifest.sha256 }, manifest, where);
  const dir = await mkdtemp(join(restore.tempDir, 'dr-actions-restore-'));
  try {
    const options = { log: restore.log, now: restore.now, signal, storageChecksum: false };
    const { path, ...schema } = await downloadToFile(store, key, join(dir, basename(key)), options);
    compareWithManifest(schema, manifest, where);
    const streamed: ReadPart[] = [];
    const parts: DataPartRestore[] = (manifest.parts ?? []).map((part, index) => ({
      restore: async (partSignal) => {
        streamed[index] = await streamPart(restore, part, partSignal);
      },
    }));
    await restoreSchemaAndParts(restore.client, restore.target, path, parts, {
      jobs: restore.jobs,
      signal,
      withOwners: restore.withOwners,
    });
    return { ...schema, parts: streamed };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
