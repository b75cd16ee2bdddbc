import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { awsCli } from '../../harness/aws-cli.js';
import { backupWithInputs } from '../helpers/backup-run.js';
import { autoCompressionFor, pathClient } from '../helpers/clients.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, listKeys, openMultipartUploads, testS3Client } from '../helpers/s3.js';
import { contentDigest, loadSampleData, rowCounts } from '../helpers/sample-data.js';
import { denyPuts } from '../../harness/second-region.js';
import { parseManifest } from '../../src/storage/manifest.js';

let source: { name: string; url: string };
let workDir: string;

beforeAll(async () => {
  source = await createDatabase('src');
  await loadSampleData(source.url);
  workDir = await mkdtemp(join(tmpdir(), 'dr-actions-backup-test-'));
});

afterAll(async () => {
  await dropDatabase(source.name);
  await rm(workDir, { recursive: true, force: true });
});

async function readManifest(bucket: string, key: string) {
  return parseManifest(await awsCli(['s3', 'cp', `s3://${bucket}/${key}.manifest.json`, '-']), key);
}

/** The plan's manual procedure, step 2: `aws s3 cp` the backup down. */
async function download(bucket: string, key: string): Promise<string> {
  const file = join(workDir, key.replace(/\//g, '_'));
  await awsCli(['s3', 'cp', `s3://${bucket}/${key}`, file]);
  return file;
}

const manifestCounts = (tables: { schema: string; name: string; rows: number | null }[]) =>
  Object.fromEntries(tables.map((t) => [`${t.schema}.${t.name}`, t.rows]));

test('custom format: manifest counts equal the source, and pg_restore of the object gives back the same data', async () => {
  const bucket = await createBucket();
  const result = await backupWithInputs({ 'database-url': source.url, bucket });

  expect(result.key).toMatch(/^database\/backup_\d{8}_\d{6}\.dump$/);
  expect(await listKeys(bucket)).toEqual([result.key, `${result.key}.globals.sql`, `${result.key}.manifest.json`]);
  const manifest = await readManifest(bucket, result.key);
  expect(manifest).toEqual(result.manifest);
  expect(manifestCounts(manifest.tables)).toEqual(await rowCounts(source.url));
  // `auto` depends on the pg_dump found: zstd:3 from 16 on, gzip:1 before.
  const pgDump = await pathClient('pg_dump');
  const compression = autoCompressionFor(pgDump.major);
  expect(manifest).toMatchObject({
    database: source.name,
    pgDump: { version: pgDump.version },
    format: 'custom',
    compression,
    rowCounts: 'exact',
    run: { repository: 'acme/saas', runId: '42' },
  });

  const file = await download(bucket, result.key);
  const bytes = await readFile(file);
  expect(bytes.length).toBe(manifest.sizeBytes);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.sha256);
  const head = await testS3Client().send(
    new HeadObjectCommand({ Bucket: bucket, Key: result.key, ChecksumMode: 'ENABLED' }),
  );
  expect(head.Metadata).toMatchObject({ 'created-by': 'dr-actions', format: 'custom', compression });
  expect(head.ServerSideEncryption).toBe('AES256');
  expect(head.ChecksumCRC32).toBe(manifest.storageChecksum?.value);
  expect(manifest.storageChecksum).toMatchObject({ algorithm: 'CRC32', type: 'FULL_OBJECT' });
  const tags = await testS3Client().send(new GetObjectTaggingCommand({ Bucket: bucket, Key: result.key }));
  expect(tags.TagSet).toEqual([{ Key: 'sha256', Value: manifest.sha256 }]);

  const restored = await createDatabase('restored');
  try {
    await execa('pg_restore', ['--no-owner', '--exit-on-error', '-d', restored.url, file]);
    expect(await contentDigest(restored.url)).toEqual(await contentDigest(source.url));
  } finally {
    await dropDatabase(restored.name);
  }
});

test('globals S3 refuses to store: the uploaded dump is removed with them, and nothing is left that looks like a backup', async () => {
  const bucket = await createBucket();
  await denyPuts(bucket, '.globals.sql');
  await expect(backupWithInputs({ 'database-url': source.url, bucket })).rejects.toThrow(
    /the dump was uploaded but could not be published, so it was removed: .*Access Denied/,
  );
  expect(await listKeys(bucket)).toEqual([]);
  expect(await openMultipartUploads(bucket)).toEqual([]);
});

test("plain format: the plan's own restore (gunzip | psql) gives back the same data", async () => {
  const bucket = await createBucket();
  const result = await backupWithInputs({ 'database-url': source.url, bucket, format: 'plain', prefix: 'saas/' });

  expect(result.key).toMatch(/^saas\/backup_\d{8}_\d{6}\.sql\.gz$/);
  const manifest = await readManifest(bucket, result.key);
  expect(manifest.compression).toBe('gzip:1');
  expect(manifestCounts(manifest.tables)).toEqual(await rowCounts(source.url));

  const file = await download(bucket, result.key);
  const restored = await createDatabase('restored');
  try {
    await execa('bash', ['-c', 'gunzip < "$FILE" | psql -X -q -v ON_ERROR_STOP=1 "$URL"'], {
      env: { FILE: file, URL: restored.url },
    });
    expect(await contentDigest(restored.url)).toEqual(await contentDigest(source.url));
  } finally {
    await dropDatabase(restored.name);
  }
});

test("row counts come from the dump's own snapshot while writes go on", async () => {
  const busy = await createDatabase('busy');
  await sql(
    busy.url,
    'CREATE TABLE ticks (id bigserial PRIMARY KEY, payload text); INSERT INTO ticks (payload) SELECT md5(g::text) FROM generate_series(1, 200000) g;',
  );
  const bucket = await createBucket();
  let writing = true;
  const writer = (async () => {
    let batches = 0;
    while (writing) {
      await sql(busy.url, 'INSERT INTO ticks (payload) SELECT md5(random()::text) FROM generate_series(1, 500)');
      batches += 1;
    }
    return batches;
  })();
  try {
    const result = await backupWithInputs({ 'database-url': busy.url, bucket, compression: 'gzip:6' });
    writing = false;
    expect(await writer).toBeGreaterThan(0);
    const counted = result.manifest.tables.find((t) => t.name === 'ticks')?.rows;
    const restored = await createDatabase('restored');
    try {
      await execa('pg_restore', ['--no-owner', '-d', restored.url, await download(bucket, result.key)]);
      expect(Number(await sql(restored.url, 'SELECT count(*) FROM ticks'))).toBe(counted);
      expect(Number(await sql(busy.url, 'SELECT count(*) FROM ticks'))).toBeGreaterThan(counted as number);
    } finally {
      await dropDatabase(restored.name);
    }
  } finally {
    writing = false;
    await writer;
    await dropDatabase(busy.name);
  }
});

test('pg-dump-args filters decide which tables the manifest lists', async () => {
  const bucket = await createBucket();
  const result = await backupWithInputs({
    'database-url': source.url,
    bucket,
    'pg-dump-args': '--exclude-table-data=payments -T "\\"Billing Archive\\".*"',
    'row-counts': 'off',
  });
  const names = result.manifest.tables.map((t) => `${t.schema}.${t.name}`).sort();
  expect(names).toEqual(['public.events_2026', 'public.organizations', 'public.users']);
  expect(result.manifest.tables.every((t) => t.rows === null)).toBe(true);
  expect(result.totalRows).toBeNull();
});

describe('failures leave nothing that looks like a backup', () => {
  async function expectNothingStored(bucket: string) {
    expect(await listKeys(bucket)).toEqual([]);
    expect(await openMultipartUploads(bucket)).toEqual([]);
  }

  test('wrong password', async () => {
    const bucket = await createBucket();
    const url = new URL(source.url);
    url.password = 'not-the-password';
    await expect(backupWithInputs({ 'database-url': url.toString(), bucket })).rejects.toThrow(
      /password authentication failed for user "postgres"/,
    );
    await expectNothingStored(bucket);
  });

  test('missing database', async () => {
    const bucket = await createBucket();
    const url = new URL(source.url);
    url.pathname = '/no_such_database';
    await expect(backupWithInputs({ 'database-url': url.toString(), bucket })).rejects.toThrow(
      /database "no_such_database" does not exist/,
    );
    await expectNothingStored(bucket);
  });

  test('S3 unreachable: fails before dumping, naming the bucket', async () => {
    const bucket = await createBucket();
    await expect(
      backupWithInputs({ 'database-url': source.url, bucket, 'endpoint-url': 'http://127.0.0.1:9' }),
    ).rejects.toThrow(new RegExp(`could not reach bucket ${bucket}`));
    await expectNothingStored(bucket);
  });

  test('missing bucket', async () => {
    await expect(backupWithInputs({ 'database-url': source.url, bucket: 'no-such-bucket-dr' })).rejects.toThrow(
      'bucket no-such-bucket-dr does not exist',
    );
  });
});

test('an existing backup is never overwritten: a second run in the same second fails', async () => {
  const bucket = await createBucket();
  const fixed = new Date('2026-06-01T02:00:00.000Z');
  await backupWithInputs({ 'database-url': source.url, bucket, retention: 'off' }, () => fixed);
  await expect(backupWithInputs({ 'database-url': source.url, bucket, retention: 'off' }, () => fixed)).rejects.toThrow(
    `s3://${bucket}/database/backup_20260601_020000.dump was written by another backup (started 2026-06-01T02:00:00.000Z) that started in the same second under this prefix; this run stored nothing and deleted nothing`,
  );
  expect(await listKeys(bucket)).toEqual([
    'database/backup_20260601_020000.dump',
    'database/backup_20260601_020000.dump.globals.sql',
    'database/backup_20260601_020000.dump.manifest.json',
  ]);
});
