import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RestoreVerifyReport } from '../../src/restore/restore-report.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { stackFromEnv } from '../../harness/stack.js';
import { startPostgres, type PostgresServer } from '../../harness/postgres.js';
import { createRolesAndSchema, dropRoles, roleFixture } from './rebuild-roles.js';

describe('the bundled backup, then the bundled restore-verify with rebuild: true onto an empty server', () => {
  const roles = roleFixture();
  const appPassword = `app-pw-${randomBytes(8).toString('hex')}`;
  let source: { name: string; url: string };
  let empty: PostgresServer;
  let bucket: string;
  let dir: string;

  beforeAll(async () => {
    [source, empty] = await Promise.all([createDatabase('rb_e2e'), startPostgres()]);
    await createRolesAndSchema(roles, stackFromEnv().postgresUrl('postgres'), source.name, source.url);
    bucket = await createBucket('rebuild-e2e');
    dir = await mkdtemp(join(tmpdir(), 'dr-rebuild-e2e-'));
  });

  afterAll(async () => {
    await empty?.stop();
    if (source) await dropDatabase(source.name);
    await dropRoles(roles, stackFromEnv().postgresUrl('postgres'));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('rebuilds the roles and the database, and the application role logs in and reads its tables', async () => {
    const endpoint = stackFromEnv().awsEndpoint;
    const backup = await runBundledAction('backup', { 'database-url': source.url, bucket, 'endpoint-url': endpoint });
    expect(backup.stderr).toBe('');
    expect(backup.exitCode).toBe(0);
    expect(backup.outputs['globals-key']).toBe(`${backup.outputs.key}.globals.sql`);

    const reportPath = join(dir, 'report.json');
    const run = await runBundledAction(
      'restore-verify',
      {
        bucket,
        'endpoint-url': endpoint,
        'target-database-url': empty.url('saas_production'),
        rebuild: 'true',
        'role-passwords': JSON.stringify({ [roles.app]: appPassword }),
        'keep-database': 'true',
        'smoke-env': 'APP_DB_PASSWORD',
        'smoke-command': `sh -c 'PGUSER=${roles.app} PGPASSWORD="$APP_DB_PASSWORD" psql -X -A -t -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM app.items"'`,
        jobs: '2',
        'report-path': reportPath,
      },
      { env: { APP_DB_PASSWORD: appPassword } },
    );
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'true', 'backup-key': backup.outputs.key });

    const reportText = await readFile(reportPath, 'utf8');
    const report = JSON.parse(reportText) as RestoreVerifyReport;
    expect(report.objectives[0]).toMatchObject({
      name: 'RTO',
      scenario: 'infrastructure failure',
      targetSeconds: 14_400,
      passed: true,
    });
    expect(report.details.roles).toMatchObject({
      mode: 'rebuild',
      missing: [],
      passwordsSet: [roles.app],
      needPassword: [roles.ops],
    });
    expect(report.details.smoke?.output.trim()).toBe('25');
    expect(run.summary).toContain('### Objectives (scenario: infrastructure failure)');

    // The runner is told to mask the password (::add-mask::); nothing else it prints, stores or reports holds it.
    const printed = run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    for (const text of [printed, run.summary, reportText]) {
      expect(text).not.toContain(appPassword);
      expect(text).not.toContain(roles.sourcePassword);
    }
    expect(
      await sql(
        empty.url('saas_production'),
        `SELECT relowner::regrole FROM pg_class WHERE oid = 'app.items'::regclass`,
      ),
    ).toBe(roles.owner);
  });
});
