import type { BackupStore, ManifestRead, StoredBackup } from './backup-store.js';
import { globalsKeysOf } from './globals-object.js';
import { partKeysOf } from './backup-parts.js';
import {
  findIncompleteBackups,
  graceNote,
  sortByManifest,
  type CompleteBackup,
  type IncompleteBackups,
} from './incomplete-backups.js';
import { manifestKeyFor } from './keys.js';
import type { BackupManifest } from './manifest.js';
import type { Logger } from '../util/logger.js';
import { decideRetention, type RetentionDecision, type RetentionPolicy } from '../retention/retention.js';
import { deleteBackupKeys, type LockedKey } from './version-delete.js';

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
  /**
   * Our own backups without a valid manifest (failed or killed before it), each with the data parts
   * beside it, and data parts whose backup object is not there (keyed by the backup key they belong to).
   */
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
 * judged by their manifest's finish time; incomplete ones of ours (and parts whose object is gone)
 * are removed with every part beside them once their newest object is older than 24 h; the plan's old
 * backups and every key that is neither a backup nor one's part are left alone.
 */
export async function pruneBackups(options: PruneOptions): Promise<PruneReport> {
  const { store, now, dryRun } = options;
  const listing = await store.list();
  const manifests = await readManifests(store, listing.backups, options.ownManifest);
  const { complete, unverified } = sortByManifest(listing.backups, manifests);
  const decisions = decideComplete(complete, options);
  const leftovers = planLeftovers(await findIncompleteBackups(store, listing, unverified, now));
  const { orphans } = leftovers;

  // Every key a planned deletion removes: a backup goes with its manifest, its globals and its parts
  // (those its manifest names, and any other listed beside it).
  const toDelete = leftovers.groups.flatMap((group) => group.keys);
  const listed = new Map(complete.map(({ backup }) => [backup.key, backup]));
  for (const decision of decisions) {
    if (decision.keep) continue;
    const read = manifests.get(decision.key);
    const parts = new Set([...partKeysOf(read), ...(listed.get(decision.key)?.parts ?? []).map((part) => part.key)]);
    toDelete.push(decision.key, manifestKeyFor(decision.key), ...globalsKeysOf(read), ...parts);
  }
  toDelete.push(...orphans.toDelete);

  const outcome = dryRun ? nothingDeleted() : await deletePlanned(store, toDelete, options);
  const settle = settlerFor(outcome, dryRun);
  const completeReport = decisions.map((decision) => ({ ...decision, action: settle(decision.key, !decision.keep) }));
  const settleLeftover = (entry: LeftoverObject): LeftoverObject => ({
    ...entry,
    action: settle(entry.key, entry.action === 'would delete'),
  });
  const incompleteReport = leftovers.groups.map(({ entry, keys }) => ({
    ...entry,
    action: settleAll(settle, keys, entry.action === 'would delete'),
  }));
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

/** An unfinished backup's objects, removed together: what the report says of it, and every key it holds. */
interface LeftoverGroup {
  entry: LeftoverObject;
  keys: string[];
}

/**
 * Retention's verdict on unfinished backups (incomplete-backups.ts says which they are): the plan's
 * old backups (not ours) are never touched; ours are removed with every object they hold once
 * abandoned (older than the grace period, in which a run may still be writing them).
 */
function planLeftovers(found: IncompleteBackups): {
  groups: LeftoverGroup[];
  legacy: LeftoverObject[];
  orphans: { entries: LeftoverObject[]; toDelete: string[] };
} {
  const legacy = found.legacy.map((entry) => ({
    ...entry,
    reason: "no manifest and not written by dr-actions (the plan's old layout): restorable, unverifiable, never pruned",
    action: 'kept' as const,
  }));
  const groups: LeftoverGroup[] = [];
  const orphans = { entries: [] as LeftoverObject[], toDelete: [] as string[] };
  for (const leftover of found.incomplete) {
    const { key, lastModified, abandoned } = leftover;
    const action = abandoned ? ('would delete' as const) : ('kept' as const);
    const keys = abandoned ? leftover.objects.map((object) => object.key) : [];
    if (leftover.kind === 'orphan manifest') {
      orphans.entries.push({ key, lastModified, reason: leftover.reason, action });
      orphans.toDelete.push(...keys);
    } else {
      groups.push({
        entry: { key, lastModified, reason: `${leftover.reason}, ${graceNote(abandoned)}`, action },
        keys,
      });
    }
  }
  return { groups, legacy, orphans };
}

/** What became of a leftover's objects together: deleted only when every one of them was. */
function settleAll(
  settle: (key: string, planned: boolean) => PruneAction,
  keys: string[],
  planned: boolean,
): PruneAction {
  if (!planned || keys.length === 0) return 'kept';
  const actions = keys.map((key) => settle(key, true));
  return actions.find((action) => action !== 'deleted') ?? 'deleted';
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
