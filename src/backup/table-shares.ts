import type { TableName } from '../postgres/identifiers.js';

export interface SizedTable extends TableName {
  /** pg_total_relation_size: the table, its TOAST and its indexes. */
  sizeBytes: number;
}

/** One pg_dump worker's tables and their bytes on disk. */
export interface TableShare {
  tables: SizedTable[];
  bytes: number;
}

const byName = (a: TableName, b: TableName) =>
  a.schema < b.schema ? -1 : a.schema > b.schema ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/**
 * Shares the tables among at most `jobs` workers, balanced by size: largest first, each to the
 * least loaded worker (among equals the one with fewest tables, then the lowest-numbered), so the same database always shares out
 * the same way. No share is empty: with fewer tables than jobs, there are as many shares as
 * tables (and one, empty, when there are none).
 */
export function shareTables(tables: readonly SizedTable[], jobs: number): TableShare[] {
  const count = Math.max(1, Math.min(jobs, tables.length));
  const shares: TableShare[] = Array.from({ length: count }, () => ({ tables: [], bytes: 0 }));
  const largestFirst = [...tables].sort((a, b) => b.sizeBytes - a.sizeBytes || byName(a, b));
  for (const table of largestFirst) {
    // Among equally loaded shares the one with fewest tables: empty tables (0 bytes) must not all
    // land in the first share and leave another empty, which would dump every table.
    const least = shares.reduce((best, share) =>
      share.bytes < best.bytes || (share.bytes === best.bytes && share.tables.length < best.tables.length)
        ? share
        : best,
    );
    least.tables.push(table);
    least.bytes += table.sizeBytes;
  }
  return shares;
}
