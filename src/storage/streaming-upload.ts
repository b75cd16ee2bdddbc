import type { Readable } from 'node:stream';
import { AbortMultipartUploadCommand, type S3Client, type StorageClass } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Encryption } from './backup-store.js';

/** S3 accepts at most 10,000 parts; stay below so a database that grew a little still fits. */
const PLANNED_PARTS = 9_000;
const MIN_PART_SIZE = 16 * 1024 * 1024;
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
/** Bytes that may wait in upload buffers at once: part size x queue size stays near this. */
const IN_FLIGHT_BUDGET = 64 * 1024 * 1024;
const MAX_QUEUE = 4;

/**
 * The part size for a stream of unknown length that is expected to stay under `expectedMaxBytes`:
 * 16 MiB, raised (in whole MiB) so that 9,000 parts hold it. At lib-storage's 5 MiB default an
 * unknown-length stream would stop near 49 GiB.
 */
export function partSizeFor(expectedMaxBytes: number): number {
  const needed = Math.ceil(expectedMaxBytes / PLANNED_PARTS / (1024 * 1024)) * 1024 * 1024;
  return Math.min(MAX_PART_SIZE, Math.max(MIN_PART_SIZE, needed));
}

/** Fewer parts in flight as parts grow, so memory stays bounded for any database size. */
export function queueSizeFor(partSize: number): number {
  return Math.max(1, Math.min(MAX_QUEUE, Math.floor(IN_FLIGHT_BUDGET / partSize)));
}

export interface StreamUploadOptions {
  client: S3Client;
  bucket: string;
  key: string;
  body: Readable;
  partSize: number;
  contentType: string;
  encryption: Encryption;
  storageClass: StorageClass;
  metadata: Record<string, string>;
}

export interface StreamUploadResult {
  partSize: number;
  queueSize: number;
  versionId?: string;
}

/**
 * Uploads a stream to S3, as one PUT when it fits in one part, else as a multipart upload.
 * The object appears only when the stream ends without error: when `body` errors, the upload
 * fails and lib-storage aborts the multipart upload before this rejects. S3 checks every part
 * against the checksum the SDK sends with it and keeps a full-object CRC32 of what it stored.
 */
export async function uploadStream(options: StreamUploadOptions): Promise<StreamUploadResult> {
  const queueSize = queueSizeFor(options.partSize);
  const upload = new Upload({
    client: options.client,
    partSize: options.partSize,
    queueSize,
    leavePartsOnError: false,
    params: {
      Bucket: options.bucket,
      Key: options.key,
      Body: options.body,
      ContentType: options.contentType,
      ServerSideEncryption: options.encryption.serverSideEncryption,
      SSEKMSKeyId: options.encryption.kmsKeyId,
      StorageClass: options.storageClass,
      Metadata: options.metadata,
      // A full-object CRC32 rather than S3's default CRC64NVME: the SDK computes the parts'
      // checksums on the main thread, natively for CRC32 (zlib) but in JavaScript for CRC64NVME,
      // which at about 200 MiB/s held pg_dump back by an eighth of its run. FULL_OBJECT makes S3
      // keep one CRC32 of the whole object, not a checksum of the parts' checksums.
      ChecksumAlgorithm: 'CRC32',
      ChecksumType: 'FULL_OBJECT',
    },
  });
  try {
    const result = await upload.done();
    return { partSize: options.partSize, queueSize, versionId: result.VersionId };
  } catch (error) {
    await abortQuietly(options, upload.uploadId);
    throw error;
  }
}

/** lib-storage aborts on a failed part or body; this covers a failure while completing. Never masks the first error. */
async function abortQuietly(options: StreamUploadOptions, uploadId: string | undefined): Promise<void> {
  if (!uploadId) return;
  try {
    await options.client.send(new AbortMultipartUploadCommand({ Bucket: options.bucket, Key: options.key, UploadId: uploadId }));
  } catch {
    // already aborted, or S3 unreachable: a bucket lifecycle rule (AbortIncompleteMultipartUpload) is the backstop
  }
}
