import { dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { redact } from '../util/redact.js';
import type { ClientBinary } from './binaries.js';
import { clientEnv, type DatabaseTarget } from './connection.js';
import { quoteLiteral, type TableName } from './identifiers.js';
import { DumpFailedError } from './pg-dump.js';
import type { PsqlSession } from './psql-session.js';
import { parseDumpRoles, type DumpRoles } from './dump-roles.js';
import { readToc, type TocContents } from './toc.js';
import { childEnv } from '../util/child-env.js';

/** What a dump will hold, read from its table of contents before it runs. */
export interface DumpPreview {
  toc: TocContents;
  /** With `roles`: the roles its schema depends on (and the database's own statements), or why they could not be read. */
  roles?: DumpRoles | Error;
}

/**
 * What a dump with these arguments holds (its tables' rows, sequences, materialized views, large
 * objects), read from the archive's table of contents: pg_dump (custom format, same snapshot and
 * filters) into `pg_restore --list`, and with `roles` also into `pg_restore --schema-only --create`,
 * whose script names every owner and grantee. pg_dump writes the table of contents before any
 * data, and both pg_restores exit once they have read it, so the pipe breaks and pg_dump stops
 * without dumping the data: one pass over the catalogs, which at thousands of tables is most of
 * pg_dump's time, serves both.
 */
export async function readDumpContents(
  pgDump: ClientBinary,
  target: DatabaseTarget,
  args: string[],
  options: { roles?: boolean } = {},
): Promise<DumpPreview> {
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
  const pgRestore = join(dirname(pgDump.path), 'pg_restore');
  const reader = (readerArgs: string[]) => {
    const child = execa(pgRestore, readerArgs, {
      env: childEnv(),
      extendEnv: false,
      reject: false,
      stdin: 'pipe',
      maxBuffer: 1024 * 1024 * 1024,
    });
    child.stdin?.on('error', () => undefined);
    dump.stdout?.pipe(child.stdin as NodeJS.WritableStream);
    return child;
  };
  const list = reader(['--list']);
  const script = options.roles ? reader(['--schema-only', '--create', '--file=-']) : undefined;
  const [listed, scripted] = await Promise.all([list, script]);
  dump.kill('SIGTERM');
  const dumped = await dump;
  if (listed.exitCode !== 0) {
    const detail = String(dumped.stderr || listed.stderr).trim();
    throw new DumpFailedError(redact(`pg_dump could not list the tables to dump: ${detail}`, [target.password]));
  }
  const toc = readToc(String(listed.stdout));
  if (!scripted) return { toc };
  if (scripted.exitCode !== 0)
    return {
      toc,
      roles: new DumpFailedError(
        redact(`pg_restore could not list the roles the dump depends on: ${String(scripted.stderr).trim()}`, [
          target.password,
        ]),
      ),
    };
  return { toc, roles: parseDumpRoles(String(scripted.stdout)) };
}

/** The dumped tables' names, as the session's catalog has them. */
export async function tablesByOid(session: PsqlSession, oids: readonly number[]): Promise<TableName[]> {
  if (oids.length === 0) return [];
  const rows = await session.query(
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY(${quoteLiteral(`{${oids.join(',')}}`)}::oid[]) ORDER BY 1, 2`,
  );
  return rows.map(([schema, name]) => ({ schema: String(schema), name: String(name) }));
}
