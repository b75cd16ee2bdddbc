import { errorMessage } from '../errors.js';
import { withDatabase, type DatabaseTarget } from '../postgres/connection.js';
import { displayName } from '../postgres/identifiers.js';
import { PsqlSession } from '../postgres/psql-session.js';
import { countRows } from '../postgres/row-counts.js';
import type { BackupManifest } from '../storage/manifest.js';
import { secondsBetween } from '../util/format.js';

/** One table of the backup against the live (damaged) database. */
export interface TableLoss {
  table: string;
  backupRows: number | null;
  /** null: the table is not in the live database (or it did not answer). */
  liveRows: number | null;
  /** Live rows the recovery would take away (live minus backup), when both are known. */
  difference: number | null;
}

/** What restoring the backup costs: everything written after its data was taken. */
export interface DataLoss {
  /** The instant the backup's data is from. */
  recoveryPoint: string;
  /** Now minus the recovery point: the writes of this long are lost. */
  seconds: number;
  tables: TableLoss[];
  /** Why the live database's counts are missing, when they are. */
  liveUnavailable?: string;
}

/** The manifest's tables that exist in the live database, counted exactly in one read-only snapshot. */
async function liveCounts(
  target: DatabaseTarget,
  psqlPath: string,
  manifest: BackupManifest,
): Promise<Map<string, number>> {
  const session = await PsqlSession.open(target, { psqlPath });
  try {
    await session.query('SET default_transaction_read_only = on');
    await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const rows = await session.query(
      `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
    );
    const present = new Set(rows.map(([schema, name]) => JSON.stringify([schema, name])));
    const counted = await countRows(
      session,
      manifest.tables.filter((t) => present.has(JSON.stringify([t.schema, t.name]))),
    );
    await session.query('COMMIT');
    return new Map(counted.map((t) => [displayName(t), t.rows]));
  } finally {
    await session.close();
  }
}

/**
 * The data a recovery from this backup loses: the time since its data was taken, and per table the
 * manifest's exact count against the live database's, where the live database still answers.
 * Only reads.
 */
export async function measureDataLoss(
  production: DatabaseTarget,
  psqlPath: string,
  manifest: BackupManifest,
  now: Date,
): Promise<DataLoss> {
  const loss: DataLoss = {
    recoveryPoint: manifest.snapshotAt,
    seconds: secondsBetween(new Date(manifest.snapshotAt), now),
    tables: [],
  };
  let live = new Map<string, number>();
  try {
    live = await liveCounts(withDatabase(production, production.database), psqlPath, manifest);
  } catch (error) {
    loss.liveUnavailable = errorMessage(error);
  }
  loss.tables = manifest.tables.map((t) => {
    const table = displayName(t);
    const liveRows = live.get(table) ?? null;
    return {
      table,
      backupRows: t.rows,
      liveRows,
      difference: liveRows !== null && t.rows !== null ? liveRows - t.rows : null,
    };
  });
  return loss;
}
