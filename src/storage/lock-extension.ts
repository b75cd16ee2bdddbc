import type { ObjectLockMode } from '@aws-sdk/client-s3';
import { httpStatusOf } from '../aws/errors.js';
import { errorMessage } from '../errors.js';
import { mapWithLimit } from '../util/concurrency.js';
import type { BackupStore } from './backup-store.js';
import { globalsKeyFor } from './globals-object.js';
import { manifestKeyFor, partKeyFor } from './keys.js';
import { promotedHorizons } from './lock-horizon.js';
import { extendLock, type ObjectLock } from './object-lock.js';
import type { PruneReport } from './prune.js';

export interface BackupLock {
  key: string;
  lockedUntil: Date;
  /** True when this run moved the lock later (the backup was promoted to weekly or monthly). */
  extended: boolean;
}

export interface LockExtensionReport {
  mode: ObjectLockMode;
  locks: BackupLock[];
  errors: { key: string; message: string }[];
}

const EXTEND_CONCURRENCY = 8;

/**
 * After retention: every kept backup that retention now keeps as the newest of a past week or
 * month gets the locks of its object, manifest, globals and parts extended to that tier's horizon, so the lock lasts
 * exactly as long as retention keeps it. A lock is only ever extended.
 */
export async function extendPromotedLocks(
  store: BackupStore,
  report: PruneReport,
  mode: ObjectLockMode,
  now: Date,
): Promise<LockExtensionReport> {
  const kept = report.complete.filter((decision) => decision.action === 'kept');
  const horizons = promotedHorizons(report.complete, report.policy, now);
  const promoted = kept.filter((decision) => horizons.has(decision.key));
  const errors: { key: string; message: string }[] = [];
  const locks = await mapWithLimit(promoted, EXTEND_CONCURRENCY, async (decision): Promise<BackupLock | undefined> => {
    const lock = { mode, retainUntil: horizons.get(decision.key) as Date };
    try {
      const object = await extendLock(store.client, store.bucket, decision.key, lock);
      const manifest = await extendLock(store.client, store.bucket, manifestKeyFor(decision.key), lock);
      // Backups taken with globals: off (or before globals were taken) have none.
      const globals = await extendLock(store.client, store.bucket, globalsKeyFor(decision.key), lock).catch(
        (error: unknown) => {
          if (httpStatusOf(error) === 404) return { extended: false };
          throw error;
        },
      );
      const parts = await extendPartLocks(store, decision.key, lock);
      return {
        key: decision.key,
        lockedUntil: object.retainUntil,
        extended: object.extended || manifest.extended || globals.extended || parts,
      };
    } catch (error) {
      errors.push({ key: decision.key, message: errorMessage(error) });
      return undefined;
    }
  });
  return { mode, locks: locks.filter((lock): lock is BackupLock => lock !== undefined), errors };
}

/** A parallel backup's parts, numbered from 1 without a gap: each lock extended until the first key that is not there. */
async function extendPartLocks(store: BackupStore, key: string, lock: ObjectLock): Promise<boolean> {
  let extended = false;
  for (let index = 1; ; index += 1) {
    const part = await extendLock(store.client, store.bucket, partKeyFor(key, index), lock).catch((error: unknown) => {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    });
    if (!part) return extended;
    extended ||= part.extended;
  }
}
