import type { BackupStore } from './backup-store.js';
import { backupKeyOfPart, isManifestKey, manifestKeyFor, parseBackupKey } from './keys.js';
import { readLock, type CurrentLock } from './object-lock-read.js';
import { backupOf, listObjectVersions, type ObjectVersion } from './object-versions.js';
import { mapWithLimit } from '../util/concurrency.js';

/** A delete marker that is a key's current version: what hides the key from GET and from a plain listing. */
export interface DeleteMarker {
  key: string;
  versionId: string;
  /** When the key was deleted (the marker's LastModified). */
  deletedAt: Date;
}

/**
 * A backup of ours (it has a manifest, current or not) whose object or manifest is hidden behind a
 * delete marker: restore-verify, recover-database and `aws s3 ls` no longer see it, although its
 * versions may still be there. Removing its markers brings it back as it was.
 */
export interface DeletedBackup {
  key: string;
  /** The current delete markers of its object, manifest, globals and parts. */
  markers: DeleteMarker[];
  /** The newest version of its object under the marker, with its lock; undefined when none is left. */
  data?: { versionId: string; sizeBytes: number; lock: CurrentLock };
  /** When it finished: its manifest's finish time, or the time in its key when the manifest does not read. */
  finishedAt: Date;
}

const READ_CONCURRENCY = 16;

const newestFirst = (a: ObjectVersion, b: ObjectVersion) => b.lastModified.getTime() - a.lastModified.getTime();

/** The backup a key of the listing belongs to (its object, manifest, globals or a part), if it is one of a backup. */
function ownerOf(key: string, prefix: string): string | undefined {
  const owner = backupKeyOfPart(key) ?? backupOf(key);
  return parseBackupKey(owner, prefix) ? owner : undefined;
}

function groupByBackup(versions: readonly ObjectVersion[], prefix: string): Map<string, ObjectVersion[]> {
  const groups = new Map<string, ObjectVersion[]>();
  for (const version of versions) {
    const owner = ownerOf(version.key, prefix);
    if (owner) groups.set(owner, [...(groups.get(owner) ?? []), version]);
  }
  return groups;
}

interface Hidden {
  key: string;
  markers: DeleteMarker[];
  object?: ObjectVersion;
  manifest: ObjectVersion;
}

/** A backup whose object or manifest is currently a delete marker, and that has a manifest version to be ours. */
function hiddenOf(key: string, versions: readonly ObjectVersion[]): Hidden | undefined {
  const current = versions.filter((v) => v.isLatest && v.marker);
  if (!current.some((m) => m.key === key || m.key === manifestKeyFor(key))) return undefined;
  const data = (k: string) => versions.filter((v) => v.key === k && !v.marker).sort(newestFirst)[0];
  const manifest = data(manifestKeyFor(key));
  if (!manifest) return undefined;
  const markers = current
    .map((m) => ({ key: m.key, versionId: m.versionId, deletedAt: m.lastModified }))
    .sort((a, b) => Number(isManifestKey(a.key)) - Number(isManifestKey(b.key)) || (a.key < b.key ? -1 : 1));
  return { key, markers, object: data(key), manifest };
}

/**
 * The backups under the store's prefix that a delete marker hides, from one listing of the prefix's
 * versions, each with its data version's lock and its finish time (from the newest version of its
 * manifest). In a bucket without versioning a delete is final: nothing is hidden, nothing is found.
 */
export async function findDeletedBackups(store: BackupStore): Promise<DeletedBackup[]> {
  const versions = await listObjectVersions(store.client, store.bucket, store.prefix);
  const hidden = [...groupByBackup(versions, store.prefix)]
    .map(([key, group]) => hiddenOf(key, group))
    .filter((h): h is Hidden => h !== undefined)
    .sort((a, b) => (a.key < b.key ? 1 : -1));
  return mapWithLimit(hidden, READ_CONCURRENCY, async ({ key, markers, object, manifest }) => {
    const [read, lock] = await Promise.all([
      store.readManifest(key, manifest.versionId),
      object && readLock(store.client, store.bucket, key, object.versionId),
    ]);
    const finishedAt =
      'manifest' in read
        ? new Date(read.manifest.finishedAt)
        : (parseBackupKey(key, store.prefix) as { time: Date }).time;
    return {
      key,
      markers,
      ...(object && lock ? { data: { versionId: object.versionId, sizeBytes: object.sizeBytes, lock } } : {}),
      finishedAt,
    };
  });
}
