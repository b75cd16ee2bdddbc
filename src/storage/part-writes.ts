import { PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { mapWithLimit } from '../util/concurrency.js';
import type { BackupStore } from './backup-store.js';
import type { BackupPart } from './manifest.js';

/** Publishing a parallel backup's parts; a file of its own so that only the backup's role is asked to tag objects. */

/** The object this run wrote at a part's key, told apart from any other by its ETag. */
export interface WrittenPart {
  key: string;
  etag: string;
}

/**
 * Before the manifest is written: S3 must hold each part this run wrote with exactly the bytes that
 * were hashed. Records S3's own checksum of each, and tags each with its SHA-256.
 */
export async function checkStoredParts(
  store: BackupStore,
  parts: BackupPart[],
  written: readonly WrittenPart[],
): Promise<void> {
  await mapWithLimit(parts, 8, async (part) => {
    const stored = await store.metadata(part.key);
    const ours = written.find((object) => object.key === part.key);
    if (!stored || !ours || stored.etag !== ours.etag || stored.sizeBytes !== part.sizeBytes) {
      throw new Error(
        `S3 holds ${stored ? `${stored.sizeBytes} bytes of another writer` : 'nothing'} at ${part.key}, ${part.sizeBytes} bytes were sent`,
      );
    }
    if (stored.storageChecksum) part.storageChecksum = stored.storageChecksum;
    await store.client.send(
      new PutObjectTaggingCommand({
        Bucket: store.bucket,
        Key: part.key,
        Tagging: { TagSet: [{ Key: 'sha256', Value: part.sha256 }] },
      }),
    );
  });
}
