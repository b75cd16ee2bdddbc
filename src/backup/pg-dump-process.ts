import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';
import type { ClientBinary } from '../postgres/binaries.js';
import { libpqEnv, type DatabaseTarget } from '../postgres/connection.js';
import { withLargeWrites } from '../postgres/large-writes.js';
import { tableDataOids } from '../postgres/toc.js';
import { redact } from '../util/redact.js';

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
  const command = withLargeWrites(pgDump.path, [...args, `--dbname=${target.url}`]);
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

/**
 * The oids of the tables whose rows a dump with these arguments holds, read from the archive's
 * table of contents: pg_dump (custom format, same snapshot and filters) into `pg_restore --list`.
 * pg_dump writes the table of contents before any data, and pg_restore exits once it has read
 * it, so the pipe breaks and pg_dump stops without dumping the data.
 */
export async function dumpedTableOids(pgDump: ClientBinary, target: DatabaseTarget, args: string[]): Promise<number[]> {
  const dump: ResultPromise = execa(pgDump.path, ['--format=custom', '--compress=0', ...args, `--dbname=${target.url}`], {
    env: { PGAPPNAME: 'dr-actions backup table list', ...libpqEnv(target) },
    stdin: 'ignore',
    buffer: { stdout: false },
    reject: false,
    cleanup: true,
  });
  const list = execa(join(dirname(pgDump.path), 'pg_restore'), ['--list'], { reject: false, stdin: 'pipe' });
  dump.stdout?.pipe(list.stdin as NodeJS.WritableStream);
  list.stdin?.on('error', () => undefined);
  const listed = await list;
  if (listed.exitCode !== 0) {
    dump.kill('SIGTERM');
    const dumped = await dump;
    const detail = String(dumped.stderr || listed.stderr).trim();
    throw new DumpFailedError(redact(`pg_dump could not list the tables to dump: ${detail}`, [target.password]));
  }
  dump.kill('SIGTERM');
  await dump;
  return tableDataOids(String(listed.stdout));
}
