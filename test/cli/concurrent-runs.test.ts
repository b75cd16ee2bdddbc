/**
 * Two recover-application executes for the same application at once on one machine (two SREs on
 * one bastion or CloudShell, a retry started while the first still runs): the second refuses
 * before it runs anything, so the application is not restarted twice over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CLI_BUNDLE, inputFlags, runCli } from '../../harness/bundled-cli.js';
import { startHealthServer, type HealthServer } from '../../harness/health-server.js';
import { node24Path } from '../../harness/node24.js';
import { waitUntil } from '../../harness/wait.js';

let dir: string;
let health: HealthServer;
let first: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dr-cli-concurrent-'));
  health = await startHealthServer(200);
});
afterAll(async () => {
  first?.kill('SIGTERM');
  await health.close();
  await rm(dir, { recursive: true, force: true });
});

const shellEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' });

const execute = (restartCommand: string, reportPath: string) => [
  'recover-application',
  ...inputFlags({
    mode: 'execute',
    confirm: new URL(health.url).host,
    'restart-command': restartCommand,
    'health-url': health.url,
    'report-path': reportPath,
  }),
];

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

test('a second execute while the first is restarting refuses and runs nothing; once the first ended, a next one runs', async () => {
  const started = join(dir, 'first.started');
  first = spawn(
    node24Path(),
    [CLI_BUNDLE, ...execute(`sh -c 'touch ${started}; exec sleep 600'`, join(dir, 'first.json'))],
    { env: shellEnv(), cwd: dir, stdio: 'ignore' },
  );
  const firstExit = new Promise<number | null>((resolve) => first?.on('close', (code) => resolve(code)));
  await waitUntil('the first restart command started', () => exists(started), { timeoutMs: 60_000 });

  const marker = join(dir, 'second.ran');
  const second = await runCli(execute(`touch ${marker}`, join(dir, 'second.json')), {
    env: shellEnv(),
    cwd: dir,
    timeoutMs: 120_000,
  });

  expect(second.exitCode).toBe(1);
  expect(second.stderr).toMatch(/another recover-application execute for 127\.0\.0\.1:\d+ is running \(pid \d+/);
  expect(await exists(marker)).toBe(false);

  first.kill('SIGTERM');
  expect(await firstExit).toBe(1);
  const third = await runCli(execute(`touch ${marker}`, join(dir, 'third.json')), {
    env: shellEnv(),
    cwd: dir,
    timeoutMs: 120_000,
  });
  expect(third.exitCode).toBe(0);
  expect(await exists(marker)).toBe(true);
  expect(JSON.parse(await readFile(join(dir, 'third.json'), 'utf8'))).toMatchObject({ passed: true });
}, 240_000);
