import { expect, test } from '@jest/globals';
import { runBundledAction } from '../../harness/bundled-action.js';
import { createBucket, listKeys } from '../helpers/s3.js';
import { sampleDatabase } from '../helpers/sample-data.js';
import { stackFromEnv } from '../../harness/stack.js';

const source = sampleDatabase('nosummary', 200);

test('without a job summary file (a self-hosted or local run) a stored backup still succeeds, with a warning', async () => {
  const bucket = await createBucket('nosummary');
  const run = await runBundledAction(
    'backup',
    { 'database-url': source.url, bucket, 'endpoint-url': stackFromEnv().awsEndpoint, region: 'us-east-1' },
    { env: { GITHUB_STEP_SUMMARY: '' } },
  );
  expect(run.exitCode).toBe(0);
  expect(run.stdout).toMatch(/^::warning::the job summary was not written: .*GITHUB_STEP_SUMMARY/m);
  expect(run.stdout).not.toContain('::error::');
  expect(await listKeys(bucket)).toEqual([run.outputs.key, run.outputs['globals-key'], run.outputs['manifest-key']]);
});
