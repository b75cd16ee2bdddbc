/**
 * A restore-verify run killed with SIGKILL (a lost runner, the OOM killer, `kill -9`) takes the
 * programs it started with it: its psql and its smoke command end too, instead of going on against
 * a database nobody watches (on Linux, through their parent-death signal). Seen from /proc, with the
 * bundled action run as the runner runs it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, test } from '@jest/globals';
import { killBundledActionWhen } from '../../harness/bundled-action.js';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';
import {
  holdingCommand,
  holdingCommandPid,
  holdingCommandStarted,
  stopHoldingCommand,
} from '../helpers/holding-command.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { childrenNamed, parentOf, processRunning } from '../helpers/processes.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { makeBackup, scratchName } from './fixtures.js';

let source: { name: string; url: string };
let bucket: string;
let dir: string;
const targets: string[] = [];

beforeAll(async () => {
  source = await createDatabase('rv_killed_programs');
  await loadSampleData(source.url, 50);
  bucket = await createBucket('killed-programs');
  await makeBackup(source.url, bucket);
  dir = await mkdtemp(join(tmpdir(), 'dr-rv-killed-programs-'));
}, 120_000);

afterAll(async () => {
  for (const name of [source.name, ...targets]) await dropDatabase(name);
  await rm(dir, { recursive: true, force: true });
});

const inputs = (target: string, extra: Record<string, string>) => ({
  bucket,
  'endpoint-url': stackFromEnv().awsEndpoint,
  'target-database-url': stackFromEnv().postgresUrl(target),
  ...extra,
});

const ended = (pid: number) => async () => !(await processRunning(pid));

test('killed with SIGKILL in its smoke command: the command, a child of the action, ends with it', async () => {
  const target = scratchName();
  targets.push(target);
  const marker = join(dir, `${target}.smoke`);
  let command = 0;
  await killBundledActionWhen('restore-verify', inputs(target, { 'smoke-command': holdingCommand(marker) }), {
    what: 'the smoke command runs as a child of the action',
    holds: async (action) => {
      if (!(await holdingCommandStarted(marker))) return false;
      command = await holdingCommandPid(marker);
      return (await parentOf(command)) === action;
    },
  });
  try {
    await waitUntil(`the smoke command (pid ${command}) ended with its action`, ended(command));
  } finally {
    await stopHoldingCommand(marker);
  }
}, 180_000);

test('killed with SIGKILL while psql runs a check: psql ends with it', async () => {
  const target = scratchName();
  targets.push(target);
  const checks = join(dir, `${target}.sql`);
  await writeFile(checks, '-- name: a check that waits\nSELECT pg_sleep(600) IS NOT NULL;\n');
  const waiting = `SELECT count(*) FROM pg_stat_activity WHERE datname = '${target}' AND wait_event = 'PgSleep'`;
  let psqls: number[] = [];
  await killBundledActionWhen('restore-verify', inputs(target, { checks }), {
    what: "the check runs in the action's psql",
    holds: async (action) => {
      if (Number(await sql(stackFromEnv().postgresUrl('postgres'), waiting)) === 0) return false;
      psqls = await childrenNamed(action, 'psql');
      return psqls.length > 0;
    },
  });
  // Left running, each would wait on its check until the database is dropped (afterAll).
  for (const psql of psqls) await waitUntil(`psql (pid ${psql}) ended with its action`, ended(psql));
}, 180_000);
