import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { manifestKeyFor } from '../../src/storage/keys.js';
import type { BackupManifest } from '../../src/storage/manifest.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { COPY_REGION, createRegionalBucket } from '../../harness/second-region.js';
import { stackFromEnv } from '../../harness/stack.js';
import { createDatabase, databaseExists, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, listKeys, openMultipartUploads } from '../helpers/s3.js';
import { loadSampleData, rowCounts } from '../helpers/sample-data.js';
import { getObject, putObject, scratchName, storedManifest } from '../restore-verify/fixtures.js';

/**
 * A parallel backup (jobs: 2) through the bundled backup and restore-verify: the schema at the key,
 * the data in two parts beside it, each with its SHA-256 in the manifest; restored in sections;
 * a part that changed fails the restore test naming it; a failed pg_dump leaves nothing; retention
 * deletes the parts with their backup.
 */

let source: { name: string; url: string };

beforeAll(async () => {
  source = await createDatabase('parallel');
  await loadSampleData(source.url, 2000);
  await sql(
    source.url,
    `SELECT lo_from_bytea(0, convert_to('large object ' || g, 'UTF8')) FROM generate_series(1, 3) g;
     CREATE SEQUENCE invoice_numbers START 1000; SELECT nextval('invoice_numbers') FROM generate_series(1, 5);
     CREATE TABLE excluded_ident (id int GENERATED ALWAYS AS IDENTITY, v text);
     INSERT INTO excluded_ident (v) SELECT 'x' FROM generate_series(1, 5);
     CREATE MATERIALIZED VIEW org_sizes AS SELECT org_id, count(*) AS users FROM users GROUP BY org_id;
     CREATE SCHEMA "odd ""schema""";
     CREATE TABLE "odd ""schema"""."ta.ble*" (id int); INSERT INTO "odd ""schema"""."ta.ble*" SELECT generate_series(1, 7);
     CREATE TABLE "odd ""schema"""."ta_ble_" (id int); INSERT INTO "odd ""schema"""."ta_ble_" SELECT generate_series(1, 3);`,
  );
}, 180_000);

afterAll(() => dropDatabase(source.name));

const endpoint = () => stackFromEnv().awsEndpoint;
const backup = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runBundledAction(
    'backup',
    {
      'database-url': source.url,
      'endpoint-url': endpoint(),
      region: 'us-east-1',
      retention: 'off',
      ...inputs,
    },
    { env },
  );
const restoreVerify = (inputs: Record<string, string>) =>
  runBundledAction('restore-verify', {
    'endpoint-url': endpoint(),
    'target-database-url': stackFromEnv().postgresUrl(scratchName()),
    jobs: '2',
    ...inputs,
  });

describe('jobs: 2, from backup to restore-verify', () => {
  let bucket: string;
  let key: string;
  let manifest: BackupManifest;
  let sizeOutput: number;

  beforeAll(async () => {
    bucket = await createBucket('parallel');
    const run = await backup({ bucket, jobs: '2', 'pg-dump-args': '--exclude-table-data=excluded_ident' });
    expect(run.stdout).not.toContain('::error::');
    expect(run.exitCode).toBe(0);
    key = run.outputs.key as string;
    sizeOutput = Number(run.outputs['size-bytes']);
    manifest = await storedManifest(bucket, key);
  }, 180_000);

  test('the manifest lists two data parts beside the key, each with its size and SHA-256, and nothing else is stored', async () => {
    expect(manifest.version).toBe(3);
    expect(manifest.parts?.map((part) => [part.key, part.role])).toEqual([
      [`${key}.part-1`, 'data'],
      [`${key}.part-2`, 'data'],
    ]);
    for (const part of manifest.parts ?? []) {
      const body = await getObject(bucket, part.key);
      expect(body.length).toBe(part.sizeBytes);
      expect(createHash('sha256').update(body).digest('hex')).toBe(part.sha256);
    }
    expect((manifest.parts ?? []).reduce((sum, part) => sum + part.tables, 0)).toBe(manifest.tables.length);
    expect(sizeOutput).toBe((manifest.parts ?? []).reduce((sum, part) => sum + part.sizeBytes, manifest.sizeBytes));
    expect(await listKeys(bucket)).toEqual(
      [key, manifestKeyFor(key), `${key}.globals.sql`, `${key}.part-1`, `${key}.part-2`].sort(),
    );
  });

  test('the counts are exact, taken in the one snapshot every part was dumped from', async () => {
    const actual = await rowCounts(source.url);
    const recorded = Object.fromEntries(manifest.tables.map((t) => [`${t.schema}.${t.name}`, t.rows]));
    const { 'public.excluded_ident': excluded, ...dumped } = actual;
    expect(excluded).toBe(5);
    expect(recorded).toEqual(dumped);
    expect(manifest.sequences).toEqual(
      expect.arrayContaining([
        { schema: 'public', name: 'invoice_numbers', lastValue: '1004', ascending: true },
        { schema: 'public', name: 'excluded_ident_id_seq', lastValue: '5', ascending: true },
      ]),
    );
    expect(manifest.largeObjects).toBe(3);
  });

  test('restore-verify checks every part and restores the schema, the parts in parallel, then indexes and constraints', async () => {
    const target = scratchName();
    const run = await restoreVerify({ bucket, backup: key, 'target-database-url': stackFromEnv().postgresUrl(target) });
    expect(run.stdout).not.toContain('::error::');
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain('size and SHA-256 of the schema and of each of its 2 data parts match the manifest');
    expect(run.summary).toContain('the schema, then 2 data parts in parallel, then indexes and constraints');
    expect(run.summary).toContain(
      `${manifest.sequences?.length} sequences, 1 materialized views, 3 large objects as recorded`,
    );
    expect(await databaseExists(target)).toBe(false);
  }, 180_000);

  test('download: stream restores it too: the schema checked first, then the parts streamed at once, each checked at its end', async () => {
    const target = scratchName();
    const run = await restoreVerify({
      bucket,
      backup: key,
      download: 'stream',
      'target-database-url': stackFromEnv().postgresUrl(target),
    });
    expect(run.stdout).not.toContain('::error::');
    expect(run.exitCode).toBe(0);
    const rows = manifest.tables.reduce((sum, table) => sum + (table.rows ?? 0), 0);
    expect(run.summary).toContain(
      `${manifest.tables.length} tables, ${rows.toLocaleString('en-US')} rows: every count equals the manifest`,
    );
    expect(run.summary).toContain(
      'reading each data part as it arrives (download: stream, 2 jobs): the schema, then 2 data parts in parallel, then indexes and constraints',
    );
    expect(run.summary).toContain('size and SHA-256 of the schema and of each of its 2 data parts match the manifest');
    expect(run.summary).toContain(
      `${manifest.sequences?.length} sequences, 1 materialized views, 3 large objects as recorded`,
    );
    expect(await databaseExists(target)).toBe(false);
  }, 180_000);

  test('a part that changed fails restore-verify, naming the part, before anything is restored', async () => {
    const partKey = `${key}.part-2`;
    const body = await getObject(bucket, partKey);
    body.writeUInt8(body.readUInt8(body.length - 1) ^ 0xff, body.length - 1);
    await putObject(bucket, partKey, body);
    const target = scratchName();
    const run = await restoreVerify({ bucket, backup: key, 'target-database-url': stackFromEnv().postgresUrl(target) });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `::error::.*part s3://${bucket}/${partKey.replace(/[.*]/g, '\\$&')} has SHA-256 [0-9a-f]{64}, but the manifest says ${manifest.parts?.[1]?.sha256}: the part is corrupt`,
      ),
    );
    expect(await databaseExists(target)).toBe(false);

    // Streamed, the same part fails the restore at its end, named, and the scratch database is dropped.
    const streamTarget = scratchName();
    const streamed = await restoreVerify({
      bucket,
      backup: key,
      download: 'stream',
      'target-database-url': stackFromEnv().postgresUrl(streamTarget),
    });
    expect(streamed.exitCode).toBe(1);
    expect(streamed.stdout).toMatch(
      new RegExp(`::error::.*part ${partKey.replace(/[.*]/g, '\\$&')}: pg_restore exited with code 1: `),
    );
    expect(await databaseExists(streamTarget)).toBe(false);
  }, 180_000);
});

test('retention deletes a parallel backup with its parts', async () => {
  const bucket = await createBucket('partsprune');
  const first = await backup({ bucket, jobs: '2' });
  expect(first.exitCode).toBe(0);
  const oldKey = first.outputs.key as string;
  // Made a year ago, as its manifest says: retention judges by the manifest's finish time.
  const old = { ...(await storedManifest(bucket, oldKey)), finishedAt: '2025-12-01T02:00:00.000Z' };
  await putObject(bucket, manifestKeyFor(oldKey), JSON.stringify(old));
  // Two backups started in the same second would share a key: the second runs on a clock two seconds ahead.
  const second = await backup(
    { bucket, jobs: '2', retention: 'daily=1', 'min-keep': '1' },
    { DR_ACTIONS_CLOCK_START: new Date(Date.now() + 2_000).toISOString() },
  );
  expect(second.stdout).not.toContain('::error::');
  expect(second.exitCode).toBe(0);
  const newKey = second.outputs.key as string;
  expect(newKey).not.toBe(oldKey);
  expect(await listKeys(bucket)).toEqual(
    [newKey, manifestKeyFor(newKey), `${newKey}.globals.sql`, `${newKey}.part-1`, `${newKey}.part-2`].sort(),
  );
}, 300_000);

test('a pg_dump that fails mid-way stops the others: no manifest, no part, no object, no open upload', async () => {
  const role = `pdumper_${randomBytes(4).toString('hex')}`;
  const failing = await createDatabase('partfail');
  // The two large tables share out one to each part; the small one goes with the less loaded,
  // whose pg_dump fails on it after its large one was streamed (pg_dump writes data in name order).
  await sql(
    failing.url,
    `CREATE ROLE ${role} LOGIN PASSWORD 'pw';
     CREATE TABLE aaa_one (id int PRIMARY KEY, body bytea); CREATE TABLE aaa_two (LIKE aaa_one);
     INSERT INTO aaa_one SELECT g, (SELECT decode(string_agg(md5(random()::text || g || i), ''), 'hex') FROM generate_series(1, 256) i) FROM generate_series(1, 1000) g;
     INSERT INTO aaa_two SELECT * FROM aaa_one;
     CREATE TABLE zzz_private (id int, owner text); INSERT INTO zzz_private VALUES (1, 'a');
     ALTER TABLE zzz_private ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON zzz_private USING (owner = current_user);
     GRANT SELECT ON aaa_one, aaa_two, zzz_private TO ${role};`,
  );
  const url = new URL(failing.url);
  url.username = role;
  url.password = 'pw';
  const bucket = await createBucket('partfail');
  try {
    const run = await backup({ bucket, jobs: '2', 'database-url': url.toString(), compression: 'none' });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /::error::backup failed, nothing was stored: data part [12] of 2 \(2 tables\): pg_dump exited with code 1: .*row-level security policy for table "zzz_private"/,
    );
    expect(await listKeys(bucket)).toEqual([]);
    expect(await openMultipartUploads(bucket)).toEqual([]);
  } finally {
    await dropDatabase(failing.name);
    await sql(stackFromEnv().postgresUrl('postgres'), `DROP ROLE IF EXISTS ${role}`);
  }
}, 300_000);

test('the second copy, in a bucket with Object Lock in another region, holds every part, checked, before its manifest', async () => {
  const bucket = await createBucket('partscopy');
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'partscopy', objectLock: true });
  const run = await backup({ bucket, jobs: '2', 'copy-bucket': copyBucket, 'copy-region': COPY_REGION });
  expect(run.stdout).not.toContain('::error::');
  expect(run.exitCode).toBe(0);
  expect(run.outputs['copy-status']).toBe('copied');
  const key = run.outputs.key as string;
  expect(await listKeys(copyBucket)).toEqual(
    [key, manifestKeyFor(key), `${key}.globals.sql`, `${key}.part-1`, `${key}.part-2`].sort(),
  );
  const manifest = await storedManifest(bucket, key);
  for (const part of manifest.parts ?? []) expect(part.storageChecksum?.algorithm).toBe('CRC32');
}, 300_000);
