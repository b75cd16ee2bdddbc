/**
 * recover-database killed with SIGKILL half way (a lost runner, `kill -9`), then run again: before
 * the renames (in the stop command) and after them (in the migrate command). The re-run resumes from
 * the journal on the server to the same end as a run never interrupted; nothing is dropped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { killBundledActionWhen } from '../../harness/bundled-action.js';
import { holdingCommand, holdingCommandStarted, stopHoldingCommand } from '../helpers/holding-command.js';
import { dropDatabase } from '../helpers/postgres.js';
import {
  count,
  databaseNames,
  databasesOf,
  executeInputs,
  productionInputs,
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

/** The bundled action as the runner starts it, killed with SIGKILL once the command at `file` runs. */
async function killedWhen(production: Production, inputs: Record<string, string>, file: string): Promise<void> {
  await killBundledActionWhen('recover-database', productionInputs(production, inputs), {
    what: `the command at ${file} started`,
    holds: () => holdingCommandStarted(file),
  });
  await stopHoldingCommand(file);
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
