import type { Writable } from 'node:stream';
import type { ClientBinary } from './binaries.js';
import type { DatabaseTarget } from './connection.js';
import { restoreClientExit, startRestoreClient, type RunningRestore } from './restore-client.js';
import { pgRestoreArgs, restoreSessionOptions } from './restore-process.js';

/** Resolves once the tool may take more (drained) or will take nothing more (closed). */
function writable(stdin: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stdin.off('drain', done);
      stdin.off('close', done);
      resolve();
    };
    stdin.once('drain', done);
    stdin.once('close', done);
  });
}

/**
 * Feeds the bytes to the tool's stdin as they arrive, and reads them to their end even after the
 * tool stopped reading: pg_restore exits once it has restored the last entry it needs, and the
 * SHA-256 must cover every byte of the object. Stops as soon as the tool has failed.
 */
async function feed(bytes: AsyncIterable<Buffer>, run: RunningRestore): Promise<void> {
  const stdin = run.child.stdin as Writable;
  let failed = false;
  void run.child.then((result) => (failed = result.exitCode !== 0 || Boolean(result.signal)));
  // EPIPE: the tool stopped reading; its exit says whether that was a failure.
  stdin.on('error', () => undefined);
  for await (const chunk of bytes) {
    if (failed) return;
    if (stdin.destroyed || stdin.writableEnded) continue;
    if (!stdin.write(chunk)) await writable(stdin);
  }
  if (!stdin.destroyed) stdin.end();
}

/**
 * pg_restore reading a custom-format archive from stdin, as it arrives: one process (pg_restore
 * restores in parallel only from a file it can seek in), the archive's entries in their order.
 * A download that fails stops the restore; a restore that fails stops the download.
 */
export async function restoreCustomFromStream(
  pgRestore: ClientBinary,
  target: DatabaseTarget,
  bytes: AsyncIterable<Buffer>,
  options: { signal?: AbortSignal; withOwners?: boolean } = {},
): Promise<void> {
  const run = await startRestoreClient(pgRestore, pgRestoreArgs(1, undefined, options.withOwners), target, {
    sessionOptions: restoreSessionOptions(1),
    stdin: 'pipe',
    signal: options.signal,
  });
  try {
    await feed(bytes, run);
  } catch (error) {
    // The archive did not arrive whole: pg_restore must not go on with part of it.
    run.child.kill('SIGTERM');
    await run.child;
    throw error;
  }
  await restoreClientExit(run, 'pg_restore', [target.password]);
}
