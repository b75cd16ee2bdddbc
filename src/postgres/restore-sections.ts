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

/**
 * Restores a parallel backup as pg_restore --jobs restores one archive, in its three sections: the
 * schema's pre-data (tables, types, functions; no indexes or constraints yet), then the data parts,
 * `jobs` pg_restore processes at once (no part depends on another: constraints and triggers come
 * after), then the schema's post-data (indexes, constraints, triggers, materialized views'
 * refreshes) with `jobs` workers. The first failure stops the other parts and names its part.
 */
export async function restoreInSections(
  client: ClientBinary,
  target: DatabaseTarget,
  onDisk: PartsOnDisk,
  options: { jobs: number; signal?: AbortSignal; withOwners?: boolean },
): Promise<void> {
  const { jobs, signal, withOwners = false } = options;
  const sectionOf = (section: string, sectionJobs: number) =>
    pgRestore(client, target, [`--section=${section}`, ...pgRestoreArgs(sectionJobs, onDisk.schema, withOwners)], {
      jobs: sectionJobs,
      signal,
    });
  await sectionOf('pre-data', 1).catch((error: unknown) => {
    throw labelled('the schema (pre-data)', error);
  });
  const stop = new AbortController();
  const cancel = () => stop.abort();
  signal?.addEventListener('abort', cancel, { once: true });
  let first: Error | undefined;
  try {
    await mapWithLimit(onDisk.parts, jobs, async ({ file, label }) => {
      if (stop.signal.aborted) return;
      await pgRestore(client, target, pgRestoreArgs(1, file, withOwners), { jobs, signal: stop.signal }).catch(
        (error: unknown) => {
          if (!stop.signal.aborted) first ??= labelled(label, error);
          stop.abort();
        },
      );
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

function labelled(label: string, error: unknown): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  failure.message = `${label}: ${failure.message}`;
  return failure;
}
