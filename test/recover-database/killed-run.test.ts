/**
 * recover-database killed with SIGKILL half way (a lost runner, `kill -9`), then run again: before
 * the renames (in the stop command) and after them (in the migrate command). The re-run resumes from
 * the journal on the server to the same end as a run never interrupted; nothing is dropped.
 */
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { node24Path } from '../../harness/node24.js';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';
import { dropDatabase } from '../helpers/postgres.js';
import {
  count,
  databaseNames,
  databasesOf,
  executeInputs,
  productionWithBackup,
  recover,
  type Production,
} from './fixtures.js';

let dir: string;
const created: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dr-recover-killed-'));
});

afterAll(async () => {
  for (const name of (await databaseNames()).filter((n) => created.some((c) => n.startsWith(c))))
    await dropDatabase(name);
  await rm(dir, { recursive: true, force: true });
});

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** A command that records its process group and then waits: the moment to kill the action. */
const holdingCommand = (file: string) => `sh -c 'echo $$ > ${file}.tmp && mv ${file}.tmp ${file} && exec sleep 600'`;

/** The bundled action as the runner starts it, killed with SIGKILL once the command at `file` runs. */
async function killedWhen(production: Production, inputs: Record<string, string>, file: string): Promise<void> {
  const all = {
    bucket: production.bucket,
    'endpoint-url': stackFromEnv().awsEndpoint,
    region: 'us-east-1',
    'database-url': production.url,
    ...inputs,
  };
  for (const name of ['output', 'summary']) await writeFile(join(dir, name), '');
  const entry = fileURLToPath(new URL('../../actions/recover-database/dist/index.js', import.meta.url));
  const action = spawn(node24Path(), [entry], {
    env: {
      ...process.env,
      RUNNER_TEMP: dir,
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
      ...Object.fromEntries(Object.entries(all).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value])),
    },
    cwd: dir,
    stdio: 'ignore',
  });
  const ended = new Promise((resolve) => action.on('close', resolve));
  try {
    await waitUntil(`the command at ${file} started`, () => exists(file), { timeoutMs: 120_000 });
  } finally {
    action.kill('SIGKILL');
    await ended;
  }
  // The command runs in a process group of its own, which SIGKILL of the action does not reach.
  process.kill(-Number((await readFile(file, 'utf8')).trim()), 'SIGKILL');
}

test.each([
  ['in the stop command, before the renames', 'stop-command'],
  ['in the migrate command, after the renames', 'migrate-command'],
])(
  'killed %s: the re-run resumes from the journal to a recovered production, the damaged database kept',
  async (_when, command) => {
    const production = await productionWithBackup();
    created.push(production.name);
    const marker = join(dir, `${production.name}.${command}`);
    await killedWhen(production, executeInputs(production, { [command]: holdingCommand(marker) }), marker);

    const rerun = await recover(production, executeInputs(production));
    expect(rerun.stdout).not.toContain('::error::');
    expect(rerun.exitCode).toBe(0);
    expect(rerun.outputs.recovered).toBe('true');
    expect(await count(production.url, 'users')).toBe(production.backedUpUsers);
    expect(await count(production.url, 'payments')).toBeGreaterThan(0);
    const names = await databasesOf(production);
    expect(names.filter((name) => name.includes('_damaged_'))).toHaveLength(1);
    expect(names.filter((name) => name.includes('_restored_'))).toEqual([]);
  },
  300_000,
);
