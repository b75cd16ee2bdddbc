import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ConfigurationError, errorMessage } from '../errors.js';
import { findClient, type ClientBinary } from './binaries.js';
import type { DatabaseTarget } from './connection.js';
import { RestoreFailedError, restoreClientExit, startRestoreClient } from './restore-client.js';
import { BufferReclaimer } from '../util/buffer-reclaimer.js';

/** Memory that each restore connection may use for index builds; all of them together stay near 2 GiB. */
const MAINTENANCE_BUDGET_MB = 2048;

/**
 * Session settings for the restore's connections (through PGOPTIONS, so every parallel worker
 * gets them): commits need not wait for the disk in a database that is thrown away, and index
 * builds get more memory.
 */
export function restoreSessionOptions(jobs: number): string {
  const maintenanceMb = Math.max(64, Math.min(1024, Math.floor(MAINTENANCE_BUDGET_MB / Math.max(1, jobs))));
  return `-c synchronous_commit=off -c maintenance_work_mem=${maintenanceMb}MB -c client_min_messages=warning`;
}

/**
 * A rebuild (withOwners) restores owners and privileges; a scratch database gets neither, as its server may lack the roles.
 * Without a file, pg_restore reads the archive from stdin.
 */
export function pgRestoreArgs(jobs: number, file: string | undefined, withOwners = false): string[] {
  return [
    `--jobs=${jobs}`,
    '--exit-on-error',
    ...(withOwners ? [] : ['--no-owner', '--no-privileges']),
    ...(file === undefined ? [] : [file]),
  ];
}

/**
 * The client that restores a backup: pg_restore for custom format, psql for plain SQL, at least
 * as new as both the target server and the pg_dump that made the backup (pgDumpVersion, as its manifest
 * records it): a newer pg_dump's archive or SQL can be beyond an older client.
 */
export async function findRestoreClient(
  format: 'custom' | 'plain',
  pgDumpVersion: string | undefined,
  server: { serverMajor: number; serverVersion: string },
): Promise<ClientBinary> {
  const tool = format === 'custom' ? 'pg_restore' : 'psql';
  const dumpMajor = pgDumpVersion ? Number.parseInt(pgDumpVersion, 10) : 0;
  const needed = Math.max(server.serverMajor, dumpMajor);
  try {
    return await findClient(tool, needed, needed === server.serverMajor ? server.serverVersion : undefined);
  } catch (error) {
    if (dumpMajor > server.serverMajor && error instanceof ConfigurationError) {
      throw new ConfigurationError(
        `the backup was made by pg_dump ${pgDumpVersion}, so restoring it needs ${tool} ${dumpMajor} or newer. ${error.message}`,
      );
    }
    throw error;
  }
}

/** pg_restore of a custom-format archive, in parallel; the first error stops it. */
export async function restoreCustom(
  pgRestore: ClientBinary,
  target: DatabaseTarget,
  file: string,
  jobs: number,
  signal?: AbortSignal,
  withOwners = false,
): Promise<void> {
  const run = await startRestoreClient(pgRestore, pgRestoreArgs(jobs, file, withOwners), target, {
    sessionOptions: restoreSessionOptions(jobs),
    stdin: 'ignore',
    signal,
  });
  await restoreClientExit(run, 'pg_restore', [target.password]);
}

/**
 * The plan's own restore (`gunzip < backup.sql.gz | psql`), streamed from the file or the bytes as they arrive, stopping at the first
 * SQL error. A gzip stream that ends early fails the restore even when every statement before
 * the cut succeeded: psql alone would take a cut-off file for a short one.
 */
export async function restorePlain(
  psql: ClientBinary,
  target: DatabaseTarget,
  file: string | AsyncIterable<Buffer>,
  signal?: AbortSignal,
): Promise<void> {
  const run = await startRestoreClient(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-'], target, {
    sessionOptions: restoreSessionOptions(1),
    stdin: 'pipe',
    signal,
  });
  const feeding = pipeline(
    typeof file === 'string' ? createReadStream(file) : file,
    createGunzip(),
    new BufferReclaimer(),
    run.child.stdin as Writable,
  );
  const [fed] = await Promise.allSettled([feeding, run.child]);
  if (fed.status === 'rejected') {
    const error = fed.reason as NodeJS.ErrnoException;
    // EPIPE: psql stopped reading because it failed; its own message says why.
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      run.child.kill('SIGTERM');
      throw new RestoreFailedError(
        `the backup is not a complete gzip stream (${error.message ?? errorMessage(error)}); psql's restore was stopped`,
      );
    }
  }
  await restoreClientExit(run, 'psql', [target.password]);
}
