import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runWorkflowStep } from './workflow-step.js';
import { jobsOf, parseWorkflow } from './workflow-rules.js';

const PRODUCTION = {
  VAR_REPLICA_ID: 'saas-production-replica',
  VAR_REGION: 'us-west-2',
  VAR_SOURCE_ID: 'saas-production',
  VAR_SOURCE_REGION: 'us-east-1',
  VAR_HOSTED_ZONE_ID: 'Z1234567890ABC',
  VAR_RECORD_NAME: 'db.saas.example.com',
  VAR_HEALTH_URL: 'https://api.saas.example.com/health',
  VAR_PLAN_ROLE_ARN: 'arn:aws:iam::111122223333:role/failover-plan',
};

const STAGING = {
  IN_REPLICA_ID: 'saas-staging-replica',
  IN_REGION: 'us-west-2',
  IN_SOURCE_ID: 'saas-staging',
  IN_SOURCE_REGION: 'us-east-1',
  IN_HOSTED_ZONE_ID: 'Z0STAGING00000',
  IN_RECORD_NAME: 'db.staging.saas.example.com',
  IN_HEALTH_URL: 'https://staging.saas.example.com/health',
  IN_PLAN_ROLE_ARN: 'arn:aws:iam::111122223333:role/staging-failover-plan',
  IN_EXECUTE_ROLE_ARN: 'arn:aws:iam::111122223333:role/staging-failover-execute',
  STAGING_REPLICA_URL_SET: 'true',
};

const FAILOVER_VALUES = [
  'replica-id',
  'region',
  'source-id',
  'source-region',
  'hosted-zone-id',
  'record-name',
  'health-url',
  'plan-role-arn',
  'execute-role-arn',
];

const STAGING_JOB = { job: 'configure-staging', step: 0 };

describe('failover.yml: a staging drill takes only staging values, every one of them', () => {
  test('with every staging value set, each output is the staging one', async () => {
    const run = await runWorkflowStep('failover.yml', { MODE: 'execute', ...STAGING }, STAGING_JOB);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ configured: 'true', mode: 'execute' });
    const staging = Object.values(STAGING);
    for (const name of FAILOVER_VALUES)
      expect([name, staging.includes(run.outputs[name] as string)]).toEqual([name, true]);
  });

  test.each([...Object.keys(STAGING)])('staging without %s refuses to start and names it', async (missing) => {
    const run = await runWorkflowStep('failover.yml', { MODE: 'execute', ...STAGING, [missing]: '' }, STAGING_JOB);
    expect(run.exitCode).toBe(1);
    expect(run.output).toMatch(/^::error::a staging failover needs every staging value/m);
    const name =
      missing === 'STAGING_REPLICA_URL_SET'
        ? 'secret STAGING_REPLICA_DATABASE_URL'
        : missing.slice(3).toLowerCase().replaceAll('_', '-');
    expect(run.output).toContain(name);
    expect(run.outputs).toEqual({});
  });

  test('a staging value with a line break cannot smuggle another output in', async () => {
    const run = await runWorkflowStep(
      'failover.yml',
      { MODE: 'plan', ...STAGING, IN_RECORD_NAME: 'db.staging.saas.example.com\nmode=execute' },
      STAGING_JOB,
    );
    expect(run.exitCode).toBe(1);
    expect(run.outputs.mode).not.toBe('execute');
  });
});

describe('failover.yml: production reads the repository variables', () => {
  test('the inputs override the repository variables and the rest come from them', async () => {
    const run = await runWorkflowStep('failover.yml', {
      MODE: 'plan',
      ...PRODUCTION,
      IN_RECORD_NAME: 'db2.saas.example.com',
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      configured: 'true',
      'replica-id': 'saas-production-replica',
      'record-name': 'db2.saas.example.com',
      'source-id': 'saas-production',
    });
  });

  test('unconfigured: only says what to set', async () => {
    const run = await runWorkflowStep('failover.yml', { MODE: 'plan' });
    expect(run).toMatchObject({ exitCode: 0, outputs: { configured: 'false' } });
    expect(run.summary).toContain('Failover is not configured, so nothing ran');
  });

  test('a value with a line break cannot smuggle another output in', async () => {
    const run = await runWorkflowStep('failover.yml', {
      MODE: 'plan',
      ...PRODUCTION,
      IN_RECORD_NAME: 'db.saas.example.com\nmode=execute',
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.mode).not.toBe('execute');
  });
});

describe.each([
  ['plan', 'execute', 'configure'],
  ['plan-staging', 'execute-staging', 'configure-staging'],
])('failover.yml: %s → %s, execute is bound to the record the plan job saw', (planId, executeId, configureId) => {
  const jobs = jobsOf(
    parseWorkflow(
      readFileSync(fileURLToPath(new URL('../../.github/workflows/failover.yml', import.meta.url)), 'utf8'),
    ),
  );
  const job = (id: string) => jobs.find((j) => j.id === id);
  const failoverStep = (id: string) => job(id)?.steps.find((s) => s.uses === './.dr-actions/actions/failover');
  const CHECK = 'Check that execute is bound to the approved plan';
  const at = { job: executeId, step: CHECK };

  test("the plan job exposes the action's record-value, and execute passes it as expected-record-value", () => {
    const plan = failoverStep(planId);
    expect(plan?.id).toBeTruthy();
    expect((job(planId)?.body.outputs as Record<string, string>)['record-value']).toBe(
      `\${{ steps.${String(plan?.id)}.outputs.record-value }}`,
    );
    expect((failoverStep(executeId)?.with as Record<string, string>)['expected-record-value']).toBe(
      `\${{ needs.${planId}.outputs.record-value }}`,
    );
    expect(job(executeId)?.body.needs).toEqual([configureId, planId]);
  });

  test('the check runs before execute assumes its role or runs the action', () => {
    const names = (job(executeId)?.steps ?? []).map((s) => s.name);
    expect(names.indexOf(CHECK)).toBeGreaterThan(-1);
    expect(names.indexOf(CHECK)).toBeLessThan(names.indexOf('AWS credentials (OIDC)'));
    expect(names.indexOf(CHECK)).toBeLessThan(names.indexOf('Execute'));
  });

  test('a record is configured but the plan gave no record-value: execute stops and says why', async () => {
    const run = await runWorkflowStep('failover.yml', { RECORD_NAME: 'db.saas.example.com', RECORD_VALUE: '' }, at);
    expect(run.exitCode).toBe(1);
    expect(run.output).toMatch(/^::error::the plan job gave no record-value for db\.saas\.example\.com/m);
  });

  test.each([
    [
      'a record and the value the plan saw',
      { RECORD_NAME: 'db.saas.example.com', RECORD_VALUE: 'saas-production.abc.us-east-1.rds.amazonaws.com' },
    ],
    ['a record the plan saw missing', { RECORD_NAME: 'db.saas.example.com', RECORD_VALUE: '(none)' }],
    ['no record configured', { RECORD_NAME: '', RECORD_VALUE: '' }],
  ])('%s: execute goes on', async (_label, env) => {
    expect((await runWorkflowStep('failover.yml', env, at)).exitCode).toBe(0);
  });
});

describe.each(['backup.yml', 'restore-verify.yml'])(
  '%s: each database job receives only its own database URL',
  (workflow) => {
    const base = {
      BUCKET: 'saas-backups',
      REGION: 'us-east-1',
      ROLE_ARN: 'arn:aws:iam::111122223333:role/dr',
      PREFIX: 'database/',
      POSTGRES_VERSION: '16',
      ...(workflow === 'restore-verify.yml'
        ? { POSTGRES_IMAGE: `postgres:16@sha256:${'a'.repeat(64)}`, EVENT: 'schedule' }
        : {}),
    };

    test('many databases: one environment each, holding its own DATABASE_URL', async () => {
      const run = await runWorkflowStep(workflow, {
        ...base,
        DATABASES: '["orders","billing-eu"]',
        REPOSITORY_DATABASE_URL_SET: 'false',
      });
      expect(run.exitCode).toBe(0);
      expect(JSON.parse(run.outputs.databases as string)).toEqual([
        { name: 'orders', prefix: 'database/orders/', environment: 'dr-database-orders' },
        { name: 'billing-eu', prefix: 'database/billing-eu/', environment: 'dr-database-billing-eu' },
      ]);
    });

    test('many databases and a repository-level DATABASE_URL: refused, since it would stand in for a missing one', async () => {
      const run = await runWorkflowStep(workflow, {
        ...base,
        DATABASES: '["orders"]',
        REPOSITORY_DATABASE_URL_SET: 'true',
      });
      expect(run.exitCode).toBe(1);
      expect(run.output).toMatch(
        /^::error::with DR_DATABASES each database's URL is the DATABASE_URL secret of its environment dr-database-<name>/m,
      );
    });

    test('one database: no environment, the repository secret', async () => {
      const run = await runWorkflowStep(workflow, { ...base, REPOSITORY_DATABASE_URL_SET: 'true' });
      expect(run.exitCode).toBe(0);
      expect(JSON.parse(run.outputs.databases as string)).toEqual([
        { name: 'database', prefix: 'database/', environment: '' },
      ]);
    });
  },
);

describe('restore-verify.yml: the scratch server image is pinned by digest', () => {
  const base = {
    BUCKET: 'saas-backups',
    REGION: 'us-east-1',
    ROLE_ARN: 'arn:aws:iam::111122223333:role/dr',
    PREFIX: 'database/',
    POSTGRES_VERSION: '16',
    EVENT: 'schedule',
  };
  const digest = 'b'.repeat(64);

  test.each([
    `postgres:16@sha256:${digest}`,
    `ghcr.io/acme/postgres:16.4-bookworm@sha256:${digest}`,
    `postgres@sha256:${digest}`,
  ])('%s is accepted and used', async (image) => {
    const run = await runWorkflowStep('restore-verify.yml', { ...base, POSTGRES_IMAGE: image });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['postgres-image']).toBe(image);
  });

  test.each([
    ['', /must name the scratch server's image pinned by digest/],
    ['postgres:16', /must name the scratch server's image pinned by digest/],
    [`postgres:16@sha256:${'b'.repeat(63)}`, /pinned by digest/],
    [`postgres:17@sha256:${digest}`, /is PostgreSQL 17 but DR_POSTGRES_VERSION is 16/],
  ])('%j is refused', async (image, message) => {
    const run = await runWorkflowStep('restore-verify.yml', { ...base, POSTGRES_IMAGE: image });
    expect(run.exitCode).toBe(1);
    expect(run.output).toMatch(message);
  });
});

describe('restore-verify.yml: a scratch database of your own instead of the service container', () => {
  const base = {
    BUCKET: 'saas-backups',
    REGION: 'us-east-1',
    ROLE_ARN: 'arn:aws:iam::111122223333:role/dr',
    PREFIX: 'database/',
    POSTGRES_VERSION: '16',
    EVENT: 'schedule',
  };

  test('with TARGET_DATABASE_URL no image is needed, none is started, and the databases restore one at a time', async () => {
    const run = await runWorkflowStep('restore-verify.yml', {
      ...base,
      TARGET_DATABASE_URL_SET: 'true',
      POSTGRES_IMAGE: `postgres:16@sha256:${'d'.repeat(64)}`,
      DATABASES: '["orders","billing"]',
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ configured: 'true', 'postgres-image': '', 'max-parallel': '1' });
  });

  test('without it: the pinned image, every database at once', async () => {
    const image = `postgres:16@sha256:${'d'.repeat(64)}`;
    const run = await runWorkflowStep('restore-verify.yml', { ...base, POSTGRES_IMAGE: image });
    expect(run.outputs).toMatchObject({ configured: 'true', 'postgres-image': image, 'max-parallel': '256' });
  });

  test('the restore job starts no service and applies no scratch settings when the image is empty, and restores into the secret', () => {
    const job = jobsOf(
      parseWorkflow(
        readFileSync(fileURLToPath(new URL('../../.github/workflows/restore-verify.yml', import.meta.url)), 'utf8'),
      ),
    ).find((j) => j.id === 'restore-verify');
    const services = job?.body.services as Record<string, { image: string }>;
    expect(services.postgres?.image).toBe('${{ needs.configure.outputs.postgres-image }}');
    expect(job?.steps.find((s) => String(s.name).startsWith('Scratch settings'))?.if).toBe(
      "needs.configure.outputs.postgres-image != ''",
    );
    const restore = job?.steps.find((s) => s.uses === './.dr-actions/actions/restore-verify');
    expect((restore?.with as Record<string, string>)['target-database-url']).toBe(
      "${{ secrets.TARGET_DATABASE_URL || 'postgres://postgres:scratch@127.0.0.1:5432/restore_verify' }}",
    );
    expect((job?.body.strategy as Record<string, unknown>)['max-parallel']).toBe(
      '${{ fromJSON(needs.configure.outputs.max-parallel) }}',
    );
  });
});

describe("restore-verify.yml: a restore from the secondary region's copy", () => {
  const base = {
    ROLE_ARN: 'arn:aws:iam::111122223333:role/dr',
    PREFIX: 'database/',
    POSTGRES_VERSION: '16',
    POSTGRES_IMAGE: `postgres:16@sha256:${'c'.repeat(64)}`,
    EVENT: 'workflow_call',
  };

  test('reads the copy bucket in its region', async () => {
    const run = await runWorkflowStep('restore-verify.yml', {
      ...base,
      FROM_COPY: 'true',
      BUCKET: 'saas-backups-us-west-2',
      REGION: 'us-west-2',
      COPY_BUCKET: 'saas-backups-us-west-2',
      COPY_REGION: 'us-west-2',
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ bucket: 'saas-backups-us-west-2', region: 'us-west-2' });
  });

  test('without both copy variables stops, instead of reading the primary bucket', async () => {
    const run = await runWorkflowStep('restore-verify.yml', {
      ...base,
      FROM_COPY: 'true',
      BUCKET: 'saas-backups',
      REGION: 'us-east-1',
      COPY_BUCKET: 'saas-backups-us-west-2',
    });
    expect(run.exitCode).toBe(1);
    expect(run.output).toContain(
      "::error::a restore from the secondary region's copy needs DR_COPY_BUCKET and DR_COPY_REGION",
    );
  });
});

describe('rds-restore-test.yml: where the restore runs', () => {
  const base = {
    INSTANCE_ID: 'saas-production',
    PRIMARY: 'us-east-1',
    ROLE_ARN: 'arn:aws:iam::111122223333:role/rds-restore-test',
    MASTER_USER: 'postgres',
    PASSWORD_SET: 'true',
    POINT: 'latest',
  };

  test.each([
    ['primary', 'us-east-1'],
    ['secondary', 'us-west-2'],
  ])('region %s restores in %s', async (where, region) => {
    const run = await runWorkflowStep('rds-restore-test.yml', { ...base, SECONDARY: 'us-west-2', WHERE: where });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ configured: 'true', region, 'recovery-point': 'latest' });
  });

  test('secondary without DR_SECONDARY_REGION stops, instead of restoring in the primary region', async () => {
    const run = await runWorkflowStep('rds-restore-test.yml', { ...base, WHERE: 'secondary' });
    expect(run.exitCode).toBe(1);
    expect(run.output).toMatch(/^::error::region is secondary, but DR_SECONDARY_REGION is not set/m);
    expect(run.outputs.region).toBeUndefined();
  });

  test('without a password stored in GitHub: the master password from the secret RDS manages (recommended), or the secret named', async () => {
    const managed = await runWorkflowStep('rds-restore-test.yml', {
      ...base,
      MASTER_USER: '',
      PASSWORD_SET: 'false',
      WHERE: 'primary',
    });
    expect(managed).toMatchObject({
      exitCode: 0,
      outputs: { configured: 'true', 'master-password-secret': 'managed' },
    });
    const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!db-0123-AbCdEf';
    const named = await runWorkflowStep('rds-restore-test.yml', {
      ...base,
      PASSWORD_SET: 'false',
      MASTER_SECRET: arn,
      WHERE: 'primary',
    });
    expect(named).toMatchObject({ exitCode: 0, outputs: { 'master-password-secret': arn } });
  });

  test('the password secret instead: no secret read; both ways, or the password without its user, stop', async () => {
    const password = await runWorkflowStep('rds-restore-test.yml', { ...base, WHERE: 'primary' });
    expect(password).toMatchObject({ exitCode: 0, outputs: { configured: 'true', 'master-password-secret': '' } });
    const both = await runWorkflowStep('rds-restore-test.yml', { ...base, MASTER_SECRET: 'managed', WHERE: 'primary' });
    expect(both.exitCode).toBe(1);
    expect(both.output).toMatch(
      /^::error::both DR_RDS_MASTER_PASSWORD_SECRET and the secret DR_RDS_MASTER_PASSWORD are set: keep one/m,
    );
    const noUser = await runWorkflowStep('rds-restore-test.yml', { ...base, MASTER_USER: '', WHERE: 'primary' });
    expect(noUser.exitCode).toBe(1);
    expect(noUser.output).toContain('::error::the secret DR_RDS_MASTER_PASSWORD is set, but DR_RDS_MASTER_USER is not');
  });

  test('no password at all: DR_RDS_DATABASE_AUTH iam signs in as DR_RDS_IAM_USER, and reads no secret', async () => {
    const iam = { ...base, MASTER_USER: '', PASSWORD_SET: 'false', WHERE: 'primary', DATABASE_AUTH: 'iam' };
    const run = await runWorkflowStep('rds-restore-test.yml', { ...iam, IAM_USER: 'dr_restore_check' });
    expect(run).toMatchObject({
      exitCode: 0,
      outputs: { 'master-password-secret': '', username: 'dr_restore_check', 'database-auth': 'iam' },
    });
    const password = await runWorkflowStep('rds-restore-test.yml', { ...base, WHERE: 'primary' });
    expect(password.outputs).toMatchObject({ username: 'postgres', 'database-auth': 'password' });
  });

  test.each([
    [{ IAM_USER: '' }, 'DR_RDS_DATABASE_AUTH is iam, but DR_RDS_IAM_USER is not set'],
    [
      { IAM_USER: 'dr_restore_check', MASTER_SECRET: 'managed' },
      'DR_RDS_DATABASE_AUTH is iam, which reads no password',
    ],
    [{ IAM_USER: 'dr_restore_check', PASSWORD_SET: 'true' }, 'DR_RDS_DATABASE_AUTH is iam, which reads no password'],
    [{ DATABASE_AUTH: 'token' }, "DR_RDS_DATABASE_AUTH must be password or iam, got 'token'"],
    [{ IAM_USER: 'dr\nusername=postgres' }, 'the database user name holds a line break'],
  ])('%j stops the run: %s', async (env, message) => {
    const iam = { ...base, MASTER_USER: '', PASSWORD_SET: 'false', WHERE: 'primary', DATABASE_AUTH: 'iam' };
    const run = await runWorkflowStep('rds-restore-test.yml', { ...iam, ...env });
    expect(run.exitCode).toBe(1);
    expect(run.output).toContain(`::error::${message}`);
    expect(run.outputs).toEqual({});
  });

  test('without the instance or the role: only says what to set', async () => {
    const run = await runWorkflowStep('rds-restore-test.yml', { ...base, ROLE_ARN: '', WHERE: 'primary' });
    expect(run).toMatchObject({ exitCode: 0, outputs: { configured: 'false' } });
    expect(run.summary).toContain('RDS restore tests are not configured, so nothing ran');
    expect(run.summary).toContain('`DR_RDS_MASTER_PASSWORD_SECRET`');
  });
});

describe('recover-application.yml: production or staging values, never a mix', () => {
  const PRODUCTION_APP = {
    VAR_RESTART_COMMAND: "ssh deploy@app.example.com 'docker compose up -d'",
    VAR_HEALTH_URL: 'https://api.example.com/api/v1/health/',
    VAR_LOG_COMMAND: "ssh deploy@app.example.com 'docker compose logs --since 15m backend'",
  };
  const STAGING_APP = {
    IN_RESTART_COMMAND: "ssh deploy@staging.example.com 'docker compose up -d'",
    IN_CRASH_COMMAND: "ssh deploy@staging.example.com 'docker compose kill backend'",
    IN_HEALTH_URL: 'https://Staging.example.com:8443/api/v1/health/?token=x',
    STAGING_ENVIRONMENT: 'dr-staging',
  };

  test('a staging drill takes every value from the staging inputs, confirms its own host, and none from production', async () => {
    const run = await runWorkflowStep('recover-application.yml', {
      MODE: 'execute',
      STAGING: 'true',
      ...PRODUCTION_APP,
      ...STAGING_APP,
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({
      configured: 'true',
      mode: 'execute',
      staging: 'true',
      'restart-command': STAGING_APP.IN_RESTART_COMMAND,
      'crash-command': STAGING_APP.IN_CRASH_COMMAND,
      'health-url': STAGING_APP.IN_HEALTH_URL,
      'log-command': '',
      'log-errors': '',
      'ssh-known-hosts': '',
      region: '',
      'staging-confirm': 'staging.example.com:8443',
    });
  });

  test.each([
    ['https://STAGING.example.com:443/health', 'staging.example.com'],
    ['http://10.0.0.7:80/health', '10.0.0.7'],
    ['http://10.0.0.7:8080', '10.0.0.7:8080'],
  ])("a staging health URL %s is confirmed as its host reads in a URL: '%s'", async (url, host) => {
    const run = await runWorkflowStep('recover-application.yml', {
      MODE: 'execute',
      STAGING: 'true',
      ...STAGING_APP,
      IN_HEALTH_URL: url,
    });
    expect(run.outputs['staging-confirm']).toBe(host);
    expect(new URL(url).host).toBe(host);
  });

  test.each(['IN_RESTART_COMMAND', 'IN_CRASH_COMMAND', 'IN_HEALTH_URL'])(
    'staging without %s refuses to start and names it, instead of using production',
    async (missing) => {
      const run = await runWorkflowStep('recover-application.yml', {
        MODE: 'execute',
        STAGING: 'true',
        ...PRODUCTION_APP,
        ...STAGING_APP,
        [missing]: '',
      });
      expect(run.exitCode).toBe(1);
      expect(run.output).toMatch(
        new RegExp(
          `^::error::a staging application recovery needs every staging value, .*missing: ${missing.slice(3).toLowerCase().replace('_', '-')}`,
          'm',
        ),
      );
      expect(run.outputs).toEqual({});
    },
  );

  test('a staging drill in the production environment, or with an outage time, is refused; one with no staging value at all only says what to set', async () => {
    const inProduction = await runWorkflowStep('recover-application.yml', {
      MODE: 'execute',
      STAGING: 'true',
      ...STAGING_APP,
      STAGING_ENVIRONMENT: 'disaster-recovery-application',
    });
    expect(inProduction.exitCode).toBe(1);
    expect(inProduction.output).toContain(
      '::error::staging-environment is the production environment disaster-recovery-application',
    );
    const withOutage = await runWorkflowStep('recover-application.yml', {
      MODE: 'execute',
      STAGING: 'true',
      ...STAGING_APP,
      OUTAGE_STARTED_AT: '2026-03-14T09:00:00Z',
    });
    expect(withOutage.exitCode).toBe(1);
    const unset = await runWorkflowStep('recover-application.yml', {
      MODE: 'execute',
      STAGING: 'true',
      ...PRODUCTION_APP,
      STAGING_ENVIRONMENT: 'dr-staging',
    });
    expect(unset).toMatchObject({ exitCode: 0, outputs: { configured: 'false' } });
  });

  test('outside a drill: the repository variables, no crash, whatever staging inputs are given; unconfigured, it only says what to set', async () => {
    const run = await runWorkflowStep('recover-application.yml', {
      MODE: 'plan',
      STAGING: 'false',
      ...PRODUCTION_APP,
      ...STAGING_APP,
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      configured: 'true',
      staging: 'false',
      'restart-command': PRODUCTION_APP.VAR_RESTART_COMMAND,
      'crash-command': '',
      'health-url': PRODUCTION_APP.VAR_HEALTH_URL,
      'staging-confirm': '',
    });
    const unconfigured = await runWorkflowStep('recover-application.yml', {
      MODE: 'plan',
      STAGING: 'false',
      VAR_HEALTH_URL: PRODUCTION_APP.VAR_HEALTH_URL,
    });
    expect(unconfigured).toMatchObject({ exitCode: 0, outputs: { configured: 'false' } });
    expect(unconfigured.summary).toContain('Application recovery is not configured, so nothing ran');
  });

  test.each([
    ['recover-application.yml', 'execute', 'PLAN_DIGEST'],
    ['recover-application.yml', 'staging-execute', 'PLAN_DIGEST'],
    ['recover-database.yml', 'execute', 'RECOVERY_POINT'],
    ['recover-database.yml', 'staging-execute', 'RECOVERY_POINT'],
  ])('%s %s: without the plan’s binding value nothing runs; with it, execute goes on', async (workflow, job, name) => {
    const at = { job, step: 'Check that execute is bound to the approved plan' };
    const refused = await runWorkflowStep(workflow, { [name]: '' }, at);
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toMatch(/^::error::the plan job gave no /m);
    expect((await runWorkflowStep(workflow, { [name]: 'backup_20260314_020000.dump' }, at)).exitCode).toBe(0);
  });
});

describe('recover-database.yml: production or staging values, never a mix', () => {
  const PRODUCTION_DB = {
    VAR_BUCKET: 'saas-backups',
    VAR_PREFIX: 'database/',
    VAR_REGION: 'us-east-1',
    VAR_INSTANCE_ID: 'saas-production',
    VAR_PLAN_ROLE_ARN: 'arn:aws:iam::111122223333:role/recover-plan',
    VAR_STOP_COMMAND: 'ssh deploy@app docker compose stop backend celery',
    DATABASE_URL_SET: 'true',
  };
  const STAGING_DB = {
    IN_CONFIRM: 'saas_staging',
    IN_BUCKET: 'saas-staging-backups',
    IN_REGION: 'us-east-2',
    IN_PLAN_ROLE_ARN: 'arn:aws:iam::111122223333:role/staging-recover-plan',
    IN_EXECUTE_ROLE_ARN: 'arn:aws:iam::111122223333:role/staging-recover-execute',
    STAGING_DATABASE_URL_SET: 'true',
    STAGING_ENVIRONMENT: 'dr-staging',
  };

  test('a staging drill from a backup takes only staging values', async () => {
    const run = await runWorkflowStep('recover-database.yml', {
      MODE: 'execute',
      STAGING: 'true',
      SOURCE: 'backup',
      ...PRODUCTION_DB,
      ...STAGING_DB,
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      configured: 'true',
      staging: 'true',
      source: 'backup',
      bucket: 'saas-staging-backups',
      prefix: '',
      region: 'us-east-2',
      'instance-id': '',
      'stop-command': '',
      'plan-role-arn': STAGING_DB.IN_PLAN_ROLE_ARN,
      cutover: 'rename',
    });
    const production = Object.values(PRODUCTION_DB).filter((value) => value !== 'true');
    expect(Object.values(run.outputs).filter((value) => production.includes(value))).toEqual([]);
  });

  test.each([
    ['IN_CONFIRM', 'backup', 'confirm'],
    ['IN_REGION', 'backup', 'region'],
    ['IN_PLAN_ROLE_ARN', 'backup', 'plan-role-arn'],
    ['IN_EXECUTE_ROLE_ARN', 'backup', 'execute-role-arn'],
    ['STAGING_DATABASE_URL_SET', 'backup', 'secret STAGING_DATABASE_URL'],
    ['IN_BUCKET', 'backup', 'bucket'],
    ['IN_INSTANCE_ID', 'rds-point-in-time', 'instance-id'],
  ])('staging without %s (source %s) refuses to start and names %s', async (missing, source, name) => {
    const run = await runWorkflowStep('recover-database.yml', {
      MODE: 'execute',
      STAGING: 'true',
      SOURCE: source,
      ...PRODUCTION_DB,
      ...STAGING_DB,
      [missing]: '',
    });
    expect(run.exitCode).toBe(1);
    expect(run.output).toMatch(
      /^::error::a staging database recovery needs every staging value, and none was taken from production; missing: /m,
    );
    expect(run.output).toContain(name);
    expect(run.outputs).toEqual({});
  });

  test('outside a drill: a backup needs the bucket and the DATABASE_URL secret, an RDS source the instance; else it only says what to set', async () => {
    const backup = await runWorkflowStep('recover-database.yml', {
      MODE: 'plan',
      STAGING: 'false',
      SOURCE: 'backup',
      ...PRODUCTION_DB,
      ...STAGING_DB,
    });
    expect(backup.outputs).toMatchObject({
      configured: 'true',
      bucket: 'saas-backups',
      region: 'us-east-1',
      'stop-command': PRODUCTION_DB.VAR_STOP_COMMAND,
      cutover: 'rename',
      'postgres-version': '16',
    });
    const noUrl = await runWorkflowStep('recover-database.yml', {
      MODE: 'plan',
      STAGING: 'false',
      SOURCE: 'backup',
      ...PRODUCTION_DB,
      DATABASE_URL_SET: 'false',
    });
    expect(noUrl).toMatchObject({ exitCode: 0, outputs: { configured: 'false' } });
    expect(noUrl.summary).toContain('Database recovery is not configured, so nothing ran');
    const rds = await runWorkflowStep('recover-database.yml', {
      MODE: 'plan',
      STAGING: 'false',
      SOURCE: 'rds-point-in-time',
      ...PRODUCTION_DB,
      DATABASE_URL_SET: 'false',
    });
    expect(rds.outputs).toMatchObject({
      configured: 'true',
      source: 'rds-point-in-time',
      'instance-id': 'saas-production',
    });
    const bad = await runWorkflowStep('recover-database.yml', {
      MODE: 'plan',
      STAGING: 'false',
      SOURCE: 'pitr',
      ...PRODUCTION_DB,
    });
    expect(bad.exitCode).toBe(1);
  });
});
