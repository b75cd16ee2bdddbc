import type { PsqlSession } from './psql-session.js';

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
  return {
    database: String(database),
    version: String(version).split(' ')[0] as string,
    versionNum: num,
    major: Math.floor(num / 10000),
    databaseSizeBytes: Number(size),
  };
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
  const [row] = await session.query(
    'SELECT pg_export_snapshot(), to_char(statement_timestamp() AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')',
  );
  return { id: String(row?.[0]), takenAt: new Date(String(row?.[1])) };
}
