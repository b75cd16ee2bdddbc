import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { readIntegrityFacts } from '../../src/audit/backup-integrity.js';
import { BackupStore } from '../../src/storage/backup-store.js';
import { pruneBackups } from '../../src/storage/prune.js';
import { silentLogger } from '../../src/util/logger.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { createBucket, listKeys, testS3Client } from '../helpers/s3.js';
import { s3Holding } from '../helpers/unresponsive-s3.js';
import { killBundledActionWhen } from '../../harness/bundled-action.js';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';

const HOUR = 3_600_000;
const policy = { dailyDays: 30, weeklyDays: 90, monthlyDays: 365 };

/**
 * The sample tables, and one of about 50 MB (compression none): jobs 2 gives that table a data part
 * of its own, the only object large enough for a multipart upload; the schema and the other part
 * are each one PUT.
 */
let database: { name: string; url: string };

beforeAll(async () => {
  database = await createDatabase('killed');
  await loadSampleData(database.url, 300);
  await sql(
    database.url,
    'CREATE TABLE blobs (id int PRIMARY KEY, body text); INSERT INTO blobs SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 700000) g;',
  );
}, 120_000);

afterAll(async () => {
  // The killed run's pg_dump and psql end once they find their reader gone.
  await waitUntil(`no session of the killed backup is left on ${database.name}`, async () => {
    const sessions = await sql(
      stackFromEnv().postgresUrl('postgres'),
      `SELECT count(*) FROM pg_stat_activity WHERE datname = '${database.name}' AND pid <> pg_backend_pid()`,
    );
    return sessions === '0';
  });
  await dropDatabase(database.name);
});

const isPartUpload = (method: string, path: string) => method === 'PUT' && /[?&]partNumber=/.test(path);

/**
 * The large part's upload never gets an answer; the schema and the small part are stored (a part
 * completes only once the object at its key is the run's). Parts beside no object at the key are
 * what version 1.0.0 could leave, storing a part before the schema: made here by removing the schema
 * after the kill.
 */
const KILLED: [string, boolean, RegExp][] = [
  ['the schema and a data part stored', false, /^incomplete \(no manifest\), with 1 data part beside it/],
  ['only a data part left', true, /^incomplete: 1 data part whose backup object \(the schema\) is not there/],
];

test.each(KILLED)(
  'a jobs: 2 backup killed (SIGKILL) with %s: never a good backup; retention keeps its objects for 24 h, then removes them all, reported',
  async (_what, schemaRemoved, reason) => {
    const bucket = await createBucket('killed');
    const s3 = await s3Holding(stackFromEnv().awsEndpoint, isPartUpload);
    let leftover: string[] = [];
    try {
      const killed = await killBundledActionWhen(
        'backup',
        {
          'database-url': database.url,
          bucket,
          'endpoint-url': s3.url,
          region: 'us-east-1',
          jobs: '2',
          compression: 'none',
          retention: 'off',
        },
        {
          what: 'the backup stored its schema and a data part',
          holds: async () => {
            leftover = await listKeys(bucket);
            return leftover.some((key) => key.endsWith('.dump')) && leftover.some((key) => /\.part-\d$/.test(key));
          },
        },
      );
      expect(killed.exitCode).not.toBe(0);
    } finally {
      await s3.close();
    }
    const killedAt = new Date();
    expect(await listKeys(bucket)).toEqual(leftover);
    if (schemaRemoved) {
      const schema = leftover.find((key) => key.endsWith('.dump')) as string;
      await testS3Client().send(new DeleteObjectCommand({ Bucket: bucket, Key: schema }));
      leftover = leftover.filter((key) => key !== schema);
      expect(await listKeys(bucket)).toEqual(leftover);
    }
    expect(leftover.filter((key) => key.endsWith('.manifest.json'))).toEqual([]);
    const backup = (leftover[0] as string).replace(/\.part-\d$/, '');

    // No check counts it as a backup.
    const client = testS3Client();
    expect((await readIntegrityFacts(client, bucket, 'database/', new Date())).complete).toEqual([]);

    const store = new BackupStore(client, bucket, 'database/');
    const prune = (now: Date) => pruneBackups({ store, policy, minKeep: 7, dryRun: false, now, log: silentLogger });

    // An hour on, the run could still be writing: everything is kept, and said so.
    const young = await prune(new Date(killedAt.getTime() + HOUR));
    expect(young.complete).toEqual([]);
    expect(young.incomplete).toEqual([
      expect.objectContaining({ key: backup, action: 'kept', reason: expect.stringMatching(reason) }),
    ]);
    expect(young.incomplete[0]?.reason).toContain('younger than 24 h: may still be in progress');
    expect(young.prunedCount).toBe(0);
    expect(await listKeys(bucket)).toEqual(leftover);

    // A day on, no run is writing it: it goes, every part with it.
    const old = await prune(new Date(killedAt.getTime() + 25 * HOUR));
    expect(old.errors).toEqual([]);
    expect(old.incomplete).toEqual([
      expect.objectContaining({ key: backup, action: 'deleted', reason: expect.stringMatching(reason) }),
    ]);
    expect(old.incomplete[0]?.reason).toContain('older than 24 h');
    expect(old.prunedCount).toBe(1);
    expect(await listKeys(bucket)).toEqual([]);
  },
);
