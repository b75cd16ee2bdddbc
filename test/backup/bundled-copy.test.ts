import { awsCli } from '../../harness/aws-cli.js';

import { createBucket, listKeys } from '../helpers/s3.js';
import { sampleDatabase } from '../helpers/sample-data.js';
import { COPY_REGION, createRegionalBucket, denyPuts } from '../../harness/second-region.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { stackFromEnv } from '../../harness/stack.js';

const source = sampleDatabase('e2ecopy', 500);

const run = (inputs: Record<string, string>) =>
  runBundledAction(
    'backup',
    { 'endpoint-url': stackFromEnv().awsEndpoint, region: 'us-east-1', 'database-url': source.url, ...inputs },
    { env: { GITHUB_REPOSITORY: 'acme/saas', GITHUB_RUN_ID: '16' } },
  );

test('node24 dist/index.js with copy-bucket: the backup and its checked copy in us-west-2, copy-key and copy-status set, the summary says where', async () => {
  const bucket = await createBucket('e2e');
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'e2ecopy', objectLock: true });
  const result = await run({ bucket, 'copy-bucket': copyBucket, 'copy-region': COPY_REGION });
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  expect(result.outputs['copy-status']).toBe('copied');
  expect(result.outputs['copy-key']).toBe(result.outputs.key);
  expect(await listKeys(copyBucket)).toEqual([
    result.outputs.key,
    `${result.outputs.key}.globals.sql`,
    result.outputs['manifest-key'],
  ]);
  // The plan's manual procedure reads the copy with the aws CLI in the secondary region.
  const manifest = JSON.parse(
    await awsCli(['s3', 'cp', `s3://${copyBucket}/${result.outputs['manifest-key']}`, '-', '--region', COPY_REGION]),
  );
  expect(manifest.sha256).toBe(result.outputs.sha256);
  expect(result.summary).toContain(`## ✅ Copy in ${COPY_REGION}`);
  expect(result.summary).toMatch(/The copy is locked \(COMPLIANCE\) until \d{4}-/);
});

test('node24 dist/index.js: a copy that fails half way fails the step after the backup is kept, and says so', async () => {
  const bucket = await createBucket('e2e');
  const copyBucket = await createRegionalBucket(COPY_REGION, { prefix: 'e2ecopy' });
  await denyPuts(copyBucket, '.manifest.json');
  const result = await run({ bucket, 'copy-bucket': copyBucket, 'copy-region': COPY_REGION });
  expect(result.exitCode).toBe(1);
  expect(result.outputs['copy-status']).toBe('failed');
  expect(result.outputs['copy-key']).toBe('');
  expect(await listKeys(bucket)).toEqual([
    result.outputs.key,
    `${result.outputs.key}.globals.sql`,
    result.outputs['manifest-key'],
  ]);
  expect(result.stdout).toContain(
    `::error::the backup was stored (${result.outputs.key}), but its copy to s3://${copyBucket} (${COPY_REGION}) failed: the object was copied`,
  );
  expect(result.summary).toContain(`## ❌ Copy to ${COPY_REGION} failed`);
});
