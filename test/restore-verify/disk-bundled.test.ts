import { watch } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RestoreVerifyReport } from '../../src/restore/restore-report.js';
import { manifestKeyFor } from '../../src/storage/keys.js';
import type { BackupManifest } from '../../src/storage/manifest.js';
import { runBundledAction, type BundledActionRun } from '../../harness/bundled-action.js';
import { stackFromEnv } from '../../harness/stack.js';
import { createDatabase, databaseExists, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { getObject, putObject, scratchName } from './fixtures.js';

/** Runs the bundled restore-verify with RUNNER_TEMP at `runnerTemp`, noting every name created in it meanwhile. */
async function restoreVerifyWatched(
  runnerTemp: string,
  inputs: Record<string, string>,
): Promise<{ run: BundledActionRun; created: string[] }> {
  const created: string[] = [];
  const watcher = watch(runnerTemp, (event, name) => {
    if (event === 'rename' && name && !created.includes(name)) created.push(name);
  });
  try {
    return { run: await runBundledAction('restore-verify', inputs, { env: { RUNNER_TEMP: runnerTemp } }), created };
  } finally {
    watcher.close();
  }
}

describe('the bundled restore-verify and the disk', () => {
  let source: { name: string; url: string };
  let bucket: string;
  let dir: string;
  let runnerTemp: string;
  let backupKey: string;

  beforeAll(async () => {
    source = await createDatabase('rv_disk_e2e');
    await loadSampleData(source.url, 1_000);
    bucket = await createBucket('disk-e2e');
    dir = await mkdtemp(join(tmpdir(), 'dr-disk-e2e-'));
    runnerTemp = await mkdtemp(join(tmpdir(), 'dr-disk-runner-temp-'));
    const backup = await runBundledAction('backup', {
      'database-url': source.url,
      bucket,
      'endpoint-url': stackFromEnv().awsEndpoint,
    });
    expect(backup.exitCode).toBe(0);
    backupKey = backup.outputs.key as string;
  });

  afterAll(async () => {
    await dropDatabase(source.name);
    await rm(dir, { recursive: true, force: true });
    await rm(runnerTemp, { recursive: true, force: true });
  });

  test('download: stream restores and verifies with no archive ever written to RUNNER_TEMP; download: file writes one there', async () => {
    const stack = stackFromEnv();
    const reportPath = join(dir, 'stream.json');
    const streamed = await restoreVerifyWatched(runnerTemp, {
      bucket,
      'endpoint-url': stack.awsEndpoint,
      'target-database-url': stack.postgresUrl(scratchName()),
      download: 'stream',
      'report-path': reportPath,
    });
    expect(streamed.run.stderr).toBe('');
    expect(streamed.run.exitCode).toBe(0);
    expect(streamed.run.outputs).toMatchObject({ passed: 'true', 'backup-key': backupKey });
    expect(streamed.created).toEqual([]);
    expect(await readdir(runnerTemp)).toEqual([]);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as RestoreVerifyReport;
    const users = report.details.tables.find((t) => t.name === 'users');
    expect(users).toMatchObject({ expectedRows: 1_000, restoredRows: 1_000, status: 'equal' });
    expect(report.details.tables.filter((t) => t.status !== 'equal')).toEqual([]);
    expect(report.steps.find((s) => s.name === 'checksum')?.status).toBe('passed');

    // The same watch sees the file mode's download folder: the empty list above is not the watch missing it.
    const filed = await restoreVerifyWatched(runnerTemp, {
      bucket,
      'endpoint-url': stack.awsEndpoint,
      'target-database-url': stack.postgresUrl(scratchName()),
    });
    expect(filed.run.exitCode).toBe(0);
    expect(filed.created).toEqual([expect.stringMatching(/^dr-actions-restore-/)]);
    expect(await readdir(runnerTemp)).toEqual([]);
  });

  test("a restored database larger than the server's disk fails at preflight, in seconds, before anything is downloaded or created", async () => {
    // The manifest's record of the source's size, edited to exceed what the stack server's disk
    // has free (as statfs reads it, for real): everything else about the backup is as it was made.
    const stack = stackFromEnv();
    const dataDirectory = (await sql(stack.postgresUrl('postgres'), 'SHOW data_directory')).trim();
    const disk = await statfs(dataDirectory);
    const freeBytes = disk.bavail * disk.bsize;
    const manifest = JSON.parse((await getObject(bucket, manifestKeyFor(backupKey))).toString()) as BackupManifest;
    const edited = { ...manifest, databaseSizeBytes: freeBytes + 1024 ** 4 };
    await putObject(bucket, manifestKeyFor(backupKey), JSON.stringify(edited));
    const target = scratchName();
    try {
      const started = Date.now();
      const { run, created } = await restoreVerifyWatched(runnerTemp, {
        bucket,
        'endpoint-url': stack.awsEndpoint,
        'target-database-url': stack.postgresUrl(target),
        download: 'stream',
        'report-path': join(dir, 'short.json'),
      });
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toMatch(
        new RegExp(
          `::error::restore test failed: preflight: not enough disk for this restore test: ${dataDirectory} \\(the target server's data \\(its data directory\\)\\) has [\\d.]+ GiB free, and it needs about [\\d.]+ TiB: the restored database about [\\d.]+ TiB \\(an estimate: the source database's size when it was backed up\\)`,
        ),
      );
      expect(run.stdout).toContain('rds-restore-test (RDS restores the recovery point on its own storage)');
      expect(created).toEqual([]);
      expect(await databaseExists(target)).toBe(false);

      // The estimate can be wrong (it is the source's size): disk-check: false lets the run go on.
      const skipped = await runBundledAction('restore-verify', {
        bucket,
        'endpoint-url': stack.awsEndpoint,
        'target-database-url': stack.postgresUrl(scratchName()),
        download: 'stream',
        'disk-check': 'false',
      });
      expect(skipped.exitCode).toBe(0);
    } finally {
      await putObject(bucket, manifestKeyFor(backupKey), JSON.stringify(manifest));
    }
  });
});
