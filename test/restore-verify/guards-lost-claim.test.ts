/**
 * restore-verify whose claim on its target ends while it runs (its session terminated, as a server
 * restart, a failover or a network stall of over a minute ends it): another run may be using the
 * database then, so this one does not drop it; the next run on the target finds it left and replaces it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';
import { releaseWaitingCommand, terminateClaimSession, waitingCommand } from '../helpers/claim-session.js';
import { holdingCommandStarted } from '../helpers/holding-command.js';
import { createDatabase, databaseExists, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { makeBackup, restoreVerify, scratchName, stepOf } from './fixtures.js';

let dir: string;
let source: { name: string; url: string };
let bucket: string;
const target = scratchName();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dr-restore-lost-claim-'));
  source = await createDatabase('rv_lost_claim');
  await loadSampleData(source.url, 200);
  bucket = await createBucket('lost-claim');
  await makeBackup(source.url, bucket);
});

afterAll(async () => {
  await dropDatabase(target);
  await dropDatabase(source.name);
  await rm(dir, { recursive: true, force: true });
});

test('the claim ends during the smoke command: the scratch database is not dropped, and the next run replaces it', async () => {
  const url = stackFromEnv().postgresUrl(target);
  const started = join(dir, 'smoke');
  const running = restoreVerify({ bucket, 'target-database-url': url, 'smoke-command': await waitingCommand(started) });
  await waitUntil('the smoke command started', () => holdingCommandStarted(started), { timeoutMs: 120_000 });
  expect(await terminateClaimSession(target)).toBe(1);
  await releaseWaitingCommand(started);
  const result = await running;

  expect(stepOf(result, 'smoke').status).toBe('passed');
  expect(stepOf(result, 'drop').status).toBe('failed');
  expect(result.passed).toBe(false);
  expect(result.report.reasons).toEqual([
    expect.stringMatching(
      new RegExp(
        `^drop: this run's claim on \\S+/${target} was lost before dropping \\S+/${target}: its session has ended \\(FATAL: +terminating connection due to administrator command\\)\\. ` +
          "A claim ends when the runner's network stalls for over a minute, when the server restarts or fails over, or when its session is terminated \\(pg_terminate_backend\\); " +
          'another run may hold it now, so this run stopped here and changed nothing further\\. ' +
          'Done so far: created it and restored the backup into it; it is left as it is \\(another run may be using it now\\)\\. ' +
          `The next run on this target finds it left by this run and drops and recreates it; or, once no run uses it, drop it: DROP DATABASE "${target}";$`,
      ),
    ),
  ]);
  expect(await databaseExists(target)).toBe(true);
  expect(await sql(url, 'SELECT count(*) FROM users')).toBe('200');

  const next = await restoreVerify({ bucket, 'target-database-url': url });
  expect(next.report.reasons).toEqual([]);
  expect(stepOf(next, 'create database').detail).toMatch(/left by an earlier run that did not finish/);
  expect(await databaseExists(target)).toBe(false);
}, 300_000);
