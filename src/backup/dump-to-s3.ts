import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { errorMessage } from '../errors.js';
import type { ClientBinary } from '../postgres/binaries.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import type { TableName } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import type { TableRowCount } from '../storage/manifest.js';
import { uploadStream, type StreamUploadOptions } from '../storage/streaming-upload.js';
import { BufferReclaimer } from '../util/buffer-reclaimer.js';
import { formatBytes } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import { DigestGate } from './digest-gate.js';
import { startPgDump } from './pg-dump-process.js';
import { countRows } from './snapshot.js';

export interface DumpToS3Options {
  pgDump: ClientBinary;
  database: DatabaseTarget;
  /** pg_dump's arguments, snapshot included. */
  pgDumpArgs: string[];
  /** Set for plain dumps, which are gzipped here on their way to S3. */
  gzipLevel?: number;
  /** The session holding the exported snapshot, to count rows in. */
  session: PsqlSession;
  tables: TableName[];
  countRows: boolean;
  upload: Omit<StreamUploadOptions, 'body'>;
  log: Logger;
}

export interface DumpToS3Result {
  sizeBytes: number;
  sha256: string;
  tables: TableRowCount[];
}

const PROGRESS_EVERY_MS = 30_000;

/**
 * pg_dump's stdout, gzipped for plain dumps, through SHA-256 into S3, while the rows are counted in
 * the same snapshot. The upload may complete only once pg_dump exited 0 and every table was
 * counted; otherwise it is aborted and this throws pg_dump's own error, redacted.
 */
export async function dumpToS3(options: DumpToS3Options): Promise<DumpToS3Result> {
  const dump = startPgDump(options.pgDump, options.database, options.pgDumpArgs);
  const counting: Promise<TableRowCount[]> = options.countRows
    ? countRows(options.session, options.tables)
    : Promise.resolve(options.tables.map((table) => ({ ...table, rows: null })));
  const started = Date.now();
  const since = () => `${((Date.now() - started) / 1000).toFixed(2)} s`;
  // Where the time goes, for whoever tunes a slow backup (RUNNER_DEBUG shows it).
  // A failure of pg_dump or of the counts is the cause of everything after it, so it is kept as it happens.
  let cause: unknown;
  dump.exit.then(() => options.log.debug(`pg_dump exited 0 after ${since()}`), (error: unknown) => (cause ??= error));
  counting.then(() => options.log.debug(`${options.tables.length} tables counted after ${since()}`), (error: unknown) => (cause ??= error));
  const gate = new DigestGate(Promise.all([dump.exit, counting]).then(() => undefined));
  // An error anywhere in the chain destroys the gate, which fails the upload.
  const stages = options.gzipLevel === undefined ? pipeline(dump.stdout, new BufferReclaimer(), gate)
    : pipeline(dump.stdout, createGzip({ level: options.gzipLevel }), new BufferReclaimer(), gate);
  stages.catch(() => undefined);

  const progress = setInterval(() => {
    const seconds = Math.max((Date.now() - started) / 1000, 1);
    options.log.info(`${formatBytes(gate.bytes)} dumped and uploading (${formatBytes(gate.bytes / seconds)}/s)`);
  }, PROGRESS_EVERY_MS);
  try {
    await uploadStream({ ...options.upload, body: gate });
    options.log.debug(`upload of ${gate.bytes} bytes complete after ${since()}`);
    return { sizeBytes: gate.bytes, sha256: gate.sha256, tables: await counting };
  } catch (error) {
    // pg_dump's own error explains more than the stream error it caused; when S3 failed first,
    // pg_dump is stopped here and its exit is no cause.
    const reason = cause ?? error;
    dump.kill();
    await dump.exit.catch(() => undefined);
    throw new Error(redact(`backup failed, nothing was stored: ${errorMessage(reason)}`, [options.database.password]));
  } finally {
    clearInterval(progress);
  }
}
