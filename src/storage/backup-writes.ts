import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { httpStatusOf } from '../aws/errors.js';
import type { ByteSource } from '../util/byte-source.js';
import { errorMessage } from '../errors.js';
import { CREATED_BY_METADATA, type BackupStore, type Encryption } from './backup-store.js';
import { backupKeyOfManifest, isManifestKey, manifestKeyFor, type BackupFormat } from './keys.js';
import { GLOBALS_CONTENT_TYPE } from './globals-object.js';
import type { BackupManifest } from './manifest.js';
import { lockParameters, type ObjectLock } from './object-lock.js';
import { isKeyTakenError, uploadStream } from './streaming-upload.js';
import { DELETE_BATCH } from './s3-limits.js';
import { checkStoredParts, type WrittenPart } from './part-writes.js';

/**
 * How a backup is written under a prefix: the key is checked free before anything is dumped, the
 * object streams up (its SHA-256 taken on the way, sha256-stream.ts), and the manifest is written
 * last, once S3 holds exactly the bytes that were hashed: the moment the backup becomes complete.
 *
 * Two runs that start in the same second under one prefix share a key. The check before the dump
 * cannot settle that (both may pass it), so the writes that create the object and the manifest are
 * conditional (If-None-Match: *): S3 lets exactly one run create each, and the other run fails,
 * naming the winner's object. A run deletes only what it wrote, known by the ETag its own write
 * got back.
 *
 * S3 may store an object and its answer be lost (the connection resets after S3 processed the
 * write, or the answer times out): the SDK sends the write again, and the retry finds the key taken
 * by the object the first attempt stored. Each write names its object with a random id of its own
 * (metadata write-id), so the run tells its own object from another run's, even one that started
 * in the same second (createOnce).
 */

/** Another run's backup is already at the key; this run stored nothing and deleted nothing. */
export class BackupKeyTakenError extends Error {
  override name = 'BackupKeyTakenError';
}

/** What a small object (a manifest, the globals) is written with besides its bytes. */
export interface SmallObject {
  key: string;
  body: string | Buffer;
  contentType: string;
  encryption: Encryption;
  lock?: ObjectLock;
}

/**
 * Writes a small object beside a backup, in STANDARD whatever the backup's storage class (selection
 * and a rebuild must read it at once), only where nothing is stored yet (If-None-Match: *), with the
 * backup's lock (which S3 accepts only with a checksum). Returns what it wrote, for deleteIfOurs.
 */
export async function putSmallObject(store: BackupStore, object: SmallObject): Promise<WrittenObject> {
  return createOnce(store, object.key, async (writeId) => {
    const put = await store.client.send(
      new PutObjectCommand({
        Bucket: store.bucket,
        Key: object.key,
        IfNoneMatch: '*',
        Body: object.body,
        ContentType: object.contentType,
        ServerSideEncryption: object.encryption.serverSideEncryption,
        SSEKMSKeyId: object.encryption.kmsKeyId,
        Metadata: { ...CREATED_BY_METADATA, [WRITE_ID]: writeId },
        ...(object.lock ? { ...lockParameters(object.lock), ChecksumAlgorithm: 'CRC32' as const } : {}),
      }),
    );
    return put.ETag;
  });
}

/** The metadata that names the write that created an object (a random UUID per write). */
export const WRITE_ID = 'write-id';

/**
 * Creates `key` by `write` (a conditional write given the metadata value of WRITE_ID to store) and
 * returns the object it created. When S3 refuses the write as the key is taken (412, 409), or a
 * retried completion finds the multipart upload gone (NoSuchUpload, as S3 answers once an upload
 * has completed), the object at the key is this write's own when it carries this write's id: S3
 * stored it and the answer was lost. It is then taken as written; else the error stands. Every
 * conditional write of a backup and of its copy goes through here. `write` must let S3's error
 * reach it as S3 named it (its name is what tells a lost answer).
 */
export async function createOnce(
  store: BackupStore,
  key: string,
  write: (writeId: string) => Promise<string | undefined>,
): Promise<WrittenObject> {
  const writeId = randomUUID();
  let etag: string | undefined;
  try {
    etag = await write(writeId);
  } catch (error) {
    if (!isKeyTakenError(error) && errorName(error) !== 'NoSuchUpload') throw error;
    const stored = await store.metadata(key).catch((headError: unknown) => {
      throw new WriteOwnerUnknownError(
        `S3 refused to create s3://${store.bucket}/${key} (${errorMessage(error)}), and the object there could not be read to tell whether it is this run's own, stored by an earlier attempt whose answer was lost: ${errorMessage(headError)}`,
      );
    });
    if (!stored?.etag || stored.metadata[WRITE_ID] !== writeId) throw error;
    etag = stored.etag;
  }
  if (!etag) throw new Error(`S3 returned no ETag for ${key}`);
  return { key, etag };
}

/** S3 refused a write as its key is taken, and the object there could not be read: it may be the write's own. */
export class WriteOwnerUnknownError extends Error {
  override name = 'WriteOwnerUnknownError';
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

/** The manifest as stored: pretty JSON, in `bucket` (a copy's manifest names its own bucket). */
export function manifestBody(manifest: BackupManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Deletes keys in batches of up to 1,000. Callers pass a backup's object and manifest next to
 * each other, so a pair never straddles two batches.
 */
export async function deleteKeys(
  store: BackupStore,
  keys: readonly string[],
): Promise<{ deleted: string[]; errors: { key: string; message: string }[] }> {
  const deleted: string[] = [];
  const errors: { key: string; message: string }[] = [];
  let start = 0;
  while (start < keys.length) {
    let end = Math.min(start + DELETE_BATCH, keys.length);
    const next = keys[end];
    if (next !== undefined && isManifestKey(next) && backupKeyOfManifest(next) === keys[end - 1]) end -= 1;
    const batch = keys.slice(start, end);
    const response = await store.client.send(
      new DeleteObjectsCommand({
        Bucket: store.bucket,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: false },
      }),
    );
    for (const item of response.Deleted ?? []) if (item.Key) deleted.push(item.Key);
    for (const item of response.Errors ?? [])
      errors.push({ key: item.Key ?? '?', message: `${item.Code ?? ''} ${item.Message ?? ''}`.trim() });
    start = end;
  }
  return { deleted, errors };
}

/**
 * Before anything is dumped: the bucket must exist and be reachable, and nothing may be stored at
 * the key yet. One listing of the key itself answers all three with only prefix-scoped
 * s3:ListBucket (HeadBucket would need s3:ListBucket on the whole bucket).
 */
export async function checkKeyIsFree(store: BackupStore, key: string): Promise<void> {
  const { client, bucket } = store;
  let taken: boolean;
  try {
    const listing = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 2 }));
    taken = (listing.Contents ?? []).some((item) => item.Key === key || item.Key === manifestKeyFor(key));
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 404) throw new Error(`bucket ${bucket} does not exist`);
    if (status === 403)
      throw new Error(`listing s3://${bucket}/${key} was denied: the role needs s3:ListBucket on the prefix`);
    throw new Error(`could not reach bucket ${bucket}: ${errorMessage(error)}`);
  }
  if (taken) throw await keyTaken(store, key);
}

/** The error of a run that found another run's backup at its key, naming that run where the object says. */
async function keyTaken(store: BackupStore, key: string): Promise<BackupKeyTakenError> {
  const other = await store.metadata(key).catch(() => undefined);
  const startedAt = other?.metadata['started-at'];
  const runUrl = other?.metadata['run-url'];
  const who = [runUrl && `run ${runUrl}`, startedAt && `started ${startedAt}`].filter(Boolean).join(', ');
  return new BackupKeyTakenError(
    `s3://${store.bucket}/${key} was written by another backup${who ? ` (${who})` : ''} that started in the same second under this prefix; ` +
      'this run stored nothing and deleted nothing. Give each database its own prefix, and do not let two backups of one database overlap',
  );
}

const CONTENT_TYPE: Record<BackupFormat, string> = { custom: 'application/octet-stream', plain: 'application/gzip' };

export interface BackupObject {
  key: string;
  format: BackupFormat;
  body: ByteSource;
  partSize: number;
  encryption: Encryption;
  storageClass: StorageClass;
  /** What the object says of itself (database, compression, start time), besides created-by. */
  metadata: Record<string, string>;
  lock?: ObjectLock;
  signal?: AbortSignal;
}

/** The object this run created: its ETag tells it apart from any other run's object at the key. */
export interface WrittenObject {
  key: string;
  etag: string;
}

/** The job was cancelled while its object was being created: the object was let finish, then removed (unless S3 refused). */
export class UploadCancelledError extends Error {
  override name = 'UploadCancelledError';
  constructor(
    readonly key: string,
    /** False when the object could not be removed: then it is left without a manifest. */
    readonly removed: boolean,
  ) {
    super(
      removed
        ? `the job was cancelled while ${key} was stored; it was removed`
        : `the job was cancelled while ${key} was stored, and it could not be removed: it has no manifest, so it is never restored, and retention removes it once it is a day old`,
    );
  }
}

/** The object a cancelled job could not remove, if `errors` hold one. */
export function leftByCancel(errors: readonly unknown[]): UploadCancelledError | undefined {
  return errors.find((error): error is UploadCancelledError => error instanceof UploadCancelledError && !error.removed);
}

/**
 * Streams a backup object up; it appears only when `body` ends without error (streaming-upload.ts),
 * and only when no object is at the key yet (else BackupKeyTakenError). A job cancelled while the
 * object was being created (signal) gets no object: the write that creates it is let finish, so
 * that this run knows the object by its ETag, and the object is removed here. Both the single
 * archive and each object of a parallel backup are written through here, so neither can leave one.
 */
export async function uploadBackupObject(store: BackupStore, object: BackupObject): Promise<WrittenObject> {
  const written = await createOnce(store, object.key, async (writeId) => {
    const uploaded = await uploadStream({
      client: store.client,
      bucket: store.bucket,
      key: object.key,
      body: object.body,
      partSize: object.partSize,
      contentType: CONTENT_TYPE[object.format],
      encryption: object.encryption,
      storageClass: object.storageClass,
      metadata: { ...CREATED_BY_METADATA, format: object.format, ...object.metadata, [WRITE_ID]: writeId },
      lock: object.lock,
      signal: object.signal,
    });
    return uploaded.etag;
  }).catch(async (error: unknown) => {
    throw isKeyTakenError(error) ? await keyTaken(store, object.key) : error;
  });
  if (object.signal?.aborted) {
    const removed = await deleteIfOurs(store, written).then(
      () => true,
      () => false,
    );
    throw new UploadCancelledError(`s3://${store.bucket}/${object.key}`, removed);
  }
  return written;
}

/**
 * Deletes the object only while it is still the one this run wrote: the ETag is compared first
 * (for a clear reason) and again by S3 itself (If-Match), so another run's object is never deleted.
 */
export async function deleteIfOurs(store: BackupStore, written: WrittenObject): Promise<void> {
  const stored = await store.metadata(written.key);
  if (!stored || stored.etag !== written.etag) return;
  await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: written.key, IfMatch: written.etag }));
}

/** What publishBackup writes besides the manifest, and what it removes when publishing fails. */
export interface Publication {
  /** The object this run uploaded. */
  written: WrittenObject;
  encryption: Encryption;
  /** The lock of the object, given to every object written beside it. */
  lock?: ObjectLock;
  /** The globals' SQL, stored at the key manifest.globals records (globals-object.ts). */
  globalsSql?: string;
  /** A parallel backup's parts this run uploaded, as manifest.parts records them. */
  parts?: WrittenPart[];
}

/**
 * Checks that S3 holds exactly the bytes that were hashed, records S3's own checksum of them,
 * checks a parallel backup's parts the same way, stores the globals beside it, tags the object with its SHA-256 (an object's metadata is fixed
 * when its multipart upload starts, before the hash is known), then writes the manifest: the
 * moment the backup becomes complete. When any of it fails, what this run wrote is removed (the
 * object, its parts and the globals), so no backup is left that looks complete but was never published; an
 * object at one of its keys that is no longer the one this run wrote is never removed.
 */
export async function publishBackup(
  store: BackupStore,
  manifest: BackupManifest,
  publication: Publication,
): Promise<string> {
  const { written, encryption, lock } = publication;
  const ours: WrittenObject[] = [written, ...(publication.parts ?? [])];
  try {
    const stored = await store.metadata(manifest.key);
    if (stored && stored.etag !== written.etag) throw await keyTaken(store, manifest.key);
    if (!stored || stored.sizeBytes !== manifest.sizeBytes) {
      throw new Error(
        `S3 holds ${stored ? stored.sizeBytes : 'no'} bytes at ${manifest.key}, ${manifest.sizeBytes} were sent`,
      );
    }
    manifest.storageChecksum = stored.storageChecksum;
    if (manifest.parts) await checkStoredParts(store, manifest.parts, publication.parts ?? []);
    if (publication.globalsSql !== undefined && manifest.globals?.status === 'stored') {
      const body = Buffer.from(publication.globalsSql, 'utf8');
      ours.push(
        await putSmallObject(store, {
          key: manifest.globals.key,
          body,
          contentType: GLOBALS_CONTENT_TYPE,
          encryption,
          lock,
        }),
      );
    }
    await store.client.send(
      new PutObjectTaggingCommand({
        Bucket: store.bucket,
        Key: manifest.key,
        Tagging: { TagSet: [{ Key: 'sha256', Value: manifest.sha256 }] },
      }),
    );
    const manifestKey = manifestKeyFor(manifest.key);
    await putSmallObject(store, {
      key: manifestKey,
      body: manifestBody(manifest),
      contentType: 'application/json',
      encryption,
      lock,
    });
    return manifestKey;
  } catch (error) {
    const failure = isKeyTakenError(error) ? await keyTaken(store, manifest.key) : error;
    for (const object of ours) await deleteIfOurs(store, object).catch(() => undefined);
    if (failure instanceof BackupKeyTakenError) throw failure;
    throw new Error(`the dump was uploaded but could not be published, so it was removed: ${errorMessage(error)}`);
  }
}
