import { DeleteObjectsCommand, GetBucketVersioningCommand, type ObjectIdentifier } from '@aws-sdk/client-s3';
import { mapWithLimit } from '../util/concurrency.js';
import type { BackupStore } from './backup-store.js';
import { deleteKeys } from './backup-writes.js';
import { isLocked, readLock } from './object-lock-read.js';
import { backupOf, listObjectVersions } from './object-versions.js';
import { DELETE_BATCH } from './s3-limits.js';

/** A key retention meant to delete, left alone because a version of it (or of its pair) is locked. */
export interface LockedKey {
  key: string;
  /** The latest retain-until date among its versions; undefined under a legal hold alone. */
  lockedUntil?: Date;
  legalHold: boolean;
}

export interface DeleteOutcome {
  deleted: string[];
  errors: { key: string; message: string }[];
  locked: LockedKey[];
}

const LOCK_READ_CONCURRENCY = 16;

async function isVersioned(store: BackupStore): Promise<boolean> {
  const response = await store.client.send(new GetBucketVersioningCommand({ Bucket: store.bucket }));
  return response.Status === 'Enabled' || response.Status === 'Suspended';
}

/** Every version and delete marker of the given keys, from one paginated listing of the prefix. */
async function versionsOf(
  store: BackupStore,
  keys: ReadonlySet<string>,
): Promise<Map<string, { versionId: string; marker: boolean }[]>> {
  const versions = new Map<string, { versionId: string; marker: boolean }[]>();
  for (const { key, versionId, marker } of await listObjectVersions(store.client, store.bucket, store.prefix)) {
    if (!keys.has(key)) continue;
    versions.set(key, [...(versions.get(key) ?? []), { versionId, marker }]);
  }
  return versions;
}

/**
 * Deletes what retention decided to delete. In a bucket without versioning that is one
 * DeleteObjects per 1,000 keys. In a versioned bucket a plain delete only hides the object behind
 * a delete marker (and a locked version cannot go at all), so every version and delete marker of
 * each key is deleted by version id, after reading each version's lock: a key whose versions (or
 * those of its backup's object, manifest or globals) are still locked is left whole and reported with its lock, never
 * tried, so retention neither fails on it nor leaves it half deleted.
 */
export async function deleteBackupKeys(store: BackupStore, keys: readonly string[], now: Date): Promise<DeleteOutcome> {
  if (!(await isVersioned(store))) return { ...(await deleteKeys(store, keys)), locked: [] };
  const wanted = new Set(keys);
  const versions = await versionsOf(store, wanted);

  const objectVersions = [...versions].flatMap(([key, list]) =>
    list.filter((v) => !v.marker).map((v) => ({ key, versionId: v.versionId })),
  );
  const locks = await mapWithLimit(objectVersions, LOCK_READ_CONCURRENCY, (v) =>
    readLock(store.client, store.bucket, v.key, v.versionId),
  );
  const lockedByKey = new Map<string, LockedKey>();
  objectVersions.forEach((v, index) => {
    const lock = locks[index];
    if (!lock || !isLocked(lock, now)) return;
    const seen = lockedByKey.get(v.key) ?? { key: v.key, legalHold: false };
    const later =
      lock.retainUntil && (!seen.lockedUntil || seen.lockedUntil < lock.retainUntil)
        ? lock.retainUntil
        : seen.lockedUntil;
    lockedByKey.set(v.key, { key: v.key, legalHold: seen.legalHold || lock.legalHold, lockedUntil: later });
  });
  const lockOfBackup = new Map<string, LockedKey>();
  for (const [key, lock] of lockedByKey) if (!lockOfBackup.has(backupOf(key))) lockOfBackup.set(backupOf(key), lock);
  const locked: LockedKey[] = [];
  for (const key of keys) {
    const own = lockedByKey.get(key);
    const sibling = lockOfBackup.get(backupOf(key));
    if (own || sibling)
      locked.push(own ?? { key, lockedUntil: sibling?.lockedUntil, legalHold: sibling?.legalHold ?? false });
  }
  const lockedKeys = new Set(locked.map((l) => l.key));

  const targets: ObjectIdentifier[] = keys
    .filter((key) => !lockedKeys.has(key))
    .flatMap((key) => (versions.get(key) ?? []).map((v) => ({ Key: key, VersionId: v.versionId })));
  const failed = new Map<string, string>();
  for (let start = 0; start < targets.length; start += DELETE_BATCH) {
    const response = await store.client.send(
      new DeleteObjectsCommand({
        Bucket: store.bucket,
        Delete: { Objects: targets.slice(start, start + DELETE_BATCH), Quiet: true },
      }),
    );
    for (const item of response.Errors ?? [])
      if (item.Key) failed.set(item.Key, `${item.Code ?? ''} ${item.Message ?? ''}`.trim());
  }
  const done = keys.filter((key) => !lockedKeys.has(key) && !failed.has(key));
  return { deleted: done, errors: [...failed].map(([key, message]) => ({ key, message })), locked };
}
