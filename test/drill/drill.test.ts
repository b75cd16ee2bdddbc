import { randomBytes } from 'node:crypto';
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { RdsRestoreReport } from '../../src/rds-restore/rds-restore-report.js';
import type { RecoverDatabaseReport } from '../../src/recover-database/recover-report.js';
import type { RestoreVerifyReport } from '../../src/restore/restore-report.js';
import { rowsFor } from '../../harness/saas-dataset.js';

interface Verdict {
  passed: boolean;
  steps: { name: string; passed: boolean; seconds: number; detail: string }[];
  objectives: { name: string; scenario: string; passed: boolean | null; kind: string }[];
  report?: string;
  outputDir: string;
  started: {
    postgresPort?: number;
    motoPid?: number;
    productionPort?: number;
    newServerPort?: number;
    restoredPorts?: number[];
    replicaPort?: number;
    healthUrl?: string;
    applicationUrl?: string;
  };
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Every file under a folder, its text. */
async function filesUnder(dir: string): Promise<{ path: string; text: string }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => ({
        path: join(e.parentPath, e.name),
        text: await readFile(join(e.parentPath, e.name), 'utf8'),
      })),
  );
}

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'dr-actions-drill-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

test('npm run drill at a small size: passes every step, writes the report, and leaves nothing running', async () => {
  // The drill starts its own stack; it must not find the test run's. The app role's password comes as a secret would.
  const appPassword = `app-${randomBytes(12).toString('hex')}`;
  const env = { ...process.env, DR_TEST_STACK: '', APP_DB_PASSWORD: appPassword };
  const run = await execa('npx', ['tsx', 'scripts/drill.ts', '--size', '3', '--json', '--out', out], {
    env,
    reject: false,
    timeout: 300_000,
  });
  const verdict = JSON.parse(String(run.stdout)) as Verdict;

  expect(verdict.steps.map((s) => [s.name, s.passed])).toEqual([
    ['start the test stack', true],
    ["create the sample database (3 MB) and the application's roles", true],
    ['backup (actions/backup)', true],
    ["restore-verify a random backup from the secondary region's copy (actions/restore-verify)", true],
    ['rebuild the server: restore-verify with rebuild onto a second, empty cluster (actions/restore-verify)', true],
    ['restore the latest RDS recovery point in the secondary region (actions/rds-restore-test)', true],
    ["audit the plan's prerequisites (actions/dr-audit)", true],
    ['failover to the replica region (actions/failover, execute)', true],
    ['corrupt production: a bad migration deletes the refunded payments', true],
    [
      'recover production on RDS to just before the corruption: plan, execute bound to it, rename cut-over (actions/recover-database, source rds-point-in-time)',
      true,
    ],
    [
      "recover production from the night's backup: plan through dr-actions on the command line, execute as the workflow does (actions/recover-database)",
      true,
    ],
    ['crash the application and recover it (actions/recover-application, drill)', true],
    ['drill report (actions/drill-report, no pull request)', true],
  ]);
  expect(verdict.passed).toBe(true);
  expect(run.exitCode).toBe(0);
  expect(verdict.objectives.map((o) => [o.kind, o.name, o.scenario, o.passed])).toEqual([
    ['restore-verify', 'RTO', 'database failure', true],
    ['restore-verify', 'RPO', 'database failure', true],
    ['restore-verify', 'RPO', 'database failure', true],
    ['restore-verify', 'RTO', 'infrastructure failure', true],
    ['restore-verify', 'RPO', 'infrastructure failure', true],
    ['restore-verify', 'RPO', 'infrastructure failure', true],
    ['rds-restore-test', 'RTO', 'regional outage', true],
    ['rds-restore-test', 'RPO', 'regional outage', true],
    ['rds-restore-test', 'RPO', 'regional outage', true],
    ['dr-audit', 'RPO', 'database failure', true],
    ['dr-audit', 'RPO', 'regional outage', true],
    ['failover', 'RTO', 'regional outage', true],
    ['failover', 'RPO', 'regional outage', true],
    ['recover-database', 'RTO', 'database failure', true],
    ['recover-database', 'RPO', 'database failure', true],
    ['recover-database', 'RTO', 'database failure', true],
    ['recover-database', 'RPO', 'database failure', true],
    ['recover-application', 'RTO', 'application crash', true],
  ]);

  const dataset = rowsFor(3);
  // The rebuild: roles from the backup's globals, the app's password from the secret, and the app's own login seeing its settings, tables and sequence.
  const rebuild = JSON.parse(
    await readFile(join(out, 'reports', 'restore-verify-rebuild', 'restore-verify-report.json'), 'utf8'),
  ) as RestoreVerifyReport;
  expect(rebuild.passed).toBe(true);
  expect(rebuild.objectives[0]).toMatchObject({
    name: 'RTO',
    scenario: 'infrastructure failure',
    targetSeconds: 14_400,
    passed: true,
  });
  expect(rebuild.details.roles).toMatchObject({
    mode: 'rebuild',
    missing: [],
    passwordsSet: ['saas_app'],
    needPassword: [],
  });
  expect([...(rebuild.details.roles?.created ?? [])].sort()).toEqual(['saas_app', 'saas_owner', 'saas_readonly']);
  expect(rebuild.details.smoke?.output.trim().split('\n')).toEqual([
    'saas_app',
    '30s',
    '8MB',
    String(dataset.payments),
    String(dataset.users),
    '1000',
  ]);

  // The RDS recovery point, in the secondary region: newer than the backup, it holds the payments taken after it.
  const rds = JSON.parse(
    await readFile(join(out, 'reports', 'rds-restore-test', 'rds-restore-test-report.json'), 'utf8'),
  ) as RdsRestoreReport;
  expect(rds.passed).toBe(true);
  expect(rds.details).toMatchObject({
    instanceId: 'saas-production',
    sourceRegion: 'us-east-1',
    region: 'us-west-2',
    scenario: 'regional outage',
    selector: 'latest',
  });
  expect(rds.details.recoveryPoint?.mechanism).toBe('point-in-time');
  expect(rds.details.instance).toMatchObject({ created: true, deleted: true, kept: false });
  expect(rds.details.smoke?.output.trim()).toBe(String(dataset.payments + 25));
  expect(rds.details.proof?.tables.find((t) => t.name === 'payments')?.exactRows).toBe(dataset.payments + 25);
  expect(rds.objectives.map((o) => [o.name, o.targetSeconds, o.passed])).toEqual([
    ['RTO', 28_800, true],
    ['RPO', 3_600, true],
    ['RPO', 3_600, true],
  ]);

  // The database failure on RDS: restored to just before the corruption, renamed into production's identifier, the damaged instance kept.
  const rdsRecovery = JSON.parse(
    await readFile(join(out, 'reports', 'recover-database-rds-execute', 'recover-database-report.json'), 'utf8'),
  ) as RecoverDatabaseReport;
  expect(rdsRecovery.passed).toBe(true);
  expect(rdsRecovery.details).toMatchObject({
    mode: 'execute',
    recovered: true,
    keptAs: expect.stringMatching(/^saas-production-damaged-\d{14}$/),
  });
  expect(rdsRecovery.details.rds?.recoveryPoint?.mechanism).toBe('point-in-time');
  expect(rdsRecovery.details.health).toMatchObject({ healthy: true });
  expect(rdsRecovery.details.rpo.seconds).toBeLessThan(300);
  const corruptStep = verdict.steps.find((s) => s.name.startsWith('corrupt production'));
  const [, justBefore, at, deleted] =
    /\(recovery point (\S+)\) at (\S+) DELETE .* removed (\d+) of/.exec(corruptStep?.detail ?? '') ?? [];
  expect(rdsRecovery.details.rds?.recoveryPoint?.time).toBe(justBefore);
  expect(Date.parse(at ?? '')).toBeGreaterThan(Date.parse(justBefore ?? ''));
  const rdsStep = verdict.steps.find((s) => s.name.startsWith('recover production on RDS'));
  expect(rdsStep?.detail).toMatch(
    new RegExp(
      `^saas-production restored by RDS to ${justBefore}, \\d+ ms before the corruption: it serves the ${deleted} deleted payments, all ${dataset.payments + 25} payments and the 40 events written after the backup; the damaged instance kept as saas-production-damaged-\\d{14}; the application answers again; RPO [\\d.]+ s`,
    ),
  );

  // The database failure: the deleted payments back under the production name, the damaged database kept, the writes since the backup counted as lost.
  const recovery = JSON.parse(
    await readFile(join(out, 'reports', 'recover-database-execute', 'recover-database-report.json'), 'utf8'),
  ) as RecoverDatabaseReport;
  expect(recovery.passed).toBe(true);
  expect(recovery.details).toMatchObject({
    mode: 'execute',
    recovered: true,
    keptAs: expect.stringMatching(/^saas_production_damaged_\d{8}_\d{6}$/),
  });
  expect(recovery.details.loss?.tables.find((t) => t.table === 'public.events')).toEqual({
    table: 'public.events',
    backupRows: dataset.events,
    liveRows: dataset.events + 40,
    difference: 40,
  });
  expect(recovery.details.loss?.tables.find((t) => t.table === 'public.payments')?.backupRows).toBe(dataset.payments);
  expect(recovery.details.health).toMatchObject({ healthy: true });
  const recoverStep = verdict.steps.find((s) => s.name.startsWith('recover production from'));
  expect(recoverStep?.detail).toMatch(
    /the damaged database kept as saas_production_damaged_\d{8}_\d{6} \(\d+ payments, none refunded\); the application answers again; lost, as the report counts them: 40 events and 25 payments written after the backup/,
  );
  // The plan ran through the command line: the terminal shows it as dr-actions renders it, with none of
  // the runner's workflow commands, and a run through the runner leaves no terminal file.
  expect(await readFile(join(out, 'summaries', 'recover-database-plan.md'), 'utf8')).toContain('What execute would do');
  const terminal = await readFile(join(out, 'summaries', 'recover-database-plan.terminal.txt'), 'utf8');
  expect(terminal).toContain('What execute would do');
  expect(terminal.split('\n').filter((line) => line.startsWith('::'))).toEqual([]);

  const report = await readFile(verdict.report as string, 'utf8');
  // The four rows of the plan's RTO table, each once, in its order; a database failure is measured three times
  // (restore-verify, and recover-database from RDS and from the backup), a regional outage twice.
  expect(report).toMatch(
    /Recovery time: database failure [^;()]+ \(RTO 1 h 0 min, slowest of 3\); application crash [^;()]+ \(RTO 30 min 0 s\); infrastructure failure [^;()]+ \(RTO 4 h 0 min\); regional outage [^;()]+ \(RTO 8 h 0 min, slowest of 2\)\./,
  );
  expect(report).toMatch(/^# ✅ Local disaster-recovery drill, \d{4}-\d{2}-\d{2}: passed/);
  expect(report).toContain('8 reports: 8 passed, 0 failed.');
  for (const label of [
    'restore-verify (copy)',
    'restore-verify (rebuild)',
    'rds-restore-test',
    'dr-audit',
    'failover',
    'recover-database (rds-execute)',
    'recover-database (execute)',
    'recover-application',
  ]) {
    expect(report).toContain(`| ✅ ${label} |`);
  }
  expect(report).toMatch(/infrastructure failure [\d.]+ s \(RTO 4 h 0 min\)/);
  expect(report).toMatch(
    /\| ✅ \| RTO \| infrastructure failure \| rebuild on an empty server: .*\| restore-verify \(rebuild\) \|/,
  );
  expect(report).toMatch(
    /\| ✅ \| RTO \| regional outage \| RDS point-in-time restore in us-west-2, from us-east-1: .*\| rds-restore-test \|/,
  );
  expect(report).toContain('| ✅ | Restore database from backup | passed |');
  expect(report).toContain('| ✅ | Recovery time within RTO | passed |');
  expect(report).toContain('| ✅ | Plan prerequisites in place | passed |');
  for (const name of [
    'backup',
    'restore-verify',
    'restore-verify-rebuild',
    'rds-restore-test',
    'dr-audit',
    'failover',
    'recover-database-rds-plan',
    'recover-database-rds',
    'recover-database-plan',
    'recover-database',
    'recover-application',
    'drill-report',
  ]) {
    expect((await readFile(join(out, 'summaries', `${name}.md`), 'utf8')).length).toBeGreaterThan(100);
  }

  // The secret is in no report, summary or line the drill printed.
  expect(String(run.stdout) + String(run.stderr)).not.toContain(appPassword);
  expect((await filesUnder(out)).filter((f) => f.text.includes(appPassword)).map((f) => f.path)).toEqual([]);

  const { postgresPort, motoPid, productionPort, newServerPort, restoredPorts, replicaPort, applicationUrl } =
    verdict.started;
  expect(postgresPort && motoPid && productionPort && newServerPort && replicaPort && applicationUrl).toBeTruthy();
  expect(await listening(Number(new URL(applicationUrl as string).port))).toBe(false);
  expect(restoredPorts).toHaveLength(2);
  for (const port of [postgresPort, productionPort, newServerPort, ...(restoredPorts ?? []), replicaPort])
    expect([port, await listening(port as number)]).toEqual([port, false]);
  expect(alive(motoPid as number)).toBe(false);
}, 330_000);

test('a bad option is refused before anything starts', async () => {
  const run = await execa('npx', ['tsx', 'scripts/drill.ts', '--size', 'big'], { reject: false });
  expect(run.exitCode).toBe(2);
  expect(String(run.stderr)).toContain('--size must be a number of megabytes, 1 or more');
});
