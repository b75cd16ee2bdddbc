import type { ObjectLockMode } from '@aws-sdk/client-s3';
import type { BackupStore } from '../storage/backup-store.js';
import { dailyHorizon } from '../storage/lock-horizon.js';
import { bucketHasObjectLock, resolveLockMode, type LockSetting, type ObjectLock } from '../storage/object-lock.js';
import type { RetentionPolicy } from '../retention/retention.js';

/** The lock mode of backups in this bucket (read before anything is dumped); undefined when they are not locked. */
export async function lockModeFor(store: BackupStore, setting: LockSetting): Promise<ObjectLockMode | undefined> {
  if (setting === 'off') return undefined;
  return resolveLockMode(setting, await bucketHasObjectLock(store.client, store.bucket), store.bucket);
}

/**
 * The lock a new backup is written with: as long as retention keeps it as a daily backup, counted
 * from the start of the run, so it ends before retention would first try to delete it. Without
 * retention there is no horizon, and the bucket's own default retention (if any) applies.
 */
export function newBackupLock(
  mode: ObjectLockMode | undefined,
  retention: RetentionPolicy | 'off',
  startedAt: Date,
): ObjectLock | undefined {
  if (!mode || retention === 'off') return undefined;
  return { mode, retainUntil: dailyHorizon(startedAt, retention) };
}
