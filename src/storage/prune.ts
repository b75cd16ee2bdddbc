import type { BackupStore, ManifestRead, StoredBackup, StoredObject } from './backup-store.js';
import { globalsKeysOf } from './globals-object.js';
import { partKeysOf } from './backup-parts.js';
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
  const manifests = await readManifests(store, listing.backups, options.ownManifest);
  const { complete, unverified } = sortByManifest(listing.backups, manifests);
  const decisions = decideComplete(complete, options);
  const leftovers = await classifyUnverified(store, unverified, now);
  const orphans = planOrphanManifests(listing.orphanManifests, now);

  // Every key a planned deletion removes: a backup goes with its manifest, its globals and its parts.
  const toDelete = [...leftovers.toDelete];
  for (const decision of decisions) {
    if (decision.keep) continue;
    const read = manifests.get(decision.key);
    toDelete.push(decision.key, manifestKeyFor(decision.key), ...globalsKeysOf(read), ...partKeysOf(read));
  }
  toDelete.push(...orphans.toDelete);

  const outcome = dryRun ? nothingDeleted() : await deletePlanned(store, toDelete, options);
  const settle = settlerFor(outcome, dryRun);
  const completeReport = decisions.map((decision) => ({ ...decision, action: settle(decision.key, !decision.keep) }));
  const settleLeftover = (entry: LeftoverObject): LeftoverObject => ({
    ...entry,
    action: settle(entry.key, entry.action === 'would delete'),
  });
  const incompleteReport = leftovers.incomplete.map(settleLeftover);
  return {
    policy: options.policy,
    minKeep: options.minKeep,
    dryRun,
    complete: completeReport,
    incomplete: incompleteReport,
    legacy: leftovers.legacy,
    orphanManifests: orphans.entries.map(settleLeftover),
    prunedCount: [...completeReport, ...incompleteReport].filter((entry) => entry.action === 'deleted').length,
    errors: outcome.errors,
    locked: outcome.locked,
  };
}

/**
 * The manifest of every listed backup. This run's own manifest is used as written rather than read
 * back, but only when its object is listed: a listing that does not show it yet must not make it complete.
 */
async function readManifests(
  store: BackupStore,
  backups: StoredBackup[],
  own: BackupManifest | undefined,
): Promise<Map<string, ManifestRead>> {
  const manifests = await store.readManifests(own ? backups.filter((backup) => backup.key !== own.key) : backups);
  if (own && backups.some((backup) => backup.key === own.key && backup.manifestObject))
    manifests.set(own.key, { manifest: own });
  return manifests;
}

interface CompleteBackup {
  backup: StoredBackup;
  finishedAt: Date;
}

interface UnverifiedBackup {
  backup: StoredBackup;
  reason: string;
}

/** Backups with a valid manifest, by their finish time, apart from those without one and why. */
function sortByManifest(
  backups: StoredBackup[],
  manifests: ReadonlyMap<string, ManifestRead>,
): { complete: CompleteBackup[]; unverified: UnverifiedBackup[] } {
  const complete: CompleteBackup[] = [];
  const unverified: UnverifiedBackup[] = [];
  for (const backup of backups) {
    const read = manifests.get(backup.key);
    if (read && 'manifest' in read) complete.push({ backup, finishedAt: new Date(read.manifest.finishedAt) });
    else unverified.push({ backup, reason: read ? read.error : 'no manifest' });
  }
  return { complete, unverified };
}

/** The policy's verdict on each complete backup; this run's backup is kept whatever the policy says. */
function decideComplete(complete: CompleteBackup[], options: PruneOptions): RetentionDecision[] {
  return decideRetention(
    complete.map(({ backup, finishedAt }) => ({ key: backup.key, finishedAt })),
    options.policy,
    options.minKeep,
    options.now,
  ).map((decision) =>
    decision.key === options.protectKey && !decision.keep
      ? { ...decision, keep: true, reasons: ["this run's backup"] }
      : decision,
  );
}

/**
 * Backups without a valid manifest: the plan's old ones (not ours) are never touched; ours are
 * failed runs, removed once older than the grace period in which they may still be uploading.
 */
async function classifyUnverified(
  store: BackupStore,
  unverified: UnverifiedBackup[],
  now: Date,
): Promise<{ incomplete: LeftoverObject[]; legacy: LeftoverObject[]; toDelete: string[] }> {
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
  return { incomplete, legacy, toDelete };
}

/** Manifests whose backup object is gone, removed once older than the grace period (its upload may be running). */
function planOrphanManifests(objects: StoredObject[], now: Date): { entries: LeftoverObject[]; toDelete: string[] } {
  const toDelete: string[] = [];
  const entries = objects.map((object) => {
    const old = now.getTime() - object.lastModified.getTime() > INCOMPLETE_GRACE_MS;
    if (old) toDelete.push(object.key);
    return {
      key: object.key,
      lastModified: object.lastModified,
      reason: 'manifest without its backup object',
      action: old ? ('would delete' as const) : ('kept' as const),
    };
  });
  return { entries, toDelete };
}

interface DeleteOutcome {
  deleted: Set<string>;
  errors: { key: string; message: string }[];
  locked: LockedKey[];
}

/** A dry run's outcome, or that of an empty plan (fresh each time: the report hands its arrays out). */
const nothingDeleted = (): DeleteOutcome => ({ deleted: new Set(), errors: [], locked: [] });

/** Deletes the planned keys; each key that could not be deleted is warned about and reported, not thrown. */
async function deletePlanned(store: BackupStore, toDelete: string[], options: PruneOptions): Promise<DeleteOutcome> {
  if (toDelete.length === 0) return nothingDeleted();
  const result = await deleteBackupKeys(store, toDelete, options.now);
  for (const error of result.errors)
    options.log.warning(`could not delete s3://${store.bucket}/${error.key}: ${error.message}`);
  return { deleted: new Set(result.deleted), errors: result.errors, locked: result.locked };
}

/** What became of a key: kept when not planned, else what the deletion (or the dry run) did to it. */
function settlerFor(outcome: DeleteOutcome, dryRun: boolean): (key: string, planned: boolean) => PruneAction {
  const lockedKeys = new Set(outcome.locked.map((entry) => entry.key));
  return (key, planned) =>
    !planned
      ? 'kept'
      : dryRun
        ? 'would delete'
        : outcome.deleted.has(key)
          ? 'deleted'
          : lockedKeys.has(key)
            ? 'locked'
            : 'delete failed';
}
