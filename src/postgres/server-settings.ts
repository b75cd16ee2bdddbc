import type { PsqlSession } from './psql-session.js';

/**
 * The server settings that decide how fast a restore runs and what a crash during it costs: the
 * report shows them, so a slow restore can be told apart from a server set up for durability.
 */
export const RESTORE_SPEED_SETTINGS = [
  'fsync',
  'full_page_writes',
  'synchronous_commit',
  'wal_level',
  'max_wal_senders',
  'max_wal_size',
  'autovacuum',
  'shared_buffers',
  'maintenance_work_mem',
  'max_parallel_maintenance_workers',
] as const;

/** Each setting as the server shows it (SHOW's form, units included); one the server lacks is left out. */
export async function readServerSettings(session: PsqlSession): Promise<Record<string, string>> {
  const names = RESTORE_SPEED_SETTINGS.map((name) => `'${name}'`).join(', ');
  const rows = await session.query(`SELECT name, current_setting(name) FROM pg_settings WHERE name IN (${names})`);
  const shown = new Map(rows.map(([name, value]) => [String(name), String(value)]));
  return Object.fromEntries(
    RESTORE_SPEED_SETTINGS.filter((name) => shown.has(name)).map((name) => [name, shown.get(name) as string]),
  );
}
