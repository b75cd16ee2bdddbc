import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  checkDisk,
  DISK_MARGIN_BYTES,
  InsufficientDiskError,
  restoredEstimate,
  serverFolder,
  walBytesOf,
  type DiskCheckInput,
  type DiskProbe,
} from '../../src/restore/disk-preflight.js';
import { ConfigurationError } from '../../src/errors.js';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import type { BackupManifest } from '../../src/storage/manifest.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** A machine whose folders sit on the filesystems given, with the free space given: the test decides the disk. */
function disks(layout: Record<string, { device: number; freeBytes: number }>): DiskProbe {
  return async (path) => {
    const disk = layout[path];
    if (!disk) throw new Error(`no such folder in the test's machine: ${path}`);
    return disk;
  };
}

const local = { path: '/pgdata', how: 'its data directory', walBytes: 1 * GIB };

function input(overrides: Partial<DiskCheckInput>): DiskCheckInput {
  return {
    download: 'file',
    downloadFolder: '/runner/temp',
    archiveBytes: 4 * GIB,
    restoredBytes: 10 * GIB,
    server: local,
    probe: disks({}),
    ...overrides,
  };
}

/** What one filesystem holding `bytes` must have free: 10% more, and the fixed margin. */
const needed = (bytes: number) => Math.ceil(bytes * 1.1) + DISK_MARGIN_BYTES;

describe('the disk preflight, with the free space decided by the test', () => {
  test('the archive and the restored database on one filesystem add up, with the WAL and the margin', async () => {
    const need = needed(4 * GIB + 10 * GIB + 1 * GIB);
    const fits = input({
      probe: disks({ '/runner/temp': { device: 1, freeBytes: need }, '/pgdata': { device: 1, freeBytes: need } }),
    });
    const check = await checkDisk(fits);
    expect(check.filesystems).toEqual([
      {
        folders: [
          { path: '/runner/temp', what: 'the download folder' },
          { path: '/pgdata', what: "the target server's data (its data directory)" },
        ],
        needBytes: need,
        freeBytes: need,
      },
    ]);

    const short = input({
      probe: disks({
        '/runner/temp': { device: 1, freeBytes: need - 1 },
        '/pgdata': { device: 1, freeBytes: need - 1 },
      }),
    });
    const refused = checkDisk(short);
    await expect(refused).rejects.toThrow(InsufficientDiskError);
    await expect(refused).rejects.toThrow(ConfigurationError);
    await expect(refused).rejects.toThrow(
      "not enough disk for this restore test: /runner/temp (the download folder) and /pgdata (the target server's data (its data directory)) share a filesystem that has 16.7 GiB free, " +
        "and it needs about 16.8 GiB: the archive 4.0 GiB + the restored database about 10.0 GiB (an estimate: the source database's size when it was backed up) + the server's WAL up to max_wal_size 1.0 GiB, plus 10% and 256 MiB to spare. " +
        'Ways out: a runner with a larger disk (or RUNNER_TEMP on a larger one); download: stream (no local copy of the archive: 4.0 GiB less); rds-restore-test (RDS restores the recovery point on its own storage). ' +
        'If the estimate is wrong for this database, disk-check: false skips this check',
    );
  });

  test('on two filesystems each is held to its own part, and the one that is short is named', async () => {
    const probe = disks({
      '/runner/temp': { device: 1, freeBytes: needed(4 * GIB) },
      '/pgdata': { device: 2, freeBytes: needed(11 * GIB) - 1 },
    });
    await expect(checkDisk(input({ probe }))).rejects.toThrow(
      /^not enough disk for this restore test: \/pgdata \(the target server's data \(its data directory\)\) has 12\.3 GiB free, and it needs about 12\.4 GiB: the restored database about 10\.0 GiB/,
    );
    const roomy = disks({
      '/runner/temp': { device: 1, freeBytes: needed(4 * GIB) },
      '/pgdata': { device: 2, freeBytes: needed(11 * GIB) },
    });
    expect((await checkDisk(input({ probe: roomy }))).filesystems.map((fs) => fs.needBytes)).toEqual([
      needed(4 * GIB),
      needed(11 * GIB),
    ]);
  });

  test('download: stream writes no archive: only the server needs room, and stream is not offered as the way out', async () => {
    const probe = disks({ '/pgdata': { device: 1, freeBytes: needed(11 * GIB) - 1 } });
    const refused = checkDisk(input({ download: 'stream', probe }));
    await expect(refused).rejects.toThrow(/needs about 12\.4 GiB: the restored database about 10\.0 GiB/);
    await expect(refused).rejects.not.toThrow(/download: stream/);
    const fits = disks({ '/pgdata': { device: 1, freeBytes: needed(11 * GIB) } });
    expect((await checkDisk(input({ download: 'stream', probe: fits }))).filesystems).toHaveLength(1);
  });

  test('download: stream of a parallel backup keeps only its schema on disk: the download folder counts that, not the parts', async () => {
    const schemaBytes = 20 * MIB;
    const probe = disks({
      '/runner/temp': { device: 1, freeBytes: needed(schemaBytes) - 1 },
      '/pgdata': { device: 2, freeBytes: needed(11 * GIB) },
    });
    await expect(checkDisk(input({ download: 'stream', schemaBytes, probe }))).rejects.toThrow(
      /^not enough disk for this restore test: \/runner\/temp \(the download folder\) has 278 MiB free, and it needs about 278 MiB: the parallel backup's schema 20\.0 MiB, plus 10% and 256 MiB to spare\. Ways out: a runner with a larger disk \(or RUNNER_TEMP on a larger one\); rds-restore-test/,
    );
    const fits = disks({
      '/runner/temp': { device: 1, freeBytes: needed(schemaBytes) },
      '/pgdata': { device: 2, freeBytes: needed(11 * GIB) },
    });
    const check = await checkDisk(input({ download: 'stream', schemaBytes, probe: fits }));
    expect(check.filesystems.map((fs) => fs.needBytes)).toEqual([needed(schemaBytes), needed(11 * GIB)]);
    // With download: file the same backup downloads everything, and stream is offered for all but the schema.
    const onFile = checkDisk(input({ schemaBytes, probe: fits }));
    await expect(onFile).rejects.toThrow(
      /the archive 4\.0 GiB, plus 10% and 256 MiB to spare\. Ways out: .*; download: stream \(no local copy of the archive beyond its schema: 4\.0 GiB less\);/,
    );
  });

  test("a server on another machine: only the download folder is this runner's to check", async () => {
    const probe = disks({ '/runner/temp': { device: 1, freeBytes: needed(4 * GIB) } });
    const check = await checkDisk(input({ server: { remote: 'db.internal is another machine' }, probe }));
    expect(check.server).toBe('db.internal is another machine');
    expect(check.filesystems).toHaveLength(1);
    // With stream and a remote server, nothing is written here at all.
    const nothing = await checkDisk(input({ download: 'stream', server: { remote: 'x' }, probe: disks({}) }));
    expect(nothing.filesystems).toEqual([]);
  });
});

describe('what the preflight estimates from', () => {
  const manifest = (fields: Partial<BackupManifest>) => ({ tables: [], ...fields }) as unknown as BackupManifest;

  test("the source database's size, else the tables' sizes when every table has one, else nothing", () => {
    expect(restoredEstimate(manifest({ databaseSizeBytes: 5 * GIB }))).toBe(5 * GIB);
    const tables = [
      { schema: 'public', name: 'a', rows: 1, sizeBytes: 3 * MIB },
      { schema: 'public', name: 'b', rows: 1, sizeBytes: 2 * MIB },
    ];
    expect(restoredEstimate(manifest({ tables } as unknown as Partial<BackupManifest>))).toBe(5 * MIB);
    expect(restoredEstimate(manifest({ tables: [{ schema: 'public', name: 'a', rows: 1 }] }))).toBeNull();
    expect(restoredEstimate(undefined)).toBeNull();
  });

  test('max_wal_size as SHOW prints it, 1 GiB when it cannot be read', () => {
    expect(walBytesOf({ max_wal_size: '1GB' })).toBe(GIB);
    expect(walBytesOf({ max_wal_size: '512MB' })).toBe(512 * MIB);
    expect(walBytesOf({ max_wal_size: '2TB' })).toBe(2048 * GIB);
    expect(walBytesOf({})).toBe(GIB);
  });
});

describe('where a scratch server keeps its data', () => {
  let here: string;
  beforeAll(async () => {
    here = await mkdtemp(join(tmpdir(), 'server-folder-'));
  });
  afterAll(() => rm(here, { recursive: true, force: true }));

  const target = (host: string) => parseDatabaseUrl(`postgres://u:p@${host}:5432/scratch`, 'target-database-url');
  const settings = { max_wal_size: '2GB' };

  test('on loopback with a data directory this machine has: that folder', async () => {
    expect(await serverFolder(target('127.0.0.1'), { dataDirectory: here }, settings, '/tmp')).toEqual({
      path: here,
      how: 'its data directory',
      walBytes: 2 * GIB,
    });
    expect(
      await serverFolder(target('localhost'), { dataDirectory: '/nowhere', tablespace: here }, settings, '/tmp'),
    ).toMatchObject({ path: here, how: 'its tablespace' });
  });

  test("a service container's folder is not on the runner: Docker's data root, else the download folder's disk", async () => {
    expect(
      await serverFolder(
        target('localhost'),
        { dataDirectory: '/var/lib/postgresql/data-in-a-container' },
        settings,
        '/tmp',
        here,
      ),
    ).toEqual({
      path: here,
      how: "Docker's data root (its folder /var/lib/postgresql/data-in-a-container is not on this machine: taken for a container's)",
      walBytes: 2 * GIB,
    });
    expect(await serverFolder(target('[::1]'), {}, settings, '/runner/temp', join(here, 'no-docker'))).toEqual({
      path: '/runner/temp',
      how: "assumed on the download folder's disk (the role may not read data_directory)",
      walBytes: 2 * GIB,
    });
  });

  test('another host keeps its data on its own disk', async () => {
    expect(await serverFolder(target('db.internal'), { dataDirectory: here }, settings, '/tmp')).toEqual({
      remote: "db.internal is another machine: its disk is not this runner's, and is not checked",
    });
  });
});
