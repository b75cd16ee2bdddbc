import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseBackupInputs } from '../../src/backup/inputs.js';
import { runBackup } from '../../src/backup/run-backup.js';
import { CREATED_BY_METADATA } from '../../src/storage/backup-store.js';
import { backupKey, manifestKeyFor } from '../../src/storage/keys.js';
import { parseManifest } from '../../src/storage/manifest.js';
import type { Clock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { createBucket, listKeys } from '../helpers/s3.js';
import { sampleDatabase } from '../helpers/sample-data.js';
import {
  COPY_REGION,
  createRegionalBucket,
  denyPuts,
  replicateTo,
  s3In,
  setReplicationDelay,
} from '../../harness/second-region.js';
import { restoreVerify } from '../restore-verify/fixtures.js';
import { stackFromEnv } from '../../harness/stack.js';

const DAY = 86_400_000;
const source = sampleDatabase('copies', 500);

/** A clock whose sleep moves its own time: a wait of 15 minutes takes none. */
function fakeClock(): Clock {
  let now = Date.now();
  return { now: () => now, sleep: (ms) => Promise.resolve(void (now += ms)) };
}

function backup(inputs: Record<string, string>, clock?: Clock) {
  const all: Record<string, string> = {
    'endpoint-url': stackFromEnv().awsEndpoint,
    region: 'us-east-1',
    prefix: 'database/',
    'database-url': source.url,
    ...inputs,
  };
  const settings = parseBackupInputs((name) => all[name] ?? '', {});
  return runBackup({ ...settings, run: { repository: 'acme/saas', runId: '16' }, log: silentLogger, clock });
}

async function readText(region: string, bucket: string, key: string): Promise<string> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const response = await s3In(region).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await response.Body?.transformToString('utf8')) ?? '';
}

/** A complete backup of long ago in the copy bucket, for the copy's retention to remove. */
async function seedOldBackup(bucket: string): Promise<string> {
  const finishedAt = new Date(Date.now() - 400 * DAY);
  const key = backupKey('database/', finishedAt, 'custom');
  const client = s3In(COPY_REGION);
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'old', Metadata: CREATED_BY_METADATA }));
  const manifest = {
    version: 1,
    key,
    database: 'saas',
    format: 'custom',
    sha256: 'a'.repeat(64),
    sizeBytes: 3,
    startedAt: finishedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    snapshotAt: finishedAt.toISOString(),
    rowCounts: 'off',
    tables: [],
  };
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: manifestKeyFor(key),
      Body: JSON.stringify(manifest),
      Metadata: CREATED_BY_METADATA,
    }),
  );
  return key;
}

test('copy mode: the object is copied to the other region, checked against the manifest, locked, then its manifest written; the copy bucket has its own retention', async () => {
  const bucket = await createBucket('primary');
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'copies', objectLock: true });
  const old = await seedOldBackup(copyBucket);

  const result = await backup({ bucket, 'copy-bucket': copyBucket, 'copy-region': COPY_REGION, 'min-keep': '1' });
  const copy = result.copy;
  expect(copy).toMatchObject({
    status: 'copied',
    mode: 'copy',
    bucket: copyBucket,
    region: COPY_REGION,
    key: result.key,
    manifestKey: result.manifestKey,
  });
  expect(copy?.error).toBeUndefined();
  // The globals the copied manifest records are copied with it, so a rebuild from the copy finds them.
  expect(await listKeys(copyBucket)).toEqual([result.key, `${result.key}.globals.sql`, result.manifestKey].sort());
  expect(await readText(COPY_REGION, copyBucket, `${result.key}.globals.sql`)).toBe(
    await readText('us-east-1', bucket, `${result.key}.globals.sql`),
  );

  const copiedManifest = parseManifest(await readText(COPY_REGION, copyBucket, result.manifestKey), result.key);
  expect(copiedManifest).toEqual({ ...result.manifest, bucket: copyBucket });
  const head = await s3In(COPY_REGION).send(
    new HeadObjectCommand({ Bucket: copyBucket, Key: result.key, ChecksumMode: 'ENABLED' }),
  );
  expect(head.ContentLength).toBe(result.manifest.sizeBytes);
  expect(head.ChecksumCRC32).toBe(result.manifest.storageChecksum?.value);
  // The copy bucket has Object Lock, so lock-mode auto locks the copy (set at CreateMultipartUpload,
  // kept at completion as S3 does: harness/moto_launcher.py) until retention would first delete it.
  const startedAt = new Date(result.manifest.startedAt);
  expect(head.ObjectLockMode).toBe('COMPLIANCE');
  expect(head.ObjectLockRetainUntilDate?.getTime()).toBe(startedAt.getTime() + 30 * DAY);
  const globalsHead = await s3In(COPY_REGION).send(
    new HeadObjectCommand({ Bucket: copyBucket, Key: `${result.key}.globals.sql` }),
  );
  expect([globalsHead.ObjectLockMode, globalsHead.ObjectLockRetainUntilDate?.getTime()]).toEqual([
    'COMPLIANCE',
    startedAt.getTime() + 30 * DAY,
  ]);
  expect(copy?.lock?.retainUntil.getTime()).toBe(startedAt.getTime() + 30 * DAY);
  // The primary bucket has no Object Lock: auto leaves its backup unlocked.
  expect(result.lock).toBeUndefined();

  expect(copy?.retention?.complete.find((b) => b.key === old)?.action).toBe('deleted');
  expect(await listKeys(copyBucket)).not.toContain(old);
});

test('restore-verify restores from the copy bucket in the other region as from any bucket', async () => {
  const bucket = await createBucket('primary');
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'copies' });
  const result = await backup({ bucket, 'copy-bucket': copyBucket, 'copy-region': COPY_REGION });
  expect(result.copy?.status).toBe('copied');

  const restored = await restoreVerify({ bucket: copyBucket, region: COPY_REGION, backup: result.key });
  expect(restored.report.reasons).toEqual([]);
  expect(restored.passed).toBe(true);
  expect(restored.report.steps.find((s) => s.name === 'checksum')?.status).toBe('passed');
});

test('a copy that fails half way (the object copied, its manifest refused) leaves the primary backup complete and says the copy is incomplete', async () => {
  const bucket = await createBucket('primary');
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'copies' });
  await denyPuts(copyBucket, '.manifest.json');

  const result = await backup({ bucket, 'copy-bucket': copyBucket, 'copy-region': COPY_REGION });
  expect(result.copy?.status).toBe('failed');
  expect(result.copy?.error).toContain(
    `the object was copied to s3://${copyBucket}/${result.key} but its copy is incomplete (no manifest)`,
  );
  expect(result.copy?.error).toContain('Access Denied');
  expect(await listKeys(bucket)).toEqual([result.key, `${result.key}.globals.sql`, result.manifestKey]);
  // The unchecked, unpublished copy was the run's own and unlocked: removed, nothing half-made is left.
  expect(await listKeys(copyBucket)).toEqual([]);
});

test('replication mode waits until the object and manifest report COMPLETED, then checks the replicas', async () => {
  const bucket = await createBucket('primary');
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'replica', versioned: true });
  await replicateTo(bucket, copyBucket);
  await setReplicationDelay(bucket, 1); // PENDING for a second, as S3 is for a while

  const result = await backup({
    bucket,
    'copy-bucket': copyBucket,
    'copy-region': COPY_REGION,
    'copy-mode': 'replication',
  });
  expect(result.copy).toMatchObject({ status: 'replicated', mode: 'replication', key: result.key });
  expect(result.copy?.error).toBeUndefined();
  expect(await listKeys(copyBucket)).toEqual([result.key, `${result.key}.globals.sql`, result.manifestKey]);
});

test('lock-mode compliance with a copy bucket that has no Object Lock: the backup is stored and locked, the copy fails saying what to change', async () => {
  const bucket = await createRegionalBucket('us-east-1', { prefix: 'primary', objectLock: true });
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'copies' });

  const result = await backup({
    bucket,
    'copy-bucket': copyBucket,
    'copy-region': COPY_REGION,
    'lock-mode': 'compliance',
  });
  expect(await listKeys(bucket)).toEqual([result.key, `${result.key}.globals.sql`, result.manifestKey].sort());
  expect(result.lock?.mode).toBe('COMPLIANCE');
  expect(result.copy).toMatchObject({ status: 'failed', bucket: copyBucket });
  expect(result.copy?.error).toBe(
    `lock-mode is compliance, but bucket ${copyBucket} has no Object Lock (it can only be turned on for a versioned bucket); enable it on the bucket or set lock-mode: off`,
  );
  expect(await listKeys(copyBucket)).toEqual([]);
});

test('replication that never completes fails the copy after the bounded wait; the backup is kept', async () => {
  const bucket = await createBucket('primary');
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'replica', versioned: true });
  await replicateTo(bucket, copyBucket);
  await setReplicationDelay(bucket, null);

  const result = await backup(
    { bucket, 'copy-bucket': copyBucket, 'copy-region': COPY_REGION, 'copy-mode': 'replication' },
    fakeClock(),
  );
  expect(result.copy?.status).toBe('failed');
  expect(result.copy?.error).toMatch(/is still PENDING after 900 s/);
  expect(await listKeys(bucket)).toEqual([result.key, `${result.key}.globals.sql`, result.manifestKey]);
});

test('a replication rule that fails (destination without versioning) fails the copy at once, naming FAILED', async () => {
  const bucket = await createBucket('primary');
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'replica' });
  await replicateTo(bucket, copyBucket);

  const result = await backup(
    { bucket, 'copy-bucket': copyBucket, 'copy-region': COPY_REGION, 'copy-mode': 'replication' },
    fakeClock(),
  );
  expect(result.copy?.status).toBe('failed');
  expect(result.copy?.error).toContain('reports FAILED');
  expect(await listKeys(bucket)).toEqual([result.key, `${result.key}.globals.sql`, result.manifestKey]);
});
