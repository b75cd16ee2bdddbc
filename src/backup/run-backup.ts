import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ObjectLockMode } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws/clients.js';
import { errorMessage } from '../errors.js';
import type { RunContext } from '../github/run-context.js';
import { findClient, type ClientBinary } from '../postgres/binaries.js';
import type { TableName } from '../postgres/identifiers.js';
import { startPgDump } from '../postgres/pg-dump.js';
import { PsqlSession } from '../postgres/psql-session.js';
import { measureTablesInSnapshot, readSequencesInSnapshot } from '../postgres/snapshot-counts.js';
import { exportSnapshot, readServerFacts, type ExportedSnapshot, type ServerFacts } from '../postgres/snapshot.js';
import { BackupStore } from '../storage/backup-store.js';
import {
  BackupKeyTakenError,
  checkKeyIsFree,
  leftByCancel,
  publishBackup,
  uploadBackupObject,
  type BackupObject,
  type WrittenObject,
} from '../storage/backup-writes.js';
import { backupKey } from '../storage/keys.js';
import {
  MANIFEST_VERSION,
  SINGLE_ARCHIVE_MANIFEST_VERSION,
  type BackupManifest,
  type BackupPart,
  type TableRowCount,
} from '../storage/manifest.js';
import { hashedSource, Sha256Tally } from '../storage/sha256-stream.js';
import { partSizeFor } from '../storage/streaming-upload.js';
import { BufferReclaimer } from '../util/buffer-reclaimer.js';
import { readableSource, sourceReadable, type ByteSource } from '../util/byte-source.js';
import { gatedSource } from '../util/end-gate.js';
import { formatBytes, secondsBetween } from '../util/format.js';
import { PROGRESS_EVERY_MS, type Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { resolveCompression, type ResolvedCompression } from './compression.js';
import { planDumpContents, type DumpContents } from './dump-contents.js';
import { captureGlobals, globalsRecordFor, type CapturedGlobals } from './globals.js';
import type { BackupSettings } from './inputs.js';
import { lockModeFor, newBackupLock } from './protection.js';
import { retainBackups, type RetentionOutcome } from './retention-step.js';
import { makeSecondCopy, type CopyOutcome } from './second-copy.js';
import type { ObjectLock } from '../storage/object-lock.js';
import { planDataParts } from './data-parts.js';
import { dumpInParallel, type Counted, type ParallelDumped } from './parallel-dump.js';
import { systemClock, type Clock } from '../util/clock.js';

export interface BackupRunOptions extends BackupSettings {
  run: RunContext;
  log: Logger;
  /** The run's time (its start names the backup) and how the wait for S3 replication lets time pass. */
  clock?: Clock;
  /** A cancelled job: pg_dump is stopped and the upload aborted, so nothing is stored. */
  signal?: AbortSignal;
}

export interface BackupResult extends RetentionOutcome {
  key: string;
  manifestKey: string;
  manifest: BackupManifest;
  durationSeconds: number;
  /** Bytes stored: the object, and a parallel backup's parts. */
  storedBytes: number;
  /** Bytes of the stored object per second of the whole run. */
  throughputBytesPerSecond: number;
  /** Database size on disk over backup size. */
  compressionRatio: number;
  totalRows: number | null;
  partSize: number;
  /** The Object Lock the backup and its manifest were written with. */
  lock?: ObjectLock;
  /** Its second copy in another region, when copy-bucket is set. */
  copy?: CopyOutcome;
}

/**
 * Dumps one database into S3 and, when the object is complete, writes its manifest; then
 * applies retention. Only a dump that pg_dump finished with exit code 0, whose row counts were
 * taken, is ever completed in S3: on any failure the multipart upload is aborted and no manifest
 * is written.
 */
export async function runBackup(options: BackupRunOptions): Promise<BackupResult> {
  const clock = options.clock ?? systemClock;
  const now = () => new Date(clock.now());
  const { database, log } = options;
  const psql = await findClient('psql');
  const session = await PsqlSession.open(database, { psqlPath: psql.path }).catch((error: unknown) => {
    throw new Error(`could not connect to ${database.display}: ${errorMessage(error)}`);
  });
  try {
    const server = await readServerFacts(session);
    const pgDump = await findClient('pg_dump', server.major, server.version);
    const compression = resolveCompression(options.compression, options.format, pgDump.major, pgDump.version);
    log.info(
      `PostgreSQL ${server.version} (${formatBytes(server.databaseSizeBytes)}), ${pgDump.tool} ${pgDump.version} at ${pgDump.path}, ${options.format} format, ${compression.label}`,
    );

    const store = new BackupStore(createS3Client(options.aws), options.bucket, options.prefix);
    const startedAt = now();
    const destination = await claimDestination(store, options, startedAt);
    const { key, lock } = destination;

    const { snapshot, dumpArgs, contents, globals } = await readWhatToDump(session, options, {
      pgDump,
      psqlPath: psql.path,
    });

    const partSize = partSizeFor(server.databaseSizeBytes * 2);
    const plan = dumpPlanFor(options, { server, pgDump, compression, dumpArgs, key, lock, partSize, startedAt });
    const measure = (tables: TableName[]) =>
      measureTablesInSnapshot(database, psql.path, snapshot.id, tables, { count: options.rowCounts === 'exact' });
    const dumped =
      options.jobs > 1
        ? await dumpParts(store, session, measure, contents, options, plan)
        : await dumpToS3(store, measure, contents, options, plan);

    const manifest = manifestFor(options, {
      key,
      server,
      pgDump,
      compression,
      startedAt,
      finishedAt: now(),
      snapshot,
      contents,
      dumped,
      globals,
    });
    const manifestKey = await publishBackup(store, manifest, {
      written: dumped.written,
      encryption: options.encryption,
      lock,
      globalsSql: globals.sql,
      ...(dumped.writtenParts ? { parts: dumped.writtenParts } : {}),
    });
    const durationSeconds = secondsBetween(startedAt, now());
    const parts = dumped.parts
      ? ` and ${dumped.parts.length} data parts (${formatBytes(storedBytesOf(dumped))} in all)`
      : '';
    log.info(
      `stored s3://${options.bucket}/${key} (${formatBytes(dumped.sizeBytes)}, sha256 ${dumped.sha256})${parts} in ${durationSeconds} s`,
    );

    const result = backupResultOf(options, {
      key,
      manifestKey,
      manifest,
      durationSeconds,
      server,
      dumped,
      partSize,
      lock,
    });
    return await retainAndCopy(store, result, destination, { ...options, startedAt, clock });
  } finally {
    await session.close();
  }
}

/**
 * The dump's snapshot, then in it what the dump will hold, the roles it depends on and the server's
 * globals: everything the manifest records before pg_dump starts.
 */
async function readWhatToDump(
  session: PsqlSession,
  options: BackupRunOptions,
  { pgDump, psqlPath }: { pgDump: ClientBinary; psqlPath: string },
) {
  const { database, log } = options;
  const snapshot = await exportSnapshot(session);
  const dumpArgs = [`--snapshot=${snapshot.id}`, ...options.pgDumpArgs];
  const contents = await planDumpContents(
    session,
    pgDump,
    database,
    dumpArgs,
    (oids) => readSequencesInSnapshot(database, psqlPath, snapshot.id, oids),
    options.globals !== 'off',
  );
  const excluded = contents.excludedTables.length ? `, ${contents.excludedTables.length} excluded` : '';
  log.info(
    `snapshot ${snapshot.id} taken at ${snapshot.takenAt.toISOString()}; ${contents.tables.length} tables to dump${excluded}`,
  );
  const globals = await captureGlobals({
    pgDump,
    database,
    dumpArgs,
    policy: options.globals,
    log,
    dumpRoles: contents.roles,
  });
  return { snapshot, dumpArgs, contents, globals };
}

/** How this run's dump is made and stored: pg_dump's arguments, the gzip level of a plain dump, and the object's settings. */
function dumpPlanFor(
  options: BackupRunOptions,
  made: {
    server: ServerFacts;
    pgDump: ClientBinary;
    compression: ResolvedCompression;
    /** The snapshot and the user's pg-dump-args. */
    dumpArgs: string[];
    key: string;
    lock?: ObjectLock;
    partSize: number;
    startedAt: Date;
  },
): DumpPlan {
  const { server, pgDump, compression } = made;
  const formatArgs = [`--format=${options.format}`, ...compression.pgDumpArgs];
  return {
    pgDumpArgs: [...formatArgs, ...made.dumpArgs],
    baseArgs: [...formatArgs, ...made.dumpArgs.filter((arg) => arg.startsWith('--snapshot='))],
    gzipLevel: options.format === 'plain' ? compression.level : undefined,
    object: {
      key: made.key,
      format: options.format,
      partSize: made.partSize,
      encryption: options.encryption,
      storageClass: options.storageClass,
      lock: made.lock,
      metadata: {
        database: server.database,
        compression: compression.label,
        'started-at': made.startedAt.toISOString(),
        ...(options.run.url ? { 'run-url': options.run.url } : {}),
      },
    },
    pgDump,
  };
}

/** The published backup with the figures an SRE tunes by: duration, throughput, compression ratio, rows. */
function backupResultOf(
  options: BackupRunOptions,
  published: {
    key: string;
    manifestKey: string;
    manifest: BackupManifest;
    durationSeconds: number;
    server: ServerFacts;
    dumped: Dumped;
    partSize: number;
    lock?: ObjectLock;
  },
): BackupResult {
  const { durationSeconds, server, dumped } = published;
  const stored = storedBytesOf(dumped);
  return {
    key: published.key,
    manifestKey: published.manifestKey,
    manifest: published.manifest,
    durationSeconds,
    storedBytes: stored,
    throughputBytesPerSecond: stored / Math.max(durationSeconds, 0.001),
    compressionRatio: stored > 0 ? server.databaseSizeBytes / stored : 0,
    totalRows: options.rowCounts === 'exact' ? dumped.tables.reduce((sum, t) => sum + (t.rows ?? 0), 0) : null,
    partSize: published.partSize,
    lock: published.lock,
  };
}

/** Where this run's backup goes and how it is locked, settled before anything is dumped. */
interface Destination {
  key: string;
  lockMode?: ObjectLockMode;
  lock?: ObjectLock;
}

/**
 * Names the backup for its start, fails when that key is taken, and reads the bucket's lock mode.
 * The copy bucket is not asked: nothing of the copy region is a precondition of the backup.
 */
async function claimDestination(store: BackupStore, options: BackupRunOptions, startedAt: Date): Promise<Destination> {
  const key = backupKey(options.prefix, startedAt, options.format);
  await checkKeyIsFree(store, key);
  const lockMode = await lockModeFor(store, options.lockMode);
  const lock = newBackupLock(lockMode, options.retention, startedAt);
  return { key, lockMode, lock };
}

/** What the manifest records: the dump and everything about how and from what it was made. */
interface DumpRecord {
  key: string;
  server: ServerFacts;
  pgDump: ClientBinary;
  compression: ResolvedCompression;
  startedAt: Date;
  finishedAt: Date;
  snapshot: ExportedSnapshot;
  contents: DumpContents;
  dumped: Dumped;
  globals: CapturedGlobals;
}

function manifestFor(options: BackupRunOptions, record: DumpRecord): BackupManifest {
  const { key, server, pgDump, compression, snapshot, dumped, globals } = record;
  return {
    version: dumped.parts ? MANIFEST_VERSION : SINGLE_ARCHIVE_MANIFEST_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    bucket: options.bucket,
    key,
    database: server.database,
    server: { version: server.version, versionNum: server.versionNum },
    pgDump: { version: pgDump.version },
    format: options.format,
    compression: compression.label,
    startedAt: record.startedAt.toISOString(),
    finishedAt: record.finishedAt.toISOString(),
    snapshotAt: snapshot.takenAt.toISOString(),
    sizeBytes: dumped.sizeBytes,
    sha256: dumped.sha256,
    databaseSizeBytes: server.databaseSizeBytes,
    rowCounts: options.rowCounts,
    ...whatTheDumpHolds(record.contents, dumped),
    pgDumpArgs: options.pgDumpArgs,
    ...(dumped.parts ? { parts: dumped.parts } : {}),
    run: options.run,
    globals: globalsRecordFor(key, globals),
    ...(globals.roles ? { roles: globals.roles } : {}),
  };
}

/** The manifest's account of the dump: the tables with their rows, those left out, and what else a restore must bring back. */
function whatTheDumpHolds(
  contents: DumpContents,
  dumped: Dumped,
): Pick<BackupManifest, 'tables' | 'excludedTables' | 'largeObjects' | 'sequences' | 'materializedViews'> {
  const { excludedTables, largeObjects, sequences } = contents;
  return {
    tables: dumped.tables,
    excludedTables,
    ...(largeObjects === undefined ? {} : { largeObjects }),
    sequences,
    materializedViews: dumped.materializedViews,
  };
}

/**
 * What follows a published backup: retention over the bucket, then the second copy. Neither
 * undoes the backup; their failures are reported beside it.
 */
async function retainAndCopy(
  store: BackupStore,
  result: BackupResult,
  destination: Destination,
  options: BackupRunOptions & { startedAt: Date; clock: Clock },
): Promise<BackupResult> {
  const { lockMode } = destination;
  const copy = options.copy;
  let outcome = result;
  if (options.retention !== 'off') {
    const retention = {
      policy: options.retention,
      minKeep: options.minKeep,
      dryRun: options.pruneDryRun,
      now: new Date(options.clock.now()),
      log: options.log,
      lockMode,
      ownManifest: result.manifest,
    };
    outcome = { ...outcome, ...(await retainBackups(store, result.key, retention)) };
  }
  if (!copy) return outcome;
  return { ...outcome, copy: await makeSecondCopy(copy, store, result.manifest, options) };
}

interface DumpPlan {
  pgDump: ClientBinary;
  /** pg_dump's arguments, snapshot included. */
  pgDumpArgs: string[];
  /** Format, compression and snapshot alone, for a parallel backup's data parts. */
  baseArgs: string[];
  /** Set for plain dumps, which are gzipped here on their way to S3. */
  gzipLevel?: number;
  object: Omit<BackupObject, 'body'>;
}

interface Dumped extends Counted {
  written: WrittenObject;
  sizeBytes: number;
  sha256: string;
  /** A parallel backup's data parts (jobs above 1), and the objects this run wrote for them. */
  parts?: BackupPart[];
  writtenParts?: WrittenObject[];
}

/** The bytes stored: the object, and a parallel backup's parts. */
function storedBytesOf(dumped: Dumped): number {
  return dumped.sizeBytes + (dumped.parts ?? []).reduce((sum, part) => sum + part.sizeBytes, 0);
}

/** The exact rows (null with row-counts off) and sizes of tables in the dump's snapshot. */
type MeasureTables = (tables: TableName[]) => Promise<TableRowCount[]>;

/**
 * Exact row counts and sizes of the dump's tables and materialized views, in its snapshot, taken
 * while pg_dump runs.
 */
function startCounting(measure: MeasureTables, contents: DumpContents): Promise<Counted> {
  // Materialized views are counted with the tables, in the same snapshot; the first rows are the tables'.
  const tableCount = contents.tables.length;
  return measure([...contents.tables, ...contents.materializedViews]).then((counted) => ({
    tables: counted.slice(0, tableCount),
    materializedViews: counted.slice(tableCount),
  }));
}

/**
 * jobs above 1: the tables shared out among the data parts (sizes read in the snapshot before the
 * counts start on the same session), then every part and the schema dumped at once (parallel-dump.ts).
 */
async function dumpParts(
  store: BackupStore,
  session: PsqlSession,
  measure: MeasureTables,
  contents: DumpContents,
  options: BackupRunOptions,
  plan: DumpPlan,
): Promise<ParallelDumped> {
  const parts = await planDataParts(session, contents, options.jobs, options.pgDumpArgs);
  options.log.info(
    `${parts.length} data parts: ${parts.map((part, i) => `${i + 1}: ${part.tables} tables, ${formatBytes(part.bytes)}`).join('; ')}`,
  );
  const counting = startCounting(measure, contents);
  return dumpInParallel(store, { ...plan, parts }, counting, options);
}

/**
 * pg_dump's stdout, gzipped for plain dumps, through SHA-256 into S3, while the rows are counted
 * and the sizes read in the same snapshot. The upload may complete only once pg_dump exited 0 and
 * every table was counted; otherwise it is aborted and this throws pg_dump's own error, redacted.
 */
async function dumpToS3(
  store: BackupStore,
  measure: MeasureTables,
  contents: DumpContents,
  options: BackupRunOptions,
  plan: DumpPlan,
): Promise<Dumped> {
  const { database, log } = options;
  const dump = await startPgDump(plan.pgDump, database, plan.pgDumpArgs, options.signal);
  const counting = startCounting(measure, contents);
  const started = Date.now();
  const since = () => `${((Date.now() - started) / 1000).toFixed(2)} s`;
  // Where the time goes, for whoever tunes a slow backup (RUNNER_DEBUG shows it).
  // A failure of pg_dump or of the counts is the cause of everything after it, so it is kept as it happens.
  let cause: unknown;
  dump.exit.then(
    () => log.debug(`pg_dump exited 0 after ${since()}`),
    (error: unknown) => (cause ??= error),
  );
  counting.then(
    () => log.debug(`${contents.tables.length + contents.materializedViews.length} tables counted after ${since()}`),
    (error: unknown) => (cause ??= error),
  );
  const hasher = new Sha256Tally();
  const stored = plan.gzipLevel === undefined ? dump.output : gzipped(dump.output, plan.gzipLevel);
  // The upload may complete only once pg_dump exited 0 and every table was counted.
  const body = gatedSource(
    hashedSource(stored, hasher),
    Promise.all([dump.exit, counting]).then(() => undefined),
  );

  const progress = setInterval(() => {
    const seconds = Math.max((Date.now() - started) / 1000, 1);
    log.info(`${formatBytes(hasher.bytes)} dumped and uploading (${formatBytes(hasher.bytes / seconds)}/s)`);
  }, PROGRESS_EVERY_MS);
  try {
    const written = await uploadBackupObject(store, { ...plan.object, body, signal: options.signal });
    log.debug(`upload of ${hasher.bytes} bytes complete after ${since()}`);
    return { written, sizeBytes: hasher.bytes, sha256: hasher.sha256, ...(await counting) };
  } catch (error) {
    // pg_dump's own error explains more than the stream error it caused; when S3 failed first,
    // pg_dump is stopped here and its exit is no cause.
    const reason = cause ?? error;
    dump.kill();
    await dump.exit.catch(() => undefined);
    if (reason instanceof BackupKeyTakenError) throw reason;
    if (options.signal?.aborted) {
      const left = leftByCancel([error]);
      throw new Error(
        left ? left.message : 'the job was cancelled: pg_dump was stopped and the upload aborted, nothing was stored',
      );
    }
    throw new Error(redact(`backup failed, nothing was stored: ${errorMessage(reason)}`, [database.password]));
  } finally {
    clearInterval(progress);
    await dump.close();
  }
}

/** A plain dump, gzipped here on its way; an error anywhere in the chain fails the reads. */
function gzipped(output: ByteSource, level: number): ByteSource {
  // zlib hands out a new buffer per chunk, so this is where the opt-in reclaimer still helps.
  const compressed = new BufferReclaimer();
  pipeline(sourceReadable(output), createGzip({ level }), compressed).catch(() => undefined);
  return readableSource(compressed);
}
