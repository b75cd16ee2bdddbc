import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { BackupStore } from './backup-store.js';

/**
 * The `sha256` tag a backup puts on its object and each part when it publishes them (backup-writes.ts,
 * part-writes.ts); a file of its own so that only the roles that read it are asked to allow it.
 * Undefined when the object has no such tag (backups published before objects were tagged).
 */
export async function sha256TagOf(store: BackupStore, key: string): Promise<string | undefined> {
  const response = await store.client.send(new GetObjectTaggingCommand({ Bucket: store.bucket, Key: key }));
  return response.TagSet?.find((tag) => tag.Key === 'sha256')?.Value;
}
