import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { httpStatusOf } from '../aws/errors.js';
import { mapWithLimit } from '../util/concurrency.js';
import {
  backupKeyOfManifest,
  backupKeyOfPart,
  isManifestKey,
  manifestKeyFor,
  parseBackupKey,
  type BackupFormat,
} from './keys.js';
import { InvalidManifestError, parseManifest, type BackupManifest, type StorageChecksum } from './manifest.js';

export interface StoredObject {
  key: string;
  sizeBytes: number;
  lastModified: Date;
}

/** A backup object under the prefix, with its manifest object when there is one. */
export interface StoredBackup {
  key: string;
  format: BackupFormat;
  /** The time in the key's name. */
  keyTime: Date;
  object: StoredObject;
  manifestObject?: StoredObject;
  /** The objects at `<key>.part-<n>` beside it: a parallel backup's data parts, listed whether or not a manifest names them. */
  parts?: StoredObject[];
}

/** Data parts at `<key>.part-<n>` whose backup object is not there: a parallel backup that never wrote it, or lost it. */
export interface OrphanParts {
  /** The backup key the parts belong to. */
  key: string;
  parts: StoredObject[];
}

export interface BackupListing {
  backups: StoredBackup[];
  /** Manifests whose object is gone. */
  orphanManifests: StoredObject[];
  /** Parts whose backup object is gone, by backup key. */
  orphanParts?: OrphanParts[];
}

export interface ObjectFacts {
  sizeBytes: number;
  etag?: string;
  metadata: Record<string, string>;
  lastModified?: Date;
  storageChecksum?: StorageChecksum;
}

function storageChecksumOf(head: HeadObjectCommandOutput): StorageChecksum | undefined {
  const type = head.ChecksumType === 'COMPOSITE' ? 'COMPOSITE' : 'FULL_OBJECT';
  if (head.ChecksumCRC64NVME) return { algorithm: 'CRC64NVME', type, value: head.ChecksumCRC64NVME };
  if (head.ChecksumCRC32C) return { algorithm: 'CRC32C', type, value: head.ChecksumCRC32C };
  if (head.ChecksumCRC32) return { algorithm: 'CRC32', type, value: head.ChecksumCRC32 };
  return undefined;
}

export type ManifestRead = { manifest: BackupManifest } | { error: string };

export interface Encryption {
  serverSideEncryption: ServerSideEncryption;
  kmsKeyId?: string;
}

/** Object metadata that marks an object as written by dr-actions (the plan's old script wrote none). */
export const CREATED_BY_METADATA = { 'created-by': 'dr-actions' };

/** Whether an object's metadata says dr-actions wrote it. */
export function createdByUs(facts: Pick<ObjectFacts, 'metadata'> | undefined): boolean {
  return facts?.metadata['created-by'] === CREATED_BY_METADATA['created-by'];
}

const MANIFEST_READ_CONCURRENCY = 16;

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The backups of one database, the objects directly under one prefix of one bucket, as read
 * by every action; writing them is the backup's alone (backup-writes.ts).
 */
export class BackupStore {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
  ) {}

  /** Every backup object and manifest directly under the prefix, newest first; paginated, so any number. */
  async list(): Promise<BackupListing> {
    const objects = new Map<string, StoredObject>();
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix,
          Delimiter: '/',
          ContinuationToken: token,
        }),
      );
      for (const item of page.Contents ?? []) {
        if (!item.Key) continue;
        objects.set(item.Key, {
          key: item.Key,
          sizeBytes: item.Size ?? 0,
          lastModified: item.LastModified ?? new Date(0),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);

    return this.sortListing(objects);
  }

  /** The listed objects as backups, each with its manifest and parts, and the manifests and parts whose object is gone. */
  private sortListing(objects: ReadonlyMap<string, StoredObject>): BackupListing {
    const backups: StoredBackup[] = [];
    const orphanManifests: StoredObject[] = [];
    const parts = new Map<string, StoredObject[]>();
    for (const object of objects.values()) {
      const partOf = backupKeyOfPart(object.key);
      if (partOf && parseBackupKey(partOf, this.prefix)) parts.set(partOf, [...(parts.get(partOf) ?? []), object]);
      if (isManifestKey(object.key)) {
        const backupKey = backupKeyOfManifest(object.key);
        if (parseBackupKey(backupKey, this.prefix) && !objects.has(backupKey)) orphanManifests.push(object);
        continue;
      }
      const parsed = parseBackupKey(object.key, this.prefix);
      if (!parsed) continue;
      backups.push({
        key: object.key,
        format: parsed.format,
        keyTime: parsed.time,
        object,
        manifestObject: objects.get(manifestKeyFor(object.key)),
      });
    }
    for (const backup of backups) {
      backup.parts = parts.get(backup.key) ?? [];
      parts.delete(backup.key);
    }
    backups.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    const orphanParts = [...parts].map(([key, objects]) => ({ key, parts: objects })).sort(byKey);
    return { backups, orphanManifests, orphanParts };
  }

  /** The backup's manifest; with `versionId`, that version of it (a noncurrent one, under a delete marker). */
  async readManifest(backupKey: string, versionId?: string): Promise<ManifestRead> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: manifestKeyFor(backupKey), VersionId: versionId }),
      );
      const text = (await response.Body?.transformToString('utf8')) ?? '';
      return { manifest: parseManifest(text, backupKey) };
    } catch (error) {
      if (error instanceof InvalidManifestError) return { error: `invalid manifest: ${error.message}` };
      if ((error as { name?: string }).name === 'NoSuchKey') return { error: 'no manifest' };
      throw error;
    }
  }

  /** Manifests of the given backups (those that have one), read with bounded concurrency. */
  async readManifests(backups: readonly StoredBackup[]): Promise<Map<string, ManifestRead>> {
    const withManifest = backups.filter((b) => b.manifestObject);
    const reads = await mapWithLimit(withManifest, MANIFEST_READ_CONCURRENCY, (b) => this.readManifest(b.key));
    return new Map(withManifest.map((b, i) => [b.key, reads[i] as ManifestRead]));
  }

  /** Size, user metadata and S3's own checksum of an object, or undefined when there is none. */
  async metadata(key: string): Promise<ObjectFacts | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }),
      );
      return {
        sizeBytes: head.ContentLength ?? 0,
        etag: head.ETag,
        metadata: head.Metadata ?? {},
        lastModified: head.LastModified,
        storageChecksum: storageChecksumOf(head),
      };
    } catch (error) {
      const status = httpStatusOf(error);
      if ((error as { name?: string }).name === 'NotFound' || status === 404) return undefined;
      throw error;
    }
  }

  /** Whether dr-actions wrote a backup: it has a manifest (the plan's old script never wrote one), or its metadata says so. */
  async isOurs(backup: StoredBackup): Promise<boolean> {
    return Boolean(backup.manifestObject) || createdByUs(await this.metadata(backup.key));
  }
}
