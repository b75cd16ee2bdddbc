import { qualifiedName, type TableName } from './identifiers.js';
import type { PsqlSession } from './psql-session.js';

export interface TableRows extends TableName {
  rows: number;
}

const COUNT_BATCH = 50;

/**
 * Exact row counts in the snapshot, batched into UNION ALL statements. ONLY: a parent's TABLE
 * DATA holds its own rows, its inheritance children are dumped (and counted) separately.
 */
export async function countRows(session: PsqlSession, tables: readonly TableName[]): Promise<TableRows[]> {
  const counts: TableRows[] = [];
  for (let start = 0; start < tables.length; start += COUNT_BATCH) {
    const batch = tables.slice(start, start + COUNT_BATCH);
    const sql = batch.map((table, i) => `SELECT ${i}, count(*) FROM ONLY ${qualifiedName(table)}`).join(' UNION ALL ');
    const rows = await session.query(sql);
    const byIndex = new Map(rows.map(([i, n]) => [Number(i), Number(n)]));
    batch.forEach((table, i) => {
      const rows = byIndex.get(i);
      if (rows === undefined || !Number.isSafeInteger(rows))
        throw new Error(`no row count came back for ${qualifiedName(table)}`);
      counts.push({ ...table, rows });
    });
  }
  return counts;
}
