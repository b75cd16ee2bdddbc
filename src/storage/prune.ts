import {
  createdByUs,
  type BackupStore,
  type ManifestRead,
  type OrphanParts,
  type StoredBackup,
  type StoredObject,
} from './backup-store.js';
import { globalsKeysOf } from './globals-object.js';
import { partKeysOf } from './backup-parts.js';
import { isManifestKey, manifestKeyFor } from './keys.js';
import type { BackupManifest } from './manifest.js';
import { mapWithLimit } from '../util/concurrency.js';
import { plural } from '../util/format.js';
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
  const leftovers = await classifyUnverified(store, unverified, listing.orphanParts ?? [], now);
  const orphans = planOrphanManifests(listing.orphanManifests, now);

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

/** An unfinished backup's objects, removed together: what the report says of it, and every key it holds. */
interface LeftoverGroup {
  entry: LeftoverObject;
  keys: string[];
}

/** What a leftover is made of: the object at its key (when there is one), its manifest, its parts. */
interface LeftoverObjects {
  key: string;
  /** The object at the key, or (for parts without it) a part: what tells whether dr-actions wrote them. */
  witness: StoredObject;
  objects: StoredObject[];
  reason: string;
}

/**
 * Backups without a valid manifest, and data parts whose backup object is not there. The plan's
 * old backups (not ours) are never touched. Ours are runs that failed or were killed before the
 * manifest: each is removed with its manifest and every part beside it once all of them are older
 * than the grace period (its newest object was written more than 24 h ago), in which a run may
 * still be writing them.
 */
async function classifyUnverified(
  store: BackupStore,
  unverified: UnverifiedBackup[],
  orphanParts: readonly OrphanParts[],
  now: Date,
): Promise<{ groups: LeftoverGroup[]; legacy: LeftoverObject[] }> {
  const leftovers: LeftoverObjects[] = [
    ...unverified.map(({ backup, reason }) => ({
      key: backup.key,
      witness: backup.object,
      objects: [backup.object, ...(backup.manifestObject ? [backup.manifestObject] : []), ...(backup.parts ?? [])],
      reason: `incomplete (${reason})${partsNote(backup.parts ?? [])}`,
    })),
    ...orphanParts.map(({ key, parts }) => ({
      key,
      witness: newestOf(parts),
      objects: parts,
      reason: `incomplete: ${plural(parts.length, 'data part')} whose backup object (the schema) is not there`,
    })),
  ];
  // A manifest says dr-actions wrote it (the plan's old script wrote none); else the object's metadata.
  const owners = await mapWithLimit(
    leftovers,
    16,
    async ({ witness, objects }) =>
      objects.some((object) => isManifestKey(object.key)) || createdByUs(await store.metadata(witness.key)),
  );
  const groups: LeftoverGroup[] = [];
  const legacy: LeftoverObject[] = [];
  leftovers.forEach((leftover, index) => {
    const newest = newestOf(leftover.objects);
    const entry = { key: leftover.key, lastModified: newest.lastModified };
    if (!owners[index]) {
      legacy.push({
        ...entry,
        reason:
          "no manifest and not written by dr-actions (the plan's old layout): restorable, unverifiable, never pruned",
        action: 'kept',
      });
      return;
    }
    const old = now.getTime() - newest.lastModified.getTime() > INCOMPLETE_GRACE_MS;
    const age = old ? ', older than 24 h' : ', younger than 24 h: may still be in progress';
    groups.push({
      entry: { ...entry, reason: `${leftover.reason}${age}`, action: old ? 'would delete' : 'kept' },
      keys: old ? leftover.objects.map((object) => object.key) : [],
    });
  });
  return { groups, legacy };
}

function partsNote(parts: readonly StoredObject[]): string {
  return parts.length ? `, with ${plural(parts.length, 'data part')} beside it` : '';
}

/** The most recently written of some objects (at least one): a leftover's age is that of its newest object. */
function newestOf(objects: readonly StoredObject[]): StoredObject {
  return objects.reduce((newest, object) => (object.lastModified > newest.lastModified ? object : newest));
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
