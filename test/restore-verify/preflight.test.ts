import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigurationError } from '../../src/errors.js';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { checkFreeSpace } from '../../src/storage/backup-download.js';
import { findRestoreClient, pgRestoreArgs, restoreSessionOptions } from '../../src/postgres/restore-process.js';
import { hostIdentity, sameDatabaseByName, sameDatabaseResolved } from '../../src/restore/same-database.js';
import { readCatalog } from '../../src/storage/backup-selection.js';
import { BackupStore } from '../../src/storage/backup-store.js';
import { newestClientMajor, pathClient } from '../helpers/clients.js';
import { manifestFor, PREFIX } from './fixtures.js';

const url = (text: string) => parseDatabaseUrl(text, 'u');

describe('the same database, however it is spelled', () => {
  test.each([
    ['localhost', 'loopback'],
    ['LOCALHOST.', 'loopback'],
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['/var/run/postgresql', 'loopback'],
    ['DB.Internal', 'db.internal'],
    ['10.0.0.5', '10.0.0.5'],
  ])('%s is %s', (host, identity) => {
    expect(hostIdentity(host)).toBe(identity);
  });

  test('host, port and database must all match', () => {
    const prod = url('postgres://a@localhost:5432/app');
    expect(sameDatabaseByName(prod, url('postgres://b:x@127.0.0.1/app'))).toBe(true);
    expect(sameDatabaseByName(prod, url('postgres://a@127.0.0.1:5433/app'))).toBe(false);
    expect(sameDatabaseByName(prod, url('postgres://a@127.0.0.1:5432/app_restore'))).toBe(false);
    expect(sameDatabaseByName(prod, url('postgres://a@10.0.0.5:5432/app'))).toBe(false);
  });

  test('a name that does not resolve is compared as written', async () => {
    const a = url('postgres://a@no-such-host.invalid:5432/app');
    expect(await sameDatabaseResolved(a, url('postgres://a@127.0.0.1:5432/app'))).toBe(false);
    expect(await sameDatabaseResolved(a, url('postgres://a@NO-SUCH-HOST.invalid:5432/app'))).toBe(true);
  });
});

describe('the restore client', () => {
  test('the client for the target server and the dump', async () => {
    const local = await pathClient('pg_restore');
    const manifest = {
      ...manifestFor(`${PREFIX}backup_20260301_020000.dump`, { finishedAt: new Date() }),
      pgDump: { version: local.version },
    };
    const client = await findRestoreClient('custom', manifest.pgDump.version, {
      serverMajor: local.major,
      serverVersion: `${local.major}.0`,
    });
    expect(client).toMatchObject({ tool: 'pg_restore', major: local.major });
    expect((await findRestoreClient('plain', undefined, { serverMajor: 12, serverVersion: '12.1' })).tool).toBe('psql');
  });

  test("a dump newer than every installed client is refused, naming pg_dump's version", async () => {
    const manifest = {
      ...manifestFor(`${PREFIX}backup_20260301_020000.dump`, { finishedAt: new Date() }),
      pgDump: { version: '99.1' },
    };
    const newest = await newestClientMajor('pg_restore');
    const error = await findRestoreClient('custom', manifest.pgDump.version, {
      serverMajor: newest,
      serverVersion: `${newest}.0`,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^the backup was made by pg_dump 99\\.1, so restoring it needs pg_restore 99 or newer\\. pg_restore ${newest}\\.\\d+ \\(.*\\) cannot work with the PostgreSQL 99 server`,
      ),
    );
  });

  test('pg_restore arguments and session settings', () => {
    expect(pgRestoreArgs(4, '/tmp/b.dump')).toEqual([
      '--jobs=4',
      '--exit-on-error',
      '--no-owner',
      '--no-privileges',
      '/tmp/b.dump',
    ]);
    expect(restoreSessionOptions(1)).toBe(
      '-c synchronous_commit=off -c maintenance_work_mem=1024MB -c client_min_messages=warning',
    );
    expect(restoreSessionOptions(4)).toBe(
      '-c synchronous_commit=off -c maintenance_work_mem=512MB -c client_min_messages=warning',
    );
    expect(restoreSessionOptions(64)).toBe(
      '-c synchronous_commit=off -c maintenance_work_mem=64MB -c client_min_messages=warning',
    );
  });
});

describe('room for the download', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dr-space-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('a backup larger than the free disk is refused before the download', async () => {
    await expect(checkFreeSpace(join(dir, 'b.dump'), 1024)).resolves.toBeUndefined();
    await expect(checkFreeSpace(join(dir, 'b.dump'), 2 ** 60)).rejects.toThrow(
      new RegExp(
        `^${dir} has [\\d.]+ \\w+ free; the backup needs 1048576 TiB plus 256 MiB to spare\\. Free some space or point RUNNER_TEMP at a larger disk$`,
      ),
    );
  });
});

describe('listing failures moto cannot produce (aws-sdk-client-mock)', () => {
  test('access denied names the permissions the role needs', async () => {
    const client = new S3Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(ListObjectsV2Command).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'Access Denied',
      }),
    );
    await expect(readCatalog(new BackupStore(client, 'saas-backups', PREFIX))).rejects.toThrow(
      new ConfigurationError(
        `reading s3://saas-backups/${PREFIX} was denied: the job's role needs s3:ListBucket on the bucket and s3:GetObject on its objects`,
      ),
    );
    mock.restore();
  });

  test('a server error says where it was reading', async () => {
    const client = new S3Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(ListObjectsV2Command).rejects(
      new S3ServiceException({
        name: 'InternalError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'We encountered an internal error',
      }),
    );
    await expect(readCatalog(new BackupStore(client, 'saas-backups', PREFIX))).rejects.toThrow(
      `could not read the backups under s3://saas-backups/${PREFIX}: We encountered an internal error`,
    );
    mock.restore();
  });
});
