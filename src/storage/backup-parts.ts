import { join } from 'node:path';
import { mapWithLimit } from '../util/concurrency.js';
import type { Logger } from '../util/logger.js';
import type { PartsOnDisk } from '../postgres/restore-sections.js';
import type { BackupStore, ManifestRead } from './backup-store.js';
import { ChecksumMismatchError, downloadToFile, type Downloaded } from './backup-download.js';
import type { ReadObject } from './streamed-restore-source.js';
import type { BackupManifest, BackupPart } from './manifest.js';

/**
 * A parallel backup (manifest version 3 with `parts`): the object at the key holds the schema (the
 * pre-data and post-data sections) and each part beside it the data of its share of the tables.
 * The parts are published, copied, checked and deleted with the backup, never apart from it.
 */

/** The parts a manifest records, for deleting them with their backup. */
export function partKeysOf(read: ManifestRead | undefined): string[] {
  return read && 'manifest' in read ? (read.manifest.parts ?? []).map((part) => part.key) : [];
}

/** The bytes a backup downloads: its object and its parts. */
export function downloadBytesOf(manifest: BackupManifest | undefined, objectBytes: number): number {
  return objectBytes + (manifest?.parts ?? []).reduce((sum, part) => sum + part.sizeBytes, 0);
}

/** A part read to its end: its manifest entry, and the size and SHA-256 of the bytes that arrived. */
export interface ReadPart extends ReadObject {
  part: BackupPart;
}

export interface DownloadedPart extends Downloaded, ReadPart {}

/** Downloads every part beside the backup's own file, `jobs` at a time, each through its SHA-256. */
export async function downloadParts(
  store: BackupStore,
  parts: readonly BackupPart[],
  dir: string,
  options: { log: Logger; signal?: AbortSignal; now: () => Date; jobs: number },
): Promise<DownloadedPart[]> {
  return mapWithLimit(parts, options.jobs, async (part, index) => {
    const path = join(dir, `part-${index + 1}.dump`);
    const downloaded = await downloadToFile(store, part.key, path, { ...options, storageChecksum: false });
    return { ...downloaded, part };
  });
}

/** Each part against its manifest entry; the first that differs fails the restore, named. */
export function compareParts(read: readonly ReadPart[], bucket: string): void {
  for (const { part, bytes, sha256 } of read) {
    const where = `part s3://${bucket}/${part.key}`;
    if (bytes !== part.sizeBytes)
      throw new ChecksumMismatchError(
        `${where} is ${bytes} bytes, but the manifest says ${part.sizeBytes} bytes: the part is not the one that was made`,
      );
    if (sha256 !== part.sha256)
      throw new ChecksumMismatchError(
        `${where} has SHA-256 ${sha256}, but the manifest says ${part.sha256}: the part is corrupt`,
      );
  }
}

/** The files pg_restore reads for a parallel backup, each part named by its key. */
export function partsOnDisk(schema: string, parts: readonly DownloadedPart[]): PartsOnDisk {
  return { schema, parts: parts.map(({ path, part }) => ({ file: path, label: `part ${part.key}` })) };
}
