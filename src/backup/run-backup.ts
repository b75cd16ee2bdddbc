import { ListObjectsV2Command, PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws/clients.js';
import { httpStatusOf } from '../aws/errors.js';
import { errorMessage } from '../errors.js';
import type { RunContext } from '../github/run-context.js';
import { findClient } from '../postgres/binaries.js';
import { PsqlSession } from '../postgres/psql-session.js';
import { BackupStore, CREATED_BY_METADATA } from '../storage/backup-store.js';
import { deleteKeys, putManifest } from '../storage/backup-writes.js';
import { backupKey, manifestKeyFor } from '../storage/keys.js';
import { MANIFEST_VERSION, type BackupManifest } from '../storage/manifest.js';
import { partSizeFor } from '../storage/streaming-upload.js';
import { formatBytes, secondsBetween } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { resolveCompression } from './compression.js';
import type { BackupSettings } from './inputs.js';
import { dumpToS3 } from './dump-to-s3.js';
import { dumpedTableOids } from './pg-dump-process.js';
import { pruneBackups, type PruneReport } from './prune.js';
import { exportSnapshot, readServerFacts, tablesByOid } from './snapshot.js';

export interface BackupRunOptions extends BackupSettings {
  run: RunContext;
  log: Logger;
  now?: () => Date;
}

export interface BackupResult {
  key: string;
  manifestKey: string;
  manifest: BackupManifest;
  durationSeconds: number;
  /** Bytes of the stored object per second of the whole run. */
  throughputBytesPerSecond: number;
  /** Database size on disk over backup size. */
  compressionRatio: number;
  totalRows: number | null;
  partSize: number;
  retention?: PruneReport;
  /** The backup is good, but pruning failed. */
  retentionError?: string;
}

const CONTENT_TYPE = { custom: 'application/octet-stream', plain: 'application/gzip' } as const;

/**
 * Before anything is dumped: the bucket must exist and be reachable, and nothing may be stored at
 * the key yet. One listing of the key itself answers all three with only prefix-scoped
 * s3:ListBucket (HeadBucket would need s3:ListBucket on the whole bucket).
 */
async function checkKeyIsFree(client: S3Client, bucket: string, key: string): Promise<void> {
  let taken: boolean;
  try {
    const listing = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 2 }));
    taken = (listing.Contents ?? []).some((item) => item.Key === key || item.Key === manifestKeyFor(key));
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 404) throw new Error(`bucket ${bucket} does not exist`);
    if (status === 403) throw new Error(`listing s3://${bucket}/${key} was denied: the role needs s3:ListBucket on the prefix`);
    throw new Error(`could not reach bucket ${bucket}: ${errorMessage(error)}`);
  }
  if (taken) {
    throw new Error(`s3://${bucket}/${key} already exists: two backups started in the same second under one prefix; give each database its own prefix`);
  }
}

/**
 * Dumps one database into S3 and, when the object is complete, writes its manifest; then
 * applies retention. Only a dump that pg_dump finished with exit code 0, whose row counts were
 * taken, is ever completed in S3: on any failure the multipart upload is aborted and no manifest
 * is written.
 */
export async function runBackup(options: BackupRunOptions): Promise<BackupResult> {
  const now = options.now ?? (() => new Date());
  const { database, log } = options;
  const psql = await findClient('psql');
  const session = await PsqlSession.open(database, { psqlPath: psql.path }).catch((error: unknown) => {
    throw new Error(`could not connect to ${database.display}: ${errorMessage(error)}`);
  });
  try {
    const server = await readServerFacts(session);
    const pgDump = await findClient('pg_dump', server.major, server.version);
    const compression = resolveCompression(options.compression, options.format, pgDump.major, pgDump.version);
    log.info(`PostgreSQL ${server.version} (${formatBytes(server.databaseSizeBytes)}), ${pgDump.tool} ${pgDump.version} at ${pgDump.path}, ${options.format} format, ${compression.label}`);

    const client = createS3Client(options.aws);
    const store = new BackupStore(client, options.bucket, options.prefix);
    const startedAt = now();
    const key = backupKey(options.prefix, startedAt, options.format);
    await checkKeyIsFree(client, options.bucket, key);

    const snapshot = await exportSnapshot(session);
    const dumpArgs = [`--snapshot=${snapshot.id}`, ...options.pgDumpArgs];
    const tables = await tablesByOid(session, await dumpedTableOids(pgDump, database, dumpArgs));
    log.info(`snapshot ${snapshot.id} taken at ${snapshot.takenAt.toISOString()}; ${tables.length} tables to dump`);

    const partSize = partSizeFor(server.databaseSizeBytes * 2);
    const dumped = await dumpToS3({
      pgDump,
      database,
      pgDumpArgs: [`--format=${options.format}`, ...compression.pgDumpArgs, ...dumpArgs],
      gzipLevel: options.format === 'plain' ? compression.level : undefined,
      session,
      tables,
      countRows: options.rowCounts === 'exact',
      log,
      upload: {
        client,
        bucket: options.bucket,
        key,
        partSize,
        contentType: CONTENT_TYPE[options.format],
        encryption: options.encryption,
        storageClass: options.storageClass,
        metadata: { ...CREATED_BY_METADATA, database: server.database, format: options.format, compression: compression.label, 'started-at': startedAt.toISOString() },
      },
    });
    const finishedAt = now();

    const manifest: BackupManifest = {
      version: MANIFEST_VERSION,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      bucket: options.bucket,
      key,
      database: server.database,
      server: { version: server.version, versionNum: server.versionNum },
      pgDump: { version: pgDump.version },
      format: options.format,
      compression: compression.label,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      snapshotAt: snapshot.takenAt.toISOString(),
      sizeBytes: dumped.sizeBytes,
      sha256: dumped.sha256,
      databaseSizeBytes: server.databaseSizeBytes,
      rowCounts: options.rowCounts,
      tables: dumped.tables,
      pgDumpArgs: options.pgDumpArgs,
      run: options.run,
    };
    const manifestKey = await publish(store, manifest, options).catch(async (error: unknown) => {
      await deleteKeys(store, [key]).catch(() => undefined);
      throw new Error(`the dump was uploaded but could not be published, so it was removed: ${errorMessage(error)}`);
    });
    const durationSeconds = secondsBetween(startedAt, now());
    log.info(`stored s3://${options.bucket}/${key} (${formatBytes(dumped.sizeBytes)}, sha256 ${dumped.sha256}) in ${durationSeconds} s`);

    const result: BackupResult = {
      key,
      manifestKey,
      manifest,
      durationSeconds,
      throughputBytesPerSecond: dumped.sizeBytes / Math.max(durationSeconds, 0.001),
      compressionRatio: dumped.sizeBytes > 0 ? server.databaseSizeBytes / dumped.sizeBytes : 0,
      totalRows: options.rowCounts === 'exact' ? dumped.tables.reduce((sum, t) => sum + (t.rows ?? 0), 0) : null,
      partSize,
    };
    if (options.retention !== 'off') {
      try {
        result.retention = await pruneBackups({ store, policy: options.retention, minKeep: options.minKeep, dryRun: options.pruneDryRun, now: now(), protectKey: key, log });
        const failed = result.retention.errors;
        if (failed.length) result.retentionError = `${failed.length} deletions failed, e.g. ${failed[0]?.key}: ${failed[0]?.message}`;
      } catch (error) {
        result.retentionError = errorMessage(error);
      }
    }
    return result;
  } finally {
    await session.close();
  }
}

/**
 * Checks that S3 holds exactly the bytes that were hashed, records S3's own checksum of them,
 * tags the object with its SHA-256
 * (an object's metadata is fixed when its multipart upload starts, before the hash is known),
 * then writes the manifest: the moment the backup becomes complete.
 */
async function publish(store: BackupStore, manifest: BackupManifest, options: BackupRunOptions): Promise<string> {
  const stored = await store.metadata(manifest.key);
  if (!stored || stored.sizeBytes !== manifest.sizeBytes) {
    throw new Error(`S3 holds ${stored ? stored.sizeBytes : 'no'} bytes at ${manifest.key}, ${manifest.sizeBytes} were sent`);
  }
  manifest.storageChecksum = stored.storageChecksum;
  await store.client.send(
    new PutObjectTaggingCommand({ Bucket: store.bucket, Key: manifest.key, Tagging: { TagSet: [{ Key: 'sha256', Value: manifest.sha256 }] } }),
  );
  return putManifest(store, manifest, options.encryption);
}
