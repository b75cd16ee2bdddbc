import { watch, type FSWatcher } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { BackupResult } from '../../src/backup/run-backup.js';
import { STREAMED } from '../../src/restore/streamed-restore.js';
import type { DiskProbe } from '../../src/restore/disk-preflight.js';
import { manifestKeyFor } from '../../src/storage/keys.js';
import { createDatabase, databaseExists, dropDatabase } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
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
import { stackFromEnv } from '../../harness/stack.js';

const MIB = 1024 * 1024;

/** Every name created directly in a folder while `during` runs (inotify: no polling, nothing missed). */
async function createdIn<T>(folder: string, during: () => Promise<T>): Promise<{ result: T; created: string[] }> {
  const created: string[] = [];
  const watcher: FSWatcher = watch(folder, (event, name) => {
    if (event === 'rename' && name && !created.includes(name)) created.push(name);
  });
  try {
    return { result: await during(), created };
  } finally {
    watcher.close();
  }
}

describe('restore-verify knows its disk, and can restore without one (download: stream)', () => {
  let source: { name: string; url: string };
  let bucket: string;
  let custom: BackupResult;
  let plain: BackupResult;
  let runnerTemp: string;

  beforeAll(async () => {
    source = await createDatabase('rv_disk');
    await loadSampleData(source.url, 2_000);
    bucket = await createBucket('disk');
    custom = await makeBackup(source.url, bucket);
    plain = await makeBackup(source.url, bucket, { format: 'plain', now: () => new Date(Date.now() + 1_000) });
    runnerTemp = await mkdtemp(join(tmpdir(), 'rv-disk-temp-'));
  });

  afterAll(async () => {
    await dropDatabase(source.name);
    await rm(runnerTemp, { recursive: true, force: true });
  });

  const env = () => ({ RUNNER_TEMP: runnerTemp });

  test('too little disk fails at preflight, saying what it needs, what there is and the ways out; nothing is downloaded or created', async () => {
    const target = scratchName();
    const probes: string[] = [];
    // One filesystem with 100 MiB free: less than the server's WAL (max_wal_size) alone.
    const probeDisk: DiskProbe = async (path) => {
      probes.push(path);
      return { freeBytes: 100 * MIB, device: 1 };
    };
    const { result, created } = await createdIn(runnerTemp, () =>
      restoreVerify(
        { bucket, backup: custom.key, 'target-database-url': stackFromEnv().postgresUrl(target) },
        { env: env(), probeDisk },
      ),
    );
    expect(result.passed).toBe(false);
    const preflight = stepOf(result, 'preflight');
    expect(preflight.status).toBe('failed');
    expect(preflight.detail).toMatch(
      /^not enough disk for this restore test: .* share a filesystem that has 100 MiB free, and it needs about [\d.]+ [MG]iB: the archive [\d.]+ [KM]iB \+ the restored database about [\d.]+ MiB \(an estimate: the source database's size when it was backed up\) \+ the server's WAL up to max_wal_size [\d.]+ [MG]iB, plus 10% and 256 MiB to spare\. Ways out: a runner with a larger disk \(or RUNNER_TEMP on a larger one\); download: stream \(no local copy of the archive: [\d.]+ [KM]iB less\); rds-restore-test \(RDS restores the recovery point on its own storage\)\. If the estimate is wrong for this database, disk-check: false skips this check$/,
    );
    expect(probes[0]).toBe(runnerTemp);
    // The stack's server is on loopback and its superuser may read data_directory: its own folder is probed.
    expect(probes[1]).not.toBe(runnerTemp);
    expect(stepOf(result, 'download').detail).toBe("not run: 'preflight' failed");
    expect(created).toEqual([]);
    expect(await databaseExists(target)).toBe(false);
  });

  test('with disk-check: false the same disk is not asked about and the restore runs', async () => {
    const probeDisk: DiskProbe = async () => {
      throw new Error('the disk was asked about');
    };
    const result = await restoreVerify(
      { bucket, backup: custom.key, 'disk-check': 'false' },
      { env: env(), probeDisk },
    );
    expect(result.passed).toBe(true);
    expect(stepOf(result, 'preflight').detail).toContain('disk-check: false, free space not checked');
    expect(result.report.details.disk).toBeUndefined();
  });

  test('enough disk: preflight says what each filesystem needs and has, found with statfs', async () => {
    const result = await restoreVerify({ bucket, backup: custom.key }, { env: env() });
    expect(result.passed).toBe(true);
    expect(stepOf(result, 'preflight').detail).toMatch(
      new RegExp(
        `; disk: ${runnerTemp} \\+ \\S+ needs about [\\d.]+ [MG]iB, has [\\d.]+ [MGT]iB free \\(server: \\S+: its data directory\\)$`,
      ),
    );
    expect(result.report.details.disk?.restoredBytes).toBe(custom.manifest.databaseSizeBytes);
  });

  test('download: stream restores with no archive on disk: counts match the manifest, the checksum is compared after the restore', async () => {
    const target = scratchName();
    const { result, created } = await createdIn(runnerTemp, () =>
      restoreVerify(
        { bucket, backup: custom.key, download: 'stream', 'target-database-url': stackFromEnv().postgresUrl(target) },
        { env: env() },
      ),
    );
    expect(result.report.reasons).toEqual([]);
    expect(result.passed).toBe(true);
    expect(created).toEqual([]);
    expect(await readdir(runnerTemp)).toEqual([]);
    expect(stepOf(result, 'download')).toMatchObject({ status: 'skipped', detail: STREAMED });
    expect(stepOf(result, 'restore').detail).toMatch(
      /^pg_restore [\d.]+ reading the object as it arrives \(download: stream, one process\); .* SHA-256 [0-9a-f]{64}$/,
    );
    expect(stepOf(result, 'checksum')).toMatchObject({ status: 'passed' });
    expect(stepOf(result, 'verify').status).toBe('passed');
    expect(result.report.details.tables.length).toBeGreaterThan(0);
    expect(result.report.details.tables.filter((t) => t.status !== 'equal')).toEqual([]);
    expect(result.report.details.tables.find((t) => t.name === 'users')?.restoredRows).toBe(2_000);
    expect(result.report.details.restore?.jobs).toBe(1);
    // RTO runs from the first step of the recovery (download: stream has no download step of its own) to the verification.
    expect(result.report.details.rto).toEqual({
      from: stepOf(result, 'roles').startedAt,
      to: stepOf(result, 'verify').finishedAt,
      seconds: expect.any(Number),
    });
    expect(result.report.details.backup?.downloaded?.sha256).toBe(custom.manifest.sha256);
    expect(checklistOf(result, 'download')?.status).toBe('passed');
    expect(await databaseExists(target)).toBe(false);
  });

  test('download: stream of a plain SQL backup goes through gunzip into psql as it arrives', async () => {
    const result = await restoreVerify({ bucket, backup: plain.key, download: 'stream' }, { env: env() });
    expect(result.report.reasons).toEqual([]);
    expect(stepOf(result, 'restore').detail).toMatch(/^psql [\d.]+ reading the object as it arrives .*\(plain SQL/);
    expect(stepOf(result, 'checksum').status).toBe('passed');
  });

  test('download: stream of an object whose bytes differ from its manifest restores, then fails at the checksum and drops the database', async () => {
    // The archive header's database name is only shown by pg_restore --list: pg_restore restores
    // the altered archive without complaint, so only the SHA-256 can tell.
    const bytes = await getObject(bucket, custom.key);
    const name = Buffer.from(source.name);
    const at = bytes.indexOf(name);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(200);
    const altered = Buffer.from(bytes);
    altered[at] = altered[at] === 0x72 ? 0x52 : 0x72; // 'r' <-> 'R': same size, another digest
    const key = `${PREFIX}backup_20250101_000001.dump`;
    await putObject(bucket, key, altered);
    await putObject(bucket, manifestKeyFor(key), JSON.stringify({ ...custom.manifest, key }));
    const target = scratchName();

    const result = await restoreVerify(
      { bucket, backup: key, download: 'stream', 'target-database-url': stackFromEnv().postgresUrl(target) },
      { env: env() },
    );
    expect(result.passed).toBe(false);
    expect(stepOf(result, 'restore').status).toBe('passed');
    expect(stepOf(result, 'checksum')).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(
        /has SHA-256 [0-9a-f]{64}, but its manifest says [0-9a-f]{64}: the object is corrupt$/,
      ),
    });
    expect(stepOf(result, 'verify').detail).toBe("not run: 'checksum' failed");
    expect(stepOf(result, 'drop')).toMatchObject({ status: 'passed' });
    expect(checklistOf(result, 'download')?.status).toBe('failed');
    expect(await databaseExists(target)).toBe(false);
  });

  test('download: stream of a cut-off object fails the restore and drops the database', async () => {
    const bytes = await getObject(bucket, custom.key);
    const key = `${PREFIX}backup_20250101_000002.dump`;
    await putObject(bucket, key, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await putObject(bucket, manifestKeyFor(key), JSON.stringify({ ...custom.manifest, key }));
    const target = scratchName();

    const result = await restoreVerify(
      { bucket, backup: key, download: 'stream', 'target-database-url': stackFromEnv().postgresUrl(target) },
      { env: env() },
    );
    expect(result.passed).toBe(false);
    expect(stepOf(result, 'restore')).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/^pg_restore /),
    });
    expect(stepOf(result, 'drop')).toMatchObject({ status: 'passed' });
    expect(await databaseExists(target)).toBe(false);
  });
});
