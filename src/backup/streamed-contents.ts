import type { ClientBinary } from '../postgres/binaries.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import { pgRestorePath, startTocReaders } from '../postgres/dumped-tables.js';
import { qualifiedName, type TableName } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import { relationsByOid, userTables, type SequenceValue } from '../postgres/restore-facts.js';
import type { TableRowCount } from '../storage/manifest.js';
import type { ByteSource } from '../util/byte-source.js';
import type { Logger } from '../util/logger.js';
import { teedSource, type TeedSource } from '../util/tee-source.js';
import { contentsOf, type DumpContents } from './dump-contents.js';
import { captureGlobals, type CapturedGlobals, type GlobalsPolicy } from './globals.js';
import type { Counted } from './parallel-dump.js';

/** What the manifest records besides the dump's bytes: what it holds, its rows and sizes, the globals. */
export interface DumpAccount {
  contents: DumpContents;
  counted: Counted;
  globals: CapturedGlobals;
}

/** The exact rows (null with row-counts off) and sizes of tables in the dump's snapshot. */
export type MeasureTables = (tables: TableName[]) => Promise<TableRowCount[]>;

export interface StreamedAccountOptions {
  session: PsqlSession;
  pgDump: ClientBinary;
  database: DatabaseTarget;
  /** pg_dump's arguments, snapshot included (for the globals' roles). */
  dumpArgs: string[];
  /** The user's pg-dump-args alone: whether the dump may leave out any table's rows. */
  pgDumpArgs: readonly string[];
  globals: GlobalsPolicy;
  measure: MeasureTables;
  /**
   * The values of every sequence, read before pg_dump started: a sequence's value is not kept by the
   * snapshot, so the manifest's must be read before pg_dump reads its own, never after (a restore may
   * bring back a later value than the manifest's, never an earlier one).
   */
  sequencesBefore: SequenceValue[];
  /** pg_dump's exit: when it failed, its error, not the readers', says why. */
  dumpExit: Promise<void>;
  log: Logger;
}

/**
 * pg-dump-args that choose nothing about which rows are dumped: with only these, every table of the
 * database is dumped with its rows, and the counts start with the dump, before its table of contents.
 */
const CHOOSES_NO_ROWS = new Set([
  '--no-owner',
  '-O',
  '--no-privileges',
  '-x',
  '--no-acl',
  '--no-comments',
  '--no-publications',
  '--no-subscriptions',
  '--no-security-labels',
  '--no-tablespaces',
  '--no-table-access-method',
  '--no-toast-compression',
  '--use-set-session-authorization',
  '--quote-all-identifiers',
  '--disable-dollar-quoting',
  '--disable-triggers',
  '--load-via-partition-root',
  '--inserts',
  '--column-inserts',
  '--attribute-inserts',
  '--serializable-deferrable',
  '--strict-names',
  '--verbose',
  '-v',
  '--no-sync',
  '--large-objects',
  '--blobs',
  '-b',
]);

/** Whether these pg-dump-args dump the rows of every table: anything unknown is taken to choose. */
export function dumpsEveryTable(pgDumpArgs: readonly string[]): boolean {
  return pgDumpArgs.every((arg) => CHOOSES_NO_ROWS.has(arg));
}

/**
 * One custom-format archive (jobs 1): what the dump holds is read from its own stream, with no
 * pass of its own over the catalogs. The archive's table of contents comes first, before any data,
 * so the bytes read for the upload are also written to the table-of-contents readers
 * (tee-source.ts), which exit once they have it. When pg-dump-args choose no rows, every table is
 * dumped: the counts start with the dump, on a session of their own in the same snapshot, and
 * when the table of contents arrives only what it holds beyond them (materialized views, an
 * extension's configuration tables) is counted; otherwise the counts start with it.
 */
export function accountFromStream(
  output: ByteSource,
  options: StreamedAccountOptions,
): { output: TeedSource; account: Promise<DumpAccount> } {
  const toc = startTocReaders(pgRestorePath(options.pgDump), options.database, {
    roles: options.globals !== 'off',
  });
  const teed = teedSource(output, toc.readers);
  const everyTable = dumpsEveryTable(options.pgDumpArgs) ? userTables(options.session) : undefined;
  const early = everyTable?.then((tables) => options.measure(tables.map(({ schema, name }) => ({ schema, name }))));
  early?.catch(() => undefined); // observed below, once the contents are known
  const account = (async () => {
    const preview = await toc.preview(async (stderr) => {
      await options.dumpExit; // pg_dump's own error, when it failed, is the cause
      return stderr;
    });
    const readSequences = async (oids: readonly number[]) => {
      const dumped = new Set((await relationsByOid(options.session, oids)).map(qualifiedName));
      return options.sequencesBefore.filter((s) => dumped.has(qualifiedName(s)));
    };
    const contents = await contentsOf(options.session, preview, readSequences, await everyTable);
    const excluded = contents.excludedTables.length ? `, ${contents.excludedTables.length} excluded` : '';
    options.log.info(`table of contents read from the dump: ${contents.tables.length} tables${excluded}`);
    const [counted, globals] = await Promise.all([
      countedFor(contents, early, options.measure),
      captureGlobals({ ...options, policy: options.globals, dumpRoles: contents.roles }),
    ]);
    return { contents, counted, globals };
  })();
  return { output: teed, account };
}

/**
 * The rows and sizes of exactly the tables and materialized views the dump holds: those counted
 * before its table of contents arrived, and the rest now. Every one is counted in the snapshot.
 */
async function countedFor(
  contents: DumpContents,
  early: Promise<TableRowCount[]> | undefined,
  measure: MeasureTables,
): Promise<Counted> {
  const byName = new Map((early ? await early : []).map((t) => [qualifiedName(t), t]));
  const rest = [...contents.tables, ...contents.materializedViews].filter((t) => !byName.has(qualifiedName(t)));
  for (const measured of rest.length ? await measure(rest) : []) byName.set(qualifiedName(measured), measured);
  const find = (t: TableName) => byName.get(qualifiedName(t)) as TableRowCount;
  return { tables: contents.tables.map(find), materializedViews: contents.materializedViews.map(find) };
}
