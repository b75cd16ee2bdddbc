import { ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { BackupKeyTakenError } from '../../src/storage/backup-writes.js';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { PsqlSession } from '../../src/postgres/psql-session.js';
import { backupKey } from '../../src/storage/keys.js';
import { clockStartingAt } from '../../src/util/clock.js';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';
import { backupWithInputs } from '../helpers/backup-run.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, openMultipartUploads, testS3Client } from '../helpers/s3.js';

/**
 * Two parallel backups (jobs above 1) that start in the same second share the key and every part
 * key beside it. S3 gives each key to exactly one run; were each key raced alone, one run could win
 * the schema and the other a part, and both would fail with nothing stored. So a run completes its
 * parts only once the schema object at the key is its own. Here the other run's schema object
 * appears at the key while this run is held before its dump; this run's schema is the slower of its
 * objects (a table comment of 24 MiB), its parts tiny: in a versioned bucket, no version of any part
 * may ever have been created, since a part completed and then removed would have blocked the winner.
 */

let source: { name: string; url: string };

beforeAll(async () => {
  source = await createDatabase('prace');
  await sql(
    source.url,
    `CREATE TABLE accounts (id int PRIMARY KEY, name text);
     INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 100) g;
     CREATE TABLE events (id int PRIMARY KEY, body text);
     INSERT INTO events SELECT g, 'e' || g FROM generate_series(1, 100) g;
     DO $$ BEGIN EXECUTE format('COMMENT ON TABLE events IS %L', repeat('x', 24 * 1024 * 1024)); END $$;`,
  );
}, 120_000);

afterAll(() => dropDatabase(source.name));

test('a parallel backup that loses its key to another run completes none of its parts and fails naming the key', async () => {
  const bucket = await createBucket('prace');
  const s3 = testS3Client();
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const startedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 300_000);
  const key = backupKey('database/', startedAt, 'custom');

  const holder = await PsqlSession.open(parseDatabaseUrl(source.url, 'database-url'));
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    const run = backupWithInputs(
      { 'database-url': source.url, bucket, jobs: '2', retention: 'off' },
      () => new Date(clockStartingAt(startedAt.getTime()).now()),
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    const waiting = `SELECT count(*) FROM pg_stat_activity WHERE datname = '${source.name}' AND application_name = 'dr-actions backup table list' AND wait_event_type = 'Lock'`;
    await waitUntil(
      'the backup past its key check, waiting to list its tables',
      async () => Number(await sql(stackFromEnv().postgresUrl('postgres'), waiting)) === 1,
    );
    // The other run's schema object, created at the key while this run is held.
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: 'the other run',
        Metadata: { 'created-by': 'dr-actions', 'started-at': startedAt.toISOString() },
      }),
    );
    await holder.query('COMMIT');

    const failure = await run;
    expect(failure).toBeInstanceOf(BackupKeyTakenError);
    expect((failure as Error).message).toContain(`s3://${bucket}/${key} was written by another backup`);
  } finally {
    await holder.close();
  }
  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `${key}.part-` }));
  expect([...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].map((v) => v.Key)).toEqual([]);
  expect(await openMultipartUploads(bucket)).toEqual([]);
}, 300_000);
