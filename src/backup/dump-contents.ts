import { ConfigurationError } from '../errors.js';
import type { ClientBinary } from '../postgres/binaries.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import type { DumpRoles } from '../postgres/dump-roles.js';
import { readDumpContents, type DumpPreview } from '../postgres/dumped-tables.js';
import { displayName, type TableName } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import {
  countLargeObjects,
  relationsByOid,
  userTables,
  type SequenceValue,
  type UserTable,
} from '../postgres/restore-facts.js';
import type { ExcludedTable, SequenceState } from '../storage/manifest.js';

/** What the dump will hold, as the manifest records it; read in the dump's snapshot before it starts. */
export interface DumpContents {
  /** Exactly the tables whose rows are in the dump. */
  tables: TableName[];
  excludedTables: ExcludedTable[];
  /** Absent when the dump holds none of the database's large objects. */
  largeObjects?: number;
  sequences: SequenceState[];
  /** Populated materialized views, whose rows are counted with the tables'. */
  materializedViews: TableName[];
  /** With `withRoles`: the roles the dump depends on, read in the same pass, or why they could not be. */
  roles?: DumpRoles | Error;
}

function whyExcluded(table: UserTable, defined: ReadonlySet<number>): string {
  if (!defined.has(table.oid))
    return 'not selected by pg-dump-args (--table, --schema, --exclude-table, --exclude-schema, ...)';
  if (table.unlogged) return 'unlogged table, its rows left out by --no-unlogged-table-data';
  return 'its rows are left out by pg-dump-args (--exclude-table-data)';
}

/**
 * Reads the dump's table of contents (same snapshot, same arguments) and the facts a restore must
 * bring back; with `withRoles` also the roles it depends on, from the same pass. The sequences are
 * read by `readSequences`, outside the session's transaction, which must not keep a lock on each
 * of them while pg_dump runs.
 */
export async function planDumpContents(
  session: PsqlSession,
  pgDump: ClientBinary,
  database: DatabaseTarget,
  dumpArgs: string[],
  readSequences: ReadSequences,
  withRoles = false,
): Promise<DumpContents> {
  const preview = await readDumpContents(pgDump, database, dumpArgs, { roles: withRoles });
  return contentsOf(session, preview, readSequences);
}

export type ReadSequences = (oids: readonly number[]) => Promise<SequenceValue[]>;

/**
 * What the manifest records of a dump, from its table of contents and the session's catalog (in
 * the dump's snapshot). A dump that would hold the rows of none of the database's tables is
 * refused: it is no backup, whatever its options.
 */
export async function contentsOf(
  session: PsqlSession,
  { toc, roles }: DumpPreview,
  readSequences: ReadSequences,
  /** The database's tables, when they were read already in the snapshot. */
  tablesRead?: UserTable[],
): Promise<DumpContents> {
  const dumped = new Set(toc.tableData);
  const defined = new Set(toc.tableDefinitions);
  const all = tablesRead ?? (await userTables(session));
  const excludedTables = all
    .filter((t) => !dumped.has(t.oid))
    .map((t) => ({ schema: t.schema, name: t.name, reason: whyExcluded(t, defined) }));
  const tables = await relationsByOid(session, toc.tableData);
  if (tables.length === 0 && all.length > 0) {
    const example = excludedTables[0] as ExcludedTable;
    throw new ConfigurationError(
      `the dump would hold the rows of none of the database's ${all.length} tables (e.g. ${displayName(example)}: ${example.reason}), so it would be no backup; check pg-dump-args`,
    );
  }
  const largeObjects = await countLargeObjects(session);
  return {
    tables,
    excludedTables,
    largeObjects: toc.largeObjects || largeObjects === 0 ? largeObjects : undefined,
    sequences: (await readSequences(toc.sequenceSets)).map(({ schema, name, lastValue, ascending }) => ({
      schema,
      name,
      lastValue,
      ascending,
    })),
    materializedViews: await relationsByOid(session, toc.materializedViewData),
    ...(roles ? { roles } : {}),
  };
}
