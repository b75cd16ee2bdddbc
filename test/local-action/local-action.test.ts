import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { createTopology } from '../../harness/aws-topology.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import { createDatabase, dropDatabase } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { stackFromEnv } from '../../harness/stack.js';

/**
 * GitHub's own local runner for JavaScript actions, @github/local-action, drives each action
 * through the run() its src/actions/<name>.ts exports, with inputs from an .env file, its own
 * @actions/core in place of the real one. What the action sets is read back from its log.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOCAL_ACTION = join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js');

let dir: string;
let source: { name: string; url: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dr-local-action-'));
  source = await createDatabase('localaction');
  await loadSampleData(source.url, 300);
});

afterAll(async () => {
  await dropDatabase(source.name);
  await rm(dir, { recursive: true, force: true });
});

async function localAction(
  name: string,
  inputs: Record<string, string>,
): Promise<{ outputs: Record<string, string>; errors: string[]; log: string }> {
  const envFile = join(dir, `${name}.env`);
  const summary = join(dir, `${name}-summary.md`);
  await writeFile(summary, '');
  const lines = Object.entries({ ...inputs }).map(
    ([key, value]) => `INPUT_${key.toUpperCase()}=${JSON.stringify(value)}`,
  );
  lines.push(
    `GITHUB_STEP_SUMMARY=${summary}`,
    `GITHUB_WORKSPACE=${dir}`,
    'GITHUB_REPOSITORY=acme/saas',
    'GITHUB_RUN_ID=4242',
  );
  await writeFile(envFile, `${lines.join('\n')}\n`);
  const run = await execa(
    process.env.npm_node_execpath ?? 'node',
    [LOCAL_ACTION, 'run', join(ROOT, 'actions', name), join(ROOT, 'src', 'actions', `${name}.ts`), envFile],
    {
      cwd: ROOT,
      env: { NODE_PACKAGE_MANAGER: 'npm', NO_COLOR: '1', FORCE_COLOR: '0', ...MOTO_CREDENTIALS },
      all: true,
      reject: false,
      timeout: 240_000,
    },
  );
  const log = run.all ?? '';
  const outputs = Object.fromEntries(
    [...log.matchAll(/^::set-output name=([^:]+)::(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]),
  );
  const errors = [...log.matchAll(/^::error::(.*)$/gm)].map((m) => m[1] as string);
  return { outputs, errors, log };
}

test('backup, restore-verify, failover (plan), dr-audit and drill-report each run under @github/local-action and set their outputs', async () => {
  const stack = stackFromEnv();
  const aws = { 'endpoint-url': stack.awsEndpoint, region: 'us-east-1' };
  const bucket = await createBucket('localaction');

  const backup = await localAction('backup', { 'database-url': source.url, bucket, ...aws });
  expect(backup.errors).toEqual([]);
  expect(backup.outputs.key).toMatch(/^database\/backup_\d{8}_\d{6}\.dump$/);
  expect(backup.outputs.tables).toBe('5');

  const reports = join(dir, 'reports');
  const restore = await localAction('restore-verify', {
    bucket,
    ...aws,
    'target-database-url': stack.postgresUrl(`localaction_scratch_${process.pid}`),
    'source-database-url': source.url,
    'rpo-seconds': '86400',
    'report-path': join(reports, 'restore-verify-report.json'),
  });
  expect(restore.errors).toEqual([]);
  expect(restore.outputs).toMatchObject({ passed: 'true', 'backup-key': backup.outputs.key });

  const topology = await createTopology();
  const failover = await localAction('failover', {
    'replica-id': topology.replicaId,
    region: 'us-west-2',
    'hosted-zone-id': topology.zoneId,
    'record-name': topology.recordName,
    'endpoint-url': stack.awsEndpoint,
    'report-path': join(reports, 'failover-report.json'),
  });
  expect(failover.errors).toEqual([]);
  expect(failover.outputs).toMatchObject({
    mode: 'plan',
    promoted: 'false',
    'previous-record-value': topology.primaryAddress,
  });

  const audit = await localAction('dr-audit', {
    'primary-region': 'us-east-1',
    'secondary-region': 'us-west-2',
    skip: 'database: checked by the audit tests\nmedia: none here\nbackup: checked by the audit tests\ndns: checked by the audit tests\ncache: none here',
    'endpoint-url': stack.awsEndpoint,
    'report-path': join(dir, 'dr-audit-report.json'),
  });
  expect(audit.errors).toEqual([]);
  expect(audit.outputs).toMatchObject({ passed: 'true', 'failed-count': '0' });

  const report = await localAction('drill-report', {
    reports: 'reports/*.json',
    'history-dir': 'drills',
    'open-pr': 'false',
  });
  expect(report.errors).toEqual([]);
  expect(report.outputs['report-path']).toMatch(/^drills\/\d{4}-\d{2}-\d{2}-4242\.md$/);
  expect(await readFile(join(dir, report.outputs['report-path'] as string), 'utf8')).toContain(
    'Restore database from backup',
  );
});

test("a bad input is the action's own error under @github/local-action too (so the outputs above come from real runs)", async () => {
  const run = await localAction('backup', { 'database-url': 'mysql://nope', bucket: 'saas-backups' });
  expect(run.errors).toEqual([
    'database-url must start with postgres:// or postgresql://, e.g. postgres://user:password@host:5432/database',
  ]);
  expect(run.outputs).toEqual({});
});
