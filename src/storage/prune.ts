import type { BackupStore, StoredBackup } from './backup-store.js';
import { globalsKeysOf } from './globals-object.js';
import { manifestKeyFor } from './keys.js';
import type { BackupManifest } from './manifest.js';
import { mapWithLimit } from '../util/concurrency.js';
import type { Logger } from '../util/logger.js';
import { decideRetention, type RetentionDecision, type RetentionPolicy } from '../retention/retention.js';
import { deleteBackupKeys, type LockedKey } from './version-delete.js';

/** An unfinished upload of ours may still be running in another job; only older leftovers are removed. */
export const INCOMPLETE_GRACE_MS = 24 * 3600 * 1000;

export interface PruneOptions {
  store: BackupStore;
  policy: RetentionPolicy;
  minKeep: number;
  dryRun: boolean;
  now: Date;
  /** This run's backup: kept whatever the policy says. */
  protectKey?: string;
  /** The manifest this run just wrote at protectKey: used as it is, not read back. */
  ownManifest?: BackupManifest;
  log: Logger;
}

/** 'locked': retention would delete it, but Object Lock holds it until a later date (PruneReport.locked). */
export type PruneAction = 'deleted' | 'would delete' | 'kept' | 'delete failed' | 'locked';

export interface PrunedBackup extends RetentionDecision {
  action: PruneAction;
}

export interface LeftoverObject {
  key: string;
  lastModified: Date;
  reason: string;
  action: PruneAction;
}

export interface PruneReport {
  policy: RetentionPolicy;
  minKeep: number;
  dryRun: boolean;
  complete: PrunedBackup[];
  /** Our own backups without a valid manifest: failed between upload and manifest. */
  incomplete: LeftoverObject[];
  /** Backups in the plan's old layout (no manifest, not written by dr-actions): never deleted here. */
  legacy: LeftoverObject[];
  orphanManifests: LeftoverObject[];
  /** Backups removed (complete and incomplete); 0 in a dry run. */
  prunedCount: number;
  errors: { key: string; message: string }[];
  /** Keys retention would delete but left alone while Object Lock holds them; none in a dry run. */
  locked: LockedKey[];
}

/**
 * Applies the retention policy to the backups under the store's prefix. Complete backups are
 * judged by their manifest's finish time; incomplete ones of ours older than 24 h are removed;
 * the plan's old backups and every key that is not a backup are left alone.
 */
export async function pruneBackups(options: PruneOptions): Promise<PruneReport> {
  const { store, now, dryRun } = options;
  const listing = await store.list();
  const own = options.ownManifest;
  const manifests = await store.readManifests(
    own ? listing.backups.filter((backup) => backup.key !== own.key) : listing.backups,
  );
  if (own && listing.backups.some((backup) => backup.key === own.key && backup.manifestObject))
    manifests.set(own.key, { manifest: own });

  const complete: { backup: StoredBackup; finishedAt: Date }[] = [];
  const unverified: { backup: StoredBackup; reason: string }[] = [];
  for (const backup of listing.backups) {
    const read = manifests.get(backup.key);
    if (read && 'manifest' in read) complete.push({ backup, finishedAt: new Date(read.manifest.finishedAt) });
    else unverified.push({ backup, reason: read ? read.error : 'no manifest' });
  }

  const decisions = decideRetention(
    complete.map(({ backup, finishedAt }) => ({ key: backup.key, finishedAt })),
    options.policy,
    options.minKeep,
    now,
  ).map((decision) =>
    decision.key === options.protectKey && !decision.keep
      ? { ...decision, keep: true, reasons: ["this run's backup"] }
      : decision,
  );

  const toDelete: string[] = [];
  const incomplete: LeftoverObject[] = [];
  const legacy: LeftoverObject[] = [];
  const owners = await mapWithLimit(unverified, 16, ({ backup }) => store.isOurs(backup));
  unverified.forEach(({ backup, reason }, index) => {
    const entry = { key: backup.key, lastModified: backup.object.lastModified, reason };
    if (!owners[index]) {
      legacy.push({
        ...entry,
        reason:
          "no manifest and not written by dr-actions (the plan's old layout): restorable, unverifiable, never pruned",
        action: 'kept',
      });
      return;
    }
    const old = now.getTime() - backup.object.lastModified.getTime() > INCOMPLETE_GRACE_MS;
    incomplete.push({
      ...entry,
      reason: `incomplete (${reason})${old ? ', older than 24 h' : ', younger than 24 h: may still be in progress'}`,
      action: old ? 'would delete' : 'kept',
    });
    if (old) toDelete.push(backup.key, ...(backup.manifestObject ? [manifestKeyFor(backup.key)] : []));
  });

  for (const decision of decisions)
    if (!decision.keep)
      toDelete.push(decision.key, manifestKeyFor(decision.key), ...globalsKeysOf(manifests.get(decision.key)));

  const orphanManifests = listing.orphanManifests.map((object) => {
    const old = now.getTime() - object.lastModified.getTime() > INCOMPLETE_GRACE_MS;
    if (old) toDelete.push(object.key);
    return {
      key: object.key,
      lastModified: object.lastModified,
      reason: 'manifest without its backup object',
      action: old ? ('would delete' as const) : ('kept' as const),
    };
  });

  let deleted = new Set<string>();
  let errors: { key: string; message: string }[] = [];
  let locked: LockedKey[] = [];
  if (!dryRun && toDelete.length > 0) {
    const result = await deleteBackupKeys(store, toDelete, now);
    deleted = new Set(result.deleted);
    errors = result.errors;
    locked = result.locked;
    for (const error of errors)
      options.log.warning(`could not delete s3://${store.bucket}/${error.key}: ${error.message}`);
  }
  const lockedKeys = new Set(locked.map((entry) => entry.key));
  const settle = (key: string, planned: boolean): PruneAction =>
    !planned
      ? 'kept'
      : dryRun
        ? 'would delete'
        : deleted.has(key)
          ? 'deleted'
          : lockedKeys.has(key)
            ? 'locked'
            : 'delete failed';

  const completeReport = decisions.map((decision) => ({ ...decision, action: settle(decision.key, !decision.keep) }));
  const settleLeftover = (entry: LeftoverObject): LeftoverObject => ({
    ...entry,
    action: settle(entry.key, entry.action === 'would delete'),
  });
  const incompleteReport = incomplete.map(settleLeftover);
  return {
    policy: options.policy,
    minKeep: options.minKeep,
    dryRun,
    complete: completeReport,
    incomplete: incompleteReport,
    legacy,
    orphanManifests: orphanManifests.map(settleLeftover),
    prunedCount: [...completeReport, ...incompleteReport].filter((entry) => entry.action === 'deleted').length,
    errors,
    locked,
  };
}
