import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { createManyTables, manyTablesName } from '../../harness/many-tables.js';
import { startPostgres, type PostgresServer } from '../../harness/postgres.js';
import { backupWithInputs } from '../helpers/backup-run.js';
import { sql } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';

/**
 * A schema-per-tenant database of 10,000 tables on a server with PostgreSQL's default lock table
 * (max_locks_per_transaction 64, max_connections 100, as on RDS): pg_dump alone succeeds, so the
 * backup must too, with every table counted exactly in the dump's snapshot and its size recorded.
 */
const TABLES = 10_000;
const ROWS = 10;

let server: PostgresServer;
let url: string;

beforeAll(async () => {
  server = await startPostgres({ settings: { max_connections: '100', max_locks_per_transaction: '64' } });
  await sql(server.url('postgres'), 'CREATE DATABASE wide');
  url = server.url('wide');
  await createManyTables(url, TABLES, ROWS);
}, 300_000);

afterAll(() => server?.stop());

test('pg_dump alone dumps the 10,000 tables within the default lock table', async () => {
  const dump = await execa('pg_dump', ['--format=custom', '--no-sync', '--file=/dev/null', `--dbname=${url}`], {
    reject: false,
  });
  expect(dump.stderr).toBe('');
  expect(dump.exitCode).toBe(0);
}, 120_000);

test('the backup succeeds beside it, with exact counts and every table size', async () => {
  const bucket = await createBucket('wide');
  const result = await backupWithInputs({ 'database-url': url, bucket, retention: 'off' });
  const { tables } = result.manifest;
  expect(tables).toHaveLength(TABLES);
  const expected = Array.from({ length: TABLES }, (_, i) => ({ ...manyTablesName(i), rows: ROWS }));
  expect(tables.map(({ schema, name, rows }) => ({ schema, name, rows }))).toEqual(expected);
  expect(result.totalRows).toBe(TABLES * ROWS);
  // Heap, primary key and TOAST of a 10-row table: a page each at least.
  for (const table of tables) expect(table.sizeBytes).toBeGreaterThanOrEqual(2 * 8192);
}, 300_000);
