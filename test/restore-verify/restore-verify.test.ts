import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { BackupResult } from '../../src/backup/run-backup.js';
import { restoreVerifyMarkdown } from '../../src/restore/summary.js';
import { createDatabase, databaseExists, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { contentDigest, loadSampleData, rowCounts } from '../helpers/sample-data.js';
import { stackFromEnv } from '../../harness/stack.js';
import { checklistOf, makeBackup, restoreVerify, scratchName, stepOf } from './fixtures.js';
import { waitUntil } from '../../harness/wait.js';

const USERS = 2_000;

describe('restore-verify against a backup made by the backup action', () => {
  let source: { name: string; url: string };
  let bucket: string;
  let backup: BackupResult;
  let dir: string;

  beforeAll(async () => {
    source = await createDatabase('rv_src');
    await loadSampleData(source.url, USERS);
    bucket = await createBucket('rv');
    backup = await makeBackup(source.url, bucket);
    dir = await mkdtemp(join(tmpdir(), 'dr-rv-'));
    await writeFile(
      join(dir, 'checks.sql'),
      [
        '-- name: every user belongs to an organization',
        '-- checklist: user-login',
        'SELECT count(*) = 0 FROM users u LEFT JOIN organizations o ON o.id = u.org_id WHERE o.id IS NULL;',
        '',
        "SELECT sum(amount) > 0 FROM payments WHERE paid_at > '2026-01-01';",
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'failing.sql'),
      [
        '-- name: passes',
        'SELECT true;',
        '-- name: is false',
        '-- checklist: payments',
        'SELECT count(*) > 1000000 FROM payments;',
        '-- name: is null',
        'SELECT NULL::boolean;',
        '-- name: counts instead of comparing',
        'SELECT count(*) FROM users;',
        '-- name: writes instead of asking',
        "INSERT INTO organizations (name) VALUES ('written by a check');",
        '-- name: reads a table that is not there',
        'SELECT count(*) > 0 FROM no_such_table;',
        '-- name: no row',
        'SELECT true WHERE false;',
        '-- name: two rows',
        'SELECT true FROM generate_series(1, 2);',
        '-- name: still runs after the errors',
        'SELECT count(*) = 50 FROM organizations;',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await dropDatabase(source.name);
    await rm(dir, { recursive: true, force: true });
  });

  test('restores, verifies every table, runs checks and the smoke command, drops the database, and says so', async () => {
    const target = scratchName();
    const tempDir = await mkdtemp(join(tmpdir(), 'dr-rv-temp-'));
    const reportFile = join(dir, 'report.json');
    const smoke = `sh -c 'test "$(psql -X -At -c "select count(*) from users")" = ${USERS}'`;
    const result = await restoreVerify(
      {
        bucket,
        'target-database-url': stackFromEnv().postgresUrl(target),
        'source-database-url': source.url,
        checks: join(dir, 'checks.sql'),
        'smoke-command': smoke,
        'report-path': reportFile,
      },
      { tempDir },
    );

    expect(result.report.reasons).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.backupKey).toBe(backup.key);
    expect(result.report.steps.map((s) => [s.name, s.status])).toEqual([
      ['select', 'passed'],
      ['preflight', 'passed'],
      ['download', 'passed'],
      ['checksum', 'passed'],
      ['roles', 'passed'],
      ['create database', 'passed'],
      ['restore', 'passed'],
      ['verify', 'passed'],
      ['checks', 'passed'],
      ['smoke', 'passed'],
      ['drop', 'passed'],
    ]);
    const expected = await rowCounts(source.url);
    const compared = Object.fromEntries(
      result.report.details.tables.map((t) => [`${t.schema}.${t.name}`, [t.expectedRows, t.restoredRows, t.status]]),
    );
    expect(compared).toEqual(
      Object.fromEntries(Object.entries(expected).map(([name, rows]) => [name, [rows, rows, 'equal']])),
    );
    expect(stepOf(result, 'verify').detail).toBe(
      `5 tables, ${Object.values(expected)
        .reduce((a, b) => a + b, 0)
        .toLocaleString('en-US')} rows: every count equals the manifest; 2 sequences as recorded`,
    );
    expect(result.report.details.checks.results.map((c) => [c.name, c.passed])).toEqual([
      ['every user belongs to an organization', true],
      ["line 5: SELECT sum(amount) > 0 FROM payments WHERE paid_at > '2026-0...", true],
    ]);
    expect(result.report.details.smoke).toMatchObject({ passed: true, exitCode: 0 });
    expect(result.report.details.backup).toMatchObject({
      key: backup.key,
      verifiable: true,
      downloaded: { sha256: backup.manifest.sha256, bytes: backup.manifest.sizeBytes, storageChecksumChecked: false },
    });
    expect(result.report.details.target).toMatchObject({ created: true, dropped: true, existed: false });
    // The test stack's server settings (harness/postgres.ts), as the server shows them.
    expect(result.report.details.target.serverSettings).toEqual({
      fsync: 'off',
      full_page_writes: 'off',
      synchronous_commit: 'off',
      wal_level: 'replica',
      max_wal_senders: '10',
      max_wal_size: '1GB',
      autovacuum: 'on',
      shared_buffers: '256MB',
      maintenance_work_mem: '256MB',
      max_parallel_maintenance_workers: '2',
    });
    expect(await databaseExists(target)).toBe(false);
    expect(await readdir(tempDir)).toEqual([]);

    expect(result.report.checklist.map((c) => [c.key, c.status])).toEqual([
      ['download', 'passed'],
      ['restore', 'passed'],
      ['applicationStarts', 'passed'],
      ['userLogin', 'passed'],
      ['payments', 'skipped'],
      ['criticalFeatures', 'passed'],
      ['rto', 'passed'],
      ['rpo', 'passed'],
    ]);
    expect(result.report.objectives.map((o) => [o.name, o.passed])).toEqual([
      ['RTO', true],
      ['RPO', true],
      ['RPO', true],
    ]);
    // RTO runs from the download's start to the smoke command's end.
    const rto = result.report.details.rto;
    expect(rto.from).toBe(stepOf(result, 'download').startedAt);
    expect(rto.to).toBe(stepOf(result, 'smoke').finishedAt);
    expect(result.recoverySeconds).toBe(rto.seconds);
    expect(result.restoreSeconds).toBe(stepOf(result, 'restore').durationSeconds);
    expect(result.backupAgeSeconds).toBeGreaterThan(0);
    expect(result.maxGapSeconds).toBe(result.backupAgeSeconds);

    expect(JSON.parse(await readFile(reportFile, 'utf8'))).toEqual(JSON.parse(JSON.stringify(result.report)));
    const summary = restoreVerifyMarkdown(result.report);
    expect(summary).toContain(`## ✅ Restore test of \`${backup.key}\`: passed`);
    expect(summary).toContain('| Restore database from backup | ✅ passed |');
    expect(summary).toContain('| Payment processing works | ⏭️ skipped |');
    expect(summary).toContain('| public.users | 2,000 | 2,000 | ✅ equal |');
    expect(summary).toContain('### Server settings');
    expect(summary).toContain('| `wal_level` | `replica` |');
    expect(summary).not.toContain(stackFromEnv().postgres.password);
    expect(JSON.stringify(result.report)).not.toContain(stackFromEnv().postgres.password);
    await rm(tempDir, { recursive: true, force: true });
  });

  test('a plain-format backup restores with psql, the data equal to the source (keep-database)', async () => {
    const plain = await makeBackup(source.url, bucket, { format: 'plain' });
    const target = scratchName();
    const result = await restoreVerify({
      bucket,
      backup: plain.key,
      'target-database-url': stackFromEnv().postgresUrl(target),
      'keep-database': 'true',
    });
    try {
      expect(result.passed).toBe(true);
      expect(result.report.details.restore?.tool).toBe('psql');
      expect(stepOf(result, 'drop')).toMatchObject({
        status: 'skipped',
        detail: `keep-database: ${result.report.details.target.database} was kept`,
      });
      expect(await contentDigest(stackFromEnv().postgresUrl(target))).toEqual(await contentDigest(source.url));
    } finally {
      await dropDatabase(target);
    }
  });

  test('every check runs; each failure is named, a non-boolean statement never runs', async () => {
    const target = scratchName();
    const checks = join(dir, 'failing.sql');
    const result = await restoreVerify({
      bucket,
      checks,
      'target-database-url': stackFromEnv().postgresUrl(target),
      'keep-database': 'true',
    });
    try {
      expect(result.passed).toBe(false);
      expect(result.report.details.checks.results.map((c) => [c.name, c.passed])).toEqual([
        ['passes', true],
        ['is false', false],
        ['is null', false],
        ['counts instead of comparing', false],
        ['writes instead of asking', false],
        ['reads a table that is not there', false],
        ['no row', false],
        ['two rows', false],
        ['still runs after the errors', true],
      ]);
      const reasons = result.report.reasons;
      expect(reasons).toEqual([
        `check 'is false' (${checks} line 5) failed: returned false`,
        `check 'is null' (${checks} line 7) failed: returned NULL`,
        `check 'counts instead of comparing' (${checks} line 9) failed: returns bigint in its first column (count), not boolean; make it a comparison, e.g. SELECT count(*) > 0 rather than SELECT count(*)`,
        `check 'writes instead of asking' (${checks} line 11) failed: returns no rows or columns; a check must be a query whose first column is a boolean, e.g. SELECT count(*) > 0 FROM users`,
        expect.stringMatching(
          new RegExp(
            `^check 'reads a table that is not there' \\(${checks.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line 13\\) failed: .*relation "no_such_table" does not exist`,
          ),
        ),
        `check 'no row' (${checks} line 15) failed: returned 0 rows; a check must return exactly one`,
        `check 'two rows' (${checks} line 17) failed: returned 2 rows; a check must return exactly one`,
      ]);
      expect(stepOf(result, 'checks')).toMatchObject({
        status: 'failed',
        detail: expect.stringMatching(/^7 of 9 checks failed: is false, is null, /),
      });
      expect(stepOf(result, 'verify').status).toBe('passed');
      expect(checklistOf(result, 'criticalFeatures')?.status).toBe('failed');
      expect(checklistOf(result, 'payments')).toMatchObject({ status: 'failed', detail: 'is false: returned false' });
      expect(checklistOf(result, 'userLogin')?.status).toBe('skipped');
      expect(
        await sql(
          stackFromEnv().postgresUrl(target),
          "SELECT count(*) FROM organizations WHERE name = 'written by a check'",
        ),
      ).toBe('0');
    } finally {
      await dropDatabase(target);
    }
  });

  test('a failing smoke command fails the run with its output; the database is still dropped', async () => {
    const target = scratchName();
    const result = await restoreVerify({
      bucket,
      'target-database-url': stackFromEnv().postgresUrl(target),
      'smoke-command': `sh -c 'echo "cannot log in" >&2; exit 4'`,
    });
    expect(result.passed).toBe(false);
    expect(result.report.reasons).toEqual([`smoke: sh -c 'echo "cannot log in" >&2; exit 4' exited with code 4`]);
    expect(result.report.details.smoke).toMatchObject({ exitCode: 4, output: 'cannot log in\n' });
    expect(checklistOf(result, 'applicationStarts')?.status).toBe('failed');
    expect(checklistOf(result, 'rto')).toMatchObject({
      status: 'failed',
      detail: 'not measured: the recovery did not complete',
    });
    expect(result.recoverySeconds).toBeNull();
    expect(stepOf(result, 'drop').status).toBe('passed');
    expect(await databaseExists(target)).toBe(false);
  });

  test('a hanging smoke command is killed at its timeout', async () => {
    const target = scratchName();
    const result = await restoreVerify({
      bucket,
      'target-database-url': stackFromEnv().postgresUrl(target),
      'smoke-command': 'sleep 120',
      'smoke-timeout-seconds': '1',
    });
    expect(result.passed).toBe(false);
    expect(result.report.reasons).toEqual(['smoke: sleep 120 timed out after 1 s; its process group was killed']);
    expect(await databaseExists(target)).toBe(false);
  });

  test('objectives are held to their targets: an RPO of 1 s fails on both measures', async () => {
    // A clock 5 s ahead ages the newest backup past the objective without waiting for it.
    const result = await restoreVerify({ bucket, 'rpo-seconds': '1' }, { now: () => new Date(Date.now() + 5_000) });
    expect(result.passed).toBe(false);
    expect(result.report.objectives.map((o) => [o.name, o.passed])).toEqual([
      ['RTO', true],
      ['RPO', false],
      ['RPO', false],
    ]);
    expect(result.report.reasons).toEqual([
      expect.stringMatching(
        /^RPO \(age of the newest complete backup \(from its snapshot\)\): [\d.]+ s, over the objective of 1.00 s$/,
      ),
      expect.stringMatching(
        /^RPO \(largest gap between complete backups over the last 30 days\): [\d.]+ s, over the objective of 1.00 s$/,
      ),
    ]);
    expect(checklistOf(result, 'rpo')?.status).toBe('failed');
    expect(checklistOf(result, 'restore')?.status).toBe('passed');
  });

  test('cancelling stops the running step and still drops the scratch database', async () => {
    const target = scratchName();
    const started = join(dir, 'smoke-started');
    const controller = new AbortController();
    const running = restoreVerify(
      {
        bucket,
        'target-database-url': stackFromEnv().postgresUrl(target),
        'smoke-command': `sh -c 'touch ${started}; sleep 120'`,
      },
      { signal: controller.signal },
    );
    await waitUntil(
      'the smoke command started',
      () =>
        access(started).then(
          () => true,
          () => false,
        ),
      { timeoutMs: 60_000 },
    );
    controller.abort();
    const result = await running;
    expect(result.passed).toBe(false);
    expect(result.report.reasons).toEqual([
      `smoke: sh -c 'touch ${started}; sleep 120' cancelled; its process group was killed`,
    ]);
    expect(stepOf(result, 'drop')).toMatchObject({ status: 'passed' });
    expect(await databaseExists(target)).toBe(false);
  });
});
