import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { parseBackupInputs } from '../../src/backup/inputs.js';
import { runBackup } from '../../src/backup/run-backup.js';
import { silentLogger } from '../../src/util/logger.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { createBucket, listKeys, openMultipartUploads } from '../helpers/s3.js';
import { s3LosingFirstAnswer } from '../helpers/unresponsive-s3.js';
import { getObject, storedManifest } from '../restore-verify/fixtures.js';
import { denyPuts } from '../../harness/second-region.js';
import { stackFromEnv } from '../../harness/stack.js';

/**
 * S3 stores an object, but its answer to the write never reaches the backup (the connection resets
 * after S3 processed the request): the SDK sends the write again, and the retry, conditional on the
 * key being free, is refused (412) or finds the multipart upload already completed (NoSuchUpload).
 * The object at the key is this run's own, so the backup carries on and is published, and leaves
 * nothing behind that it did not publish.
 */

/** A few hundred KiB: its object is stored by one PUT. */
let small: { name: string; url: string };
/** About 12 MiB of random bytes: its object is a multipart upload of two parts. */
let big: { name: string; url: string };

beforeAll(async () => {
  small = await createDatabase('lost_answer_small');
  await loadSampleData(small.url, 300);
  big = await createDatabase('lost_answer_big');
  await sql(
    big.url,
    `CREATE TABLE blobs (id int PRIMARY KEY, body bytea);
     INSERT INTO blobs SELECT g, (SELECT decode(string_agg(md5(random()::text || g || i), ''), 'hex') FROM generate_series(1, 1024) i) FROM generate_series(1, 750) g;`,
  );
}, 120_000);

afterAll(async () => {
  await dropDatabase(big.name);
  await dropDatabase(small.name);
});

/** A backup of `database` into `bucket` through the proxy at `endpoint`, as the action's inputs give it. */
function backUpThrough(endpoint: string, database: 'small' | 'big', bucket: string, jobs = '1') {
  const inputs: Record<string, string> = {
    'database-url': (database === 'small' ? small : big).url,
    bucket,
    prefix: 'database/',
    'endpoint-url': endpoint,
    region: 'us-east-1',
    retention: 'off',
    jobs,
  };
  const settings = parseBackupInputs((name) => inputs[name] ?? '', {});
  return runBackup({ ...settings, run: { repository: 'acme/saas', runId: '42' }, log: silentLogger });
}

const BACKUP = String.raw`backup_\d{8}_\d{6}\.dump`;
type Pick = (bucket: string) => (method: string, path: string) => boolean;
const putOf = (suffix: string): Pick => {
  return (bucket) => {
    const key = new RegExp(`^/${bucket}/database/${BACKUP}${suffix}(\\?x-id=PutObject)?$`);
    return (method, path) => method === 'PUT' && key.test(path);
  };
};
const completionOf: Pick = (bucket) => {
  const key = new RegExp(`^/${bucket}/database/${BACKUP}\\?uploadId=`);
  return (method, path) => method === 'POST' && key.test(path);
};

type RetryAnswer = { status: number; code: string } | undefined;
const NO_SUCH_UPLOAD = { status: 404, code: 'NoSuchUpload' };
const PRECONDITION_FAILED = { status: 412, code: 'PreconditionFailed' };

// The retry of a single PUT is answered by moto (412: the key is taken). moto answers a retried
// completion of a completed upload 200 with its ETag; S3 may answer NoSuchUpload (the upload is
// gone) or 412, which the stack then gives in moto's place.
const LOST: [string, 'small' | 'big', string, Pick, string, RetryAnswer][] = [
  ['the single PUT of the dump', 'small', '1', putOf(''), 'PUT', undefined],
  ['the completion of the multipart upload of the dump (retry: 200)', 'big', '1', completionOf, 'POST', undefined],
  [
    'the completion of the multipart upload of the dump (retry: NoSuchUpload)',
    'big',
    '1',
    completionOf,
    'POST',
    NO_SUCH_UPLOAD,
  ],
  [
    'the completion of the multipart upload of the dump (retry: 412)',
    'big',
    '1',
    completionOf,
    'POST',
    PRECONDITION_FAILED,
  ],
  ['the PUT of a part of a parallel backup', 'small', '2', putOf(String.raw`\.part-1`), 'PUT', undefined],
  ['the PUT of the globals', 'small', '1', putOf(String.raw`\.globals\.sql`), 'PUT', undefined],
  ['the PUT of the manifest', 'small', '1', putOf(String.raw`\.manifest\.json`), 'PUT', undefined],
];

test.each(LOST)(
  'the answer to %s lost after S3 stored it: the retry finds the run its own object, and the backup is published',
  async (_what, database, jobs, pick, method, retryAnswer) => {
    const bucket = await createBucket('lost-answer');
    const s3 = await s3LosingFirstAnswer(stackFromEnv().awsEndpoint, pick(bucket), retryAnswer);
    try {
      const result = await backUpThrough(s3.url, database, bucket, jobs);

      expect(s3.lost).toEqual([expect.stringMatching(new RegExp(`^${method} /${bucket}/database/${BACKUP}.* 200$`))]);
      const manifest = await storedManifest(bucket, result.key);
      const parts = (manifest.parts ?? []).map((part) => part.key);
      expect(await listKeys(bucket)).toEqual(
        [result.key, result.manifestKey, `${result.key}.globals.sql`, ...parts].sort(),
      );
      expect(
        createHash('sha256')
          .update(await getObject(bucket, result.key))
          .digest('hex'),
      ).toBe(manifest.sha256);
      expect(await openMultipartUploads(bucket)).toEqual([]);
    } finally {
      await s3.close();
    }
  },
);

test.each([
  ['single PUT', 'small', putOf(''), undefined],
  ['multipart completion', 'big', completionOf, PRECONDITION_FAILED],
] as const)(
  'a dump whose %s answer was lost, then fails to publish, is removed: the run knows the object it recovered as its own',
  async (_what, database, pick, retryAnswer) => {
    const bucket = await createBucket('lost-answer-failed');
    await denyPuts(bucket, '.manifest.json');
    const s3 = await s3LosingFirstAnswer(stackFromEnv().awsEndpoint, pick(bucket), retryAnswer);
    try {
      const run = backUpThrough(s3.url, database, bucket);

      await expect(run).rejects.toThrow(
        /the dump was uploaded but could not be published, so it was removed: .*Access Denied/,
      );
      expect(s3.lost).toHaveLength(1);
      expect(await listKeys(bucket)).toEqual([]);
      expect(await openMultipartUploads(bucket)).toEqual([]);
    } finally {
      await s3.close();
    }
  },
);
