import { createWriteStream } from 'node:fs';
import { rm, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BackupStore } from './backup-store.js';
import type { BackupManifest } from './manifest.js';
import { readBackupObject, type ObjectReadOptions, type ReadObject } from './streamed-restore-source.js';
import { formatBytes } from '../util/format.js';

export interface Downloaded extends ReadObject {
  path: string;
}

/** The object differs from what its manifest recorded: it must not be restored. */
export class ChecksumMismatchError extends Error {
  override name = 'ChecksumMismatchError';
}

/** Room left for the rest of the job after the download. */
const DISK_MARGIN_BYTES = 256 * 1024 * 1024;

/** Refuses a download that cannot fit, before a single byte is fetched. */
export async function checkFreeSpace(path: string, bytes: number): Promise<void> {
  const stats = await statfs(dirname(path));
  const free = stats.bavail * stats.bsize;
  if (free < bytes + DISK_MARGIN_BYTES) {
    throw new Error(
      `${dirname(path)} has ${formatBytes(free)} free; the backup needs ${formatBytes(bytes)} plus ${formatBytes(DISK_MARGIN_BYTES)} to spare. Free some space or point RUNNER_TEMP at a larger disk`,
    );
  }
}

/**
 * Streams an object into a new file, hashing it on the way (parallel pg_restore needs a
 * seekable file, and the hash must be known before anything is restored). Memory stays flat
 * whatever the object's size.
 *
 * `storageChecksum` asks the SDK to check S3's own checksum of the object as well. A backup with
 * a manifest does not need it: its SHA-256 covers every byte, and the SDK's CRC64NVME in
 * JavaScript runs at about 130 MiB/s here, slower than a download from S3, so it would cap
 * the download. A backup without a manifest has nothing else that proves the transfer.
 */
export async function downloadToFile(
  store: BackupStore,
  key: string,
  path: string,
  options: ObjectReadOptions,
): Promise<Downloaded> {
  let created = false;
  const toFile = async (bytes: AsyncIterable<Buffer>) => {
    const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    file.once('open', () => (created = true));
    await pipeline(bytes, file);
  };
  try {
    return { path, ...(await readBackupObject(store, key, toFile, options)) };
  } catch (error) {
    // Part of the object must never pass for all of it (S3 that stopped sending, a cancelled job);
    // a file that was there before ('wx' refused it) is not this download's to remove.
    if (created) await rm(path, { force: true });
    throw error;
  }
}

/** Size first (a truncated object says most), then the SHA-256; both values in the message. */
export function compareWithManifest(
  downloaded: Pick<ReadObject, 'bytes' | 'sha256'>,
  manifest: BackupManifest,
  where: string,
): void {
  if (downloaded.bytes !== manifest.sizeBytes) {
    throw new ChecksumMismatchError(
      `${where} is ${downloaded.bytes} bytes, but its manifest says ${manifest.sizeBytes} bytes: the object is not the backup that was made`,
    );
  }
  if (downloaded.sha256 !== manifest.sha256) {
    throw new ChecksumMismatchError(
      `${where} has SHA-256 ${downloaded.sha256}, but its manifest says ${manifest.sha256}: the object is corrupt`,
    );
  }
}
