import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from '@jest/globals';
import { createS3Client } from '../../src/aws/clients.js';
import { downloadToFile } from '../../src/storage/backup-download.js';
import { BackupStore } from '../../src/storage/backup-store.js';
import { silentLogger } from '../../src/util/logger.js';
import { stallingS3, type LocalServer } from '../helpers/unresponsive-s3.js';

/**
 * S3 that sends a backup's headers and half its bytes, then nothing: the download fails with a
 * message that says so once the injected idle limit passes (jest's timeout is the bound), and the
 * half it received is not left where it could pass for the backup.
 */

let server: LocalServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a download from S3 that stops sending part way rejects saying so, and removes what it wrote', async () => {
  server = await stallingS3(64 * 1024);
  dir = await mkdtemp(join(tmpdir(), 'stalled-download-'));
  const client = createS3Client({
    region: 'eu-west-1',
    endpointUrl: server.url,
    s3Timeouts: { connectMs: 1_000, idleMs: 300 },
  });
  const store = new BackupStore(client, 'backups', 'database/');
  const path = join(dir, 'backup_20260101_000000.dump');

  const download = downloadToFile(store, 'database/backup_20260101_000000.dump', path, {
    log: silentLogger,
    now: () => new Date(),
    storageChecksum: false,
  });

  const where = server.url.replace(/[.]/g, '\\.');
  await expect(download).rejects.toThrow(
    new RegExp(
      `^S3 at ${where} \\(eu-west-1\\) stopped sending GetObject s3://backups/database/backup_20260101_000000\\.dump for 0\\.3 s, part way through the response$`,
    ),
  );
  expect(await readdir(dir)).toEqual([]);
});

test('a download does not remove a file it did not create', async () => {
  server = await stallingS3(1024);
  dir = await mkdtemp(join(tmpdir(), 'stalled-download-'));
  const client = createS3Client({
    region: 'eu-west-1',
    endpointUrl: server.url,
    s3Timeouts: { connectMs: 1_000, idleMs: 300 },
  });
  const path = join(dir, 'existing.dump');
  await writeFile(path, 'someone else');

  await expect(
    downloadToFile(new BackupStore(client, 'backups', ''), 'existing.dump', path, {
      log: silentLogger,
      now: () => new Date(),
      storageChecksum: false,
    }),
  ).rejects.toThrow(/EEXIST/);
  expect(await readdir(dir)).toEqual(['existing.dump']);
});
