import { Readable } from 'node:stream';
import {
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectRetentionCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/aws/clients.js';
import { retainBackups } from '../../src/backup/retention-step.js';
import { retentionMarkdown } from '../../src/backup/summary.js';
import { BackupStore, CREATED_BY_METADATA } from '../../src/storage/backup-store.js';
import { globalsKeyFor } from '../../src/storage/globals-object.js';
import { backupKey, manifestKeyFor } from '../../src/storage/keys.js';
import { pruneBackups } from '../../src/storage/prune.js';
import { uploadStream } from '../../src/storage/streaming-upload.js';
import { silentLogger } from '../../src/util/logger.js';
import { backupWithInputs } from '../helpers/backup-run.js';
import { TEST_REGION } from '../helpers/s3.js';
import { sampleDatabase } from '../helpers/sample-data.js';
import { createRegionalBucket, s3In } from '../../harness/second-region.js';
import { stackFromEnv } from '../../harness/stack.js';
import { readableSource } from '../../src/util/byte-source.js';

const DAY = 86_400_000;
const policy = { dailyDays: 30, weeklyDays: 90, monthlyDays: 365 };
const s3 = () => s3In(TEST_REGION);

const lockOf = async (bucket: string, key: string, versionId?: string) => {
  const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return { mode: head.ObjectLockMode, until: head.ObjectLockRetainUntilDate?.getTime() };
};

async function versionsOf(bucket: string, key: string): Promise<string[]> {
  const listing = await s3().send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  return [...(listing.Versions ?? []), ...(listing.DeleteMarkers ?? [])]
    .filter((v) => v.Key === key)
    .map((v) => v.VersionId ?? '');
}

/**
 * A complete backup finished at `finishedAt`, optionally locked in compliance mode until `lockedUntil`;
 * with `globals`, its globals object too, locked until `globals.lockedUntil` (unlocked when absent).
 */
async function seed(
  bucket: string,
  finishedAt: Date,
  lockedUntil?: Date,
  globals?: { lockedUntil?: Date },
): Promise<string> {
  const key = backupKey('database/', finishedAt, 'custom');
  const lockUntil = (until?: Date) =>
    until
      ? { ObjectLockMode: 'COMPLIANCE' as const, ObjectLockRetainUntilDate: until, ChecksumAlgorithm: 'CRC32' as const }
      : {};
  const lock = lockUntil(lockedUntil);
  const globalsRecord = globals && {
    status: 'stored',
    key: globalsKeyFor(key),
    sha256: 'e'.repeat(64),
    sizeBytes: 1,
    pgDumpallVersion: '15.18',
  };
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
    ...(globalsRecord ? { globals: globalsRecord } : {}),
  };
  await s3().send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'abc', Metadata: CREATED_BY_METADATA, ...lock }),
  );
  if (globals)
    await s3().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: globalsKeyFor(key),
        Body: 'g',
        Metadata: CREATED_BY_METADATA,
        ...lockUntil(globals.lockedUntil),
      }),
    );
  await s3().send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: manifestKeyFor(key),
      Body: JSON.stringify(manifest),
      Metadata: CREATED_BY_METADATA,
      ...lock,
    }),
  );
  return key;
}

describe('a backup in a bucket with Object Lock', () => {
  const source = sampleDatabase('locked', 200);

  test('lock-mode auto locks the object, its globals and manifest in compliance mode until retention would first delete them; the role cannot delete the locked version (S3 refuses it without s3:BypassGovernanceRetention, which the policy lacks)', async () => {
    const bucket = await createRegionalBucket(TEST_REGION, { prefix: 'locked', objectLock: true });
    const result = await backupWithInputs({ 'database-url': source.url, bucket });
    const until = new Date(result.manifest.startedAt).getTime() + 30 * DAY;
    expect(result.lock).toEqual({ mode: 'COMPLIANCE', retainUntil: new Date(until) });
    expect(await lockOf(bucket, result.key)).toEqual({ mode: 'COMPLIANCE', until });
    expect(await lockOf(bucket, result.manifestKey)).toEqual({ mode: 'COMPLIANCE', until });
    expect(await lockOf(bucket, globalsKeyFor(result.key))).toEqual({ mode: 'COMPLIANCE', until });

    const [version] = await versionsOf(bucket, result.key);
    await expect(
      s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: result.key, VersionId: version })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    const batch = await s3().send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: result.key, VersionId: version }] } }),
    );
    expect(batch.Errors?.map((e) => e.Key)).toEqual([result.key]);
    // A delete without a version only hides it behind a delete marker: the locked bytes stay.
    await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: result.key }));
    expect(await versionsOf(bucket, result.key)).toContain(version);
    expect((await lockOf(bucket, result.key, version)).until).toBe(until);
  });

  test('lock-mode compliance on a bucket without Object Lock is refused before anything is dumped', async () => {
    const bucket = await createRegionalBucket(TEST_REGION, { prefix: 'unlocked' });
    await expect(backupWithInputs({ 'database-url': source.url, bucket, 'lock-mode': 'compliance' })).rejects.toThrow(
      `lock-mode is compliance, but bucket ${bucket} has no Object Lock`,
    );
  });
});

test('a multipart upload to a locked bucket keeps its lock and sends a checksum with every part, which such a bucket demands (the stack refuses parts without one, as S3 does)', async () => {
  const bucket = await createRegionalBucket(TEST_REGION, { prefix: 'locked', objectLock: true });
  const retainUntil = new Date(Date.now() + 10 * DAY);
  const body = readableSource(Readable.from([Buffer.alloc(11 * 1024 * 1024, 7)]));
  const uploaded = await uploadStream({
    client: s3(),
    bucket,
    key: 'database/big.dump',
    body,
    partSize: 5 * 1024 * 1024,
    contentType: 'application/octet-stream',
    encryption: { serverSideEncryption: 'AES256' },
    storageClass: 'STANDARD',
    metadata: {},
    lock: { mode: 'COMPLIANCE', retainUntil },
  });
  expect(uploaded.parts).toBe(3);
  expect(await lockOf(bucket, 'database/big.dump')).toEqual({ mode: 'COMPLIANCE', until: retainUntil.getTime() });

  const bare = createS3Client({ region: TEST_REGION, endpointUrl: stackFromEnv().awsEndpoint }, {});
  bare.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      for (const name of Object.keys(request.headers ?? {}))
        if (/^x-amz-(checksum-|sdk-checksum)/i.test(name) || /^content-md5$/i.test(name))
          delete request.headers?.[name];
      return next(args);
    },
    { step: 'finalizeRequest', name: 'dropChecksums' },
  );
  const created = await s3().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'database/bare.dump' }));
  await expect(
    bare.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: 'database/bare.dump',
        UploadId: created.UploadId,
        PartNumber: 1,
        Body: Buffer.alloc(10),
      }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidRequest' });
});

test('retention extends the lock of each backup it promotes to weekly or monthly (once its week or month is over), never shortens one, and S3 refuses to shorten a compliance lock', async () => {
  const bucket = await createRegionalBucket(TEST_REGION, { prefix: 'locked', objectLock: true });
  const now = new Date();
  const noon = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 12);
  const finished = Array.from({ length: 25 }, (_, i) => new Date(noon - (i + 1) * DAY));
  const keys = [];
  // Every other backup has globals (locked like it); the others were taken without.
  const withGlobals = (i: number) => i % 2 === 0;
  for (const [i, at] of finished.entries()) {
    const until = new Date(at.getTime() + 30 * DAY);
    keys.push(await seed(bucket, at, until, withGlobals(i) ? { lockedUntil: until } : undefined));
  }

  // An oracle apart from the code: weeks as Monday-based 7-day spans from the epoch, months by UTC year and month.
  const week = (t: Date) => Math.floor((Math.floor(t.getTime() / DAY) + 3) / 7);
  const month = (t: Date) => t.getUTCFullYear() * 12 + t.getUTCMonth();
  const newestOf = (group: (t: Date) => number, at: Date) =>
    finished.filter((f) => group(f) === group(at)).every((f) => f <= at);
  const expected = finished.map((at) => {
    let until = at.getTime() + 30 * DAY;
    if (week(at) !== week(now) && newestOf(week, at)) until = Math.max(until, at.getTime() + 90 * DAY);
    if (month(at) !== month(now) && newestOf(month, at)) until = Math.max(until, at.getTime() + 365 * DAY);
    return until;
  });
  expect(
    expected.filter((until, i) => until > (finished[i] as Date).getTime() + 30 * DAY).length,
  ).toBeGreaterThanOrEqual(3);

  const store = new BackupStore(s3(), bucket, 'database/');
  const outcome = await retainBackups(store, keys[0] as string, {
    policy,
    minKeep: 1,
    dryRun: false,
    now,
    log: silentLogger,
    lockMode: 'COMPLIANCE',
  });
  expect(outcome.retentionError).toBeUndefined();
  for (const [i, key] of keys.entries()) {
    expect([key, (await lockOf(bucket, key)).until]).toEqual([key, expected[i]]);
    expect([key, (await lockOf(bucket, manifestKeyFor(key))).until]).toEqual([key, expected[i]]);
    if (withGlobals(i)) expect([key, (await lockOf(bucket, globalsKeyFor(key))).until]).toEqual([key, expected[i]]);
  }
  expect(
    expected.filter((until, i) => withGlobals(i) && until > (finished[i] as Date).getTime() + 30 * DAY).length,
  ).toBeGreaterThanOrEqual(1);
  expect(outcome.locks?.locks.filter((l) => l.extended).length).toBe(
    expected.filter((until, i) => until > (finished[i] as Date).getTime() + 30 * DAY).length,
  );

  const again = await retainBackups(store, keys[0] as string, {
    policy,
    minKeep: 1,
    dryRun: false,
    now,
    log: silentLogger,
    lockMode: 'COMPLIANCE',
  });
  expect(again.locks?.locks.some((l) => l.extended)).toBe(false);

  const promoted = keys[expected.findIndex((until, i) => until > (finished[i] as Date).getTime() + 30 * DAY)] as string;
  await expect(
    s3().send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: promoted,
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(now.getTime() + DAY) },
      }),
    ),
  ).rejects.toMatchObject({ name: 'AccessDenied' });
});

test('pruning a versioned, locked bucket removes every version of what it deletes, and never tries a backup still locked: it is reported locked until its date', async () => {
  const bucket = await createRegionalBucket(TEST_REGION, { prefix: 'locked', objectLock: true });
  const now = new Date();
  const expired = await seed(bucket, new Date(now.getTime() - 400 * DAY));
  await s3().send(new PutObjectCommand({ Bucket: bucket, Key: expired, Body: 'abd', Metadata: CREATED_BY_METADATA })); // a second version
  const lockedUntil = new Date(Math.floor((now.getTime() + 10 * DAY) / 1000) * 1000);
  // Its globals object is not locked, but goes only with its backup.
  const stillLocked = await seed(bucket, new Date(now.getTime() - 300 * DAY - 3600_000), lockedUntil, {});
  const recent = await seed(bucket, new Date(now.getTime() - DAY), new Date(now.getTime() + 29 * DAY));
  const older = await seed(bucket, new Date(now.getTime() - 200 * DAY));
  expect(await versionsOf(bucket, expired)).toHaveLength(2);

  const report = await pruneBackups({
    store: new BackupStore(s3(), bucket, 'database/'),
    policy: { dailyDays: 30, weeklyDays: 0, monthlyDays: 0 },
    minKeep: 1,
    dryRun: false,
    now,
    log: silentLogger,
  });
  expect(report.errors).toEqual([]);
  for (const key of [expired, manifestKeyFor(expired), older, manifestKeyFor(older)])
    expect([key, await versionsOf(bucket, key)]).toEqual([key, []]);
  expect(report.complete.find((b) => b.key === older)?.action).toBe('deleted');
  expect(report.complete.find((b) => b.key === expired)?.action).toBe('deleted');
  expect(report.complete.find((b) => b.key === stillLocked)?.action).toBe('locked');
  expect(report.complete.find((b) => b.key === recent)?.action).toBe('kept');
  expect(report.locked.find((l) => l.key === stillLocked)?.lockedUntil).toEqual(lockedUntil);
  expect(await versionsOf(bucket, stillLocked)).toHaveLength(1);
  expect(await versionsOf(bucket, globalsKeyFor(stillLocked))).toHaveLength(1);
  expect(report.locked.find((l) => l.key === globalsKeyFor(stillLocked))?.lockedUntil).toEqual(lockedUntil);
  expect(retentionMarkdown(report)).toContain(`| \`${stillLocked}\` | ${lockedUntil.toISOString()} |`);
});
