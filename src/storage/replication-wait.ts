import { HeadObjectCommand, type ReplicationStatus } from '@aws-sdk/client-s3';
import type { Clock } from '../util/clock.js';
import type { BackupStore } from './backup-store.js';

export interface ReplicationWait {
  source: BackupStore;
  /** The replica bucket the rule writes to (in the other region), checked once replication completes. */
  replica: BackupStore;
  /** The backup object, its globals and its manifest. */
  keys: readonly string[];
  timeoutMs: number;
  clock: Clock;
}

/** S3 replicates most objects within 15 minutes (the S3 RTC target); a longer wait means a broken rule. */
export const DEFAULT_REPLICATION_TIMEOUT_MS = 15 * 60_000;
const FIRST_POLL_MS = 1_000;
const MAX_POLL_MS = 15_000;

async function statusOf(store: BackupStore, key: string): Promise<ReplicationStatus | undefined> {
  const head = await store.client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: key }));
  return head.ReplicationStatus;
}

/**
 * Waits, bounded, until S3 replication reports COMPLETED for every key (the object, its globals
 * and its manifest), then checks that the replica bucket holds each of them at the same size. Throws, naming
 * the key and its status, when a key reports FAILED, has no replication status (no enabled rule
 * covers it), or is still PENDING when the time is up.
 */
export async function waitForReplication(wait: ReplicationWait): Promise<void> {
  const { source, clock } = wait;
  const deadline = clock.now() + wait.timeoutMs;
  const pending = new Set(wait.keys);
  let pause = FIRST_POLL_MS;
  for (;;) {
    for (const key of [...pending]) {
      const status = await statusOf(source, key);
      if (status === 'COMPLETED') pending.delete(key);
      else if (status === 'FAILED')
        throw new Error(
          `S3 replication of s3://${source.bucket}/${key} to ${wait.replica.bucket} reports FAILED; check the replication rule, its role and the destination bucket's versioning`,
        );
      else if (status === undefined)
        throw new Error(
          `s3://${source.bucket}/${key} has no replication status: no enabled replication rule of ${source.bucket} covers it`,
        );
    }
    if (pending.size === 0) break;
    if (clock.now() >= deadline) {
      throw new Error(
        `S3 replication of ${[...pending].join(', ')} to ${wait.replica.bucket} is still PENDING after ${Math.round(wait.timeoutMs / 1000)} s; a rule that works replicates within minutes`,
      );
    }
    await clock.sleep(Math.min(pause, Math.max(deadline - clock.now(), 0)));
    pause = Math.min(pause * 2, MAX_POLL_MS);
  }
  for (const key of wait.keys) {
    const [original, replica] = await Promise.all([source.metadata(key), wait.replica.metadata(key)]);
    if (!replica || replica.sizeBytes !== original?.sizeBytes) {
      throw new Error(
        `replication reports COMPLETED, but s3://${wait.replica.bucket}/${key} holds ${replica ? replica.sizeBytes : 'no'} bytes, not ${original?.sizeBytes ?? '?'}`,
      );
    }
  }
}
