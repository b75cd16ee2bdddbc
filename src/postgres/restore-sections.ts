import { mapWithLimit } from '../util/concurrency.js';
import type { ClientBinary } from './binaries.js';
import type { DatabaseTarget } from './connection.js';
import { restoreClientExit, startRestoreClient } from './restore-client.js';
import { pgRestoreArgs, restoreSessionOptions } from './restore-process.js';

/** A parallel backup on disk: the schema archive and the data parts, each with the name errors give it. */
export interface PartsOnDisk {
  schema: string;
  parts: { file: string; label: string }[];
}

async function pgRestore(
  client: ClientBinary,
  target: DatabaseTarget,
  args: string[],
  options: { jobs: number; signal?: AbortSignal },
): Promise<void> {
  const run = await startRestoreClient(client, args, target, {
    sessionOptions: restoreSessionOptions(options.jobs),
    stdin: 'ignore',
    signal: options.signal,
  });
  await restoreClientExit(run, 'pg_restore', [target.password]);
}

/** One data part's restore: it throws an error that names its part, and stops (its tool exited) when `signal` aborts. */
export interface DataPartRestore {
  restore: (signal: AbortSignal) => Promise<void>;
}

/** The data parts on disk, each restored by a pg_restore of its own reading its file. */
export function partsFromFiles(
  client: ClientBinary,
  target: DatabaseTarget,
  parts: PartsOnDisk['parts'],
  options: { jobs: number; withOwners?: boolean },
): DataPartRestore[] {
  return parts.map(({ file, label }) => ({
    restore: (signal) =>
      pgRestore(client, target, pgRestoreArgs(1, file, options.withOwners), { jobs: options.jobs, signal }).catch(
        (error: unknown) => {
          throw labelled(label, error);
        },
      ),
  }));
}

/** A parallel backup on disk, restored in its three sections (see restoreSchemaAndParts). */
export async function restoreInSections(
  client: ClientBinary,
  target: DatabaseTarget,
  onDisk: PartsOnDisk,
  options: { jobs: number; signal?: AbortSignal; withOwners?: boolean },
): Promise<void> {
  const parts = partsFromFiles(client, target, onDisk.parts, options);
  await restoreSchemaAndParts(client, target, onDisk.schema, parts, options);
}

/**
 * Restores a parallel backup as pg_restore --jobs restores one archive, in its three sections: the
 * schema's pre-data (tables, types, functions; no indexes or constraints yet), then the data parts,
 * `jobs` at once (no part depends on another: constraints and triggers come after), then the
 * schema's post-data (indexes, constraints, triggers, materialized views' refreshes) with `jobs`
 * workers. The first failure stops the other parts, and this returns only once every part's
 * restore has ended, so no tool outlives it.
 */
export async function restoreSchemaAndParts(
  client: ClientBinary,
  target: DatabaseTarget,
  schema: string,
  parts: readonly DataPartRestore[],
  options: { jobs: number; signal?: AbortSignal; withOwners?: boolean },
): Promise<void> {
  const { jobs, signal, withOwners = false } = options;
  const sectionOf = (section: string, sectionJobs: number) =>
    pgRestore(client, target, [`--section=${section}`, ...pgRestoreArgs(sectionJobs, schema, withOwners)], {
      jobs: sectionJobs,
      signal,
    });
  await sectionOf('pre-data', 1).catch((error: unknown) => {
    throw labelled('the schema (pre-data)', error);
  });
  const stop = new AbortController();
  const cancel = () => stop.abort();
  signal?.addEventListener('abort', cancel, { once: true });
  let first: unknown;
  try {
    await mapWithLimit(parts, jobs, async (part) => {
      if (stop.signal.aborted) return;
      await part.restore(stop.signal).catch((error: unknown) => {
        if (!stop.signal.aborted) first ??= error;
        stop.abort();
      });
    });
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
  if (first) throw first;
  signal?.throwIfAborted();
  await sectionOf('post-data', jobs).catch((error: unknown) => {
    throw labelled('the schema (post-data)', error);
  });
}

/** The error, its message led by what failed. */
export function labelled(label: string, error: unknown): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  failure.message = `${label}: ${failure.message}`;
  return failure;
}
