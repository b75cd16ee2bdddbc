/**
 * A restore-verify run killed before its drop (SIGKILL, a runner that vanished) leaves its scratch
 * database behind. The next run on the same target must not be blocked by it: holding the claim on
 * the name (so no run is using it), it drops what the killed run marked as its own, and only that,
 * and only once no session is still in it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import type { RestoreVerifyReport } from '../../src/restore/restore-report.js';
import { killBundledActionWhen, runBundledAction } from '../../harness/bundled-action.js';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';
import { createDatabase, databaseExists, dropDatabase, sql } from '../helpers/postgres.js';
import { holdingCommand, holdingCommandStarted, stopHoldingCommand } from '../helpers/holding-command.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { makeBackup, scratchName } from './fixtures.js';

let source: { name: string; url: string };
let bucket: string;
let dir: string;

beforeAll(async () => {
  source = await createDatabase('rv_killed');
  await loadSampleData(source.url, 200);
  bucket = await createBucket('killed');
  await makeBackup(source.url, bucket);
  dir = await mkdtemp(join(tmpdir(), 'dr-rv-killed-'));
}, 120_000);

afterAll(async () => {
  await dropDatabase(source.name);
  await rm(dir, { recursive: true, force: true });
});

const inputs = (target: string, extra: Record<string, string> = {}) => ({
  bucket,
  'endpoint-url': stackFromEnv().awsEndpoint,
  'target-database-url': stackFromEnv().postgresUrl(target),
  jobs: '2',
  ...extra,
});

/** The bundled action as the runner starts it, killed with SIGKILL once its smoke command runs (the restore is done, the drop not). */
async function killedDuringSmoke(target: string): Promise<void> {
  const started = join(dir, `${target}.smoke-pid`);
  await killBundledActionWhen('restore-verify', inputs(target, { 'smoke-command': holdingCommand(started) }), {
    what: 'the smoke command of the run to be killed started',
    holds: () => holdingCommandStarted(started),
  });
  await stopHoldingCommand(started);
}

test('a run killed before its drop leaves its scratch database; the next run on the target drops and recreates it, passes, and drops it', async () => {
  const target = scratchName();
  await killedDuringSmoke(target);
  expect(await databaseExists(target)).toBe(true);
  expect(Number(await sql(stackFromEnv().postgresUrl(target), 'SELECT count(*) FROM users'))).toBe(200);

  // A session still in it (as a killed run's pg_restore may be): the leftover is not dropped under it.
  const session = execa('psql', ['-X', '-d', stackFromEnv().postgresUrl(target), '-c', 'SELECT pg_sleep(600)'], {
    env: { PGAPPNAME: 'still writing' },
    reject: false,
  });
  const sleeping = `SELECT count(*) FROM pg_stat_activity WHERE datname = '${target}' AND application_name = 'still writing' AND wait_event = 'PgSleep'`;
  await waitUntil(
    'a session in the leftover database',
    async () => Number(await sql(stackFromEnv().postgresUrl('postgres'), sleeping)) === 1,
  );
  const blocked = await runBundledAction('restore-verify', inputs(target));
  // A backend in pg_sleep does not notice its client leave: it is ended on the server, as the message says.
  await sql(
    stackFromEnv().postgresUrl('postgres'),
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${target}'`,
  );
  await session;
  await waitUntil(
    'no session left in the leftover database',
    async () => Number(await sql(stackFromEnv().postgresUrl('postgres'), sleeping)) === 0,
  );
  expect(blocked.exitCode).toBe(1);
  expect(blocked.stdout).toContain(
    'was left by an earlier run that did not finish (a run outside GitHub Actions, created ',
  );
  expect(blocked.stdout).toContain('but 1 session is still connected to it');
  expect(Number(await sql(stackFromEnv().postgresUrl(target), 'SELECT count(*) FROM users'))).toBe(200);

  const reportPath = join(dir, 'next.json');
  const next = await runBundledAction('restore-verify', inputs(target, { 'report-path': reportPath }));
  expect({ exitCode: next.exitCode, stderr: next.stderr }).toEqual({ exitCode: 0, stderr: '' });
  expect(next.outputs.passed).toBe('true');
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as RestoreVerifyReport;
  const create = report.steps.find((step) => step.name === 'create database');
  expect(create?.detail).toMatch(
    new RegExp(
      `^dropped .*/${target}, left by an earlier run that did not finish \\(a run outside GitHub Actions, created \\S+Z\\), and recreated it$`,
    ),
  );
  expect(report.details.target).toMatchObject({ existed: true, created: true, dropped: true });
  expect(await databaseExists(target)).toBe(false);
}, 300_000);

test('a database kept on purpose (keep-database: true) is never taken for a leftover: the next run refuses it and it stays', async () => {
  const target = scratchName();
  const kept = await runBundledAction('restore-verify', inputs(target, { 'keep-database': 'true' }));
  expect(kept.exitCode).toBe(0);

  const next = await runBundledAction('restore-verify', inputs(target));
  expect(next.exitCode).toBe(1);
  expect(next.stdout).toContain(`already exists and holds`);
  expect(Number(await sql(stackFromEnv().postgresUrl(target), 'SELECT count(*) FROM users'))).toBe(200);
  await dropDatabase(target);
}, 300_000);
