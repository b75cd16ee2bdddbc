import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ObjectLockMode } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws/clients.js';
import { ConfigurationError, errorMessage } from '../errors.js';
import type { RunContext } from '../github/run-context.js';
import { findClient, type ClientBinary } from '../postgres/binaries.js';
import type { TableName } from '../postgres/identifiers.js';
import { startPgDump } from '../postgres/pg-dump.js';
import { PsqlSession } from '../postgres/psql-session.js';
import { userSequenceOids } from '../postgres/restore-facts.js';
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
import { accountFromStream, type DumpAccount, type MeasureTables } from './streamed-contents.js';
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

    const partSize = partSizeFor(server.databaseSizeBytes * 2);
    const made = { server, pgDump, compression, key, lock, partSize, startedAt };
    const { snapshot, dumped, contents, globals } = await snapshotAndDump(store, session, options, made, psql.path);

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

/** What dumpPlanFor needs besides the snapshot: the server, the tools and the object's settings. */
interface MadeWith {
  server: ServerFacts;
  pgDump: ClientBinary;
  compression: ResolvedCompression;
  key: string;
  lock?: ObjectLock;
  partSize: number;
  startedAt: Date;
}

/**
 * The dump's snapshot, then the dump, with what the manifest records of it: what it holds, its rows
 * and sizes in the snapshot, the roles it depends on and the server's globals. One custom-format
 * archive reads what it holds from its own stream (streamed-contents.ts); a plain dump and a
 * parallel backup read it first, from a pass of pg_dump over the catalogs that stops before the data.
 */
async function snapshotAndDump(
  store: BackupStore,
  session: PsqlSession,
  options: BackupRunOptions,
  made: MadeWith,
  psqlPath: string,
) {
  const { database, log, format, jobs } = options;
  const snapshot = await exportSnapshot(session);
  log.info(`snapshot ${snapshot.id} taken at ${snapshot.takenAt.toISOString()}`);
  const dumpArgs = [`--snapshot=${snapshot.id}`, ...options.pgDumpArgs];
  const plan = dumpPlanFor(options, { ...made, dumpArgs });
  const readSequences = (oids: readonly number[]) => readSequencesInSnapshot(database, psqlPath, snapshot.id, oids);
  const measure = (tables: TableName[]) =>
    measureTablesInSnapshot(database, psqlPath, snapshot.id, tables, { count: options.rowCounts === 'exact' });
  if (format === 'custom' && jobs === 1) {
    const { pgDump } = made;
    const sequencesBefore = await readSequences(await userSequenceOids(session));
    const streamed = await dumpToS3(store, options, plan, (output, dumpExit) =>
      accountFromStream(output, { ...options, session, pgDump, dumpArgs, measure, sequencesBefore, dumpExit }),
    );
    return { snapshot, ...streamed };
  }
  const contents = await planDumpContents(
    session,
    made.pgDump,
    database,
    dumpArgs,
    readSequences,
    options.globals !== 'off',
  );
  const excluded = contents.excludedTables.length ? `, ${contents.excludedTables.length} excluded` : '';
  log.info(`${contents.tables.length} tables to dump${excluded}`);
  const globals = await captureGlobals({
    ...options,
    pgDump: made.pgDump,
    dumpArgs,
    policy: options.globals,
    dumpRoles: contents.roles,
  });
  if (jobs > 1) {
    const dumped = await dumpParts(store, session, measure, contents, options, plan);
    return { snapshot, dumped, contents, globals };
  }
  const streamed = await dumpToS3(store, options, plan, (output) => ({
    output,
    account: startCounting(measure, contents).then((counted) => ({ contents, counted, globals })),
  }));
  return { snapshot, ...streamed };
}

/** How this run's dump is made and stored: pg_dump's arguments, the gzip level of a plain dump, and the object's settings. */
function dumpPlanFor(
  options: BackupRunOptions,
  made: MadeWith & {
    /** The snapshot and the user's pg-dump-args. */
    dumpArgs: string[];
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
 * Where the manifest's account of a dump comes from, once pg_dump runs: read from its output on
 * the way (the output the upload then reads), or read before it and counted while it runs.
 */
type AccountOf = (
  output: ByteSource,
  dumpExit: Promise<void>,
) => { output: ByteSource & { release?(): void }; account: Promise<DumpAccount> };

/**
 * pg_dump's stdout, gzipped for plain dumps, through SHA-256 into S3, while the rows are counted
 * and the sizes read in the same snapshot. The upload may complete only once pg_dump exited 0 and
 * the account of the dump (what it holds, every table counted, the globals) was taken; otherwise it
 * is aborted and this throws pg_dump's own error, redacted.
 */
async function dumpToS3(
  store: BackupStore,
  options: BackupRunOptions,
  plan: DumpPlan,
  accountOf: AccountOf,
): Promise<DumpAccount & { dumped: Dumped }> {
  const { database, log } = options;
  const dump = await startPgDump(plan.pgDump, database, plan.pgDumpArgs, options.signal);
  const { output, account } = accountOf(dump.output, dump.exit);
  const started = Date.now();
  const since = () => `${((Date.now() - started) / 1000).toFixed(2)} s`;
  // Where the time goes, for whoever tunes a slow backup (RUNNER_DEBUG shows it).
  // A failure of pg_dump or of the account is the cause of everything after it, so it is kept as it happens.
  let cause: unknown;
  dump.exit.then(
    () => log.debug(`pg_dump exited 0 after ${since()}`),
    (error: unknown) => (cause ??= error),
  );
  account.then(
    ({ counted }) =>
      log.debug(`${counted.tables.length + counted.materializedViews.length} tables counted after ${since()}`),
    (error: unknown) => (cause ??= error),
  );
  const hasher = new Sha256Tally();
  const stored = plan.gzipLevel === undefined ? output : gzipped(output, plan.gzipLevel);
  // The upload may complete only once pg_dump exited 0 and the account was taken.
  const body = gatedSource(
    hashedSource(stored, hasher),
    Promise.all([dump.exit, account]).then(() => undefined),
  );

  const progress = setInterval(() => {
    const seconds = Math.max((Date.now() - started) / 1000, 1);
    log.info(`${formatBytes(hasher.bytes)} dumped and uploading (${formatBytes(hasher.bytes / seconds)}/s)`);
  }, PROGRESS_EVERY_MS);
  try {
    const written = await uploadBackupObject(store, { ...plan.object, body, signal: options.signal });
    log.debug(`upload of ${hasher.bytes} bytes complete after ${since()}`);
    const { contents, counted, globals } = await account;
    const dumped = { written, sizeBytes: hasher.bytes, sha256: hasher.sha256, ...counted };
    return { contents, counted, globals, dumped };
  } catch (error) {
    // pg_dump's own error explains more than the stream error it caused; when S3 failed first,
    // pg_dump is stopped here and its exit is no cause.
    const reason = cause ?? error;
    dump.kill();
    output.release?.();
    await dump.exit.catch(() => undefined);
    // Another run's key, or pg-dump-args that leave every table's rows out: said as they are.
    if (reason instanceof BackupKeyTakenError || reason instanceof ConfigurationError) throw reason;
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
