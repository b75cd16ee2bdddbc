import { PutObjectCommand } from '@aws-sdk/client-s3';
import { pruneBackups } from '../../src/storage/prune.js';
import { BackupStore, CREATED_BY_METADATA } from '../../src/storage/backup-store.js';
import { globalsKeyFor } from '../../src/storage/globals-object.js';
import { backupKey, manifestKeyFor } from '../../src/storage/keys.js';
import { mapWithLimit } from '../../src/util/concurrency.js';
import { silentLogger } from '../../src/util/logger.js';
import { createBucket, listKeys, testS3Client } from '../helpers/s3.js';
import { manifestFor } from '../../harness/manifest.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const policy = { dailyDays: 30, weeklyDays: 90, monthlyDays: 365 };

/**
 * An oracle written apart from the implementation: weeks as Monday-based 7-day spans counted from
 * the epoch (1970-01-01 was a Thursday), months by UTC year and month.
 */
function expectedKeep(backups: { key: string; finishedAt: Date }[], now: Date, minKeep: number): Set<string> {
  const age = (b: { finishedAt: Date }) => (now.getTime() - b.finishedAt.getTime()) / DAY;
  const week = (t: Date) => Math.floor((Math.floor(t.getTime() / DAY) + 3) / 7);
  const month = (t: Date) => t.getUTCFullYear() * 12 + t.getUTCMonth();
  const newestPer = (days: number, group: (t: Date) => number) => {
    const newest = new Map<number, { key: string; finishedAt: Date }>();
    for (const b of backups.filter((x) => age(x) <= days)) {
      const current = newest.get(group(b.finishedAt));
      if (!current || current.finishedAt < b.finishedAt) newest.set(group(b.finishedAt), b);
    }
    return [...newest.values()].map((b) => b.key);
  };
  const byAge = [...backups].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime());
  return new Set([
    ...backups.filter((b) => age(b) <= policy.dailyDays).map((b) => b.key),
    ...newestPer(policy.weeklyDays, week),
    ...newestPer(policy.monthlyDays, month),
    ...byAge.slice(0, minKeep).map((b) => b.key),
  ]);
}

test('retention over two years of backups (twice daily for 120 days, daily to a year, every other day after): 668 complete ones, leftovers, and keys that are not backups', async () => {
  const bucket = await createBucket('retention');
  const client = testS3Client();
  const put = (Key: string, Body: string, Metadata?: Record<string, string>) =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key, Body, Metadata }));
  // Judged a day after the uploads, so that this run's leftovers are older than the 24 h grace; at 30 s
  // past a minute, so that no backup made below has a key of the fixed ones further down (all at :00).
  const now = new Date(Math.floor((Date.now() + 25 * HOUR) / 60_000) * 60_000 + 30_000);

  // Several backups in every day of the daily window and every week and month of the others (the
  // windows keep the newest of each), sparser where everything is past every window.
  const hoursAgo: number[] = [];
  for (let h = 0; h < 120 * 24; h += 12) hoursAgo.push(h);
  for (let h = 120 * 24; h < 365 * 24; h += 24) hoursAgo.push(h);
  for (let h = 365 * 24; h < 730 * 24; h += 48) hoursAgo.push(h);
  const complete = hoursAgo.map((h) => {
    const started = new Date(now.getTime() - h * HOUR - 3 * HOUR);
    return { key: backupKey('database/', started, 'custom'), finishedAt: new Date(started.getTime() + 600_000) };
  });
  expect(complete).toHaveLength(668);
  await mapWithLimit(complete, 32, async ({ key, finishedAt }) => {
    await put(key, 'dump!!', CREATED_BY_METADATA);
    await put(manifestKeyFor(key), JSON.stringify(manifestFor(key, { finishedAt }, [], bucket)));
  });

  const legacy = 'database/backup_20240101_020000.sql.gz'; // the plan's old script: no manifest, no marker
  const incomplete = 'database/backup_20250101_020000.dump'; // ours, manifest never written
  const invalid = 'database/backup_20250102_020000.dump'; // ours, manifest unreadable
  const orphan = 'database/backup_20250103_020000.dump.manifest.json';
  const untouchable = [
    'database/README.txt',
    'database/backup_latest.sql.gz',
    'database/eu/backup_20200101_000000.dump',
    'other/backup_20200101_000000.dump',
  ];
  await put(legacy, 'legacy');
  await put(incomplete, 'partial', CREATED_BY_METADATA);
  await put(invalid, 'partial', CREATED_BY_METADATA);
  await put(manifestKeyFor(invalid), '{ not json');
  await put(orphan, '{}');
  for (const key of untouchable) await put(key, 'keep me');

  const store = new BackupStore(client, bucket, 'database/');
  const keep = expectedKeep(complete, now, 7);
  const doomed = complete.filter((b) => !keep.has(b.key)).map((b) => b.key);
  expect(doomed.length * 2).toBeGreaterThan(1000); // more than one DeleteObjects batch
  const before = await listKeys(bucket);

  const dryRun = await pruneBackups({ store, policy, minKeep: 7, dryRun: true, now, log: silentLogger });
  expect(await listKeys(bucket)).toEqual(before);
  expect(dryRun.prunedCount).toBe(0);
  expect(
    dryRun.complete
      .filter((b) => b.action === 'would delete')
      .map((b) => b.key)
      .sort(),
  ).toEqual([...doomed].sort());

  const report = await pruneBackups({ store, policy, minKeep: 7, dryRun: false, now, log: silentLogger });
  expect(report.errors).toEqual([]);
  expect(report.prunedCount).toBe(doomed.length + 2);
  expect(
    report.complete
      .filter((b) => b.action === 'kept')
      .map((b) => b.key)
      .sort(),
  ).toEqual([...keep].sort());
  expect(report.incomplete.map((o) => [o.key, o.action])).toEqual(
    expect.arrayContaining([
      [incomplete, 'deleted'],
      [invalid, 'deleted'],
    ]),
  );
  expect(report.legacy.map((o) => [o.key, o.action])).toEqual([[legacy, 'kept']]);
  expect(report.orphanManifests.map((o) => [o.key, o.action])).toEqual([[orphan, 'deleted']]);

  const expectedRemaining = [...[...keep].flatMap((key) => [key, manifestKeyFor(key)]), legacy, ...untouchable].sort();
  expect(await listKeys(bucket)).toEqual(expectedRemaining);

  const again = await pruneBackups({ store, policy, minKeep: 7, dryRun: false, now, log: silentLogger });
  expect(again.prunedCount).toBe(0);
  expect(await listKeys(bucket)).toEqual(expectedRemaining);
});

test('min-keep holds even when every backup is older than every window, and young leftovers wait', async () => {
  const bucket = await createBucket('retention');
  const client = testS3Client();
  const now = new Date();
  const old = Array.from({ length: 10 }, (_, k) => {
    const started = new Date(Date.UTC(2022, 0, 1 + k, 2));
    return { key: backupKey('db/', started, 'plain'), finishedAt: new Date(started.getTime() + 60_000) };
  });
  for (const { key, finishedAt } of old) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x', Metadata: CREATED_BY_METADATA }));
    // The globals stored beside each backup go with it.
    const globals = {
      status: 'stored' as const,
      key: globalsKeyFor(key),
      sha256: 'e'.repeat(64),
      sizeBytes: 1,
      pgDumpallVersion: '15.18',
    };
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: globals.key, Body: 'g' }));
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: manifestKeyFor(key),
        Body: JSON.stringify({ ...manifestFor(key, { finishedAt }, [], bucket), globals }),
      }),
    );
  }
  const young = 'db/backup_20260101_000000.sql.gz';
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: young, Body: 'x', Metadata: CREATED_BY_METADATA }));

  const report = await pruneBackups({
    store: new BackupStore(client, bucket, 'db/'),
    policy,
    minKeep: 3,
    dryRun: false,
    now,
    log: silentLogger,
  });
  const kept = report.complete.filter((b) => b.action === 'kept').map((b) => b.key);
  expect(kept).toEqual(
    old
      .slice(-3)
      .map((b) => b.key)
      .reverse(),
  );
  expect(report.incomplete).toEqual([
    expect.objectContaining({ key: young, action: 'kept', reason: expect.stringContaining('younger than 24 h') }),
  ]);
  expect(await listKeys(bucket, 'db/')).toEqual(
    [...kept.flatMap((key) => [key, globalsKeyFor(key), manifestKeyFor(key)]), young].sort(),
  );
});
