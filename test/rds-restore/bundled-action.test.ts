import { maskCommand } from '../helpers/workflow-commands.js';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RdsRestoreReport } from '../../src/rds-restore/rds-restore-report.js';
import { PRIMARY_REGION } from '../../harness/aws-topology.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { stackFromEnv } from '../../harness/stack.js';
import type { ArchivingPrimary } from '../../harness/point-in-time.js';
import { serveRestores, type RestoreService } from '../../harness/rds-restores.js';
import { describe as describeInstance } from '../../harness/aws-topology.js';
import {
  addPayments,
  createSource,
  managedMasterLogin,
  rotateSecret,
  psql,
  serverNow,
  setLatestRestorableTime,
  startShopPrimary,
} from './fixtures.js';

/** The role RDS made as the managed source's master user: in the data, so every restore of it has it too. */
const MANAGED_MASTER = 'shop_admin';

/**
 * A psql on PATH that writes down the command line of every call, then runs the real one: every
 * psql the action starts (connection, proofs, checks, the smoke command) is seen, none missed.
 */
async function recordingPsql(dir: string): Promise<{ path: string; calls: () => Promise<string[]> }> {
  const { execa } = await import('execa');
  const real = (await execa('sh', ['-c', 'command -v psql'])).stdout.trim();
  const bin = join(dir, 'bin');
  const log = join(dir, 'psql-argv.log');
  await mkdir(bin);
  await writeFile(log, '');
  await writeFile(join(bin, 'psql'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${real}' "$@"\n`);
  await chmod(join(bin, 'psql'), 0o755);
  return {
    path: `${bin}:${process.env.PATH ?? ''}`,
    calls: async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean),
  };
}

describe('the bundled rds-restore-test action (node24, as the runner calls it)', () => {
  let primary: ArchivingPrimary;
  let service: RestoreService;
  let sourceId: string;
  let managedSourceId: string;
  let dir: string;

  beforeAll(async () => {
    primary = await startShopPrimary();
    service = serveRestores(primary, stackFromEnv().awsEndpoint, {
      serves: (r) => [sourceId, managedSourceId].includes(r.sourceInstance),
    });
    sourceId = await createSource();
    managedSourceId = await createSource(PRIMARY_REGION, { managedMasterUser: MANAGED_MASTER });
    // What RDS did when it made the instance: the master role, with the password it keeps in the secret.
    const { password } = await managedMasterLogin(managedSourceId);
    await psql(
      primary.url(),
      `CREATE ROLE ${MANAGED_MASTER} LOGIN SUPERUSER PASSWORD '${password.replaceAll("'", "''")}'`,
    );
    await addPayments(primary, 6);
    const now = await serverNow(primary);
    await setLatestRestorableTime(PRIMARY_REGION, sourceId, now);
    await setLatestRestorableTime(PRIMARY_REGION, managedSourceId, now);
    dir = await mkdtemp(join(tmpdir(), 'dr-rds-e2e-'));
    await writeFile(
      join(dir, 'checks.sql'),
      '-- name: payments were restored\n-- checklist: payments\nSELECT count(*) = 6 FROM payments;\n',
    );
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await primary?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('restores the latest restorable time, proves it, deletes the instance, sets every output and writes the summary and report', async () => {
    const reportPath = join(dir, 'report.json');
    const run = await runBundledAction(
      'rds-restore-test',
      {
        'instance-id': sourceId,
        'source-region': PRIMARY_REGION,
        'endpoint-url': stackFromEnv().awsEndpoint,
        username: primary.user,
        password: primary.password,
        database: 'shop',
        checks: join(dir, 'checks.sql'),
        'smoke-command': 'psql -X -At -c "select count(*) from payments"',
        'newest-row-columns': 'payments.created_at',
        'count-tables': 'payments',
        'wait-timeout-minutes': '5',
        'report-path': reportPath,
      },
      { env: { GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '2' } },
    );
    expect(service.errors).toEqual([]);
    // The one line that may hold it is the command that masks it.
    expect(
      run.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain(primary.password);
    expect(run.summary).not.toContain(primary.password);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      passed: 'true',
      'restored-instance-id': `${sourceId}-rt-4242-2`,
      'report-path': reportPath,
    });
    expect(Number(run.outputs['recovery-seconds'])).toBeGreaterThan(0);
    expect(Date.parse(run.outputs['recovery-point-time'] ?? '')).toBeGreaterThan(0);
    expect(run.stdout).toContain(`${sourceId}-rt-4242-2: creating after`);
    expect(run.summary).toContain('RDS restore test of');
    expect(run.summary).toContain('point-in-time restore');
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as RdsRestoreReport;
    expect(report.passed).toBe(true);
    expect(report.details.smoke?.output.trim()).toBe('6');
    expect(report.run).toMatchObject({ repository: 'acme/shop', runId: '4242', runAttempt: '2' });
    expect(await describeInstance(`${sourceId}-rt-4242-2`, PRIMARY_REGION).catch(() => undefined)).toBeUndefined();
  }, 300_000);

  /** rds-restore-test of the managed source with master-password-secret: managed, as run `runId`. */
  const managedRun = (runId: string, inputs: Record<string, string>, env: Record<string, string> = {}) =>
    runBundledAction(
      'rds-restore-test',
      {
        'instance-id': managedSourceId,
        'source-region': PRIMARY_REGION,
        'endpoint-url': stackFromEnv().awsEndpoint,
        'master-password-secret': 'managed',
        database: 'shop',
        checks: join(dir, 'checks.sql'),
        'wait-timeout-minutes': '5',
        ...inputs,
      },
      { env: { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1', ...env } },
    );

  test("master-password-secret: managed reads the source's MasterUserSecret, proves the restore with it, and the password shows in no output, summary, report or command line", async () => {
    const secret = await managedMasterLogin(managedSourceId);
    const psqlCalls = await recordingPsql(dir);
    const reportPath = join(dir, 'managed-report.json');
    const run = await managedRun(
      '4343',
      { 'smoke-command': 'psql -X -At -c "select current_user"', 'report-path': reportPath },
      { PATH: psqlCalls.path },
    );
    expect(service.errors).toEqual([]);
    expect([run.exitCode, run.stderr]).toEqual([0, '']);
    expect(run.outputs).toMatchObject({ passed: 'true', 'restored-instance-id': `${managedSourceId}-rt-4343-1` });
    expect(run.stdout).toContain(
      `master login: ${MANAGED_MASTER}, from Secrets Manager (the source's MasterUserSecret, ${secret.arn})`,
    );
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as RdsRestoreReport;
    expect(report.passed).toBe(true);
    // The smoke command connected as the secret's user, with the secret's password.
    expect(report.details.smoke?.output.trim()).toBe(MANAGED_MASTER);

    // Masked before anything could print it: the one line that holds it is the command that masks it.
    expect(run.stdout).toContain(maskCommand(secret.password));
    const leaks = (text: string) =>
      text.split('\n').filter((line) => line.includes(secret.password) && !line.startsWith('::add-mask::'));
    expect(leaks(run.stdout)).toEqual([]);
    expect(leaks(run.summary)).toEqual([]);
    expect(leaks(JSON.stringify(run.outputs))).toEqual([]);
    expect(leaks(await readFile(reportPath, 'utf8'))).toEqual([]);
    const calls = await psqlCalls.calls();
    // The proofs, the checks and the smoke command each ran psql through the recorder.
    expect(calls.filter((line) => line.includes('-X')).length).toBeGreaterThanOrEqual(4);
    expect(calls.filter((line) => line.includes(secret.password))).toEqual([]);
  }, 300_000);

  test('a secret rotated after the recovery point: its previous version (AWSPREVIOUS) opens the restored instance; rotated twice, the run says so at once', async () => {
    const secret = await managedMasterLogin(managedSourceId);
    // RDS rotated the secret after the recovery point: the restored data keeps the password before it.
    const rotated = `${secret.password}-r1`;
    await rotateSecret(secret.arn, { username: MANAGED_MASTER, password: rotated });
    const reportPath = join(dir, 'rotated-report.json');
    const run = await managedRun('4444', { 'report-path': reportPath });
    expect([run.exitCode, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toContain("the secret's previous version (AWSPREVIOUS) is tried");
    expect(run.stdout).toContain('logged in with the secret before its last rotation (AWSPREVIOUS)');
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as RdsRestoreReport;
    expect(report.passed).toBe(true);
    expect(report.details.database.login).toBe('the secret before its last rotation (AWSPREVIOUS)');
    for (const password of [secret.password, rotated]) {
      expect(run.stdout).toContain(maskCommand(password));
      const leaks = (text: string) =>
        text.split('\n').filter((line) => line.includes(password) && !line.startsWith('::add-mask::'));
      expect([...leaks(run.stdout), ...leaks(run.summary), ...leaks(await readFile(reportPath, 'utf8'))]).toEqual([]);
    }

    // Rotated once more: neither version is the restored data's password; a retry would not change that.
    await rotateSecret(secret.arn, { username: MANAGED_MASTER, password: `${secret.password}-r2` });
    const twice = await managedRun('4545', { 'report-path': join(dir, 'rotated-twice-report.json') });
    expect(twice.exitCode).toBe(1);
    expect(twice.stdout).toContain(
      'refused both the current and the previous password of the secret: it was rotated more than once since the recovery point; use database-auth: iam',
    );
    expect(twice.stdout).toMatch(/delete instance: deleted shop-[\w-]+-rt-4545-1/);
    await rotateSecret(secret.arn, secret);
  }, 300_000);
});
