import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { manifestKeyFor } from '../../src/storage/keys.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { createDatabase, databaseExists, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, testS3Client } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { stackFromEnv } from '../../harness/stack.js';
import { scratchName } from './fixtures.js';

let source: { name: string; url: string };

beforeAll(async () => {
  source = await createDatabase('rv_incomplete');
  await loadSampleData(source.url, 200);
});

afterAll(() => dropDatabase(source.name));

const endpoint = () => stackFromEnv().awsEndpoint;
const backup = (bucket: string, clockStart?: string) =>
  runBundledAction(
    'backup',
    { 'database-url': source.url, bucket, 'endpoint-url': endpoint(), retention: 'off' },
    { env: clockStart ? { DR_ACTIONS_CLOCK_START: clockStart } : {} },
  );
const restoreVerify = (inputs: Record<string, string>) =>
  runBundledAction('restore-verify', {
    'endpoint-url': endpoint(),
    'target-database-url': stackFromEnv().postgresUrl(scratchName()),
    jobs: '2',
    ...inputs,
  });

test('an upload of ours without its manifest is an incomplete backup: refused by key and never chosen otherwise', async () => {
  const bucket = await createBucket('incomplete');
  const made = await backup(bucket);
  expect(made.exitCode).toBe(0);
  const key = made.outputs.key as string;
  await testS3Client().send(new DeleteObjectCommand({ Bucket: bucket, Key: manifestKeyFor(key) }));

  const byKey = await restoreVerify({ bucket, backup: key });
  expect(byKey.exitCode).toBe(1);
  expect(byKey.stdout).toContain(
    `::error::restore test failed: select: s3://${bucket}/${key} is an incomplete backup: dr-actions wrote it but never its manifest, which is written last, once the dump succeeded and S3 held all of it; it may hold a partial dump and is never restored. Choose another backup`,
  );
  expect(byKey.outputs.passed).not.toBe('true');

  for (const selector of ['latest', 'random']) {
    const run = await restoreVerify({ bucket, backup: selector });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      `(1 backup objects there have no valid manifest, e.g. ${key}: an incomplete backup of dr-actions, never restored)`,
    );
  }
});

test('a custom-format restore that fails inside pg_restore (a role that does not exist) fails the run and drops the scratch database', async () => {
  const role = `ghost_${randomBytes(4).toString('hex')}`;
  await sql(
    source.url,
    `CREATE ROLE ${role}; ALTER TABLE users ENABLE ROW LEVEL SECURITY; CREATE POLICY ghost_reads ON users TO ${role} USING (true);`,
  );
  const bucket = await createBucket('ghost');
  const made = await backup(bucket);
  expect(made.exitCode).toBe(0);
  await sql(
    source.url,
    `DROP POLICY ghost_reads ON users; ALTER TABLE users DISABLE ROW LEVEL SECURITY; DROP ROLE ${role};`,
  );

  const target = scratchName();
  const run = await restoreVerify({
    bucket,
    backup: made.outputs.key as string,
    'target-database-url': stackFromEnv().postgresUrl(target),
  });
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toMatch(
    new RegExp(
      `::error::restore test failed: restore: pg_restore exited with code 1: pg_restore: error: could not execute query: ERROR: {2}role .${role}. does not exist`,
    ),
  );
  expect(await databaseExists(target)).toBe(false);
});
