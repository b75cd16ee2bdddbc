import { httpStatusOf } from '../aws/errors.js';
import { ConfigurationError, errorMessage } from '../errors.js';
import {
  createdByUs,
  type BackupListing,
  type BackupStore,
  type ManifestRead,
  type StoredBackup,
} from './backup-store.js';
import type { BackupManifest } from './manifest.js';
import { mapWithLimit } from '../util/concurrency.js';
import type { BackupSelector } from './backup-selector.js';

/** A backup whose object and valid manifest are both in S3: the only kind that can be verified. */
export interface CompleteBackup {
  backup: StoredBackup;
  manifest: BackupManifest;
  finishedAt: Date;
  /** The instant the data is from (server clock). */
  snapshotAt: Date;
}

/** What is under the prefix, sorted for selection. */
export interface BackupCatalog {
  /** Newest first. */
  complete: CompleteBackup[];
  /** Objects without a manifest object: the plan's old layout, or uploads of ours that never completed. Newest first. */
  withoutManifest: StoredBackup[];
  /** A manifest is there but unreadable or wrong. */
  invalid: { backup: StoredBackup; error: string }[];
}

export interface Selection {
  backup: StoredBackup;
  /** Absent: the backup restores, but nothing can verify it. */
  manifest?: BackupManifest;
  /** Why this one, in a sentence. */
  reason: string;
}

export function catalogBackups(listing: BackupListing, manifests: ReadonlyMap<string, ManifestRead>): BackupCatalog {
  const catalog: BackupCatalog = { complete: [], withoutManifest: [], invalid: [] };
  for (const backup of listing.backups) {
    const read = manifests.get(backup.key);
    if (!backup.manifestObject || !read) catalog.withoutManifest.push(backup);
    else if ('manifest' in read) {
      catalog.complete.push({
        backup,
        manifest: read.manifest,
        finishedAt: new Date(read.manifest.finishedAt),
        snapshotAt: new Date(read.manifest.snapshotAt),
      });
    } else catalog.invalid.push({ backup, error: read.error });
  }
  // Keys sort by start time; a slow backup may finish after a later one started, so order by finish.
  catalog.complete.sort(
    (a, b) => b.finishedAt.getTime() - a.finishedAt.getTime() || (a.backup.key < b.backup.key ? 1 : -1),
  );
  return catalog;
}

/** Lists the prefix and reads every manifest; a missing bucket or a denied listing says what to fix. */
export async function readCatalog(store: BackupStore): Promise<BackupCatalog> {
  try {
    const listing = await store.list();
    return catalogBackups(listing, await store.readManifests(listing.backups));
  } catch (error) {
    const status = httpStatusOf(error);
    const where = `s3://${store.bucket}/${store.prefix}`;
    if ((error as { name?: string }).name === 'NoSuchBucket')
      throw new ConfigurationError(`bucket ${store.bucket} does not exist; check bucket, region and endpoint-url`);
    if (status === 403)
      throw new ConfigurationError(
        `reading ${where} was denied: the job's role needs s3:ListBucket on the bucket and s3:GetObject on its objects`,
      );
    throw new Error(`could not read the backups under ${where}: ${errorMessage(error)}`);
  }
}

function pickIndex(length: number, random: () => number): number {
  return Math.min(length - 1, Math.floor(random() * length));
}

/** Chooses among complete backups; undefined when there are none at all. */
export function chooseComplete(
  complete: readonly CompleteBackup[],
  selector: BackupSelector,
  random: () => number,
): Selection | undefined {
  if (complete.length === 0) return undefined;
  const pick = (chosen: CompleteBackup, reason: string): Selection => ({
    backup: chosen.backup,
    manifest: chosen.manifest,
    reason,
  });
  switch (selector.kind) {
    case 'latest':
      return pick(
        complete[0] as CompleteBackup,
        complete.length === 1 ? 'the only complete backup' : `the newest of ${complete.length} complete backups`,
      );
    case 'random':
      return pick(
        complete[pickIndex(complete.length, random)] as CompleteBackup,
        complete.length === 1
          ? 'picked at random, but it is the only complete backup'
          : `picked at random from ${complete.length} complete backups`,
      );
    case 'point-in-time': {
      const at = selector.at.getTime();
      const chosen = complete.find((c) => c.finishedAt.getTime() <= at);
      if (!chosen) {
        const oldest = complete[complete.length - 1] as CompleteBackup;
        throw new ConfigurationError(
          `no complete backup finished at or before ${selector.at.toISOString()}; the oldest of ${complete.length} finished at ${oldest.finishedAt.toISOString()} (${oldest.backup.key})`,
        );
      }
      return pick(
        chosen,
        `the newest complete backup finished at or before ${selector.at.toISOString()} (finished ${chosen.finishedAt.toISOString()})`,
      );
    }
    case 'key':
      return undefined;
  }
}

/** Chooses among backups in the plan's old layout (no manifest), by the time in their key. */
export function chooseLegacy(
  legacy: readonly StoredBackup[],
  selector: BackupSelector,
  random: () => number,
): Selection | undefined {
  const sorted = [...legacy].sort((a, b) => b.keyTime.getTime() - a.keyTime.getTime());
  const note = "no complete backup exists, so one without a manifest (the plan's old layout)";
  switch (selector.kind) {
    case 'latest':
      return (
        sorted[0] && {
          backup: sorted[0],
          reason: sorted.length === 1 ? `${note}: the only one` : `${note}: the newest of ${sorted.length}`,
        }
      );
    case 'random':
      return sorted.length
        ? {
            backup: sorted[pickIndex(sorted.length, random)] as StoredBackup,
            reason: `${note}: picked at random from ${sorted.length}`,
          }
        : undefined;
    case 'point-in-time': {
      const chosen = sorted.find((b) => b.keyTime.getTime() <= selector.at.getTime());
      return (
        chosen && {
          backup: chosen,
          reason: `${note}: the newest whose key time is at or before ${selector.at.toISOString()}`,
        }
      );
    }
    case 'key':
      return undefined;
  }
}

function incompleteBackup(store: BackupStore, key: string): string {
  return (
    `s3://${store.bucket}/${key} is an incomplete backup: dr-actions wrote it but never its manifest, which is written last, ` +
    'once the dump succeeded and S3 held all of it; it may hold a partial dump and is never restored. Choose another backup'
  );
}

/** Objects without a manifest that dr-actions did not write: the plan's own script's backups. */
async function legacyBackups(store: BackupStore, withoutManifest: readonly StoredBackup[]): Promise<StoredBackup[]> {
  const heads = await mapWithLimit(withoutManifest, 16, (backup) => store.metadata(backup.key));
  return withoutManifest.filter((_, index) => heads[index] && !createdByUs(heads[index]));
}

/**
 * Picks the backup to restore. Complete backups are preferred; the plan's old backups are chosen
 * by key, or when nothing complete exists. A key whose manifest is invalid is refused: a
 * manifest that is there but wrong means the backup cannot be trusted.
 */
export async function selectBackup(
  store: BackupStore,
  catalog: BackupCatalog,
  selector: BackupSelector,
  random: () => number,
): Promise<Selection> {
  const where = `s3://${store.bucket}/${store.prefix}`;
  if (selector.kind === 'key') {
    const complete = catalog.complete.find((c) => c.backup.key === selector.key);
    if (complete) return { backup: complete.backup, manifest: complete.manifest, reason: 'named by key' };
    const invalid = catalog.invalid.find((c) => c.backup.key === selector.key);
    if (invalid)
      throw new ConfigurationError(
        `s3://${store.bucket}/${selector.key} cannot be trusted: ${invalid.error}; choose another backup`,
      );
    const bare = catalog.withoutManifest.find((b) => b.key === selector.key);
    if (bare && (await store.isOurs(bare))) throw new ConfigurationError(incompleteBackup(store, bare.key));
    if (bare) return { backup: bare, reason: 'named by key; it has no manifest' };
    throw new ConfigurationError(
      `there is no backup object s3://${store.bucket}/${selector.key}; list them with: aws s3 ls ${where}`,
    );
  }
  const complete = chooseComplete(catalog.complete, selector, random);
  if (complete) return complete;
  const legacyFound = await legacyBackups(store, catalog.withoutManifest);
  const legacy = chooseLegacy(legacyFound, selector, random);
  if (legacy) return legacy;
  const found = catalog.withoutManifest.length + catalog.invalid.length;
  const incomplete = catalog.withoutManifest.filter((b) => !legacyFound.includes(b));
  const example = incomplete[0]
    ? `, e.g. ${incomplete[0].key}: an incomplete backup of dr-actions, never restored`
    : catalog.invalid[0]
      ? `, e.g. ${catalog.invalid[0].backup.key}: ${catalog.invalid[0].error}`
      : '';
  const others = found ? ` (${found} backup objects there have no valid manifest${example})` : '';
  const when = selector.kind === 'point-in-time' ? ` at or before ${selector.at.toISOString()}` : '';
  throw new ConfigurationError(
    `no complete backup${when} under ${where}${others}; check bucket and prefix, or run the backup action first`,
  );
}
