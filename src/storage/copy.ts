import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { errorMessage } from '../errors.js';
import { mapWithLimit } from '../util/concurrency.js';
import type { BackupStore, Encryption } from './backup-store.js';
import {
  checkKeyIsFree,
  createOnce,
  manifestBody,
  putSmallObject,
  WRITE_ID,
  WriteOwnerUnknownError,
  type WrittenObject,
} from './backup-writes.js';
import { GLOBALS_CONTENT_TYPE } from './globals-object.js';
import { readGlobals } from './globals-read.js';
import { manifestKeyFor } from './keys.js';
import type { BackupManifest } from './manifest.js';
import { lockParameters, type ObjectLock } from './object-lock.js';
import { MAX_PARTS } from './s3-limits.js';

/** Where a backup's copy goes: a bucket in another region, with its own encryption key and lock. */
export interface CopyTarget {
  store: BackupStore;
  encryption: Encryption;
  lock?: ObjectLock;
}

export interface CopiedBackup {
  key: string;
  manifestKey: string;
}

/** Server-side copy: parts of up to 5 GiB, at most 10,000; fewer, larger requests than the upload's. */
const MIN_COPY_PART = 256 * 1024 * 1024;
const MAX_COPY_PART = 5 * 1024 * 1024 * 1024;
const COPY_CONCURRENCY = 4;

export function copyPartSize(sizeBytes: number): number {
  return Math.min(MAX_COPY_PART, Math.max(MIN_COPY_PART, Math.ceil(sizeBytes / MAX_PARTS)));
}

/**
 * Copies a complete backup to another bucket (in another region) by the same completeness rule as
 * the backup itself: the object first (then a parallel backup's parts), server side (S3 reads it
 * from the source region, nothing passes through the runner), then the copy is checked (its size
 * and S3's full-object checksum against the manifest), then the globals the manifest records (read
 * and checked against it), and the manifest is written last. Every write is conditional
 * (If-None-Match: *), so a copy never replaces anything, and goes through createOnce, so a write S3
 * stored but whose answer was lost is known as the copy's own when the SDK's retry is refused.
 * When the object was copied but could not be checked or published, it is left without a
 * manifest: incomplete, never restored as verified, and removed by the copy bucket's retention
 * after a day.
 */
export async function copyBackup(
  source: BackupStore,
  manifest: BackupManifest,
  target: CopyTarget,
): Promise<CopiedBackup> {
  const where = `s3://${target.store.bucket}/${manifest.key}`;
  await checkKeyIsFree(target.store, manifest.key);
  await copyObject(source, manifest, target);
  const copied = [manifest.key];
  try {
    await checkCopy(target.store, manifest);
    // A parallel backup's parts, one after another: each copy already runs its ranges in parallel.
    for (const part of manifest.parts ?? []) {
      await copyObject(source, part, target);
      copied.push(part.key);
      await checkCopy(target.store, part);
    }
    const { encryption, lock } = target;
    const globals = manifest.globals;
    if (globals?.status === 'stored') {
      // A few kilobytes: read (and checked against the manifest) here, written like the primary's.
      const body = await readGlobals(source, globals);
      copied.push(globals.key);
      await putSmallObject(target.store, {
        key: globals.key,
        body,
        contentType: GLOBALS_CONTENT_TYPE,
        encryption,
        lock,
      });
    }
    const manifestKey = manifestKeyFor(manifest.key);
    await putSmallObject(target.store, {
      key: manifestKey,
      body: manifestBody({ ...manifest, bucket: target.store.bucket }),
      contentType: 'application/json',
      encryption,
      lock,
    });
    return { key: manifest.key, manifestKey };
  } catch (error) {
    // Only an unlocked copy can go; a locked one stays, incomplete, until its lock ends.
    if (!target.lock)
      for (const Key of copied)
        await target.store.client
          .send(new DeleteObjectCommand({ Bucket: target.store.bucket, Key }))
          .catch(() => undefined);
    throw new Error(
      `the object was copied to ${where} but its copy is incomplete (no manifest): ${errorMessage(error)}`,
    );
  }
}

/** What a copy is checked by: the manifest's record of its object, or of one of its parts. */
type RecordedObject = Pick<BackupManifest, 'key' | 'sizeBytes' | 'storageChecksum'>;

/**
 * Copies one object server side, created only where nothing is stored yet, with a write id of the
 * copy's own in place of the primary's (createOnce): the primary's id is its upload's, carried by
 * every copy of the backup and by any replica of it, so it cannot tell this copy's write from any
 * other's. With its own id, a completion whose answer was lost, and which is refused when the SDK
 * sends it again, is known as this copy's by the object S3 stored.
 */
async function copyObject(source: BackupStore, manifest: RecordedObject, target: CopyTarget): Promise<WrittenObject> {
  const { bucket } = target.store;
  const Key = manifest.key;
  const head = await source.client.send(new HeadObjectCommand({ Bucket: source.bucket, Key }));
  if (head.ContentLength !== manifest.sizeBytes)
    throw new Error(
      `s3://${source.bucket}/${Key} holds ${head.ContentLength} bytes, its manifest says ${manifest.sizeBytes}`,
    );
  const copy = (writeId: string) =>
    multipartCopy(source, manifest, target, { ...head, Metadata: { ...head.Metadata, [WRITE_ID]: writeId } });
  return createOnce(target.store, Key, copy).catch((error: unknown) => {
    const what = `copying s3://${source.bucket}/${Key} to s3://${bucket}/${Key} failed`;
    // When the object at the key could not be read, it may be this copy's: then something was stored.
    throw new Error(
      `${what}${error instanceof WriteOwnerUnknownError ? '' : ', nothing was stored'}: ${errorMessage(error)}`,
    );
  });
}

/**
 * The multipart copy of `manifest`'s object, in ranges, completed only where nothing is stored yet;
 * it returns the copy's ETag. On failure the upload is aborted and S3's error is passed on as it came.
 */
async function multipartCopy(
  source: BackupStore,
  manifest: RecordedObject,
  target: CopyTarget,
  head: Pick<HeadObjectCommandOutput, 'ContentType' | 'Metadata' | 'StorageClass'>,
): Promise<string | undefined> {
  const { client, bucket: Bucket } = target.store;
  const Key = manifest.key;
  const created = await client.send(
    new CreateMultipartUploadCommand({
      Bucket,
      Key,
      ContentType: head.ContentType,
      Metadata: head.Metadata,
      StorageClass: head.StorageClass,
      ServerSideEncryption: target.encryption.serverSideEncryption,
      SSEKMSKeyId: target.encryption.kmsKeyId,
      ChecksumAlgorithm: 'CRC32',
      ChecksumType: 'FULL_OBJECT',
      ...lockParameters(target.lock),
    }),
  );
  const UploadId = created.UploadId;
  if (!UploadId) throw new Error(`S3 returned no upload id for ${Key}`);
  try {
    const parts = await copyRanges(source, manifest.key, manifest.sizeBytes, { client, Bucket, UploadId });
    const checksum = manifest.storageChecksum;
    const completed = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        IfNoneMatch: '*',
        ChecksumType: 'FULL_OBJECT',
        // S3 checks the assembled copy against the checksum the primary was stored with.
        ...(checksum?.algorithm === 'CRC32' && checksum.type === 'FULL_OBJECT'
          ? { ChecksumCRC32: checksum.value }
          : {}),
        MultipartUpload: { Parts: parts },
      }),
    );
    return completed.ETag;
  } catch (error) {
    await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
    throw error;
  }
}

/** Copies the object at `Key` into the upload as parts of copyPartSize, COPY_CONCURRENCY at once. */
async function copyRanges(
  source: BackupStore,
  Key: string,
  size: number,
  upload: { client: S3Client; Bucket: string; UploadId: string },
): Promise<CompletedPart[]> {
  const { client, Bucket, UploadId } = upload;
  const partSize = copyPartSize(size);
  const ranges =
    size <= partSize
      ? [undefined]
      : Array.from(
          { length: Math.ceil(size / partSize) },
          (_, i) => `bytes=${i * partSize}-${Math.min(size, (i + 1) * partSize) - 1}`,
        );
  return mapWithLimit(ranges, COPY_CONCURRENCY, async (range, index): Promise<CompletedPart> => {
    const PartNumber = index + 1;
    const copied = await client.send(
      new UploadPartCopyCommand({
        Bucket,
        Key,
        UploadId,
        PartNumber,
        CopySource: `${source.bucket}/${encodeURIComponent(Key)}`,
        CopySourceRange: range,
      }),
    );
    const result = copied.CopyPartResult;
    if (!result?.ETag) throw new Error(`S3 returned no ETag for part ${PartNumber} of the copy of ${Key}`);
    return { PartNumber, ETag: result.ETag, ChecksumCRC32: result.ChecksumCRC32 };
  });
}

/** The copy must hold the manifest's bytes: its size, and S3's full-object checksum where the primary has one. */
async function checkCopy(store: BackupStore, manifest: RecordedObject): Promise<void> {
  const copy = await store.metadata(manifest.key);
  if (!copy || copy.sizeBytes !== manifest.sizeBytes)
    throw new Error(`the copy holds ${copy ? copy.sizeBytes : 'no'} bytes, the manifest says ${manifest.sizeBytes}`);
  const expected = manifest.storageChecksum;
  const actual = copy.storageChecksum;
  if (expected && (actual?.algorithm !== expected.algorithm || actual.value !== expected.value)) {
    throw new Error(
      `the copy's ${expected.algorithm} checksum is ${actual ? actual.value : 'missing'}, the manifest says ${expected.value}`,
    );
  }
}
