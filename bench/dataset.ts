import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDatabaseUrl } from '../src/postgres/connection.js';
import { PsqlSession } from '../src/postgres/psql-session.js';
import { createSaasSchema } from '../harness/saas-dataset.js';
import { startPostgres, type PostgresServer } from '../harness/postgres.js';

export const SIZES = { S: 100, M: 1800 } as const;
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
export async function openDataset(size: SizeName, log: (line: string) => void): Promise<Dataset> {
  const dir = fileURLToPath(new URL(`./data/${size}`, import.meta.url));
  const marker = join(dir, 'dataset.json');
  const server = await startPostgres({
    persistentDir: dir,
    settings: { shared_buffers: "'512MB'", max_wal_size: "'4GB'" },
  });
  const url = server.url(DATABASE);
  if (!existsSync(marker)) {
    log(`building the ${size} dataset (once; it is kept in ${dir})...`);
    const admin = await PsqlSession.open(parseDatabaseUrl(server.url('postgres'), 'url'));
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.close();
    const rows = await createSaasSchema(parseDatabaseUrl(url, 'url'), SIZES[size]);
    await writeFile(marker, JSON.stringify({ rows }, null, 2));
  }
  const { rows } = JSON.parse(await readFile(marker, 'utf8')) as { rows: Record<string, number> };
  const session = await PsqlSession.open(parseDatabaseUrl(url, 'url'));
  const sizeBytes = Number(await session.value('SELECT pg_database_size(current_database())'));
  await session.close();
  return { server, url, sizeBytes, rows };
}
