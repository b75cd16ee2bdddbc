import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { jobsOf, parseWorkflow } from './workflow-rules.js';
import { runWorkflowStep } from './workflow-step.js';

/**
 * No database password stored in GitHub: every step of a reusable workflow that gives a dr-actions
 * action a database URL or login also gives it database-auth, so that a caller can sign in with IAM tokens
 * (a URL without a password) instead. Production's jobs read it from a variable, a staging drill's
 * from the caller's staging input.
 */

type Map = Record<string, unknown>;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const read = (file: string) => parseWorkflow(readFileSync(join(WORKFLOWS, file), 'utf8'));
const REUSABLE = readdirSync(WORKFLOWS).filter((file) => 'workflow_call' in (read(file).on as Map));
const DR_ACTION = /^\.\/\.dr-actions\/actions\/([a-z-]+)$/;

/** The action's inputs that sign in to a database (a postgres:// URL, or a user and password), when it also takes database-auth. */
function connectionInputs(action: string): string[] {
  const path = join(ROOT, 'actions', action, 'action.yml');
  if (!existsSync(path)) return [];
  const inputs = ((parse(readFileSync(path, 'utf8')) as Map).inputs ?? {}) as Record<string, { description?: string }>;
  if (!('database-auth' in inputs)) return [];
  return Object.entries(inputs)
    .filter(
      ([name, spec]) => String(spec.description ?? '').includes('postgres://') || /^(username|password)$/.test(name),
    )
    .map(([name]) => name);
}

/** Each step that gives a database URL or login, with where its database-auth comes from (undefined: not given). */
function connectionSteps(workflow: Map, file: string): { at: string; auth: string | undefined }[] {
  return jobsOf(workflow).flatMap((job) =>
    job.steps.flatMap((step) => {
      const action = DR_ACTION.exec(String(step.uses ?? ''))?.[1];
      const given = (step.with ?? {}) as Record<string, string>;
      if (!action || !connectionInputs(action).some((input) => input in given)) return [];
      return [{ at: `${file} ${job.id}`, auth: given['database-auth'] }];
    }),
  );
}

describe('every step that gives an action a database URL or login says how it signs in', () => {
  test('the steps and where their database-auth comes from', () => {
    expect(REUSABLE.flatMap((file) => connectionSteps(read(file), file))).toEqual([
      { at: 'backup.yml backup', auth: '${{ vars.DR_DATABASE_AUTH }}' },
      { at: 'failover.yml plan', auth: '${{ inputs.database-auth || vars.DR_DATABASE_AUTH }}' },
      { at: 'failover.yml execute', auth: '${{ inputs.database-auth || vars.DR_DATABASE_AUTH }}' },
      { at: 'failover.yml plan-staging', auth: '${{ inputs.database-auth }}' },
      { at: 'failover.yml execute-staging', auth: '${{ inputs.database-auth }}' },
      { at: 'rds-restore-test.yml rds-restore-test', auth: '${{ needs.configure.outputs.database-auth }}' },
      { at: 'recover-database.yml plan', auth: '${{ vars.DR_DATABASE_AUTH }}' },
      { at: 'recover-database.yml execute', auth: '${{ vars.DR_DATABASE_AUTH }}' },
      { at: 'recover-database.yml staging-plan', auth: '${{ inputs.staging-database-auth }}' },
      { at: 'recover-database.yml staging-execute', auth: '${{ inputs.staging-database-auth }}' },
      { at: 'restore-verify.yml restore-verify', auth: '${{ vars.DR_TARGET_DATABASE_AUTH }}' },
    ]);
  });

  test('a step that loses it is found', () => {
    const workflow = read('backup.yml');
    const step = jobsOf(workflow)
      .find((job) => job.id === 'backup')
      ?.steps.find((s) => s.uses === './.dr-actions/actions/backup') as Map;
    delete (step.with as Map)['database-auth'];
    expect(connectionSteps(workflow, 'backup.yml')).toEqual([{ at: 'backup.yml backup', auth: undefined }]);
  });

  test("the drill gives each staging rehearsal its own staging setting, never production's", () => {
    const jobs = jobsOf(read('dr-drill.yml'));
    const given = (id: string) => (jobs.find((job) => job.id === id)?.body.with ?? {}) as Map;
    expect(given('failover')['database-auth']).toBe(
      "${{ vars.DR_DRILL_FAILOVER_MODE == 'execute' && vars.DR_STAGING_DATABASE_AUTH || '' }}",
    );
    expect(given('recover-database')['staging-database-auth']).toBe('${{ vars.DR_STAGING_DB_DATABASE_AUTH }}');
  });
});

describe('restore-verify.yml: IAM authentication is for a target of your own', () => {
  const base = {
    BUCKET: 'saas-backups',
    REGION: 'us-east-1',
    ROLE_ARN: 'arn:aws:iam::111122223333:role/dr',
    PREFIX: 'database/',
    POSTGRES_VERSION: '16',
    EVENT: 'schedule',
    POSTGRES_IMAGE: `postgres:16@sha256:${'d'.repeat(64)}`,
  };

  test('DR_TARGET_DATABASE_AUTH iam without TARGET_DATABASE_URL stops the run, saying what to set', async () => {
    const run = await runWorkflowStep('restore-verify.yml', { ...base, TARGET_DATABASE_AUTH: 'iam' });
    expect(run.exitCode).toBe(1);
    expect(run.output).toContain(
      "::error::DR_TARGET_DATABASE_AUTH is 'iam', but the secret TARGET_DATABASE_URL is not set",
    );
    expect(run.outputs).toEqual({});
  });

  test('with TARGET_DATABASE_URL, or with password, the run goes on', async () => {
    const cases: Record<string, string>[] = [
      { TARGET_DATABASE_AUTH: 'iam', TARGET_DATABASE_URL_SET: 'true' },
      { TARGET_DATABASE_AUTH: 'password' },
      {},
    ];
    for (const env of cases) {
      const run = await runWorkflowStep('restore-verify.yml', { ...base, ...env });
      expect([env, run.exitCode, run.outputs.configured]).toEqual([env, 0, 'true']);
    }
  });
});
