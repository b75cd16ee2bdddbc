/**
 * recover-database whose claim ends while it runs (its session terminated, as a server restart, a
 * failover or a network stall of over a minute ends it): another run could claim the database
 * then, so this one stops before the renames, having changed nothing more; a re-run recovers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { waitUntil } from '../../harness/wait.js';
import { releaseWaitingCommand, terminateClaimSession, waitingCommand } from '../helpers/claim-session.js';
import { holdingCommandStarted } from '../helpers/holding-command.js';
import { dropDatabase } from '../helpers/postgres.js';
import {
  count,
  databaseNames,
  databaseOid,
  databasesOf,
  executeInputs,
  productionWithBackup,
  readReport,
  recover,
  reportFile,
} from './fixtures.js';

let dir: string;
const created: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dr-recover-lost-claim-'));
});

afterAll(async () => {
  for (const name of (await databaseNames()).filter((n) => created.some((c) => n.startsWith(c))))
    await dropDatabase(name);
  await rm(dir, { recursive: true, force: true });
});

test('the claim ends during stop-command: the run stops before the renames, production keeps its name and data; a re-run recovers', async () => {
  const production = await productionWithBackup();
  created.push(production.name);
  const oid = await databaseOid(production.name);
  const started = join(dir, `${production.name}.stop`);
  const reportPath = reportFile();
  const running = recover(
    production,
    executeInputs(production, { 'stop-command': await waitingCommand(started), 'report-path': reportPath }),
  );
  await waitUntil('stop-command started', () => holdingCommandStarted(started), { timeoutMs: 120_000 });
  expect(await terminateClaimSession(production.name)).toBe(1);
  await releaseWaitingCommand(started);
  const run = await running;

  expect({ exit: run.exitCode, recovered: run.outputs.recovered }).toEqual({ exit: 1, recovered: 'false' });
  expect(run.outputs.recovered).toBe('false');
  const report = await readReport(reportPath);
  const steps = Object.fromEntries(report.steps.map((step) => [step.name, step]));
  expect(steps['stop-command']?.status).toBe('passed');
  expect(steps.rename?.status).toBe('failed');
  expect(steps.rename?.detail).toMatch(
    new RegExp(
      `^this run's claim on \\S+/${production.name} was lost before renaming the databases \\(.*\\): its session has ended \\(.*\\)\\. ` +
        'A claim ends when the runner.s network stalls for over a minute, when the server restarts or fails over, or when its session is terminated \\(pg_terminate_backend\\); ' +
        'another run may hold it now, so this run stopped here and changed nothing further\\. ' +
        'Done so far: plan, download, create database, roles, restore, .*verify, .*stop-command, sessions\\. ' +
        'Run again once no other run is recovering this database: the re-run resumes where this run stopped\\.$',
    ),
  );
  expect(steps['migrate-command']).toBeUndefined();
  expect(run.stdout).toContain(`::error::`);
  // Nothing renamed: production is the damaged database still, the restored one kept beside it.
  expect(await databaseOid(production.name)).toBe(oid);
  expect(await count(production.url, 'payments')).toBe(0);
  const names = await databasesOf(production);
  expect(names.filter((name) => name.includes('_damaged_'))).toEqual([]);
  expect(names.filter((name) => name.includes('_restored_'))).toHaveLength(1);

  const rerun = await recover(production, executeInputs(production));
  expect(rerun.stdout).not.toContain('::error::');
  expect(rerun.exitCode).toBe(0);
  expect(rerun.outputs.recovered).toBe('true');
  expect(await count(production.url, 'users')).toBe(production.backedUpUsers);
  expect((await databasesOf(production)).filter((name) => name.includes('_damaged_'))).toHaveLength(1);
}, 300_000);
