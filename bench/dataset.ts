import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDatabaseUrl } from '../src/postgres/connection.js';
import { PsqlSession } from '../src/postgres/psql-session.js';
import { createManyTables } from '../harness/many-tables.js';
import { createSaasSchema } from '../harness/saas-dataset.js';
import { startPostgres, type PostgresServer } from '../harness/postgres.js';

/** Megabytes of sample data per size. L (about 20 GB) is built only when asked for, never by the tests. */
export const SIZES = { S: 100, M: 1800, L: 20_000 } as const;
export type SizeName = keyof typeof SIZES;
export const DATABASE = 'saas_production';

export interface Dataset {
  server: PostgresServer;
  url: string;
  sizeBytes: number;
  rows: Record<string, number>;
}

/**
 * The benchmark database of a size, in a cluster under bench/data/<size>/ that outlives the run:
 * built once (minutes for M), then started as it is. M's target is set so that it lands near 1.5 GB
 * on disk.
 */
export function openDataset(size: SizeName, log: (line: string) => void): Promise<Dataset> {
  return openKeptDataset(size, { shared_buffers: "'512MB'", max_wal_size: "'4GB'" }, log, (url) =>
    createSaasSchema(parseDatabaseUrl(url, 'url'), SIZES[size]),
  );
}

/** The many-tables case: a schema-per-tenant database of this many tables of MANY_TABLES_ROWS rows. */
export const MANY_TABLES = 10_000;
export const MANY_TABLES_ROWS = 10;

/**
 * The many-tables database, under bench/data/many-tables/, on a server with PostgreSQL's default
 * lock table (max_connections 100, max_locks_per_transaction 64), as on RDS.
 */
export function openManyTablesDataset(log: (line: string) => void): Promise<Dataset> {
  const settings = { shared_buffers: "'512MB'", max_connections: '100', max_locks_per_transaction: '64' };
  return openKeptDataset('many-tables', settings, log, async (url) => {
    await createManyTables(url, MANY_TABLES, MANY_TABLES_ROWS);
    return { [`tables of ${MANY_TABLES_ROWS} rows`]: MANY_TABLES };
  });
}

/** A dataset in a cluster under bench/data/<name>/ that outlives the run: built once by `build`, then started as it is. */
async function openKeptDataset(
  name: string,
  settings: Record<string, string>,
  log: (line: string) => void,
  build: (url: string) => Promise<Record<string, number>>,
): Promise<Dataset> {
  const dir = fileURLToPath(new URL(`./data/${name}`, import.meta.url));
  const marker = join(dir, 'dataset.json');
  const server = await startPostgres({ persistentDir: dir, settings });
  const url = server.url(DATABASE);
  if (!existsSync(marker)) {
    log(`building the ${name} dataset (once; it is kept in ${dir})...`);
    const admin = await PsqlSession.open(parseDatabaseUrl(server.url('postgres'), 'url'));
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.close();
    const rows = await build(url);
    await writeFile(marker, JSON.stringify({ rows }, null, 2));
  }
  const { rows } = JSON.parse(await readFile(marker, 'utf8')) as { rows: Record<string, number> };
  const session = await PsqlSession.open(parseDatabaseUrl(url, 'url'));
  const sizeBytes = Number(await session.value('SELECT pg_database_size(current_database())'));
  await session.close();
  return { server, url, sizeBytes, rows };
}
