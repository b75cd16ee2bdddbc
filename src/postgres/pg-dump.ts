import type { ByteSource } from '../util/byte-source.js';
import { spawnProgram } from '../util/child-process.js';
import { FifoPipe } from '../util/fifo.js';
import { redact } from '../util/redact.js';
import type { ClientBinary } from './binaries.js';
import { clientEnv, type DatabaseTarget } from './connection.js';
import { withStdbuf } from './stdbuf.js';

/** pg_dump exited non-zero or was killed; the message is pg_dump's own stderr, redacted. */
export class DumpFailedError extends Error {
  override name = 'DumpFailedError';
}

const STDERR_KEPT = 64 * 1024;

export interface RunningDump {
  /** pg_dump's stdout, read into the reader's own buffers. */
  output: ByteSource;
  /** Resolves when pg_dump exits 0; rejects with its error otherwise. */
  exit: Promise<void>;
  kill(): void;
  /** Closes the output once pg_dump has exited or been killed. */
  close(): Promise<void>;
}

function tail(text: string): string {
  return text.length > STDERR_KEPT ? text.slice(-STDERR_KEPT) : text;
}

function describeExit(result: { exitCode: number | null; signal: string | null }): string {
  return result.signal ? `pg_dump was killed (${result.signal})` : `pg_dump exited with code ${result.exitCode}`;
}

/**
 * Starts pg_dump writing to stdout, a pipe read into the reader's buffers (fifo.ts); the password
 * reaches it through PGPASSWORD, never argv. `signal` (a cancelled job) stops it, which ends the
 * output even while pg_dump was silent, waiting on a lock or a slow query.
 */
export async function startPgDump(
  pgDump: ClientBinary,
  target: DatabaseTarget,
  args: string[],
  signal?: AbortSignal,
): Promise<RunningDump> {
  const command = withStdbuf(pgDump.path, [...args, `--dbname=${target.url}`]);
  const env = await clientEnv(target, { PGAPPNAME: 'dr-actions backup' });
  const output = await FifoPipe.open();
  // execa takes no descriptor beyond 0-2 for a child's stdout, so this is Node's own spawn.
  const child = spawnProgram(command.file, command.args, {
    env,
    stdio: ['ignore', output.childEnd, 'pipe'],
    signal,
  });
  output.releaseChildEnd();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = tail(stderr + chunk.toString());
  });
  const exit = new Promise<void>((resolve, reject) => {
    child.once('error', (error) => {
      const what =
        error.name === 'AbortError'
          ? 'pg_dump was stopped: the job was cancelled'
          : `pg_dump could not be started: ${error.message}`;
      reject(new DumpFailedError(redact(what, [target.password])));
    });
    child.once('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (exitCode === 0 && !signal) return resolve();
      const detail = stderr.trim() ? `: ${stderr.trim()}` : '';
      reject(new DumpFailedError(redact(`${describeExit({ exitCode, signal })}${detail}`, [target.password])));
    });
  });
  exit.catch(() => undefined); // observed by the caller through the gate; never unhandled
  return { output, exit, kill: () => child.kill('SIGTERM'), close: () => output.close() };
}
