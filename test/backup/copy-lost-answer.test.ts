import { createHash } from 'node:crypto';
import { expect, test } from '@jest/globals';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { parseBackupInputs } from '../../src/backup/inputs.js';
import { runBackup } from '../../src/backup/run-backup.js';
import { WRITE_ID } from '../../src/storage/backup-writes.js';
import { silentLogger } from '../../src/util/logger.js';
import { createBucket, listKeys, openMultipartUploads } from '../helpers/s3.js';
import { sampleDatabase } from '../helpers/sample-data.js';
import { s3LosingFirstAnswer } from '../helpers/unresponsive-s3.js';
import { getObject, storedManifest } from '../restore-verify/fixtures.js';
import { COPY_REGION, createRegionalBucket, denyPuts, s3In } from '../../harness/second-region.js';
import { stackFromEnv } from '../../harness/stack.js';

/**
 * The second-region copy's writes, whose answer S3 loses after storing what was asked (the
 * connection resets once S3 processed the request): the SDK sends the write again, and the retry,
 * conditional on the key being free, is refused (412) or finds the multipart copy already completed
 * (NoSuchUpload). The copy region is reached through its own endpoint (copy-endpoint-url), which
 * loses that answer; the primary region answers as usual. The object at the key is the copy's own,
 * so the copy carries on and ends complete.
 */

const source = sampleDatabase('copy_lost_answer', 300);

const BACKUP = String.raw`backup_\d{8}_\d{6}\.dump`;
type Pick = (bucket: string) => (method: string, path: string) => boolean;
/** The CompleteMultipartUpload of the multipart copy of the key ending in `suffix` (not its CreateMultipartUpload, `?uploads`). */
const completionOf = (suffix: string): Pick => {
  return (bucket) => {
    const key = new RegExp(`^/${bucket}/database/${BACKUP}${suffix}\\?uploadId=`);
    return (method, path) => method === 'POST' && key.test(path);
  };
};
const putOf = (suffix: string): Pick => {
  return (bucket) => {
    const key = new RegExp(`^/${bucket}/database/${BACKUP}${suffix}(\\?x-id=PutObject)?$`);
    return (method, path) => method === 'PUT' && key.test(path);
  };
};

type RetryAnswer = { status: number; code: string } | undefined;
const NO_SUCH_UPLOAD = { status: 404, code: 'NoSuchUpload' };
const PRECONDITION_FAILED = { status: 412, code: 'PreconditionFailed' };

function backup(inputs: Record<string, string>) {
  const all: Record<string, string> = {
    'endpoint-url': stackFromEnv().awsEndpoint,
    region: 'us-east-1',
    prefix: 'database/',
    'database-url': source.url,
    retention: 'off',
    'copy-region': COPY_REGION,
    ...inputs,
  };
  const settings = parseBackupInputs((name) => all[name] ?? '', {});
  return runBackup({ ...settings, run: { repository: 'acme/saas', runId: '64' }, log: silentLogger });
}

async function headInCopyRegion(bucket: string, key: string) {
  return s3In(COPY_REGION).send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
}

// A retried completion moto answers 200 (it differs from S3 there), so the stack answers each
// retried completion as S3 may: NoSuchUpload (the upload is gone) or 412 (the key is taken). The
// retry of a single PUT is answered by moto (412).
const LOST: [string, string, Pick, 'POST' | 'PUT', RetryAnswer, boolean][] = [
  [
    'the completion of the copy of the dump (retry: NoSuchUpload)',
    '1',
    completionOf(''),
    'POST',
    NO_SUCH_UPLOAD,
    false,
  ],
  [
    'the completion of the copy of the dump into a locked bucket (retry: 412)',
    '1',
    completionOf(''),
    'POST',
    PRECONDITION_FAILED,
    true,
  ],
  [
    'the completion of the copy of a part of a parallel backup (retry: NoSuchUpload)',
    '2',
    completionOf(String.raw`\.part-1`),
    'POST',
    NO_SUCH_UPLOAD,
    false,
  ],
  ['the PUT of the copy of the globals', '1', putOf(String.raw`\.globals\.sql`), 'PUT', undefined, false],
  ['the PUT of the copy of the manifest', '1', putOf(String.raw`\.manifest\.json`), 'PUT', undefined, true],
];

test.each(LOST)(
  'the answer to %s lost after S3 stored it: the copy knows the object as its own and ends complete',
  async (_what, jobs, pick, method, retryAnswer, locked) => {
    const bucket = await createBucket('primary');
    const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'copy-lost', objectLock: locked });
    const copyS3 = await s3LosingFirstAnswer(stackFromEnv().awsEndpoint, pick(copyBucket), retryAnswer);
    try {
      const result = await backup({ bucket, jobs, 'copy-bucket': copyBucket, 'copy-endpoint-url': copyS3.url });

      expect(copyS3.lost).toEqual([
        expect.stringMatching(new RegExp(`^${method} /${copyBucket}/database/${BACKUP}.* 200$`)),
      ]);
      expect(result.copy?.error).toBeUndefined();
      expect(result.copy?.status).toBe('copied');
      const manifest = result.manifest;
      const parts = manifest.parts ?? [];
      expect(parts).toHaveLength(jobs === '2' ? 2 : 0);
      expect(await listKeys(copyBucket)).toEqual(
        [result.key, result.manifestKey, `${result.key}.globals.sql`, ...parts.map((part) => part.key)].sort(),
      );
      expect(await storedManifest(copyBucket, result.key)).toEqual({ ...manifest, bucket: copyBucket });
      expect(await getObject(copyBucket, `${result.key}.globals.sql`)).toEqual(
        await getObject(bucket, `${result.key}.globals.sql`),
      );
      const copied = createHash('sha256')
        .update(await getObject(copyBucket, result.key))
        .digest('hex');
      expect(copied).toBe(manifest.sha256);
      for (const object of [manifest, ...parts]) {
        const head = await headInCopyRegion(copyBucket, object.key);
        expect([object.key, head.ChecksumCRC32]).toEqual([object.key, object.storageChecksum?.value]);
        expect(head.ChecksumCRC32).toMatch(/\S/);
        // The copy names its own write, not the primary's upload.
        const primary = await s3In('us-east-1').send(new HeadObjectCommand({ Bucket: bucket, Key: object.key }));
        expect(head.Metadata?.[WRITE_ID]).toMatch(/^[0-9a-f-]{36}$/);
        expect(head.Metadata?.[WRITE_ID]).not.toBe(primary.Metadata?.[WRITE_ID]);
      }
      expect(await openMultipartUploads(copyBucket)).toEqual([]);
    } finally {
      await copyS3.close();
    }
  },
);

test('a copy whose completion answer was lost, then fails to write its manifest, is removed: the copy knew the object as its own', async () => {
  const bucket = await createBucket('primary');
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'copy-lost-failed' });
  await denyPuts(copyBucket, '.manifest.json');
  const copyS3 = await s3LosingFirstAnswer(stackFromEnv().awsEndpoint, completionOf('')(copyBucket), NO_SUCH_UPLOAD);
  try {
    const result = await backup({ bucket, 'copy-bucket': copyBucket, 'copy-endpoint-url': copyS3.url });

    expect(copyS3.lost).toHaveLength(1);
    expect(result.copy?.status).toBe('failed');
    expect(result.copy?.error).toMatch(
      new RegExp(
        `^the object was copied to s3://${copyBucket}/${result.key} but its copy is incomplete \\(no manifest\\): .*Access Denied`,
      ),
    );
    expect(await listKeys(copyBucket)).toEqual([]);
    expect(await openMultipartUploads(copyBucket)).toEqual([]);
    expect(await listKeys(bucket)).toEqual([result.key, `${result.key}.globals.sql`, result.manifestKey].sort());
  } finally {
    await copyS3.close();
  }
});

test('a copy whose retried completion is refused, and whose object then cannot be read, fails saying it cannot tell whether the object is its own', async () => {
  const bucket = await createBucket('primary');
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'copy-lost-unknown' });
  const object = new RegExp(`^/${copyBucket}/database/${BACKUP}$`);
  const copyS3 = await s3LosingFirstAnswer(
    stackFromEnv().awsEndpoint,
    completionOf('')(copyBucket),
    PRECONDITION_FAILED,
    (method, path) => method === 'HEAD' && object.test(path),
  );
  try {
    const result = await backup({ bucket, 'copy-bucket': copyBucket, 'copy-endpoint-url': copyS3.url });

    expect(copyS3.lost).toHaveLength(1);
    expect(result.copy?.status).toBe('failed');
    // S3 may hold the copy's object: the error does not say that nothing was stored.
    expect(result.copy?.error).toMatch(
      new RegExp(
        `^copying s3://${bucket}/${result.key} to s3://${copyBucket}/${result.key} failed: S3 refused to create s3://${copyBucket}/${result.key} \\(PreconditionFailed\\), and the object there could not be read to tell whether it is this run's own`,
      ),
    );
    expect(await listKeys(copyBucket)).toEqual([result.key]);
    expect(await openMultipartUploads(copyBucket)).toEqual([]);
  } finally {
    await copyS3.close();
  }
});
