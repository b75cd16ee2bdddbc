import { afterEach, expect, test } from '@jest/globals';
import { parseBackupInputs } from '../../src/backup/inputs.js';
import { runBackup } from '../../src/backup/run-backup.js';
import type { S3Timeouts } from '../../src/aws/settings.js';
import { silentLogger } from '../../src/util/logger.js';
import { createBucket, listKeys } from '../helpers/s3.js';
import { sampleDatabase } from '../helpers/sample-data.js';
import { COPY_REGION, createRegionalBucket } from '../../harness/second-region.js';
import { s3WithSilentBucket, silentS3, type LocalServer } from '../helpers/unresponsive-s3.js';
import { stackFromEnv } from '../../harness/stack.js';

/**
 * S3 that accepts connections and never answers fails a backup in bounded time (jest's timeout is
 * the bound) with a message that says so, instead of holding the job for hours. Short limits are
 * injected through the AWS settings, as the defaults (10 s, 60 s) would make the tests slow.
 */

const source = sampleDatabase('silent_s3', 200);
const servers: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function backup(endpoint: string, timeouts: S3Timeouts, inputs: Record<string, string>) {
  const all: Record<string, string> = {
    'endpoint-url': endpoint,
    region: 'us-east-1',
    prefix: 'database/',
    'database-url': source.url,
    ...inputs,
  };
  const settings = parseBackupInputs((name) => all[name] ?? '', {});
  return runBackup({
    ...settings,
    aws: { ...settings.aws, s3Timeouts: timeouts },
    run: { repository: 'acme/saas', runId: '77' },
    log: silentLogger,
  });
}

test('a backup whose S3 never answers fails saying so, after the SDK attempts, before pg_dump starts', async () => {
  const s3 = await silentS3();
  servers.push(s3);

  const run = backup(s3.url, { connectMs: 1_000, idleMs: 300 }, { bucket: 'backups' });

  const where = s3.url.replace(/[.]/g, '\\.');
  await expect(run).rejects.toThrow(
    new RegExp(
      `^could not reach bucket backups: S3 at ${where} \\(us-east-1\\) did not answer ListObjectsV2 s3://backups/database/backup_\\d{8}_\\d{6}\\.dump for 0\\.3 s; gave up after 6 attempts$`,
    ),
  );
  // Every attempt asked whether the backup's key is free, the run's first S3 request: nothing was
  // dumped (pg_dump starts after it) and no upload was begun.
  expect(s3.requests).toHaveLength(6);
  for (const line of s3.requests)
    expect(line).toMatch(/^GET \/backups\/?\?list-type=2&.*prefix=database%2Fbackup_\d{8}_\d{6}\.dump.* HTTP\/1\.1$/);
});

test.each([
  [
    'auto',
    'its Object Lock configuration, read after the backup is published',
    /could not read the Object Lock configuration of copy-\w+: S3 at .+ \(us-west-2\) did not answer GetObjectLockConfiguration s3:\/\/copy-\w+\/ for 2 s; gave up after 6 attempts/,
  ],
  [
    'off',
    'the copy, after the backup is published',
    /S3 at .+ \(us-west-2\) did not answer ListObjectsV2 s3:\/\/copy-\w+\/database\/backup_\d{8}_\d{6}\.dump for 2 s; gave up after 6 attempts/,
  ],
])(
  'a copy region that never answers (lock-mode %s: first asked for %s) is a failed copy beside the published backup',
  async (lockMode, _first, message) => {
    const bucket = await createBucket('primary');
    const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'copy' });
    const s3 = await s3WithSilentBucket(stackFromEnv().awsEndpoint, copyBucket);
    servers.push(s3);

    // 2 s of silence: the primary's requests pass through the proxy to moto, which must not trip it.
    const result = await backup(
      s3.url,
      { connectMs: 2_000, idleMs: 2_000 },
      { bucket, 'copy-bucket': copyBucket, 'copy-region': COPY_REGION, 'lock-mode': lockMode },
    );

    expect(await listKeys(bucket)).toEqual([result.key, `${result.key}.globals.sql`, result.manifestKey].sort());
    expect(result.copy).toMatchObject({ status: 'failed', bucket: copyBucket, region: COPY_REGION });
    expect(result.copy?.error).toMatch(message);
    expect(s3.held.length).toBeGreaterThanOrEqual(6);
    expect(await listKeys(copyBucket)).toEqual([]);
  },
);
