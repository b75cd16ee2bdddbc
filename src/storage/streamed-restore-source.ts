import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { BackupStore } from './backup-store.js';
import { Sha256Stream } from './sha256-stream.js';
import { BufferReclaimer } from '../util/buffer-reclaimer.js';
import { formatBytes, secondsBetween } from '../util/format.js';
import { PROGRESS_EVERY_MS, type Logger } from '../util/logger.js';

/** An object read to its end: how many bytes, their SHA-256, how long it took. */
export interface ReadObject {
  bytes: number;
  sha256: string;
  seconds: number;
  /** The SDK also checked S3's own checksum of the object. */
  storageChecksumChecked: boolean;
}

export interface ObjectReadOptions {
  log: Logger;
  signal?: AbortSignal;
  now: () => Date;
  /** Ask the SDK to check S3's own checksum as well (see downloadToFile for when it is worth its cost). */
  storageChecksum: boolean;
}

/** Where the object's bytes go: it must read them to the end, or throw (which stops the download). */
export type ObjectConsumer = (bytes: AsyncIterable<Buffer>) => Promise<void>;

const CHECKSUM_FIELDS = [
  'ChecksumCRC32',
  'ChecksumCRC32C',
  'ChecksumCRC64NVME',
  'ChecksumSHA1',
  'ChecksumSHA256',
] as const;

/**
 * One GET of a backup object, its bytes handed to `consume` as they arrive and hashed on the
 * way; memory stays flat whatever the object's size. The digest exists only when every byte
 * arrived: an object that stops part way (S3 silent past the idle limit, a cancelled job) rejects,
 * and so does a consumer that fails, which ends the download.
 */
export async function readBackupObject(
  store: BackupStore,
  key: string,
  consume: ObjectConsumer,
  options: ObjectReadOptions,
): Promise<ReadObject> {
  const started = options.now();
  const response = await store.client.send(
    new GetObjectCommand({
      Bucket: store.bucket,
      Key: key,
      ...(options.storageChecksum ? { ChecksumMode: 'ENABLED' } : {}),
    }),
    { abortSignal: options.signal },
  );
  if (!response.Body) throw new Error(`S3 returned no body for s3://${store.bucket}/${key}`);
  const hasher = new Sha256Stream();
  const progress = setInterval(() => {
    const seconds = Math.max(secondsBetween(started, options.now()), 1);
    options.log.info(`${formatBytes(hasher.bytes)} downloaded (${formatBytes(hasher.bytes / seconds)}/s)`);
  }, PROGRESS_EVERY_MS);
  try {
    await pipeline(response.Body as Readable, hasher, new BufferReclaimer(), consume, { signal: options.signal });
  } finally {
    clearInterval(progress);
  }
  // The SDK validates a full-object checksum; one of parts ("...-N") it cannot, and skips.
  const fullObject = CHECKSUM_FIELDS.some((field) => /^[A-Za-z0-9+/=]+$/.test(response[field] ?? ''));
  return {
    bytes: hasher.bytes,
    sha256: hasher.sha256,
    seconds: secondsBetween(started, options.now()),
    storageChecksumChecked: options.storageChecksum && fullObject,
  };
}
