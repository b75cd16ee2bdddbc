import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectLockConfigurationCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { execa } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import { startPgDump } from '../../src/postgres/pg-dump.js';
import { findClient } from '../../src/postgres/binaries.js';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { withStdbuf } from '../../src/postgres/stdbuf.js';
import { backupWithInputs } from '../helpers/backup-run.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, listKeys, openMultipartUploads } from '../helpers/s3.js';
import { waitUntil } from '../../harness/wait.js';

/** Incompressible enough (md5 hex) that with compression none the dump spans several parts. */
let big: { name: string; url: string };

beforeAll(async () => {
  big = await createDatabase('big');
  await sql(
    big.url,
    'CREATE TABLE blobs (id int PRIMARY KEY, body text); INSERT INTO blobs SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 700000) g;',
  );
});

afterAll(async () => {
  await dropDatabase(big.name);
});

test('a dump larger than one part goes up as a multipart upload with a full-object checksum', async () => {
  const bucket = await createBucket();
  const result = await backupWithInputs({ 'database-url': big.url, bucket, compression: 'none', prefix: 'big/' });
  expect(result.manifest.sizeBytes).toBeGreaterThan(2 * result.partSize);
  expect(result.manifest.storageChecksum).toMatchObject({
    algorithm: 'CRC32',
    type: 'FULL_OBJECT',
    value: expect.any(String),
  });
  expect(result.manifest.tables).toEqual([
    { schema: 'public', name: 'blobs', rows: 700000, sizeBytes: expect.any(Number) },
  ]);
  expect(await listKeys(bucket)).toEqual([result.key, `${result.key}.globals.sql`, `${result.key}.manifest.json`]);
  expect(await openMultipartUploads(bucket)).toEqual([]);
});

test('pg_dump writes its archive through a 1 MiB stdout buffer (stdbuf), so the action reads whole pipes', async () => {
  // How much fewer reads that makes is a benchmark's figure (docs/benchmarks.md); here, that it is in force.
  const dump = await startPgDump(await findClient('pg_dump'), parseDatabaseUrl(big.url, 'database-url'), [
    '--format=custom',
    '--compress=0',
  ]);
  let environ = '';
  let bytes = 0;
  const into = Buffer.alloc(1024 * 1024);
  for (let read = await dump.output.read(into); read > 0; read = await dump.output.read(into)) {
    if (!environ) environ = await pgDumpEnviron(big.name);
    bytes += read;
  }
  await dump.exit;
  await dump.close();
  expect(bytes).toBeGreaterThan(20 * 1024 * 1024);
  expect(environ.split('\0')).toContain(`_STDBUF_O=${1024 * 1024}`);
});

/** The environment of the running pg_dump of `database`: stdbuf has exec'd pg_dump by the first byte. */
async function pgDumpEnviron(database: string): Promise<string> {
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (/pg_dump\0/.test(cmdline) && cmdline.includes(`/${database}`)) return readFile(`/proc/${pid}/environ`, 'utf8');
  }
  throw new Error(`no pg_dump of ${database} is running`);
}

test('without stdbuf (macOS) pg_dump runs unchanged', () => {
  expect(withStdbuf('/usr/bin/pg_dump', ['-Fc'], () => false)).toEqual({ file: '/usr/bin/pg_dump', args: ['-Fc'] });
  expect(withStdbuf('/usr/bin/pg_dump', ['-Fc'], () => true)).toEqual({
    file: 'stdbuf',
    args: ['-o1M', '/usr/bin/pg_dump', '-Fc'],
  });
});

test("pg_dump killed mid-stream: the step fails with pg_dump's fate, the multipart upload is aborted, nothing is stored", async () => {
  const bucket = await createBucket();
  const backup = backupWithInputs({ 'database-url': big.url, bucket, compression: 'none', prefix: 'killed/' });
  // Wait until pg_dump's session is copying rows out (the stream is flowing), then kill pg_dump itself.
  await waitUntil(
    'pg_dump is copying rows out, and is killed',
    async () => {
      const copying = await sql(
        big.url,
        `SELECT count(*) FROM pg_stat_activity WHERE datname = '${big.name}' AND application_name = 'dr-actions backup' AND query ILIKE 'COPY%'`,
      );
      if (Number(copying) === 0) return false;
      const { stdout } = await execa('pgrep', ['-f', `pg_dump --format=custom.*${big.name}`], { reject: false });
      const pids = stdout.split('\n').filter(Boolean);
      for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
      return pids.length > 0;
    },
    { intervalMs: 10 },
  );
  await expect(backup).rejects.toThrow('backup failed, nothing was stored: pg_dump was killed (SIGKILL)');
  expect(await listKeys(bucket)).toEqual([]);
  expect(await openMultipartUploads(bucket)).toEqual([]);
});

test("pg_dump failing mid-stream (its server connection terminated) fails with pg_dump's own error", async () => {
  const bucket = await createBucket();
  const backup = backupWithInputs({ 'database-url': big.url, bucket, compression: 'none', prefix: 'terminated/' });
  // Terminate pg_dump's session as soon as it is copying rows out: the stream is flowing.
  await waitUntil(
    "pg_dump's session is copying rows out, and is terminated",
    async () => {
      // Only this test's database: other suites run backups on the same server at the same time.
      const count = await sql(
        big.url,
        `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${big.name}' AND application_name = 'dr-actions backup' AND query ILIKE 'COPY%'`,
      );
      return Number(count) > 0;
    },
    { intervalMs: 10 },
  );
  await expect(backup).rejects.toThrow(
    /backup failed, nothing was stored: pg_dump exited with code 1: pg_dump: error: Dumping the contents of table "blobs" failed/,
  );
  expect(await listKeys(bucket)).toEqual([]);
  expect(await openMultipartUploads(bucket)).toEqual([]);
});

describe('S3 failures moto cannot produce (aws-sdk-client-mock)', () => {
  // Created in beforeAll: a mock made while jest collects tests would replace S3 for the tests above too.
  let s3: ReturnType<typeof mockClient>;
  beforeAll(() => {
    s3 = mockClient(S3Client);
  });
  afterAll(() => s3.restore());

  test("a 500 on a part after the SDK's retries: the multipart upload is aborted and no manifest is written", async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(GetObjectLockConfigurationCommand).rejects(
      Object.assign(new Error('no Object Lock'), { name: 'ObjectLockConfigurationNotFoundError' }),
    );
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    s3.on(UploadPartCommand)
      .resolvesOnce({ ETag: '"part-1"' })
      .rejects(
        Object.assign(new Error('We encountered an internal error. Please try again.'), {
          name: 'InternalError',
          $metadata: { httpStatusCode: 500 },
        }),
      );
    s3.on(AbortMultipartUploadCommand).resolves({});

    await expect(
      backupWithInputs({ 'database-url': big.url, bucket: 'mocked-bucket', compression: 'none' }),
    ).rejects.toThrow('backup failed, nothing was stored: We encountered an internal error. Please try again.');
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input)).toContainEqual({
      Bucket: 'mocked-bucket',
      Key: expect.stringMatching(/^database\/backup_/),
      UploadId: 'upload-1',
    });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
