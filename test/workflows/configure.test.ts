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
    RUNNER: 'ubuntu-24.04',
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

  test('without the master password: only says what to set', async () => {
    const run = await runWorkflowStep('rds-restore-test.yml', { ...base, PASSWORD_SET: 'false', WHERE: 'primary' });
    expect(run).toMatchObject({ exitCode: 0, outputs: { configured: 'false' } });
    expect(run.summary).toContain('RDS restore tests are not configured, so nothing ran');
  });
});
