import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { BackupStore } from './backup-store.js';
import type { StoredGlobals } from './globals-record.js';

/** Reading a backup's globals needs only s3:GetObject: kept apart from the writes, so restore-verify's role stays read-only. */
export const sha256Of = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** Reads the stored globals and checks them against the manifest's record of them. */
export async function readGlobals(store: BackupStore, record: StoredGlobals): Promise<string> {
  const response = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: record.key }));
  const body = Buffer.from((await response.Body?.transformToByteArray()) ?? new Uint8Array());
  const sha256 = sha256Of(body);
  if (body.length !== record.sizeBytes || sha256 !== record.sha256) {
    throw new Error(
      `s3://${store.bucket}/${record.key} does not match the manifest: ${body.length} bytes with SHA-256 ${sha256}, the manifest says ${record.sizeBytes} bytes with ${record.sha256}`,
    );
  }
  return body.toString('utf8');
}
