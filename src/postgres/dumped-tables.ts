import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import type { ResultPromise } from 'execa';
import { execaProgram } from '../util/child-process.js';
import { redact } from '../util/redact.js';
import type { ClientBinary } from './binaries.js';
import { clientEnv, type DatabaseTarget } from './connection.js';
import { quoteLiteral, type TableName } from './identifiers.js';
import { DumpFailedError } from './pg-dump.js';
import type { PsqlSession } from './psql-session.js';
import { parseDumpRoles, type DumpRoles } from './dump-roles.js';
import { readToc, type TocContents } from './toc.js';
import { childEnv } from '../util/child-env.js';
import type { TeeReader } from '../util/tee-source.js';

/** What a dump holds, read from its table of contents. */
export interface DumpPreview {
  toc: TocContents;
  /** With `roles`: the roles its schema depends on (and the database's own statements), or why they could not be read. */
  roles?: DumpRoles | Error;
}

/** The readers of a custom-format archive's table of contents, fed through their inputs. */
export interface TocReaders {
  /** `pg_restore --list`, and with `roles` `pg_restore --schema-only --create`: each reader's stdin and exit. */
  readers: TeeReader[];
  /**
   * What the table of contents says. `whyNot` gives the cause when the listing failed (the dump's
   * own error, when it has one); by default pg_restore's message.
   */
  preview(whyNot?: (pgRestoreStderr: string) => Promise<string>): Promise<DumpPreview>;
}

/**
 * Starts the readers of a custom-format archive's table of contents, which the caller feeds with
 * the archive's bytes: `pg_restore --list`, and with `roles` `pg_restore --schema-only --create`,
 * whose script names every owner and grantee. pg_dump writes the table of contents before any
 * data (to a pipe too), and both readers exit once they have read it, without the data.
 */
export function startTocReaders(pgRestore: string, target: DatabaseTarget, options: { roles?: boolean }): TocReaders {
  const reader = (readerArgs: string[]) =>
    execaProgram(pgRestore, readerArgs, {
      env: childEnv(),
      extendEnv: false,
      reject: false,
      stdin: 'pipe',
      maxBuffer: 1024 * 1024 * 1024,
      cleanup: true,
    });
  const list = reader(['--list']);
  const script = options.roles ? reader(['--schema-only', '--create', '--file=-']) : undefined;
  const children = script ? [list, script] : [list];
  return {
    readers: children.map((child) => ({ input: child.stdin as Writable, done: child })),
    async preview(whyNot) {
      const [listed, scripted] = await Promise.all([list, script]);
      if (listed.exitCode !== 0) {
        const stderr = String(listed.stderr).trim();
        const detail = whyNot ? await whyNot(stderr) : stderr;
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
    },
  };
}

/**
 * What a dump with these arguments holds (its tables' rows, sequences, materialized views, large
 * objects), read before it runs: pg_dump (custom format, same snapshot and filters) into the
 * table-of-contents readers, stopped once they have read it, so without dumping the data: one pass
 * over the catalogs, which at thousands of tables is most of pg_dump's time, serves both readers.
 * A backup of one custom-format archive reads the same from its dump's own stream instead.
 */
export async function readDumpContents(
  pgDump: ClientBinary,
  target: DatabaseTarget,
  args: string[],
  options: { roles?: boolean } = {},
): Promise<DumpPreview> {
  const dump: ResultPromise = execaProgram(
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
  const toc = startTocReaders(pgRestorePath(pgDump), target, options);
  for (const { input } of toc.readers) {
    input.on('error', () => undefined);
    dump.stdout?.pipe(input);
  }
  try {
    return await toc.preview(async (stderr) => {
      dump.kill('SIGTERM');
      return String((await dump).stderr || stderr).trim();
    });
  } finally {
    dump.kill('SIGTERM');
    await dump;
  }
}

/** The pg_restore beside a pg_dump: the same installation, so the same archive versions. */
export function pgRestorePath(pgDump: ClientBinary): string {
  return join(dirname(pgDump.path), 'pg_restore');
}

/** The dumped tables' names, as the session's catalog has them. */
export async function tablesByOid(session: PsqlSession, oids: readonly number[]): Promise<TableName[]> {
  if (oids.length === 0) return [];
  const rows = await session.query(
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY(${quoteLiteral(`{${oids.join(',')}}`)}::oid[]) ORDER BY 1, 2`,
  );
  return rows.map(([schema, name]) => ({ schema: String(schema), name: String(name) }));
}
