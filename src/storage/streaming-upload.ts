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
import type { ByteSource } from '../util/byte-source.js';
import type { Encryption } from './backup-store.js';
import { lockParameters, type ObjectLock } from './object-lock.js';
import { MAX_PARTS } from './s3-limits.js';

/** S3 accepts at most 10,000 parts; stay below so a database that grew a little still fits. */
const PLANNED_PARTS = 9_000;
/**
 * The AWS CLI's part size. The part buffers are most of the backup's memory (queue size + 1 of
 * them, each touched in full): at 16 MiB parts and two in flight, a 420 MiB dump peaked at 154 MiB
 * against 127 MiB for a 23 MiB dump, which fills fewer of them.
 */
export const MIN_PART_SIZE = 8 * 1024 * 1024;
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
/** Bytes of parts on their way to S3 at once; with 8 MiB parts, two uploads keep well ahead of pg_dump. */
const IN_FLIGHT_BUDGET = 16 * 1024 * 1024;

/**
 * The part size for a stream of unknown length that is expected to stay under `expectedMaxBytes`:
 * 8 MiB, raised (in whole MiB) so that 9,000 parts hold it (from about 70 GiB). At S3's 5 MiB
 * minimum an unknown-length stream would stop near 49 GiB.
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
  body: ByteSource;
  partSize: number;
  contentType: string;
  encryption: Encryption;
  storageClass: StorageClass;
  metadata: Record<string, string>;
  /** Object Lock retention the object is created with (a locked bucket also demands the part checksums sent here). */
  lock?: ObjectLock;
  /**
   * A cancelled job: stops the stream and the parts on their way, and the upload is aborted as on
   * any failure. The request that creates the object (the single PUT, or the completion of the
   * multipart upload) is never sent once the signal fired, and never stopped once sent: stopped in
   * flight, S3 may still store the object without this upload learning its ETag, so nothing could
   * tell it apart to remove it. It finishes, and the caller removes the object it got back.
   */
  signal?: AbortSignal;
}

export interface StreamUploadResult {
  partSize: number;
  queueSize: number;
  parts: number;
  /** S3's ETag of the object this upload created: what tells it apart from another writer's. */
  etag?: string;
}

/**
 * Uploads a source to S3: as one PUT when it fits in one part, else as a multipart upload whose
 * parts are read straight into a fixed set of reused buffers (queue size + 1), so memory is the
 * same for 30 MB and 300 GB. (lib-storage's Upload concatenates each part out of a stream's chunks
 * and keeps the pieces alive, which measured 60% more memory on a 420 MB dump than on a 27 MB one.)
 *
 * The object appears only when the source ends without error: when a read fails, or a part
 * fails after the SDK's retries, the multipart upload is aborted before this rejects.
 * It never replaces an object: the write that creates it is conditional (If-None-Match: *), so
 * when another writer's object appeared at the key first, S3 answers 412, the upload is aborted
 * and this rejects with S3's error (see isKeyTakenError).
 * Every part carries a CRC32 that S3 checks, and S3 keeps a full-object CRC32: computed natively,
 * unlike CRC64NVME, which the SDK computes in JavaScript at a pace that held pg_dump back.
 */
export async function uploadStream(options: StreamUploadOptions): Promise<StreamUploadResult> {
  const { client, partSize } = options;
  const queueSize = queueSizeFor(partSize);
  const objectParams = objectParamsFor(options);
  const parts = new MultipartUpload(client, objectParams, partSize, options.signal);
  let filling = parts.freeBuffer();
  let filled = 0;
  try {
    for (;;) {
      const read = await options.body.read(filling.subarray(filled));
      parts.throwIfFailed();
      if (read === 0) break;
      filled += read;
      if (filled < partSize) continue;
      await parts.waitForRoom(queueSize);
      parts.send(filling, filled);
      filling = parts.freeBuffer();
      filled = 0;
    }

    if (parts.count === 0) {
      options.signal?.throwIfAborted();
      const put = await client.send(
        new PutObjectCommand({ ...objectParams, IfNoneMatch: '*', Body: filling.subarray(0, filled) }),
      );
      return { partSize, queueSize, parts: 1, etag: put.ETag };
    }
    if (filled > 0) parts.send(filling, filled);
    const etag = await parts.complete();
    return { partSize, queueSize, parts: parts.count, etag };
  } catch (error) {
    await parts.abort();
    throw error;
  }
}

type ObjectParams = ReturnType<typeof objectParamsFor>;

/** What the object is created with, by a single PUT or a multipart upload alike. */
function objectParamsFor(options: StreamUploadOptions) {
  return {
    Bucket: options.bucket,
    Key: options.key,
    ContentType: options.contentType,
    ServerSideEncryption: options.encryption.serverSideEncryption,
    SSEKMSKeyId: options.encryption.kmsKeyId,
    StorageClass: options.storageClass,
    Metadata: options.metadata,
    ChecksumAlgorithm: 'CRC32' as const,
    ...lockParameters(options.lock),
  };
}

/**
 * The parts of one multipart upload, started with the first part. Each part is sent from a buffer
 * that returns to the free list once its request is over, so the buffers are reused. A part's
 * failure is kept and thrown at the next step of the stream, never as an unhandled rejection.
 */
class MultipartUpload {
  /** Parts sent so far. */
  count = 0;
  private readonly free: Buffer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly completed: CompletedPart[] = [];
  private uploadId: Promise<string> | undefined;
  private failure: unknown;

  constructor(
    private readonly client: S3Client,
    private readonly objectParams: ObjectParams,
    private readonly partSize: number,
    private readonly signal?: AbortSignal,
  ) {}

  /** A buffer for the next part: one a sent part gave back, else a new one. */
  freeBuffer(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.partSize);
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Holds the stream (and so pg_dump) back while the queue is full. */
  async waitForRoom(queueSize: number): Promise<void> {
    while (this.inFlight.size >= queueSize && !this.failure) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  /** Sends the first `length` bytes of `buffer` as the next part, without waiting for it. */
  send(buffer: Buffer, length: number): void {
    this.count += 1;
    if (this.count > MAX_PARTS)
      throw new Error(`the stream needs more than ${MAX_PARTS} parts of ${this.partSize} bytes`);
    const PartNumber = this.count;
    const { Bucket, Key } = this.objectParams;
    const sending = (async () => {
      const UploadId = await this.start();
      const part = await this.client.send(
        new UploadPartCommand({
          Bucket,
          Key,
          UploadId,
          PartNumber,
          Body: buffer.subarray(0, length),
          ChecksumAlgorithm: 'CRC32',
        }),
        { abortSignal: this.signal },
      );
      if (!part.ETag) throw new Error(`S3 returned no ETag for part ${PartNumber} of ${Key}`);
      this.completed.push({ PartNumber, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32 });
      this.free.push(buffer); // the request is over, retries included: the buffer may be filled again
    })().catch((error: unknown) => {
      this.failure ??= error;
    });
    this.inFlight.add(sending);
    void sending.then(() => this.inFlight.delete(sending));
  }

  /** Waits for every part, then completes the upload (unless the job was cancelled by then); returns the object's ETag. */
  async complete(): Promise<string | undefined> {
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    this.signal?.throwIfAborted();
    this.completed.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const { Bucket, Key } = this.objectParams;
    const done = await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId: await this.start(),
        ChecksumType: 'FULL_OBJECT',
        IfNoneMatch: '*',
        MultipartUpload: { Parts: this.completed },
      }),
    );
    return done.ETag;
  }

  /**
   * Lets the parts on their way settle, then aborts the upload if it was started. Never masks the
   * first error; a bucket lifecycle rule (AbortIncompleteMultipartUpload) is the backstop.
   */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    if (!this.uploadId) return;
    try {
      const UploadId = await this.uploadId;
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.objectParams.Bucket, Key: this.objectParams.Key, UploadId }),
      );
    } catch {
      // the upload never started, or S3 is unreachable
    }
  }

  private start(): Promise<string> {
    this.uploadId ??= this.client
      .send(new CreateMultipartUploadCommand({ ...this.objectParams, ChecksumType: 'FULL_OBJECT' }), {
        abortSignal: this.signal,
      })
      .then((created) => {
        if (!created.UploadId) throw new Error(`S3 returned no upload id for ${this.objectParams.Key}`);
        return created.UploadId;
      });
    return this.uploadId;
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
