import type { ObjectLockMode } from '@aws-sdk/client-s3';
import { errorMessage } from '../errors.js';
import type { BackupStore } from '../storage/backup-store.js';
import { extendPromotedLocks, type LockExtensionReport } from '../storage/lock-extension.js';
import { pruneBackups, type PruneReport } from '../storage/prune.js';
import type { BackupManifest } from '../storage/manifest.js';
import type { RetentionPolicy } from '../retention/retention.js';
import type { Logger } from '../util/logger.js';

export interface RetentionOutcome {
  retention?: PruneReport;
  /** The backup is good, but pruning (or extending a lock) failed. */
  retentionError?: string;
  /** Locks extended to the horizon of backups promoted to weekly or monthly; set in a locked bucket. */
  locks?: LockExtensionReport;
}

export interface RetentionStepOptions {
  policy: RetentionPolicy;
  minKeep: number;
  dryRun: boolean;
  now: Date;
  log: Logger;
  /** The manifest this run just wrote at protectKey, so retention need not read it back. */
  ownManifest?: BackupManifest;
  /** The lock mode of the bucket's backups; locks are extended only when set. */
  lockMode?: ObjectLockMode;
}

/** Retention after a stored backup (in either bucket): its failure leaves the backup good and is reported beside it. */
export async function retainBackups(
  store: BackupStore,
  protectKey: string,
  options: RetentionStepOptions,
): Promise<RetentionOutcome> {
  let retention: PruneReport;
  try {
    retention = await pruneBackups({
      store,
      policy: options.policy,
      minKeep: options.minKeep,
      dryRun: options.dryRun,
      now: options.now,
      protectKey,
      ownManifest: options.ownManifest,
      log: options.log,
    });
  } catch (error) {
    return { retentionError: errorMessage(error) };
  }
  const failures: string[] = [];
  const failed = retention.errors;
  if (failed.length) failures.push(`${failed.length} deletions failed, e.g. ${failed[0]?.key}: ${failed[0]?.message}`);
  let locks: LockExtensionReport | undefined;
  if (options.lockMode && !options.dryRun) {
    try {
      locks = await extendPromotedLocks(store, retention, options.lockMode, options.now);
      if (locks.errors.length)
        failures.push(
          `${locks.errors.length} locks could not be extended, e.g. ${locks.errors[0]?.key}: ${locks.errors[0]?.message}`,
        );
    } catch (error) {
      failures.push(`locks could not be extended: ${errorMessage(error)}`);
    }
  }
  return { retention, locks, ...(failures.length ? { retentionError: failures.join('; ') } : {}) };
}
