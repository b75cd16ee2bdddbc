import { maskCommand } from '../helpers/workflow-commands.js';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { backupKey, manifestKeyFor } from '../../src/storage/keys.js';
import { awsCli } from '../../harness/aws-cli.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { createBucket, listKeys, testS3Client } from '../helpers/s3.js';
import { sampleDatabase } from '../helpers/sample-data.js';
import { stackFromEnv } from '../../harness/stack.js';

const source = sampleDatabase('e2e', 2_000);

const run = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runBundledAction(
    'backup',
    { 'endpoint-url': stackFromEnv().awsEndpoint, region: 'us-east-1', ...inputs },
    { env: { GITHUB_REPOSITORY: 'acme/saas', GITHUB_RUN_ID: '7', ...env } },
  );

/** Every line but the runner's own mask command must be free of the password. */
function expectPasswordHidden(text: string) {
  const password = stackFromEnv().postgres.password;
  const leaks = text.split('\n').filter((line) => line.includes(password) && !line.startsWith('::add-mask::'));
  expect(leaks).toEqual([]);
  expect(text).toContain(maskCommand(password));
}

test('node24 dist/index.js, as the runner calls it: backs up, sets every output, writes the summary', async () => {
  const bucket = await createBucket('e2e');
  const result = await run({ 'database-url': source.url, bucket });
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);

  const { outputs } = result;
  expect(outputs.key).toMatch(/^database\/backup_\d{8}_\d{6}\.dump$/);
  expect(outputs['manifest-key']).toBe(`${outputs.key}.manifest.json`);
  expect(outputs['globals-key']).toBe(`${outputs.key}.globals.sql`);
  expect(await listKeys(bucket)).toEqual([outputs.key, outputs['globals-key'], outputs['manifest-key']]);
  const manifest = JSON.parse(await awsCli(['s3', 'cp', `s3://${bucket}/${outputs['manifest-key']}`, '-']));
  expect(outputs.sha256).toBe(manifest.sha256);
  expect(Number(outputs['size-bytes'])).toBe(manifest.sizeBytes);
  expect(Number(outputs.tables)).toBe(manifest.tables.length);
  expect(Number(outputs.tables)).toBe(5);
  expect(Number(outputs['duration-seconds'])).toBeGreaterThan(0);
  expect(outputs['pruned-count']).toBe('0');
  expect(manifest.globals).toMatchObject({ status: 'stored', key: outputs['globals-key'] });
  expect(manifest.run).toMatchObject({
    repository: 'acme/saas',
    runId: '7',
    url: 'https://github.com/acme/saas/actions/runs/7',
  });

  expect(result.summary).toContain(`## ✅ Backup of \`${source.name}\``);
  expect(result.summary).toContain(`| SHA-256 | \`${manifest.sha256}\` |`);
  expect(result.summary).toContain('### Retention (daily 30 d, weekly 90 d, monthly 365 d; min-keep 7)');
  expectPasswordHidden(result.stdout + result.summary);
});

test('bad input fails the step with one clear message before touching S3', async () => {
  const bucket = await createBucket('e2e');
  const result = await run({ 'database-url': source.url, bucket, format: 'directory' });
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain("::error::format must be one of custom, plain, got 'directory'");
  expect(result.outputs).toEqual({});
  expect(await listKeys(bucket)).toEqual([]);
});

test('retention through the action: a dry run reports, a real run deletes, and the summary says why', async () => {
  const bucket = await createBucket('e2e');
  const client = testS3Client();
  const oldKey = backupKey('database/', new Date('2024-03-01T02:00:00Z'), 'custom');
  const oldManifest = JSON.parse(
    JSON.stringify({
      version: 1,
      tool: { name: 'dr-actions', version: '0.1.0' },
      bucket,
      key: oldKey,
      database: source.name,
      server: { version: '15.18', versionNum: 150018 },
      pgDump: { version: '15.18' },
      format: 'custom',
      compression: 'gzip:1',
      startedAt: '2024-03-01T02:00:00.000Z',
      finishedAt: '2024-03-01T02:01:00.000Z',
      snapshotAt: '2024-03-01T02:00:00.100Z',
      sizeBytes: 3,
      sha256: 'a'.repeat(64),
      databaseSizeBytes: 10,
      rowCounts: 'exact',
      tables: [],
      pgDumpArgs: [],
      run: {},
    }),
  );
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: oldKey, Body: 'old' }));
  await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: manifestKeyFor(oldKey), Body: JSON.stringify(oldManifest) }),
  );

  // Keys have one-second resolution and an existing key is never overwritten, so the two runs'
  // clocks start a minute apart: two runs in one second is the race test's subject, not this one's.
  const startedAt = Date.now();
  const clockAt = (ms: number) => ({ DR_ACTIONS_CLOCK_START: new Date(ms).toISOString() });
  const dry = await run(
    { 'database-url': source.url, bucket, 'min-keep': '1', 'prune-dry-run': 'true' },
    clockAt(startedAt),
  );
  expect(dry.exitCode).toBe(0);
  expect(dry.outputs['pruned-count']).toBe('0');
  expect(dry.summary).toContain('2 complete backups: 1 kept, 1 would delete (dry run).');
  expect(await listKeys(bucket)).toContain(oldKey);

  const real = await run({ 'database-url': source.url, bucket, 'min-keep': '1' }, clockAt(startedAt + 60_000));
  expect(real.exitCode).toBe(0);
  expect(real.outputs['pruned-count']).toBe('1');
  expect(real.summary).toMatch(
    new RegExp(`\\| \`${oldKey}\` \\| 2024-03-01T02:01:00.000Z \\| deleted \\| \\d+ d old, beyond every window \\|`),
  );
  expect(await listKeys(bucket)).not.toContain(oldKey);
  expect(await listKeys(bucket)).not.toContain(manifestKeyFor(oldKey));
});

test("a failed dump fails the step with pg_dump's error, masked, and stores nothing", async () => {
  const bucket = await createBucket('e2e');
  const url = new URL(source.url);
  url.pathname = '/missing_db';
  const result = await run({ 'database-url': url.toString(), bucket });
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toMatch(/::error::.*database "missing_db" does not exist/);
  expectPasswordHidden(result.stdout);
  expect(await listKeys(bucket)).toEqual([]);
});
