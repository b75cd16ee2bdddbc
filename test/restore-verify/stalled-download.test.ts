import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from '@jest/globals';
import { createS3Client } from '../../src/aws/clients.js';
import { downloadToFile } from '../../src/storage/backup-download.js';
import { restoreCustomFromStream } from '../../src/postgres/restore-stream.js';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { readBackupObject } from '../../src/storage/streamed-restore-source.js';
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

test('download: stream from S3 that stops sending part way fails saying so, and stops the restore that was reading it', async () => {
  server = await stallingS3(64 * 1024);
  dir = await mkdtemp(join(tmpdir(), 'stalled-stream-'));
  // Stands in for pg_restore: reads its stdin to the end, and would exit 0 if it ever got there.
  const tool = join(dir, 'pg_restore');
  await writeFile(tool, `#!/bin/sh\ncat > /dev/null\n`);
  await chmod(tool, 0o755);
  const client = createS3Client({
    region: 'eu-west-1',
    endpointUrl: server.url,
    s3Timeouts: { connectMs: 1_000, idleMs: 300 },
  });
  const target = parseDatabaseUrl('postgres://u:p@127.0.0.1:1/scratch', 'target-database-url');
  let restoreEnded = false;
  const restore = (bytes: AsyncIterable<Buffer>) =>
    restoreCustomFromStream({ tool: 'pg_restore', path: tool, version: '17.0', major: 17 }, target, bytes).finally(
      () => (restoreEnded = true),
    );

  const read = readBackupObject(new BackupStore(client, 'backups', ''), 'backup_20260101_000000.dump', restore, {
    log: silentLogger,
    now: () => new Date(),
    storageChecksum: false,
  });

  await expect(read).rejects.toThrow(
    /stopped sending GetObject s3:\/\/backups\/backup_20260101_000000\.dump for 0\.3 s/,
  );
  // The restore was stopped, not left waiting for bytes that will not come.
  expect(restoreEnded).toBe(true);
});
