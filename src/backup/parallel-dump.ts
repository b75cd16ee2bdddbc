import { errorMessage } from '../errors.js';
import type { ClientBinary } from '../postgres/binaries.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import { startPgDump } from '../postgres/pg-dump.js';
import type { BackupStore } from '../storage/backup-store.js';
import {
  BackupKeyTakenError,
  deleteIfOurs,
  leftByCancel,
  uploadBackupObject,
  type UploadCancelledError,
  type BackupObject,
  type WrittenObject,
} from '../storage/backup-writes.js';
import { partKeyFor } from '../storage/keys.js';
import type { BackupPart, MaterializedViewRows, TableRowCount } from '../storage/manifest.js';
import { hashedSource, Sha256Tally } from '../storage/sha256-stream.js';
import { gatedSource } from '../util/end-gate.js';
import { formatBytes, plural } from '../util/format.js';
import { PROGRESS_EVERY_MS, type Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import type { DataPart } from './data-parts.js';

/** The rows counted in the dump's snapshot, tables and materialized views apart. */
export interface Counted {
  tables: TableRowCount[];
  materializedViews: MaterializedViewRows[];
}

export interface ParallelDumpPlan {
  pgDump: ClientBinary;
  /** pg_dump's arguments for the whole dump: format, compression, snapshot and the user's pg-dump-args. */
  pgDumpArgs: string[];
  /** Format, compression and snapshot alone: what a data part adds its own selection to. */
  baseArgs: string[];
  parts: DataPart[];
  /** The object at the backup's key (which holds the schema); the parts are written like it, beside it. */
  object: Omit<BackupObject, 'body'>;
}

export interface ParallelDumped extends Counted {
  /** The schema object at the key. */
  written: WrittenObject;
  sizeBytes: number;
  sha256: string;
  parts: BackupPart[];
  writtenParts: WrittenObject[];
}

/** One pg_dump and the object it streams into. */
interface DumpJob {
  label: string;
  key: string;
  args: string[];
  tables: number;
  hasher: Sha256Tally;
}

interface Shared {
  store: BackupStore;
  plan: ParallelDumpPlan;
  database: DatabaseTarget;
  counting: Promise<Counted>;
  /**
   * Stops every pg_dump once one of them failed (or the job was cancelled): the outputs of those
   * still running then fail, and their uploads abort themselves. An upload whose pg_dump already
   * succeeded is let finish, so that its object is known by its ETag and removed; stopped in flight,
   * S3 could store it without this run learning of it.
   */
  abort: AbortController;
  /** A cancelled job, which stops the uploads too (before the request that creates an object; one already sent finishes, and its object is removed). */
  signal?: AbortSignal;
  /** The first failure, which explains the others: those that followed were stopped by it. */
  cause?: { label: string; error: unknown };
}

function jobsOf(plan: ParallelDumpPlan): DumpJob[] {
  const schema: DumpJob = {
    label: 'the schema (pre-data and post-data)',
    key: plan.object.key,
    args: [...plan.pgDumpArgs, '--section=pre-data', '--section=post-data'],
    tables: 0,
    hasher: new Sha256Tally(),
  };
  const count = plan.parts.length;
  const data = plan.parts.map((part, index) => ({
    label: `data part ${index + 1} of ${count} (${plural(part.tables, 'table')})`,
    key: partKeyFor(plan.object.key, index + 1),
    args: [...plan.baseArgs, ...part.args],
    tables: part.tables,
    hasher: new Sha256Tally(),
  }));
  return [schema, ...data];
}

/**
 * One pg_dump streamed through SHA-256 into its object; the object completes only once pg_dump exited
 * 0, every row was counted and `after` (for a data part: the schema object at the key, this run's)
 * resolved.
 */
async function dumpOne(shared: Shared, job: DumpJob, after?: Promise<unknown>): Promise<WrittenObject> {
  const { store, plan, database, abort } = shared;
  const dump = await startPgDump(plan.pgDump, database, job.args, abort.signal);
  const fail = (error: unknown) => {
    if (!abort.signal.aborted) shared.cause ??= { label: job.label, error };
    abort.abort();
  };
  dump.exit.catch(fail);
  const verdict = Promise.all([dump.exit, shared.counting, after]).then(() => undefined);
  const body = gatedSource(hashedSource(dump.output, job.hasher), verdict);
  try {
    return await uploadBackupObject(store, {
      ...plan.object,
      key: job.key,
      body,
      signal: shared.signal,
      metadata: { ...plan.object.metadata, 'backup-key': plan.object.key },
    });
  } catch (error) {
    fail(error);
    dump.kill();
    await dump.exit.catch(() => undefined);
    throw error;
  } finally {
    await dump.close();
  }
}

/**
 * A parallel backup's dumps, all from the one exported snapshot and all at once: the schema into the
 * object at the key, each data part into its own object beside it, every one streamed like the
 * single archive (no disk, its own few part buffers). When any pg_dump, upload or the row counts
 * fail, every other dump is stopped and every object this run completed is removed, so nothing is
 * left that looks like a backup; the error names the part that failed first.
 */
export async function dumpInParallel(
  store: BackupStore,
  plan: ParallelDumpPlan,
  counting: Promise<Counted>,
  options: { database: DatabaseTarget; log: Logger; signal?: AbortSignal },
): Promise<ParallelDumped> {
  const shared: Shared = {
    store,
    plan,
    database: options.database,
    counting,
    abort: new AbortController(),
    signal: options.signal,
  };
  const cancel = () => shared.abort.abort();
  options.signal?.addEventListener('abort', cancel, { once: true });
  counting.catch((error: unknown) => {
    shared.cause ??= { label: 'the row counts', error };
    shared.abort.abort();
  });
  const jobs = jobsOf(plan);
  const progress = progressLogger(jobs, options.log);
  try {
    // The schema object at the key decides which of two runs that started in the same second owns the
    // backup (S3 creates it for exactly one): a data part completes only once it is this run's, so the
    // other run never holds a part this one needs, and exactly one of them stores its backup.
    const [schema, ...data] = jobs as [DumpJob, ...DumpJob[]];
    const schemaWritten = dumpOne(shared, schema);
    const results = await Promise.allSettled([
      schemaWritten,
      ...data.map((job) => dumpOne(shared, job, schemaWritten)),
    ]);
    const written = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) {
      for (const object of written) await deleteIfOurs(store, object).catch(() => undefined);
      const reasons = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      throw failureOf(shared, failed.reason, { ...options, left: leftByCancel(reasons) });
    }
    return dumpedOf(jobs, written, await counting);
  } finally {
    clearInterval(progress);
    options.signal?.removeEventListener('abort', cancel);
  }
}

function progressLogger(jobs: DumpJob[], log: Logger): NodeJS.Timeout {
  const started = Date.now();
  return setInterval(() => {
    const seconds = Math.max((Date.now() - started) / 1000, 1);
    const bytes = jobs.reduce((sum, job) => sum + job.hasher.bytes, 0);
    log.info(
      `${formatBytes(bytes)} dumped and uploading by ${jobs.length} pg_dump processes (${formatBytes(bytes / seconds)}/s)`,
    );
  }, PROGRESS_EVERY_MS);
}

function failureOf(
  shared: Shared,
  reason: unknown,
  options: { database: DatabaseTarget; signal?: AbortSignal; left?: UploadCancelledError },
): Error {
  const cause = shared.cause;
  if (reason instanceof BackupKeyTakenError) return reason;
  if (cause?.error instanceof BackupKeyTakenError) return cause.error;
  if (options.signal?.aborted)
    return new Error(
      options.left?.message ??
        'the job was cancelled: every pg_dump was stopped and the uploads aborted, nothing was stored',
    );
  const what = cause ? `${cause.label}: ${errorMessage(cause.error)}` : errorMessage(reason);
  return new Error(redact(`backup failed, nothing was stored: ${what}`, [options.database.password]));
}

function dumpedOf(jobs: DumpJob[], written: WrittenObject[], counted: Counted): ParallelDumped {
  const [schema, ...data] = jobs as [DumpJob, ...DumpJob[]];
  return {
    ...counted,
    written: written[0] as WrittenObject,
    sizeBytes: schema.hasher.bytes,
    sha256: schema.hasher.sha256,
    parts: data.map((job) => ({
      key: job.key,
      role: 'data',
      sizeBytes: job.hasher.bytes,
      sha256: job.hasher.sha256,
      tables: job.tables,
    })),
    writtenParts: written.slice(1),
  };
}
