import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import type { BackupResult } from '../../src/backup/run-backup.js';
import type { DiskProbe } from '../../src/restore/disk-preflight.js';
import { manifestKeyFor } from '../../src/storage/keys.js';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';
import { createDatabase, databaseExists, dropDatabase } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { s3Staged } from '../helpers/unresponsive-s3.js';
import { getObject, makeBackup, PREFIX, putObject, restoreVerify, scratchName, stepOf } from './fixtures.js';

/**
 * download: stream of a parallel backup (backup's jobs: 2): the schema downloaded and checked, the
 * data parts streamed at once each into its own pg_restore, each part's size and SHA-256 checked at
 * its end; a part that differs or fails stops the others, fails the run naming it, and the scratch
 * database is dropped.
 */

const MIB = 1024 * 1024;

/** The pg_restore processes this test process started and has not yet reaped (a zombie counts). */
async function pgRestoreChildren(): Promise<string[]> {
  const { stdout } = await execa('ps', ['-o', 'pid=,stat=,comm=', '--ppid', String(process.pid)], { reject: false });
  return stdout.split('\n').filter((line) => line.includes('pg_restore'));
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('download: stream restores a parallel backup, its parts at once', () => {
  let source: { name: string; url: string };
  let bucket: string;
  let parallel: BackupResult;
  let runnerTemp: string;
  let copies = 0;

  beforeAll(async () => {
    source = await createDatabase('rv_stream_parts');
    await loadSampleData(source.url, 2_000);
    bucket = await createBucket('stream-parts');
    parallel = await makeBackup(source.url, bucket, { jobs: 2 });
    runnerTemp = await mkdtemp(join(tmpdir(), 'rv-stream-parts-'));
  }, 120_000);

  afterAll(async () => {
    await dropDatabase(source.name);
    await rm(runnerTemp, { recursive: true, force: true });
  });

  const env = () => ({ RUNNER_TEMP: runnerTemp });
  const parts = () => parallel.manifest.parts ?? [];

  /** The backup stored again under a key of its own, the bytes of its schema or of one part changed by `alter`. */
  async function copyWithPart(which: 'schema' | number, alter: (body: Buffer) => Buffer): Promise<string> {
    copies += 1;
    const key = `${PREFIX}backup_20250101_00000${copies}.dump`;
    const keys = new Map([[parallel.key, key], ...parts().map((p, i) => [p.key, `${key}.part-${i + 1}`] as const)]);
    const altered = which === 'schema' ? parallel.key : parts()[which]?.key;
    for (const [from, to] of keys) {
      const body = await getObject(bucket, from);
      await putObject(bucket, to, from === altered ? alter(body) : body);
    }
    await putObject(bucket, `${key}.globals.sql`, await getObject(bucket, `${parallel.key}.globals.sql`));
    const manifest = { ...parallel.manifest, key, parts: parts().map((p) => ({ ...p, key: keys.get(p.key) })) };
    await putObject(bucket, manifestKeyFor(key), JSON.stringify(manifest));
    return key;
  }

  test('the backup is in two data parts beside the schema', () => {
    expect(parts().map((part) => part.key)).toEqual([`${parallel.key}.part-1`, `${parallel.key}.part-2`]);
  });

  test('restores with exact counts, the parts checked, and only the schema counted on the download folder', async () => {
    const target = scratchName();
    // The download folder and the server on filesystems of their own, so each one's need shows apart.
    const probeDisk: DiskProbe = async (path) => ({
      freeBytes: 1024 * 1024 * MIB,
      device: path === runnerTemp ? 1 : 2,
    });
    const result = await restoreVerify(
      { bucket, backup: parallel.key, download: 'stream', 'target-database-url': stackFromEnv().postgresUrl(target) },
      { env: env(), probeDisk },
    );
    expect(result.report.reasons).toEqual([]);
    expect(result.passed).toBe(true);
    expect(stepOf(result, 'restore').detail).toMatch(
      new RegExp(
        `^pg_restore [\\d.]+ reading each data part as it arrives \\(download: stream, 2 jobs\\): the schema, then 2 data parts in parallel, then indexes and constraints; the schema [\\d.]+ [KM]iB in .* SHA-256 ${parallel.manifest.sha256}; 2 data parts, [\\d.]+ [KM]iB, streamed with their SHA-256 checked at each one's end$`,
      ),
    );
    expect(stepOf(result, 'checksum')).toMatchObject({
      status: 'passed',
      detail: 'size and SHA-256 of the schema and of each of its 2 data parts match the manifest',
    });
    expect(result.report.details.tables.filter((t) => t.status !== 'equal')).toEqual([]);
    expect(result.report.details.tables.length).toBe(parallel.manifest.tables.length);
    expect(result.report.details.tables.find((t) => t.name === 'users')?.restoredRows).toBe(2_000);
    expect(result.report.details.restore?.jobs).toBe(2);
    const downloadFolder = result.report.details.disk?.filesystems.find((fs) => fs.folders[0]?.path === runnerTemp);
    expect(downloadFolder?.needBytes).toBe(Math.ceil(parallel.manifest.sizeBytes * 1.1) + 256 * MIB);
    expect(await readdir(runnerTemp)).toEqual([]);
    expect(await databaseExists(target)).toBe(false);
  }, 120_000);

  test('a part whose bytes changed (same size) satisfies pg_restore, then fails the run at its end naming it; the database is dropped', async () => {
    // The archive header's database name is read by nothing pg_restore does: only the SHA-256 can tell.
    const key = await copyWithPart(1, (body) => {
      const at = body.indexOf(Buffer.from(source.name));
      expect(at).toBeGreaterThan(0);
      const altered = Buffer.from(body);
      altered[at] = altered[at] === 0x72 ? 0x52 : 0x72;
      return altered;
    });
    const target = scratchName();
    const result = await restoreVerify(
      { bucket, backup: key, download: 'stream', 'target-database-url': stackFromEnv().postgresUrl(target) },
      { env: env() },
    );
    expect(result.passed).toBe(false);
    expect(stepOf(result, 'restore')).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(
        new RegExp(
          `^part s3://${bucket}/${escaped(`${key}.part-2`)} has SHA-256 [0-9a-f]{64}, but the manifest says ${parts()[1]?.sha256}: the part is corrupt$`,
        ),
      ),
    });
    expect(stepOf(result, 'checksum').detail).toBe("not run: 'restore' failed");
    expect(stepOf(result, 'drop')).toMatchObject({ status: 'passed' });
    expect(await databaseExists(target)).toBe(false);
    expect(await readdir(runnerTemp)).toEqual([]);
  }, 120_000);

  test('a part of another size fails the run naming it, with both sizes; the database is dropped', async () => {
    const key = await copyWithPart(0, (body) => Buffer.concat([body, Buffer.alloc(1000)]));
    const target = scratchName();
    const result = await restoreVerify(
      { bucket, backup: key, download: 'stream', 'target-database-url': stackFromEnv().postgresUrl(target) },
      { env: env() },
    );
    expect(result.passed).toBe(false);
    expect(stepOf(result, 'restore')).toMatchObject({
      status: 'failed',
      detail: `part s3://${bucket}/${key}.part-1 is ${(parts()[0]?.sizeBytes ?? 0) + 1000} bytes, but the manifest says ${parts()[0]?.sizeBytes} bytes: the part is not the one that was made`,
    });
    expect(stepOf(result, 'drop')).toMatchObject({ status: 'passed' });
    expect(await databaseExists(target)).toBe(false);
  }, 120_000);

  test('a schema that differs fails before anything is restored: another size before its download, the same size after it', async () => {
    for (const [alter, detail] of [
      [
        (body: Buffer) => Buffer.concat([body, Buffer.alloc(10)]),
        new RegExp(
          `is ${parallel.manifest.sizeBytes + 10} bytes, but its manifest says ${parallel.manifest.sizeBytes} bytes`,
        ),
      ],
      [
        (body: Buffer) => {
          const altered = Buffer.from(body);
          const at = body.indexOf(Buffer.from(source.name));
          altered[at] = altered[at] === 0x72 ? 0x52 : 0x72;
          return altered;
        },
        new RegExp(
          `has SHA-256 [0-9a-f]{64}, but its manifest says ${parallel.manifest.sha256}: the object is corrupt$`,
        ),
      ],
    ] as const) {
      const key = await copyWithPart('schema', alter);
      const target = scratchName();
      const result = await restoreVerify(
        { bucket, backup: key, download: 'stream', 'target-database-url': stackFromEnv().postgresUrl(target) },
        { env: env() },
      );
      expect(result.passed).toBe(false);
      expect(stepOf(result, 'restore')).toMatchObject({ status: 'failed', detail: expect.stringMatching(detail) });
      expect(stepOf(result, 'restore').detail).toContain(`s3://${bucket}/${key} `);
      expect(stepOf(result, 'verify').detail).toBe("not run: 'restore' failed");
      expect(await databaseExists(target)).toBe(false);
      expect(await readdir(runnerTemp)).toEqual([]);
    }
  }, 120_000);

  test('a part that fails part way stops the other part: its pg_restore has exited when the run ends', async () => {
    // Part 1 is cut off half way; part 2 stalls half way (S3 that stops sending). Part 1 is held
    // back until part 2's pg_restore is reading, so the failure meets a restore in flight.
    const key = await copyWithPart(0, (body) => body.subarray(0, Math.floor(body.length / 2)));
    const isPart = (n: number) => (method: string, path: string) =>
      method === 'GET' && (path.split('?')[0] ?? '').endsWith(`.part-${n}`);
    const s3 = await s3Staged(stackFromEnv().awsEndpoint, { hold: isPart(1), stall: isPart(2) });
    const target = scratchName();
    try {
      const running = restoreVerify(
        {
          bucket,
          backup: key,
          download: 'stream',
          'endpoint-url': s3.url,
          'target-database-url': stackFromEnv().postgresUrl(target),
        },
        { env: env() },
      );
      await Promise.all([s3.untilHeld(1), s3.untilStalled(1)]);
      await waitUntil(
        "part 2's pg_restore reads its stalled stream",
        async () => (await pgRestoreChildren()).length === 1,
      );
      s3.release();
      const result = await running;
      expect(await pgRestoreChildren()).toEqual([]);
      expect(result.passed).toBe(false);
      expect(stepOf(result, 'restore')).toMatchObject({
        status: 'failed',
        detail: expect.stringMatching(new RegExp(`^part ${escaped(`${key}.part-1`)}: pg_restore exited with code 1: `)),
      });
      expect(stepOf(result, 'drop')).toMatchObject({ status: 'passed' });
      expect(await databaseExists(target)).toBe(false);
      expect(await readdir(runnerTemp)).toEqual([]);
    } finally {
      await s3.close();
    }
  }, 120_000);
});
