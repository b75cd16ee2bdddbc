import { describe, expect, test } from '@jest/globals';
import { ConfigurationError } from '../../src/errors.js';
import { measureRpo } from '../../src/restore/rpo.js';
import {
  catalogBackups,
  chooseComplete,
  chooseLegacy,
  readCatalog,
  selectBackup,
} from '../../src/storage/backup-selection.js';
import { BackupStore, CREATED_BY_METADATA, type ManifestRead } from '../../src/storage/backup-store.js';
import { manifestKeyFor } from '../../src/storage/keys.js';
import { createBucket, testS3Client } from '../helpers/s3.js';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { manifestFor, PREFIX, storedBackup } from './fixtures.js';

const at = (iso: string) => new Date(iso);
const key = (stamp: string, ext = '.dump') => `${PREFIX}backup_${stamp}${ext}`;
const HOUR = 3600;

describe('cataloguing', () => {
  test('complete (object + valid manifest), without a manifest, and invalid; complete ordered by finish time', () => {
    const slow = key('20260301_010000');
    const quick = key('20260301_013000');
    const bare = key('20260301_020000', '.sql.gz');
    const broken = key('20260301_030000');
    const listing = {
      backups: [broken, bare, quick, slow].map((k) => storedBackup(k, k !== bare)),
      orphanManifests: [],
    };
    const manifests = new Map<string, ManifestRead>([
      // Started first but finished last: it is the newest complete backup.
      [slow, { manifest: manifestFor(slow, { finishedAt: at('2026-03-01T03:10:00Z') }) }],
      [quick, { manifest: manifestFor(quick, { finishedAt: at('2026-03-01T01:40:00Z') }) }],
      [broken, { error: "invalid manifest: field 'sha256' should be 64 lowercase hex digits" }],
    ]);
    const catalog = catalogBackups(listing, manifests);
    expect(catalog.complete.map((c) => c.backup.key)).toEqual([slow, quick]);
    expect(catalog.withoutManifest.map((b) => b.key)).toEqual([bare]);
    expect(catalog.invalid).toEqual([
      {
        backup: expect.objectContaining({ key: broken }),
        error: "invalid manifest: field 'sha256' should be 64 lowercase hex digits",
      },
    ]);
  });
});

describe('choosing', () => {
  const keys = [key('20260303_020000'), key('20260302_020000'), key('20260301_020000')];
  const finished = ['2026-03-03T02:30:00Z', '2026-03-02T02:30:00Z', '2026-03-01T02:30:00Z'];
  const complete = catalogBackups(
    { backups: keys.map((k) => storedBackup(k, true)), orphanManifests: [] },
    new Map(keys.map((k, i) => [k, { manifest: manifestFor(k, { finishedAt: at(finished[i] as string) }) }])),
  ).complete;
  const never = () => {
    throw new Error('random was not expected to be called');
  };

  test('latest is the newest complete backup', () => {
    expect(chooseComplete(complete, { kind: 'latest' }, never)).toMatchObject({
      backup: { key: keys[0] },
      reason: 'the newest of 3 complete backups',
    });
  });

  test.each([
    [0, 0],
    [0.34, 1],
    [0.67, 2],
    [0.999999, 2],
  ])('random draws %d -> complete backup #%d', (draw, index) => {
    expect(chooseComplete(complete, { kind: 'random' }, () => draw)?.backup.key).toBe(keys[index]);
  });

  test.each([
    ['2026-03-02T02:30:00Z', 1],
    ['2026-03-02T02:29:59Z', 2],
    ['2026-03-09T00:00:00Z', 0],
    ['2026-03-03T02:29:59.999Z', 1],
  ])('point in time %s picks the newest finished at or before it: #%d', (time, index) => {
    expect(chooseComplete(complete, { kind: 'point-in-time', at: at(time) }, never)?.backup.key).toBe(keys[index]);
  });

  test('a point in time before every complete backup is refused, naming the oldest', () => {
    expect(() => chooseComplete(complete, { kind: 'point-in-time', at: at('2026-03-01T00:00:00Z') }, never)).toThrow(
      new ConfigurationError(
        `no complete backup finished at or before 2026-03-01T00:00:00.000Z; the oldest of 3 finished at 2026-03-01T02:30:00.000Z (${keys[2]})`,
      ),
    );
  });

  test('no complete backups: nothing chosen, so the old layout may be tried', () => {
    expect(chooseComplete([], { kind: 'latest' }, never)).toBeUndefined();
  });

  test('backups without a manifest are chosen by the time in their key', () => {
    const legacy = [
      key('20260210_020000', '.sql.gz'),
      key('20260212_020000', '.sql.gz'),
      key('20260211_020000', '.sql.gz'),
    ].map((k) => storedBackup(k, false));
    expect(chooseLegacy(legacy, { kind: 'latest' }, never)?.backup.key).toBe(key('20260212_020000', '.sql.gz'));
    expect(chooseLegacy(legacy, { kind: 'random' }, () => 0.99)?.backup.key).toBe(key('20260210_020000', '.sql.gz'));
    expect(chooseLegacy(legacy, { kind: 'point-in-time', at: at('2026-02-11T12:00:00Z') }, never)?.backup.key).toBe(
      key('20260211_020000', '.sql.gz'),
    );
    expect(chooseLegacy(legacy, { kind: 'point-in-time', at: at('2026-02-01T00:00:00Z') }, never)).toBeUndefined();
    expect(chooseLegacy([], { kind: 'latest' }, never)).toBeUndefined();
  });
});

describe('RPO', () => {
  const now = at('2026-03-31T12:00:00Z');
  const point = (iso: string, k = iso) => ({ key: k, snapshotAt: at(iso) });

  test('nothing to measure without a complete backup', () => {
    expect(measureRpo([], now)).toEqual({ windowDays: 30, backupsInWindow: 0, ageSeconds: null, maxGapSeconds: null });
  });

  test('hourly backups: the age now and the largest gap, one of them a missed hour', () => {
    const points = ['2026-03-31T08:00:00Z', '2026-03-31T09:00:00Z', '2026-03-31T11:00:00Z', '2026-03-31T11:30:00Z'].map(
      (t) => point(t),
    );
    const rpo = measureRpo(points, now);
    expect(rpo.ageSeconds).toBe(0.5 * HOUR);
    expect(rpo.maxGapSeconds).toBe(2 * HOUR);
    expect(rpo.maxGap).toEqual({
      fromKey: '2026-03-31T09:00:00Z',
      from: '2026-03-31T09:00:00.000Z',
      toKey: '2026-03-31T11:00:00Z',
      to: '2026-03-31T11:00:00.000Z',
      seconds: 2 * HOUR,
    });
    expect(rpo.newest).toEqual({ key: '2026-03-31T11:30:00Z', snapshotAt: '2026-03-31T11:30:00.000Z' });
    expect(rpo.backupsInWindow).toBe(4);
  });

  test('the open gap since the newest backup counts: a disaster now is the worst moment', () => {
    const rpo = measureRpo([point('2026-03-31T06:00:00Z'), point('2026-03-31T07:00:00Z')], now);
    expect(rpo.ageSeconds).toBe(5 * HOUR);
    expect(rpo.maxGapSeconds).toBe(5 * HOUR);
    expect(rpo.maxGap?.toKey).toBeUndefined();
    expect(rpo.maxGap?.to).toBe(now.toISOString());
  });

  test('the gap that straddles the start of the window counts in full; older gaps do not', () => {
    const points = [
      point('2025-12-01T00:00:00Z'), // 72 days before the next: a gap wholly before the window
      point('2026-02-11T00:00:00Z'), // the last one before the window opens (2026-03-01T12:00Z)
      point('2026-03-03T00:00:00Z'), // 20 days later, inside the window
      point('2026-03-31T11:00:00Z'),
    ];
    const rpo = measureRpo(points, now);
    expect(rpo.backupsInWindow).toBe(2);
    expect(rpo.maxGap?.fromKey).toBe('2026-03-03T00:00:00Z');
    expect(rpo.maxGapSeconds).toBe((28 * 24 + 11) * HOUR);
    const straddling = measureRpo(
      [
        point('2026-02-11T00:00:00Z'),
        point('2026-03-03T00:00:00Z'),
        point('2026-03-04T00:00:00Z'),
        point('2026-03-31T11:00:00Z'),
      ],
      now,
    );
    expect(straddling.maxGap).toMatchObject({ fromKey: '2026-03-04T00:00:00Z' });
    const early = measureRpo(
      [point('2026-02-11T00:00:00Z'), point('2026-03-25T00:00:00Z'), point('2026-03-31T11:00:00Z')],
      now,
    );
    expect(early.maxGap).toMatchObject({
      fromKey: '2026-02-11T00:00:00Z',
      toKey: '2026-03-25T00:00:00Z',
      seconds: 42 * 24 * HOUR,
    });
  });

  test('only backups older than the window: the gap is the age', () => {
    const rpo = measureRpo([point('2026-01-01T12:00:00Z')], now);
    expect(rpo.backupsInWindow).toBe(0);
    expect(rpo.ageSeconds).toBe(89 * 24 * HOUR);
    expect(rpo.maxGapSeconds).toBe(89 * 24 * HOUR);
  });

  test('a snapshot stamped after now (clock skew) counts as now', () => {
    expect(measureRpo([point('2026-03-31T12:00:05Z')], now)).toMatchObject({ ageSeconds: 0, maxGapSeconds: 0 });
  });
});

describe('selecting in S3 (moto)', () => {
  async function put(bucket: string, objectKey: string, body: string, ours: boolean) {
    await testS3Client().send(
      new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: body, Metadata: ours ? CREATED_BY_METADATA : {} }),
    );
  }

  async function seed() {
    const bucket = await createBucket('sel');
    const complete = [key('20260301_020000'), key('20260302_020000'), key('20260303_020000')];
    for (const [i, k] of complete.entries()) {
      await put(bucket, k, 'dump', true);
      await put(
        bucket,
        manifestKeyFor(k),
        JSON.stringify(manifestFor(k, { finishedAt: at(`2026-03-0${i + 1}T02:30:00Z`) })),
        true,
      );
    }
    // Newer than every complete backup, and none of them complete.
    const ours = key('20260304_020000');
    await put(bucket, ours, 'upload that never got its manifest', true);
    const invalid = key('20260305_020000');
    await put(bucket, invalid, 'dump', true);
    await put(bucket, manifestKeyFor(invalid), '{"version": 1, "key": "wrong"}', true);
    const legacy = key('20260306_020000', '.sql.gz');
    await put(bucket, legacy, 'plain', false);
    return { bucket, complete, ours, invalid, legacy, store: new BackupStore(testS3Client(), bucket, PREFIX) };
  }

  const catalog = readCatalog;

  test('random and latest pick only complete backups, whatever is newer', async () => {
    const { store, complete } = await seed();
    const cat = await catalog(store);
    const picked = new Set<string>();
    for (let draw = 0; draw < 1; draw += 0.05)
      picked.add((await selectBackup(store, cat, { kind: 'random' }, () => draw)).backup.key);
    expect([...picked].sort()).toEqual([...complete].sort());
    expect((await selectBackup(store, cat, { kind: 'latest' }, Math.random)).backup.key).toBe(complete[2]);
  });

  test('by key: a complete backup with its manifest, a bare one without, an invalid manifest refused, a missing key refused', async () => {
    const { store, bucket, complete, legacy, invalid } = await seed();
    const cat = await catalog(store);
    const chosen = await selectBackup(store, cat, { kind: 'key', key: complete[0] as string }, Math.random);
    expect(chosen.manifest?.key).toBe(complete[0]);
    const bare = await selectBackup(store, cat, { kind: 'key', key: legacy }, Math.random);
    expect(bare).toMatchObject({ backup: { key: legacy }, reason: 'named by key; it has no manifest' });
    expect(bare.manifest).toBeUndefined();
    await expect(selectBackup(store, cat, { kind: 'key', key: invalid }, Math.random)).rejects.toThrow(
      `s3://${bucket}/${invalid} cannot be trusted: invalid manifest: field 'key' should be '${invalid}', the object it sits next to; choose another backup`,
    );
    const missing = key('20250101_000000');
    await expect(selectBackup(store, cat, { kind: 'key', key: missing }, Math.random)).rejects.toThrow(
      `there is no backup object s3://${bucket}/${missing}; list them with: aws s3 ls s3://${bucket}/${PREFIX}`,
    );
  });

  test("with nothing complete, the plan's old backups are chosen, never an unfinished upload of ours", async () => {
    const bucket = await createBucket('sel');
    const store = new BackupStore(testS3Client(), bucket, PREFIX);
    const oldest = key('20260101_020000', '.sql.gz');
    await put(bucket, oldest, 'plain', false);
    await put(bucket, key('20260102_020000'), 'ours, unfinished', true);
    const cat = await catalog(store);
    expect((await selectBackup(store, cat, { kind: 'latest' }, Math.random)).backup.key).toBe(oldest);
    expect((await selectBackup(store, cat, { kind: 'random' }, () => 0.99)).backup.key).toBe(oldest);
  });

  test('an empty prefix is refused with where it looked', async () => {
    const bucket = await createBucket('sel');
    const store = new BackupStore(testS3Client(), bucket, PREFIX);
    await expect(selectBackup(store, await catalog(store), { kind: 'latest' }, Math.random)).rejects.toThrow(
      new ConfigurationError(
        `no complete backup under s3://${bucket}/${PREFIX}; check bucket and prefix, or run the backup action first`,
      ),
    );
  });

  test('a bucket that does not exist is named', async () => {
    const store = new BackupStore(testS3Client(), 'no-such-bucket-here', PREFIX);
    await expect(readCatalog(store)).rejects.toThrow(
      new ConfigurationError('bucket no-such-bucket-here does not exist; check bucket, region and endpoint-url'),
    );
  });
});
