import { DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CREATED_BY_METADATA, type BackupStore, type Encryption } from './backup-store.js';
import { backupKeyOfManifest, isManifestKey, manifestKeyFor } from './keys.js';
import type { BackupManifest } from './manifest.js';

/** S3 takes at most 1,000 keys per DeleteObjects request. */
const DELETE_BATCH = 1000;

/** Manifests stay in STANDARD whatever the backup's storage class: selection must read them at once. */
export async function putManifest(store: BackupStore, manifest: BackupManifest, encryption: Encryption): Promise<string> {
  const key = manifestKeyFor(manifest.key);
  await store.client.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: key,
      Body: `${JSON.stringify(manifest, null, 2)}\n`,
      ContentType: 'application/json',
      ServerSideEncryption: encryption.serverSideEncryption,
      SSEKMSKeyId: encryption.kmsKeyId,
      Metadata: CREATED_BY_METADATA,
    }),
  );
  return key;
}

/**
 * Deletes keys in batches of up to 1,000. Callers pass a backup's object and manifest next to
 * each other, so a pair never straddles two batches.
 */
export async function deleteKeys(store: BackupStore, keys: readonly string[]): Promise<{ deleted: string[]; errors: { key: string; message: string }[] }> {
  const deleted: string[] = [];
  const errors: { key: string; message: string }[] = [];
  let start = 0;
  while (start < keys.length) {
    let end = Math.min(start + DELETE_BATCH, keys.length);
    const next = keys[end];
    if (next !== undefined && isManifestKey(next) && backupKeyOfManifest(next) === keys[end - 1]) end -= 1;
    const batch = keys.slice(start, end);
    const response = await store.client.send(
      new DeleteObjectsCommand({ Bucket: store.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: false } }),
    );
    for (const item of response.Deleted ?? []) if (item.Key) deleted.push(item.Key);
    for (const item of response.Errors ?? []) errors.push({ key: item.Key ?? '?', message: `${item.Code ?? ''} ${item.Message ?? ''}`.trim() });
    start = end;
  }
  return { deleted, errors };
}
