import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import type { RecoverApplicationReport } from '../../src/recover-application/application-report.js';
import { obeyedCommands } from '../helpers/workflow-commands.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { freePort } from '../../harness/free-port.js';
import { node24Path } from '../../harness/node24.js';

/** The application: harness/health-server.ts run as a program, which a crash command kills and a restart command starts. */
const SERVER = fileURLToPath(new URL('../../harness/health-server.ts', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface App {
  dir: string;
  port: number;
  pidFile: string;
  healthUrl: string;
  host: string;
  /** Starts the application as the restart command would, without its output. */
  restartCommand: string;
}

let app: App;

beforeEach(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dr-recover-app-'));
  const port = await freePort();
  const pidFile = join(dir, 'app.pid');
  app = {
    dir,
    port,
    pidFile,
    healthUrl: `http://127.0.0.1:${port}/api/v1/health/`,
    host: `127.0.0.1:${port}`,
    restartCommand: `sh -c 'echo "deploying with $DEPLOY_TOKEN"; ${node24Path()} ${SERVER} ${port} ${pidFile} > /dev/null 2>&1 &'`,
  };
});

afterEach(async () => {
  const pid = existsSync(app.pidFile) ? Number(await readFile(app.pidFile, 'utf8')) : 0;
  if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  await rm(app.dir, { recursive: true, force: true });
});

/** Starts the application before the run; resolves with its pid once it says it listens. */
async function startApp(): Promise<number> {
  const child = spawn(node24Path(), [SERVER, String(app.port), app.pidFile], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the health server exited with ${code} before listening`)));
    child.stdout.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  child.stdout.destroy();
  child.unref();
  return Number(await readFile(app.pidFile, 'utf8'));
}

async function report(path: string): Promise<RecoverApplicationReport> {
  return JSON.parse(await readFile(path, 'utf8')) as RecoverApplicationReport;
}

describe('actions/recover-application/dist/index.js as the runner runs it', () => {
  test('a drill: the plan runs nothing; execute, bound to it, crashes the application, restarts it, waits for health, checks the logs, and times the RTO from the crash', async () => {
    const first = await startApp();
    const envFile = join(app.dir, 'crash-env');
    const logFile = join(app.dir, 'app.log');
    await writeFile(logFile, 'INFO Booting worker with pid: 7\nGET /api/v1/health/ 200\n');
    const inputs = {
      // As `docker compose kill` does, the crash returns once the process is gone (so nothing answers for it).
      'crash-command': `sh -c 'env > ${envFile}; pid=$(cat ${app.pidFile}); kill $pid; while kill -0 $pid 2> /dev/null; do sleep 0.05; done'`,
      'restart-command': app.restartCommand,
      'health-url': app.healthUrl,
      'log-command': `cat ${logFile}`,
      'pass-env': 'DEPLOY_TOKEN',
    };
    const env = {
      DEPLOY_TOKEN: 'deploy-secret-7',
      GITHUB_TOKEN: 'ghs_not_for_commands',
      DATABASE_URL: 'postgres://app:hunter2@db/saas',
    };

    const plan = await runBundledAction(
      'recover-application',
      { ...inputs, 'report-path': join(app.dir, 'plan.json') },
      { env },
    );
    expect(plan.exitCode).toBe(0);
    expect(plan.outputs).toMatchObject({
      mode: 'plan',
      recovered: 'false',
      'recovery-seconds': '',
      'plan-digest': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(plan.summary).toContain('### What execute would run, in order');
    expect((await report(join(app.dir, 'plan.json'))).details.health.before?.status).toBe(200);
    expect(existsSync(envFile)).toBe(false);
    expect(alive(first)).toBe(true);

    const run = await runBundledAction(
      'recover-application',
      {
        ...inputs,
        mode: 'execute',
        confirm: app.host,
        'expected-plan-digest': plan.outputs['plan-digest'] as string,
        'report-path': join(app.dir, 'execute.json'),
      },
      { env },
    );
    expect([run.exitCode, run.stdout.match(/^::error::.*$/m)?.[0]]).toEqual([0, undefined]);
    expect(run.outputs).toMatchObject({
      mode: 'execute',
      recovered: 'true',
      'log-errors-found': '0',
      'report-path': join(app.dir, 'execute.json'),
    });

    // The crash stopped the first process; the restart started another, which still answers after the run.
    expect(alive(first)).toBe(false);
    const second = Number(await readFile(app.pidFile, 'utf8'));
    expect(second).not.toBe(first);
    expect((await fetch(app.healthUrl)).status).toBe(200);

    const executed = await report(join(app.dir, 'execute.json'));
    expect(executed.steps.map((s) => [s.name, s.status])).toEqual([
      ['Crash the application (drill)', 'passed'],
      ['Restart the application', 'passed'],
      ['Wait for health', 'passed'],
      ['Check the logs for errors', 'passed'],
    ]);
    const [crash, restart, health] = executed.steps;
    const { rto } = executed.details;
    expect(rto.from).toBe('crash-command');
    expect(rto.startedAt).toBe(crash?.startedAt);
    expect(Date.parse(rto.recoveredAt as string)).toBeGreaterThanOrEqual(Date.parse(restart?.finishedAt as string));
    expect(rto.recoveredAt).toBe(health?.finishedAt);
    expect(rto.recoverySeconds).toBe(
      (Date.parse(rto.recoveredAt as string) - Date.parse(rto.startedAt as string)) / 1000,
    );
    expect(Number(run.outputs['recovery-seconds'])).toBe(rto.recoverySeconds);
    expect(executed.objectives).toEqual([
      expect.objectContaining({
        name: 'RTO',
        scenario: 'application crash',
        targetSeconds: 1800,
        measuredSeconds: rto.recoverySeconds,
        passed: true,
        measure: `start of crash-command to ${app.healthUrl} answering HTTP 200`,
      }),
    ]);
    expect(executed.checklist.map((c) => [c.key, c.status])).toEqual([
      ['applicationStarts', 'passed'],
      ['rto', 'passed'],
    ]);
    expect(executed.details.drill).toBe(true);

    // The commands saw the documented basics and pass-env: no input, no runner file, no other secret.
    const names = (await readFile(envFile, 'utf8')).split('\n').map((line) => line.split('=')[0]);
    expect(names.filter((name) => /^(INPUT_|GITHUB_|DATABASE_URL)/.test(name ?? ''))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['PATH', 'DEPLOY_TOKEN']));
    // The token the restart printed is masked in the report, and announced to the runner before anything printed it.
    expect(executed.details.restart?.output).toBe('deploying with ***\n');
    const lines = run.stdout.split('\n');
    expect(lines.findIndex((l) => l === '::add-mask::deploy-secret-7')).toBeLessThan(
      lines.findIndex((l) => l.includes('deploying with')),
    );
    expect(lines.filter((l) => l.includes('deploy-secret-7'))).toEqual(['::add-mask::deploy-secret-7']);
    expect(run.summary).toContain(`## ✅ Application \`${app.host}\` recovered (drill)`);
  });

  test('log lines matching log-errors fail the run; they are listed, and none is obeyed as a workflow command', async () => {
    await startApp();
    const logFile = join(app.dir, 'app.log');
    const logLines = [
      'INFO started',
      'ERROR database connection refused',
      '::add-mask::ERROR hidden',
      '::error file=app.py::ERROR forged annotation',
      'INFO ok',
    ];
    await writeFile(logFile, `${logLines.join('\n')}\n`);
    const run = await runBundledAction('recover-application', {
      mode: 'execute',
      confirm: app.host,
      'restart-command': 'true',
      'health-url': app.healthUrl,
      'log-command': `cat ${logFile}`,
      'report-path': join(app.dir, 'report.json'),
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ recovered: 'true', 'log-errors-found': '3' });
    expect(run.stdout).toMatch(
      /^::error::Check the logs for errors: 3 lines of 5 the log-command printed match log-errors .*; the first: ERROR database connection refused/m,
    );
    // Shown in the log between stop-commands markers: the runner masks nothing and annotates nothing from them.
    const obeyed = obeyedCommands(run.stdout);
    expect(obeyed.filter((c) => c.includes('hidden') || c.includes('forged'))).toEqual([]);
    expect(run.stdout).toContain('::add-mask::ERROR hidden');
    const result = await report(join(app.dir, 'report.json'));
    expect(result.details.logScan).toMatchObject({ lines: 5, matches: 3, shown: logLines.slice(1, 4), passed: false });
    expect(result.checklist.find((c) => c.key === 'applicationStarts')?.status).toBe('failed');
    expect(run.summary).toContain(`\`\`\`text\n${logLines.slice(1, 4).join('\n')}\n\`\`\``);
  });

  test('health that never answers fails with a clear message after health-timeout-seconds; the logs are still read', async () => {
    const logFile = join(app.dir, 'app.log');
    await writeFile(logFile, 'INFO nothing to see\n');
    const run = await runBundledAction('recover-application', {
      mode: 'execute',
      confirm: app.host,
      'restart-command': 'true',
      'health-url': app.healthUrl,
      'health-timeout-seconds': '2',
      'log-command': `cat ${logFile}`,
      'report-path': join(app.dir, 'report.json'),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `^::error::Wait for health: http://127\\.0\\.0\\.1:${app.port}/api/v1/health/ did not answer HTTP 200 within health-timeout-seconds \\(2\\.00 s\\): \\d+ attempts, last answer no answer \\(.*ECONNREFUSED.*\\)`,
        'm',
      ),
    );
    expect(run.outputs).toMatchObject({ recovered: 'false', 'recovery-seconds': '', 'log-errors-found': '0' });
    const result = await report(join(app.dir, 'report.json'));
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['Restart the application', 'passed'],
      ['Wait for health', 'failed'],
      ['Check the logs for errors', 'passed'],
    ]);
    expect(result.objectives[0]).toMatchObject({ measuredSeconds: null, passed: null });
    expect(result.checklist.map((c) => c.status)).toEqual(['failed', 'failed']);
  });

  test('on the real day the RTO runs from outage-started-at: an outage longer than 30 minutes misses it', async () => {
    await startApp();
    const outage = new Date(Date.now() - 3_600_000).toISOString();
    const run = await runBundledAction('recover-application', {
      mode: 'execute',
      confirm: app.host,
      'restart-command': 'true',
      'health-url': app.healthUrl,
      'outage-started-at': outage,
      'report-path': join(app.dir, 'report.json'),
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.recovered).toBe('true');
    expect(Number(run.outputs['recovery-seconds'])).toBeGreaterThanOrEqual(3600);
    expect(run.stdout).toMatch(
      /^::error::the application recovered in 1 h 0 min, over the RTO of 30 min 0 s \(rto-seconds; outage-started-at to /m,
    );
    const result = await report(join(app.dir, 'report.json'));
    expect(result.details.rto).toMatchObject({ from: 'outage-started-at', startedAt: outage });
    expect(result.details.drill).toBe(false);
  });

  test.each([
    [
      'execute without confirm',
      { mode: 'execute' },
      /^::error::mode is execute but confirm is empty, so nothing was run/m,
    ],
    [
      'execute bound to another plan',
      { mode: 'execute', confirm: 'HOST', 'expected-plan-digest': 'b'.repeat(64) },
      /^::error::the commands, health check or log check differ from the plan the reviewers approved/m,
    ],
    [
      'a log-errors that is no regular expression',
      { mode: 'execute', confirm: 'HOST', 'log-command': 'true', 'log-errors': '(ERROR' },
      /^::error::log-errors is not a regular expression/m,
    ],
  ])('%s is refused before any command runs', async (_label, extra, message) => {
    const marker = join(app.dir, 'ran');
    const inputs: Record<string, string> = {
      'crash-command': `sh -c 'touch ${marker}'`,
      'restart-command': `sh -c 'touch ${marker}'`,
      'health-url': app.healthUrl,
      'report-path': join(app.dir, 'report.json'),
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v === 'HOST' ? app.host : v])),
    };
    const run = await runBundledAction('recover-application', inputs);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(message);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(app.dir, 'report.json'))).toBe(false);
  });
});
