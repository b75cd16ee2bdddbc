import {
  createdByUs,
  type BackupListing,
  type BackupStore,
  type ManifestRead,
  type StoredBackup,
  type StoredObject,
} from './backup-store.js';
import { isManifestKey } from './keys.js';
import { mapWithLimit } from '../util/concurrency.js';
import { plural } from '../util/format.js';

/**
 * What counts as an unfinished backup, for retention (which removes it) and the audit (which
 * reports it): one rule, here. An unfinished upload of ours may still be running in another job,
 * so a leftover is abandoned only once its newest object is older than the grace period.
 */
export const INCOMPLETE_GRACE_MS = 24 * 3600 * 1000;

export interface CompleteBackup {
  backup: StoredBackup;
  finishedAt: Date;
}

export interface UnverifiedBackup {
  backup: StoredBackup;
  reason: string;
}

/** Backups with a valid manifest, by their finish time, apart from those without one and why. */
export function sortByManifest(
  backups: readonly StoredBackup[],
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

/**
 * A backup of ours that never became complete: an object without a valid manifest (a run that failed
 * or was killed before it), data parts whose backup object is not there, or a manifest whose object is gone.
 */
export interface IncompleteBackup {
  /** The backup key; for a manifest without its object, the manifest's key. */
  key: string;
  kind: 'unverified' | 'orphan parts' | 'orphan manifest';
  /** Every object it holds: removed together. */
  objects: StoredObject[];
  /** Why it is incomplete, without its age. */
  reason: string;
  /** When its newest object was written: a leftover is as old as its newest object. */
  lastModified: Date;
  /** Its newest object is older than the grace period: no run can still be writing it. */
  abandoned: boolean;
}

/** A backup in the plan's old layout: no manifest and not written by dr-actions (restorable, unverifiable). */
export interface LegacyBackup {
  key: string;
  lastModified: Date;
}

export interface IncompleteBackups {
  incomplete: IncompleteBackup[];
  legacy: LegacyBackup[];
}

export function isAbandoned(lastModified: Date, now: Date): boolean {
  return now.getTime() - lastModified.getTime() > INCOMPLETE_GRACE_MS;
}

/** The words retention and the audit both use for a leftover's age. */
export function graceNote(abandoned: boolean): string {
  return abandoned ? 'older than 24 h' : 'younger than 24 h: may still be in progress';
}

export function sizeOf(objects: readonly StoredObject[]): number {
  return objects.reduce((sum, object) => sum + object.sizeBytes, 0);
}

/** The most recently written of some objects (at least one): a leftover's age is that of its newest object. */
export function newestOf(objects: readonly StoredObject[]): StoredObject {
  return objects.reduce((newest, object) => (object.lastModified > newest.lastModified ? object : newest));
}

function partsNote(parts: readonly StoredObject[]): string {
  return parts.length ? `, with ${plural(parts.length, 'data part')} beside it` : '';
}

/** Leftovers before ownership is known: the object at the key (or, for parts without it, a part) tells who wrote them. */
interface Candidate {
  key: string;
  kind: IncompleteBackup['kind'];
  witness: StoredObject;
  objects: StoredObject[];
  reason: string;
}

function candidatesOf(listing: BackupListing, unverified: readonly UnverifiedBackup[]): Candidate[] {
  return [
    ...unverified.map(({ backup, reason }) => ({
      key: backup.key,
      kind: 'unverified' as const,
      witness: backup.object,
      objects: [backup.object, ...(backup.manifestObject ? [backup.manifestObject] : []), ...(backup.parts ?? [])],
      reason: `incomplete (${reason})${partsNote(backup.parts ?? [])}`,
    })),
    ...(listing.orphanParts ?? []).map(({ key, parts }) => ({
      key,
      kind: 'orphan parts' as const,
      witness: newestOf(parts),
      objects: parts,
      reason: `incomplete: ${plural(parts.length, 'data part')} whose backup object (the schema) is not there`,
    })),
    ...listing.orphanManifests.map((object) => ({
      key: object.key,
      kind: 'orphan manifest' as const,
      witness: object,
      objects: [object],
      reason: 'manifest without its backup object',
    })),
  ];
}

/**
 * The listing's unfinished backups. Backups without a valid manifest and parts without their object
 * are ours when a manifest is among their objects (the plan's old script wrote none) or the object's
 * metadata says dr-actions wrote it; the plan's old backups are legacy, never incomplete. A manifest
 * without its object is always ours.
 */
export async function findIncompleteBackups(
  store: BackupStore,
  listing: BackupListing,
  unverified: readonly UnverifiedBackup[],
  now: Date,
): Promise<IncompleteBackups> {
  const candidates = candidatesOf(listing, unverified);
  const owners = await mapWithLimit(
    candidates,
    16,
    async ({ witness, objects }) =>
      objects.some((object) => isManifestKey(object.key)) || createdByUs(await store.metadata(witness.key)),
  );
  const incomplete: IncompleteBackup[] = [];
  const legacy: LegacyBackup[] = [];
  candidates.forEach(({ key, kind, objects, reason }, index) => {
    const { lastModified } = newestOf(objects);
    if (!owners[index]) legacy.push({ key, lastModified });
    else incomplete.push({ key, kind, objects, reason, lastModified, abandoned: isAbandoned(lastModified, now) });
  });
  return { incomplete, legacy };
}
