/**
 * dr-actions when the shell around it goes wrong: the terminal or SSH/CloudShell session that ran
 * it hangs up half way, the command line itself is killed with SIGKILL (the OOM killer, `kill -9`),
 * or a file it was asked to write is in a folder that does not exist yet.
 * recover-application is the action: a restart command that never ends is a run half way.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { RecoverApplicationReport } from '../../src/recover-application/application-report.js';
import { CLI_BUNDLE, inputFlags, runCli } from '../../harness/bundled-cli.js';
import { startHealthServer, type HealthServer } from '../../harness/health-server.js';
import { node24Path } from '../../harness/node24.js';
import { waitUntil } from '../../harness/wait.js';
import { parentOf, processRunning } from '../helpers/processes.js';

let dir: string;
let health: HealthServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dr-cli-interrupted-'));
  health = await startHealthServer(200);
});
afterAll(async () => {
  await health.close();
  await rm(dir, { recursive: true, force: true });
});

const shellEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' });

const execute = (restartCommand: string, reportPath: string) =>
  inputFlags({
    mode: 'execute',
    confirm: new URL(health.url).host,
    'restart-command': restartCommand,
    'health-url': health.url,
    'report-path': reportPath,
  });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('--outputs and --summary in a folder that does not exist yet: the folder is made, the run is reported as it ended', async () => {
  const outputs = join(dir, 'new', 'outputs.json');
  const summary = join(dir, 'other', 'summary.md');
  const run = await runCli(
    ['--outputs', outputs, '--summary', summary, 'recover-application', ...execute('true', join(dir, 'a.json'))],
    { env: shellEnv(), cwd: dir, timeoutMs: 120_000 },
  );
  expect(run.stderr).not.toContain('ENOENT');
  expect(run.exitCode).toBe(0);
  expect(run.stdout).toContain('recover-application succeeded.');
  expect(JSON.parse(await readFile(outputs, 'utf8'))).toMatchObject({ mode: 'execute', recovered: 'true' });
  expect(await readFile(summary, 'utf8')).toContain('recovered');
});

test('--outputs that cannot be written: a one-line error and exit 1 after the verdict, never a stack trace', async () => {
  const notAFolder = join(dir, 'a-file');
  await writeFile(notAFolder, '');
  const run = await runCli(
    ['--outputs', join(notAFolder, 'outputs.json'), 'recover-application', ...execute('true', join(dir, 'b.json'))],
    { env: shellEnv(), cwd: dir, timeoutMs: 120_000 },
  );
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toContain('recover-application succeeded.');
  expect(run.stderr).toMatch(/^dr-actions: the outputs were not written to .*outputs\.json: /m);
  expect(run.stderr).not.toMatch(/^\s+at /m);
});

test('the terminal hangs up half way (SIGHUP to its process group): the command is stopped, the report written, the exit non-zero', async () => {
  const pidFile = join(dir, 'restart.pid');
  const reportPath = join(dir, 'hangup.json');
  // The restart command never ends: a run half way when the session closes.
  const restart = `sh -c 'echo $$ > ${pidFile}; exec sleep 600'`;
  // As a shell in a terminal starts it: its own process group, which a hangup reaches whole.
  const cli = spawn(node24Path(), [CLI_BUNDLE, 'recover-application', ...execute(restart, reportPath)], {
    env: shellEnv(),
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  cli.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => cli.on('close', (code) => resolve(code)));
  const restartPid = async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  await waitUntil('the restart command started', async () => (await restartPid()) > 0, { timeoutMs: 60_000 });
  const pid = await restartPid();

  process.kill(-(cli.pid as number), 'SIGHUP');
  const code = await exited;

  expect(code).toBe(1);
  expect(output).toContain('recover-application failed (exit status 1).');
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as RecoverApplicationReport;
  expect(report.passed).toBe(false);
  expect(report.reasons).toContain('the run was cancelled');
  await waitUntil('the restart command is stopped', () => !alive(pid), { timeoutMs: 30_000 });
}, 120_000);

test('the command line killed with SIGKILL half way: its action cancels as on SIGTERM, stops the command, releases its lock and writes its report', async () => {
  const runDir = await mkdtemp(join(dir, 'killed-'));
  const pidFile = join(runDir, 'restart.pid');
  const reportPath = join(runDir, 'killed.json');
  const restart = `sh -c 'echo $$ > ${pidFile}; exec sleep 600'`;
  // TMPDIR: where recover-application keeps its lock, so that the test sees it taken and released.
  const cli = spawn(node24Path(), [CLI_BUNDLE, 'recover-application', ...execute(restart, reportPath)], {
    env: { ...shellEnv(), TMPDIR: runDir },
    cwd: runDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cli.stdout.resume();
  cli.stderr.resume();
  // 'exit', not 'close': the action still holds the output pipes after the command line is gone.
  const exited = new Promise<NodeJS.Signals | null>((resolve) => cli.on('exit', (_code, signal) => resolve(signal)));
  const restartPid = async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  await waitUntil('the restart command started', async () => (await restartPid()) > 0, { timeoutMs: 60_000 });
  const command = await restartPid();
  const action = await parentOf(command);
  expect(await parentOf(action)).toBe(cli.pid);
  const locks = async () => (await readdir(runDir)).filter((name) => name.endsWith('.lock'));
  expect(await locks()).toHaveLength(1);

  cli.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');

  await waitUntil('the action process ended', async () => !(await processRunning(action)), { timeoutMs: 30_000 });
  expect(await processRunning(command)).toBe(false);
  expect(await locks()).toEqual([]);
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as RecoverApplicationReport;
  expect(report.passed).toBe(false);
  expect(report.reasons).toContain('the run was cancelled');
}, 120_000);
