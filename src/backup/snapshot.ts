import type { PsqlSession } from '../postgres/psql-session.js';
import { qualifiedName, quoteLiteral, type TableName } from '../postgres/identifiers.js';
import type { TableRowCount } from '../storage/manifest.js';

export interface ServerFacts {
  database: string;
  version: string;
  versionNum: number;
  major: number;
  databaseSizeBytes: number;
}

export async function readServerFacts(session: PsqlSession): Promise<ServerFacts> {
  const [row] = await session.query(
    "SELECT current_database(), current_setting('server_version'), current_setting('server_version_num'), pg_database_size(current_database())",
  );
  const [database, version, versionNum, size] = row ?? [];
  const num = Number(versionNum);
  return { database: String(database), version: String(version).split(' ')[0] as string, versionNum: num, major: Math.floor(num / 10000), databaseSizeBytes: Number(size) };
}

export interface ExportedSnapshot {
  id: string;
  /** Server clock when the snapshot was taken. */
  takenAt: Date;
}

/**
 * Opens a REPEATABLE READ transaction and exports its snapshot. pg_dump --snapshot sees exactly
 * what this transaction sees, so counts taken here match the dump; the snapshot stays valid
 * while the transaction is open.
 */
export async function exportSnapshot(session: PsqlSession): Promise<ExportedSnapshot> {
  await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  const [row] = await session.query("SELECT pg_export_snapshot(), to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
  return { id: String(row?.[0]), takenAt: new Date(String(row?.[1])) };
}

export async function tablesByOid(session: PsqlSession, oids: readonly number[]): Promise<TableName[]> {
  if (oids.length === 0) return [];
  const rows = await session.query(
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY(${quoteLiteral(`{${oids.join(',')}}`)}::oid[]) ORDER BY 1, 2`,
  );
  return rows.map(([schema, name]) => ({ schema: String(schema), name: String(name) }));
}

const COUNT_BATCH = 50;

/**
 * Exact row counts in the snapshot, batched into UNION ALL statements. ONLY: a parent's TABLE
 * DATA holds its own rows, its inheritance children are dumped (and counted) separately.
 */
export async function countRows(session: PsqlSession, tables: readonly TableName[]): Promise<TableRowCount[]> {
  const counts: TableRowCount[] = [];
  for (let start = 0; start < tables.length; start += COUNT_BATCH) {
    const batch = tables.slice(start, start + COUNT_BATCH);
    const sql = batch.map((table, i) => `SELECT ${i}, count(*) FROM ONLY ${qualifiedName(table)}`).join(' UNION ALL ');
    const rows = await session.query(sql);
    const byIndex = new Map(rows.map(([i, n]) => [Number(i), Number(n)]));
    batch.forEach((table, i) => {
      const rows = byIndex.get(i);
      if (rows === undefined || !Number.isSafeInteger(rows)) throw new Error(`no row count came back for ${qualifiedName(table)}`);
      counts.push({ ...table, rows });
    });
  }
  return counts;
}
