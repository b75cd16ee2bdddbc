/**
 * failover.yml: a staging drill runs jobs of its own that never name a production secret, role,
 * variable or environment, and the production jobs never name staging's; the two never run together.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { conditionOf, crossedReferences } from './failover-separation.js';
import { jobsOf, parseWorkflow } from './workflow-rules.js';

const TEXT = readFileSync(fileURLToPath(new URL('../../.github/workflows/failover.yml', import.meta.url)), 'utf8');

/** The workflow with one value of one job replaced, as a future edit might. */
function edited(job: string, path: string[], value: unknown): string {
  const workflow = parse(TEXT) as Record<string, unknown>;
  let at = (workflow.jobs as Record<string, unknown>)[job] as Record<string, unknown>;
  for (const key of path.slice(0, -1))
    at = (Array.isArray(at) ? at.find((s: { name?: string }) => s.name === key) : at[key]) as Record<string, unknown>;
  at[path[path.length - 1] as string] = value;
  return stringify(workflow);
}

describe('failover.yml: production and staging jobs name only their own secrets, roles and environments', () => {
  test('as written, no job crosses over, and every job is on one side', () => {
    expect(crossedReferences(TEXT)).toEqual([]);
  });

  test('each side has its configure, plan and execute; the two configure jobs never run together', () => {
    const ids = jobsOf(parseWorkflow(TEXT)).map((j) => j.id);
    expect(ids).toEqual(['configure', 'plan', 'execute', 'configure-staging', 'plan-staging', 'execute-staging']);
    expect(conditionOf(TEXT, 'configure')).toBe('${{ !inputs.staging }}');
    expect(conditionOf(TEXT, 'configure-staging')).toBe('${{ inputs.staging }}');
  });

  test('staging assumes only the roles and secret its caller gave, behind its own environment', () => {
    const jobs = jobsOf(parseWorkflow(TEXT));
    const step = (job: string, name: string) =>
      jobs.find((j) => j.id === job)?.steps.find((s) => s.name === name)?.with as Record<string, string>;
    expect(step('plan-staging', 'AWS credentials (OIDC)')['role-to-assume']).toBe(
      '${{ needs.configure-staging.outputs.plan-role-arn }}',
    );
    expect(step('execute-staging', 'AWS credentials (OIDC)')['role-to-assume']).toBe(
      '${{ needs.configure-staging.outputs.execute-role-arn }}',
    );
    for (const job of ['plan-staging', 'execute-staging'])
      expect(step(job, job === 'plan-staging' ? 'Plan' : 'Execute')['replica-database-url']).toBe(
        '${{ secrets.STAGING_REPLICA_DATABASE_URL }}',
      );
    expect(jobs.find((j) => j.id === 'execute-staging')?.body.environment).toEqual({
      name: '${{ inputs.staging-environment }}',
    });
    expect(step('execute', 'AWS credentials (OIDC)')['role-to-assume']).toBe('${{ vars.DR_FAILOVER_ROLE_ARN }}');
  });

  test.each([
    [
      'a staging plan falling back to the production secret',
      'plan-staging',
      ['steps', 'Plan', 'with', 'replica-database-url'],
      "${{ needs.configure-staging.outputs.mode == 'plan' && secrets.STAGING_REPLICA_DATABASE_URL || secrets.REPLICA_DATABASE_URL }}",
      /staging job plan-staging names secrets\.REPLICA_DATABASE_URL/,
    ],
    [
      'a staging execute assuming the production role',
      'execute-staging',
      ['steps', 'AWS credentials (OIDC)', 'with', 'role-to-assume'],
      '${{ vars.DR_FAILOVER_ROLE_ARN }}',
      /staging job execute-staging names vars\./,
    ],
    [
      'a staging execute behind the production environment',
      'execute-staging',
      ['environment', 'name'],
      'disaster-recovery-failover',
      /staging job execute-staging names disaster-recovery-failover/,
    ],
    [
      'a staging job reading a production output',
      'execute-staging',
      ['steps', 'Execute', 'with', 'region'],
      '${{ needs.configure.outputs.region }}',
      /staging job execute-staging names needs\.configure\./,
    ],
    [
      'a production plan given the staging secret',
      'plan',
      ['steps', 'Plan', 'with', 'replica-database-url'],
      '${{ secrets.STAGING_REPLICA_DATABASE_URL }}',
      /production job plan names secrets\.STAGING_/,
    ],
    [
      'a production execute assuming the staging role',
      'execute',
      ['steps', 'AWS credentials (OIDC)', 'with', 'role-to-assume'],
      '${{ inputs.execute-role-arn }}',
      /production job execute names inputs\.execute-role-arn/,
    ],
    [
      'a production execute behind the staging environment',
      'execute',
      ['environment', 'name'],
      '${{ inputs.staging-environment }}',
      /production job execute names inputs\.staging-environment/,
    ],
    [
      'a production job choosing a role with && ... ||',
      'execute',
      ['steps', 'AWS credentials (OIDC)', 'with', 'role-to-assume'],
      "${{ inputs.mode == 'execute' && vars.DR_FAILOVER_ROLE_ARN || '' }}",
      /production job execute chooses with/,
    ],
  ])('%s is found', (_label, job, path, value, problem) => {
    expect(crossedReferences(edited(job, path, value))).toEqual(
      expect.arrayContaining([expect.stringMatching(problem)]),
    );
  });

  test('a job that needs both sides, or neither, is found', () => {
    expect(crossedReferences(edited('execute-staging', ['needs'], ['configure-staging', 'plan']))).toContain(
      'job execute-staging belongs to neither the production nor the staging side',
    );
  });
});
