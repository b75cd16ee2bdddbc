import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { httpStatusOf } from '../aws/errors.js';
import type { Encryption } from './backup-store.js';
import { lockParameters, type ObjectLock } from './object-lock.js';

/** S3 accepts at most 10,000 parts; stay below so a database that grew a little still fits. */
const PLANNED_PARTS = 9_000;
const MAX_PARTS = 10_000;
const MIN_PART_SIZE = 16 * 1024 * 1024;
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
/** Bytes of parts on their way to S3 at once; with 16 MiB parts, two uploads keep well ahead of pg_dump. */
const IN_FLIGHT_BUDGET = 32 * 1024 * 1024;

/**
 * The part size for a stream of unknown length that is expected to stay under `expectedMaxBytes`:
 * 16 MiB, raised (in whole MiB) so that 9,000 parts hold it. At S3's 5 MiB minimum an
 * unknown-length stream would stop near 49 GiB.
 */
export function partSizeFor(expectedMaxBytes: number): number {
  const needed = Math.ceil(expectedMaxBytes / PLANNED_PARTS / (1024 * 1024)) * 1024 * 1024;
  return Math.min(MAX_PART_SIZE, Math.max(MIN_PART_SIZE, needed));
}

/** Fewer parts in flight as parts grow, so memory stays bounded for any database size. */
export function queueSizeFor(partSize: number): number {
  return Math.max(1, Math.floor(IN_FLIGHT_BUDGET / partSize));
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
  /** Object Lock retention the object is created with (a locked bucket also demands the part checksums sent here). */
  lock?: ObjectLock;
}

export interface StreamUploadResult {
  partSize: number;
  queueSize: number;
  parts: number;
  /** S3's ETag of the object this upload created: what tells it apart from another writer's. */
  etag?: string;
}

/**
 * Uploads a stream to S3: as one PUT when it fits in one part, else as a multipart upload whose
 * parts are filled in a fixed set of reused buffers (queue size + 1), so memory is the same for
 * 30 MB and 300 GB. (lib-storage's Upload concatenates each part out of the stream's chunks and
 * keeps the pieces alive, which measured 60% more memory on a 420 MB dump than on a 27 MB one.)
 *
 * The object appears only when the stream ends without error: when `body` errors, or a part
 * fails after the SDK's retries, the multipart upload is aborted before this rejects.
 * It never replaces an object: the write that creates it is conditional (If-None-Match: *), so
 * when another writer's object appeared at the key first, S3 answers 412, the upload is aborted
 * and this rejects with S3's error (see isKeyTakenError).
 * Every part carries a CRC32 that S3 checks, and S3 keeps a full-object CRC32: computed natively,
 * unlike CRC64NVME, which the SDK computes in JavaScript at a pace that held pg_dump back.
 */
export async function uploadStream(options: StreamUploadOptions): Promise<StreamUploadResult> {
  const { client, bucket: Bucket, key: Key, partSize } = options;
  const queueSize = queueSizeFor(partSize);
  const objectParams = {
    Bucket,
    Key,
    ContentType: options.contentType,
    ServerSideEncryption: options.encryption.serverSideEncryption,
    SSEKMSKeyId: options.encryption.kmsKeyId,
    StorageClass: options.storageClass,
    Metadata: options.metadata,
    ChecksumAlgorithm: 'CRC32' as const,
    ...lockParameters(options.lock),
  };

  const free: Buffer[] = [];
  const inFlight = new Set<Promise<void>>();
  const completed: CompletedPart[] = [];
  let uploadId: Promise<string> | undefined;
  let failure: unknown;
  let filling: Buffer | undefined;
  let filled = 0;
  let partNumber = 0;

  const startMultipart = () =>
    (uploadId ??= client.send(new CreateMultipartUploadCommand({ ...objectParams, ChecksumType: 'FULL_OBJECT' })).then((created) => {
      if (!created.UploadId) throw new Error(`S3 returned no upload id for ${Key}`);
      return created.UploadId;
    }));

  const send = (buffer: Buffer, length: number) => {
    partNumber += 1;
    if (partNumber > MAX_PARTS) throw new Error(`the stream needs more than ${MAX_PARTS} parts of ${partSize} bytes`);
    const PartNumber = partNumber;
    const sending = (async () => {
      const UploadId = await startMultipart();
      const part = await client.send(
        new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: buffer.subarray(0, length), ChecksumAlgorithm: 'CRC32' }),
      );
      if (!part.ETag) throw new Error(`S3 returned no ETag for part ${PartNumber} of ${Key}`);
      completed.push({ PartNumber, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32 });
      free.push(buffer); // the request is over, retries included: the buffer may be filled again
    })().catch((error: unknown) => {
      failure ??= error;
    });
    inFlight.add(sending);
    void sending.then(() => inFlight.delete(sending));
  };

  try {
    for await (const chunk of options.body as AsyncIterable<Buffer>) {
      if (failure) throw failure;
      let offset = 0;
      while (offset < chunk.length) {
        filling ??= free.pop() ?? Buffer.allocUnsafeSlow(partSize);
        const copied = chunk.copy(filling, filled, offset);
        filled += copied;
        offset += copied;
        if (filled < partSize) continue;
        // Hold the stream (and so pg_dump) back while the queue is full.
        while (inFlight.size >= queueSize && !failure) await Promise.race(inFlight);
        if (failure) throw failure;
        send(filling, filled);
        filling = undefined;
        filled = 0;
      }
    }

    if (partNumber === 0) {
      const put = await client.send(new PutObjectCommand({ ...objectParams, IfNoneMatch: '*', Body: filling ? filling.subarray(0, filled) : Buffer.alloc(0) }));
      return { partSize, queueSize, parts: 1, etag: put.ETag };
    }
    if (filled > 0 && filling) send(filling, filled);
    await Promise.all(inFlight);
    if (failure) throw failure;
    completed.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const done = await client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: await startMultipart(), ChecksumType: 'FULL_OBJECT', IfNoneMatch: '*', MultipartUpload: { Parts: completed } }),
    );
    return { partSize, queueSize, parts: partNumber, etag: done.ETag };
  } catch (error) {
    await Promise.allSettled(inFlight);
    await abortQuietly(options, uploadId);
    throw error;
  }
}

/** Never masks the first error; a bucket lifecycle rule (AbortIncompleteMultipartUpload) is the backstop. */
async function abortQuietly(options: StreamUploadOptions, uploadId: Promise<string> | undefined): Promise<void> {
  if (!uploadId) return;
  try {
    const UploadId = await uploadId;
    await options.client.send(new AbortMultipartUploadCommand({ Bucket: options.bucket, Key: options.key, UploadId }));
  } catch {
    // the upload never started, or S3 is unreachable
  }
}

/**
 * S3 refused a conditional write because an object is already at the key (412), or because
 * another conditional write to the key was in progress (409 ConditionalRequestConflict).
 */
export function isKeyTakenError(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return httpStatusOf(error) === 412 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict';
}
