import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { restoreVerifyMarkdown } from '../../src/restore/summary.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, listKeys, TEST_REGION } from '../helpers/s3.js';
import { contentDigest, loadSampleData } from '../helpers/sample-data.js';
import { stackFromEnv } from '../../harness/stack.js';
import { checklistOf, makeBackup, PREFIX, restoreVerify, scratchName, stepOf } from './fixtures.js';

describe("a backup made by the plan's own script", () => {
  let source: { name: string; url: string };
  let bucket: string;
  let key: string;
  let workdir: string;

  beforeAll(async () => {
    source = await createDatabase('rv_plan');
    await loadSampleData(source.url, 1_000);
    bucket = await createBucket('plan');
    workdir = await mkdtemp(join(tmpdir(), 'dr-plan-'));
    const stack = stackFromEnv();
    // DISASTER-RECOVERY-PLAN.md, "Automated Daily Backups", pointed at the test stack.
    const script = [
      'set -euo pipefail',
      'DATE=$(date +%Y%m%d_%H%M%S)',
      `pg_dump -h ${stack.postgres.host} -p ${stack.postgres.port} -U postgres ${source.name} | gzip > backup_\${DATE}.sql.gz`,
      `aws --endpoint-url ${stack.awsEndpoint} --region ${TEST_REGION} s3 cp backup_\${DATE}.sql.gz s3://${bucket}/database/`,
    ].join('\n');
    await execa('bash', ['-c', script], { cwd: workdir, env: { PGPASSWORD: stack.postgres.password, TZ: 'UTC' } });
    const keys = await listKeys(bucket);
    expect(keys).toHaveLength(1);
    key = keys[0] as string;
    expect(key).toMatch(/^database\/backup_\d{8}_\d{6}\.sql\.gz$/);
  });

  afterAll(async () => {
    await dropDatabase(source.name);
    await rm(workdir, { recursive: true, force: true });
  });

  test('restores, marked unverifiable; with no complete backup, RPO cannot be met', async () => {
    const target = scratchName();
    const result = await restoreVerify({
      bucket,
      'target-database-url': stackFromEnv().postgresUrl(target),
      'keep-database': 'true',
    });
    try {
      expect(result.backupKey).toBe(key);
      expect(stepOf(result, 'select').detail).toBe(
        `${key}: no complete backup exists, so one without a manifest (the plan's old layout): the only one (unverifiable: no manifest)`,
      );
      expect(stepOf(result, 'checksum')).toMatchObject({
        status: 'skipped',
        detail: 'unverifiable: no manifest: the SHA-256 is recorded, not compared',
      });
      expect(stepOf(result, 'restore')).toMatchObject({
        status: 'passed',
        detail: expect.stringMatching(/^psql [\d.]+ \(plain SQL, ON_ERROR_STOP\)$/),
      });
      expect(stepOf(result, 'verify')).toMatchObject({
        status: 'skipped',
        detail: 'unverifiable: no manifest: row counts not compared',
      });
      expect(result.report.details.backup).toMatchObject({ verifiable: false, key });
      // Without a manifest, S3's own checksum is what proves the transfer.
      expect(result.report.details.backup?.downloaded?.storageChecksumChecked).toBe(true);
      expect(result.report.details.tables).toEqual([]);
      expect(checklistOf(result, 'restore')).toMatchObject({
        status: 'passed',
        detail: 'restored; unverifiable: no manifest: row counts not compared',
      });
      expect(checklistOf(result, 'download')?.status).toBe('passed');
      expect(checklistOf(result, 'rpo')).toMatchObject({
        status: 'failed',
        detail: 'not measured: no complete backup',
      });
      expect(result.passed).toBe(false);
      expect(result.report.reasons).toEqual([
        `RPO: there is no complete backup (object and valid manifest) under s3://${bucket}/${PREFIX}, so data loss cannot be bounded`,
      ]);
      expect(result.recoverySeconds).not.toBeNull();
      expect(restoreVerifyMarkdown(result.report)).toContain(
        `## ❌ Restore test of \`${key}\`: failed (unverifiable: no manifest)`,
      );
      // Unverifiable by the action, but it did bring the data back.
      expect(await contentDigest(stackFromEnv().postgresUrl(target))).toEqual(await contentDigest(source.url));
    } finally {
      await dropDatabase(target);
    }
  });

  test('chosen by its file name, next to complete backups, it restores and the run can pass', async () => {
    await makeBackup(source.url, bucket);
    const result = await restoreVerify({ bucket, backup: key.slice(PREFIX.length) });
    expect(result.backupKey).toBe(key);
    expect(stepOf(result, 'select').detail).toBe(
      `${key}: named by key; it has no manifest (unverifiable: no manifest)`,
    );
    expect(result.report.reasons).toEqual([]);
    expect(result.passed).toBe(true);
  });
});

describe('point in time', () => {
  test("restores the newest backup finished at or before the time, with that backup's data", async () => {
    const source = await createDatabase('rv_pit');
    const bucket = await createBucket('pit');
    await sql(source.url, 'CREATE TABLE orders (id int PRIMARY KEY)');
    const times = ['2026-01-10T02:00:00Z', '2026-01-11T02:00:00Z', '2026-01-12T02:00:00Z'];
    const keys: string[] = [];
    for (const [index, time] of times.entries()) {
      await sql(
        source.url,
        `INSERT INTO orders SELECT g FROM generate_series(${index * 100 + 1}, ${(index + 1) * 100}) g`,
      );
      keys.push((await makeBackup(source.url, bucket, { now: () => new Date(time) })).key);
    }
    const target = scratchName();
    try {
      const between = await restoreVerify({
        bucket,
        backup: '2026-01-11T12:00:00Z',
        'target-database-url': stackFromEnv().postgresUrl(target),
        'keep-database': 'true',
      });
      expect(between.backupKey).toBe(keys[1]);
      // RPO reads the snapshot (server clock, seconds ago), not the finish times set here.
      expect(between.passed).toBe(true);
      expect(stepOf(between, 'verify').status).toBe('passed');
      expect(await sql(stackFromEnv().postgresUrl(target), 'SELECT count(*) FROM orders')).toBe('200');

      const exact = await restoreVerify({ bucket, backup: '2026-01-10T03:00:00+01:00' });
      expect(exact.backupKey).toBe(keys[0]);
      expect(stepOf(exact, 'verify').detail).toBe('1 tables, 100 rows: every count equals the manifest');

      const before = await restoreVerify({ bucket, backup: '2026-01-09T00:00:00Z' });
      expect(before.backupKey).toBeUndefined();
      expect(before.report.reasons).toEqual([
        `select: no complete backup finished at or before 2026-01-09T00:00:00.000Z; the oldest of 3 finished at 2026-01-10T02:00:00.000Z (${keys[0]})`,
      ]);
    } finally {
      await dropDatabase(target);
      await dropDatabase(source.name);
    }
  });
});
