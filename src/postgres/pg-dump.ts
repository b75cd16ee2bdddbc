import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { redact } from '../util/redact.js';
import type { ClientBinary } from './binaries.js';
import { libpqEnv, type DatabaseTarget } from './connection.js';
import { withStdbuf } from './stdbuf.js';

/** pg_dump exited non-zero or was killed; the message is pg_dump's own stderr, redacted. */
export class DumpFailedError extends Error {
  override name = 'DumpFailedError';
}

const STDERR_KEPT = 64 * 1024;

export interface RunningDump {
  stdout: Readable;
  /** Resolves when pg_dump exits 0; rejects with its error otherwise. */
  exit: Promise<void>;
  kill(): void;
}

function tail(text: string): string {
  return text.length > STDERR_KEPT ? text.slice(-STDERR_KEPT) : text;
}

function describeExit(result: { exitCode?: number; signal?: string }): string {
  return result.signal ? `pg_dump was killed (${result.signal})` : `pg_dump exited with code ${result.exitCode}`;
}

/** Starts pg_dump writing to stdout; the password reaches it through PGPASSWORD, never argv. */
export function startPgDump(pgDump: ClientBinary, target: DatabaseTarget, args: string[]): RunningDump {
  const command = withStdbuf(pgDump.path, [...args, `--dbname=${target.url}`]);
  const child = execa(command.file, command.args, {
    env: { PGAPPNAME: 'dr-actions backup', ...libpqEnv(target) },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: true,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = tail(stderr + chunk.toString());
  });
  const exit = child.then((result) => {
    if (result.exitCode === 0 && !result.signal) return;
    const detail = stderr.trim() ? `: ${stderr.trim()}` : '';
    throw new DumpFailedError(redact(`${describeExit(result)}${detail}`, [target.password]));
  });
  exit.catch(() => undefined); // observed by the caller through the gate; never unhandled
  return { stdout: child.stdout as Readable, exit, kill: () => child.kill('SIGTERM') };
}
