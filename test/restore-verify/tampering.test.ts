import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { BackupResult } from '../../src/backup/run-backup.js';
import { manifestKeyFor } from '../../src/storage/keys.js';
import type { BackupManifest } from '../../src/storage/manifest.js';
import { createDatabase, databaseExists, dropDatabase } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { stackFromEnv } from '../../harness/stack.js';
import {
  checklistOf,
  getObject,
  makeBackup,
  PREFIX,
  putObject,
  restoreVerify,
  scratchName,
  stepOf,
} from './fixtures.js';

const NOT_RUN_AFTER_CHECKSUM = "not run: 'checksum' failed";

describe('restore-verify refuses what would not bring the data back', () => {
  let source: { name: string; url: string };
  let bucket: string;
  let custom: BackupResult;
  let plain: BackupResult;

  beforeAll(async () => {
    source = await createDatabase('rv_tamper');
    await loadSampleData(source.url, 2_000);
    bucket = await createBucket('tamper');
    custom = await makeBackup(source.url, bucket);
    // Backups made in the same second would share a key: the second one runs on a clock a second ahead.
    plain = await makeBackup(source.url, bucket, { format: 'plain', now: () => new Date(Date.now() + 1_000) });
  });

  afterAll(() => dropDatabase(source.name));

  /** A copy of a backup (object and manifest) under a new key, with the object's bytes changed. */
  async function tamperedCopy(
    original: BackupResult,
    second: string,
    change: (bytes: Buffer) => Buffer,
    manifestChange?: (m: BackupManifest) => BackupManifest,
  ): Promise<string> {
    const ext = original.key.endsWith('.dump') ? '.dump' : '.sql.gz';
    const key = `${PREFIX}backup_20250101_0000${second}${ext}`;
    await putObject(bucket, key, change(await getObject(bucket, original.key)));
    const manifest = { ...original.manifest, key };
    await putObject(bucket, manifestKeyFor(key), JSON.stringify(manifestChange ? manifestChange(manifest) : manifest));
    return key;
  }

  test('one flipped byte fails at the checksum, before any database is created', async () => {
    const key = await tamperedCopy(custom, '01', (bytes) => {
      const copy = Buffer.from(bytes);
      const middle = Math.floor(copy.length / 2);
      copy[middle] = (copy[middle] as number) ^ 0x01;
      return copy;
    });
    const target = scratchName();
    const result = await restoreVerify({
      bucket,
      backup: key,
      'target-database-url': stackFromEnv().postgresUrl(target),
    });

    expect(result.passed).toBe(false);
    const downloaded = result.report.details.backup?.downloaded?.sha256 as string;
    expect(downloaded).toMatch(/^[0-9a-f]{64}$/);
    expect(downloaded).not.toBe(custom.manifest.sha256);
    expect(result.report.reasons).toEqual([
      `checksum: s3://${bucket}/${key} has SHA-256 ${downloaded}, but its manifest says ${custom.manifest.sha256}: the object is corrupt`,
    ]);
    expect(result.report.steps.map((s) => [s.name, s.status, s.status === 'skipped' ? s.detail : ''])).toEqual([
      ['select', 'passed', ''],
      ['preflight', 'passed', ''],
      ['download', 'passed', ''],
      ['checksum', 'failed', ''],
      ['roles', 'skipped', NOT_RUN_AFTER_CHECKSUM],
      ['create database', 'skipped', NOT_RUN_AFTER_CHECKSUM],
      ['restore', 'skipped', NOT_RUN_AFTER_CHECKSUM],
      ['verify', 'skipped', NOT_RUN_AFTER_CHECKSUM],
      ['checks', 'skipped', 'no checks file'],
      ['smoke', 'skipped', 'no smoke-command'],
      ['drop', 'skipped', 'nothing to drop: no database was created'],
    ]);
    expect(await databaseExists(target)).toBe(false);
    expect(checklistOf(result, 'download')?.status).toBe('failed');
    expect(checklistOf(result, 'restore')).toMatchObject({ status: 'failed', detail: NOT_RUN_AFTER_CHECKSUM });
    expect(checklistOf(result, 'applicationStarts')?.status).toBe('skipped');
  });

  test('a truncated object fails at the checksum with both sizes', async () => {
    const key = await tamperedCopy(plain, '02', (bytes) => bytes.subarray(0, Math.floor(bytes.length / 2)));
    const result = await restoreVerify({ bucket, backup: key });
    expect(result.passed).toBe(false);
    const half = Math.floor(plain.manifest.sizeBytes / 2);
    expect(result.report.reasons).toEqual([
      `checksum: s3://${bucket}/${key} is ${half} bytes, but its manifest says ${plain.manifest.sizeBytes} bytes: the object is not the backup that was made`,
    ]);
    expect(stepOf(result, 'restore').status).toBe('skipped');
  });

  test('a manifest whose tables and counts differ from the data fails, naming each difference', async () => {
    const key = await tamperedCopy(
      custom,
      '03',
      (bytes) => bytes,
      (m) => ({
        ...m,
        tables: [
          ...m.tables
            .filter((t) => t.name !== 'organizations')
            .map((t) => (t.name === 'users' ? { ...t, rows: (t.rows as number) + 1 } : t)),
          { schema: 'public', name: 'ghost', rows: 5 },
        ],
      }),
    );
    const target = scratchName();
    const result = await restoreVerify({
      bucket,
      backup: key,
      'target-database-url': stackFromEnv().postgresUrl(target),
    });

    expect(result.passed).toBe(false);
    expect(stepOf(result, 'checksum').status).toBe('passed');
    expect(stepOf(result, 'restore').status).toBe('passed');
    expect(result.report.reasons).toEqual([
      `verify: the restored data differs from the manifest of ${key}: public.users has 2000 rows, the manifest says 2001; public.ghost is missing`,
    ]);
    const byName = Object.fromEntries(result.report.details.tables.map((t) => [t.name, t.status]));
    expect(byName).toEqual({
      'Old "Invoices"': 'equal',
      events_2026: 'equal',
      payments: 'equal',
      users: 'differs',
      ghost: 'missing',
      organizations: 'not in manifest',
    });
    expect(checklistOf(result, 'restore')).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining('public.ghost is missing'),
    });
    expect(checklistOf(result, 'rto')?.status).toBe('failed');
    expect(await databaseExists(target)).toBe(false);
  });

  test.each([
    ['plain', 0.5, '1'],
    ['plain', 0.99, '2'],
    ['custom', 0.5, '3'],
    ['custom', 0.99, '4'],
  ] as const)(
    'a truncated %s backup without a manifest, cut at %d of its length, fails to restore, and the scratch database is dropped',
    async (format, fraction, second) => {
      const original = format === 'custom' ? custom : plain;
      const ext = format === 'custom' ? '.dump' : '.sql.gz';
      const bytes = await getObject(bucket, original.key);
      const key = `${PREFIX}backup_20250102_00000${second}${ext}`;
      await putObject(bucket, key, bytes.subarray(0, Math.floor(bytes.length * fraction)));
      const target = scratchName();
      const result = await restoreVerify({
        bucket,
        backup: key,
        'target-database-url': stackFromEnv().postgresUrl(target),
      });

      expect(result.passed).toBe(false);
      expect(stepOf(result, 'checksum')).toMatchObject({
        status: 'skipped',
        detail: 'unverifiable: no manifest: the SHA-256 is recorded, not compared',
      });
      expect(stepOf(result, 'create database').status).toBe('passed');
      expect(stepOf(result, 'restore').status).toBe('failed');
      const reason = result.report.reasons[0] as string;
      if (format === 'plain') {
        expect(reason).toBe(
          "restore: the backup is not a complete gzip stream (unexpected end of file); psql's restore was stopped",
        );
      } else {
        // What the user reads: pg_restore's first error first, then each message of its workers on a line of its own.
        const [first, ...more] = reason.split('\n');
        expect(first).toMatch(/^restore: pg_restore exited with code 1: pg_restore: error: \S/);
        for (const line of more) expect(line).toMatch(/^pg_restore: (error|warning|detail|hint): \S|^[A-Z]/);
        expect(reason).not.toMatch(/pg_restore: *pg_restore:|error: error:/);
      }
      expect(stepOf(result, 'drop')).toMatchObject({
        status: 'passed',
        detail: `dropped ${result.report.details.target.database}`,
      });
      expect(await databaseExists(target)).toBe(false);
    },
  );

  test('an SQL error stops a plain restore (ON_ERROR_STOP) and is reported', async () => {
    const key = `${PREFIX}backup_20250103_000000.sql.gz`;
    await putObject(
      bucket,
      key,
      gzipSync(
        'CREATE TABLE kept (id int);\nINSERT INTO kept VALUES (1);\nSELECT no_such_function();\nCREATE TABLE never (id int);\n',
      ),
    );
    const target = scratchName();
    const result = await restoreVerify({
      bucket,
      backup: key,
      'target-database-url': stackFromEnv().postgresUrl(target),
    });
    expect(result.passed).toBe(false);
    expect(result.report.reasons[0]).toMatch(
      /^restore: psql exited with code 3: psql:<stdin>:3: ERROR: {2}function no_such_function\(\) does not exist/,
    );
    expect(await databaseExists(target)).toBe(false);
  });
});
