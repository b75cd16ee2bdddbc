import { dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { redact } from '../util/redact.js';
import type { ClientBinary } from './binaries.js';
import { clientEnv, type DatabaseTarget } from './connection.js';
import { quoteLiteral, type TableName } from './identifiers.js';
import { DumpFailedError } from './pg-dump.js';
import type { PsqlSession } from './psql-session.js';
import { readToc, type TocContents } from './toc.js';
import { childEnv } from '../util/child-env.js';

/**
 * What a dump with these arguments holds (its tables' rows, sequences, materialized views, large
 * objects), read from the archive's table of contents: pg_dump (custom format, same snapshot and filters) into `pg_restore --list`.
 * pg_dump writes the table of contents before any data, and pg_restore exits once it has read
 * it, so the pipe breaks and pg_dump stops without dumping the data.
 */
export async function readDumpContents(
  pgDump: ClientBinary,
  target: DatabaseTarget,
  args: string[],
): Promise<TocContents> {
  const dump: ResultPromise = execa(
    pgDump.path,
    ['--format=custom', '--compress=0', ...args, `--dbname=${target.url}`],
    {
      env: await clientEnv(target, { PGAPPNAME: 'dr-actions backup table list' }),
      extendEnv: false,
      stdin: 'ignore',
      buffer: { stdout: false },
      reject: false,
      cleanup: true,
    },
  );
  const list = execa(join(dirname(pgDump.path), 'pg_restore'), ['--list'], {
    env: childEnv(),
    extendEnv: false,
    reject: false,
    stdin: 'pipe',
  });
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
  return readToc(String(listed.stdout));
}

/** The dumped tables' names, as the session's catalog has them. */
export async function tablesByOid(session: PsqlSession, oids: readonly number[]): Promise<TableName[]> {
  if (oids.length === 0) return [];
  const rows = await session.query(
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY(${quoteLiteral(`{${oids.join(',')}}`)}::oid[]) ORDER BY 1, 2`,
  );
  return rows.map(([schema, name]) => ({ schema: String(schema), name: String(name) }));
}
