import { countRows } from '../postgres/row-counts.js';
import { displayName, type TableName } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import type { BackupManifest, TableRowCount } from '../storage/manifest.js';
import { StepFailure } from '../report/step-pipeline.js';
import { verifyRestoredObjects } from './verify-objects.js';

export type TableStatus = 'equal' | 'differs' | 'missing' | 'present' | 'not in manifest';

/** One table of the manifest (or of the restored database) compared. */
export interface TableComparison {
  schema: string;
  name: string;
  /** The manifest's exact count; null when the backup counted no rows, or the table is not in the manifest. */
  expectedRows: number | null;
  /** null when the table is missing. */
  restoredRows: number | null;
  status: TableStatus;
}

const key = (t: TableName) => JSON.stringify([t.schema, t.name]);

/**
 * Every table of the manifest must be in the restored database with exactly as many rows as
 * the dump's snapshot had. Row security is off in this session, so a policy can never hide
 * rows from the count: a table it would filter fails to count instead.
 */
export async function compareTables(
  session: PsqlSession,
  manifestTables: readonly TableRowCount[],
): Promise<TableComparison[]> {
  await session.query('SET row_security = off');
  await session.query('SET statement_timeout = 0');
  const rows = await session.query(
    `SELECT n.nspname, c.relname, EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'`,
  );
  const restored = new Map(
    rows.map(([schema, name, fromExtension]) => [
      key({ schema: String(schema), name: String(name) }),
      { schema: String(schema), name: String(name), fromExtension: fromExtension === 't' },
    ]),
  );
  const expected = new Set(manifestTables.map(key));
  const present = manifestTables.filter((t) => restored.has(key(t)));
  // Tables the dump holds no data for (e.g. pg_dump --exclude-table-data) are listed, not judged.
  const extras = [...restored.values()].filter((t) => !expected.has(key(t)) && !t.fromExtension);
  const counted = await countRows(session, [...present, ...extras]);
  const countOf = new Map(counted.map((t) => [key(t), t.rows as number]));

  const comparisons: TableComparison[] = manifestTables.map((t) => {
    const restoredRows = countOf.get(key(t)) ?? null;
    const status: TableStatus =
      restoredRows === null ? 'missing' : t.rows === null ? 'present' : t.rows === restoredRows ? 'equal' : 'differs';
    return { schema: t.schema, name: t.name, expectedRows: t.rows, restoredRows, status };
  });
  for (const t of extras)
    comparisons.push({
      schema: t.schema,
      name: t.name,
      expectedRows: null,
      restoredRows: countOf.get(key(t)) ?? null,
      status: 'not in manifest',
    });
  return comparisons;
}

/** The differences, one phrase each, for the failure reason; empty when the data matches. */
export function describeDifferences(comparisons: readonly TableComparison[]): string[] {
  return comparisons.flatMap((c) => {
    if (c.status === 'missing') return [`${displayName(c)} is missing`];
    if (c.status === 'differs')
      return [`${displayName(c)} has ${c.restoredRows} rows, the manifest says ${c.expectedRows}`];
    return [];
  });
}

const MAX_LISTED = 10;

function listSome(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join('; ');
  return items.length > MAX_LISTED ? `${shown}; and ${items.length - MAX_LISTED} more` : shown;
}

export interface Verification {
  tables: TableComparison[];
  /** What the step reports when the data matches. */
  detail: string;
  /** Set when it does not: the step's failure, naming each difference. */
  failure?: StepFailure;
}

/** The verify step: every table compared with the manifest, and the verdict. */
export async function verifyAgainstManifest(session: PsqlSession, manifest: BackupManifest): Promise<Verification> {
  const tables = await compareTables(session, manifest.tables);
  const objects = await verifyRestoredObjects(session, manifest);
  const differences = [...describeDifferences(tables), ...objects.differences];
  if (differences.length) {
    const failure = new StepFailure(`the restored data differs from the manifest: ${listSome(differences)}`, [
      `verify: the restored data differs from the manifest of ${manifest.key}: ${listSome(differences)}`,
    ]);
    return { tables, detail: failure.message, failure };
  }
  const equal = tables.filter((t) => t.status === 'equal');
  const rows = equal.reduce((sum, t) => sum + (t.restoredRows ?? 0), 0);
  const tablesDetail =
    manifest.rowCounts === 'off'
      ? `${manifest.tables.length} tables present; the backup counted no rows (row-counts: off), so counts were not compared`
      : `${equal.length} tables, ${rows.toLocaleString('en-US')} rows: every count equals the manifest`;
  const detail = objects.matched ? `${tablesDetail}; ${objects.matched}` : tablesDetail;
  return { tables, detail };
}
