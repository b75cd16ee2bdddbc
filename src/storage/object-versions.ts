import { ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { GLOBALS_SUFFIX } from './globals-object.js';
import { backupKeyOfManifest, isManifestKey } from './keys.js';

/** One version of a key, or a delete marker, as ListObjectVersions reports it. */
export interface ObjectVersion {
  key: string;
  versionId: string;
  marker: boolean;
  /** The key's current version: what GET and a plain listing see (a marker: nothing). */
  isLatest: boolean;
  /** For a delete marker: when the key was deleted. */
  lastModified: Date;
  sizeBytes: number;
}

/**
 * Every version and delete marker of the keys directly under the prefix (not in deeper folders),
 * from one paginated listing. A bucket that never had versioning answers each object once, as its
 * current version with version id `null`.
 */
export async function listObjectVersions(client: S3Client, bucket: string, prefix: string): Promise<ObjectVersion[]> {
  const versions: ObjectVersion[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await client.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        Delimiter: '/',
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
      }),
    );
    const entries = [
      ...(page.Versions ?? []).map((v) => ({ ...v, marker: false, size: v.Size ?? 0 })),
      ...(page.DeleteMarkers ?? []).map((m) => ({ ...m, marker: true, size: 0 })),
    ];
    for (const entry of entries) {
      if (!entry.Key || !entry.VersionId) continue;
      versions.push({
        key: entry.Key,
        versionId: entry.VersionId,
        marker: entry.marker,
        isLatest: entry.IsLatest === true,
        lastModified: entry.LastModified ?? new Date(0),
        sizeBytes: entry.size,
      });
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return versions;
}

/** The backup a key belongs to: its object, manifest and globals stand or fall together, so a lock on one keeps all three. */
export function backupOf(key: string): string {
  if (isManifestKey(key)) return backupKeyOfManifest(key);
  return key.endsWith(GLOBALS_SUFFIX) ? key.slice(0, -GLOBALS_SUFFIX.length) : key;
}
