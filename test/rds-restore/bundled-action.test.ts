import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
import { addPayments, createSource, serverNow, setLatestRestorableTime, startShopPrimary } from './fixtures.js';

describe('the bundled rds-restore-test action (node24, as the runner calls it)', () => {
  let primary: ArchivingPrimary;
  let service: RestoreService;
  let sourceId: string;
  let dir: string;

  beforeAll(async () => {
    primary = await startShopPrimary();
    service = serveRestores(primary, stackFromEnv().awsEndpoint, { serves: (r) => r.sourceInstance === sourceId });
    sourceId = await createSource();
    await addPayments(primary, 6);
    await setLatestRestorableTime(PRIMARY_REGION, sourceId, await serverNow(primary));
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
});
