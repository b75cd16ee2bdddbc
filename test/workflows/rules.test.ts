import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { drWorkflowProblems, jobsOf, parseWorkflow, workflowProblems } from './workflow-rules.js';
import { LANE_NAMES } from '../../harness/lanes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const DR_WORKFLOWS = [
  'backup.yml',
  'restore-verify.yml',
  'dr-drill.yml',
  'failover.yml',
  'dr-audit.yml',
  'rds-restore-test.yml',
  'rds-snapshots.yml',
  'recover-database.yml',
  'recover-application.yml',
];

const read = (name: string) => readFileSync(join(WORKFLOWS, name), 'utf8');
type Map = Record<string, unknown>;
const map = (value: unknown) => (value ?? {}) as Map;

describe('the rules, checked on every workflow', () => {
  test('the five workflows of the issue, the weekly audit, the RDS recovery points (restore test, hourly snapshots), the two recoveries, CI and the release exist, and no others', () => {
    expect(readdirSync(WORKFLOWS).sort()).toEqual([
      'backup.yml',
      'ci.yml',
      'dr-audit.yml',
      'dr-drill.yml',
      'failover.yml',
      'rds-restore-test.yml',
      'rds-snapshots.yml',
      'recover-application.yml',
      'recover-database.yml',
      'release.yml',
      'restore-verify.yml',
    ]);
  });

  test.each(readdirSync(WORKFLOWS))(
    '%s: pinned actions, explicit permissions, no expressions in run:, checkouts before local actions, OIDC',
    (name) => {
      expect(workflowProblems(read(name), name)).toEqual([]);
    },
  );

  test.each(DR_WORKFLOWS)(
    '%s: reusable with typed inputs, and a concurrency group that never cancels a running job',
    (name) => {
      expect(drWorkflowProblems(read(name), name)).toEqual([]);
    },
  );

  test('every action.yml runs on node24, as GitHub runs it', () => {
    const actions = readdirSync(join(ROOT, 'actions')).filter((name) =>
      readdirSync(join(ROOT, 'actions', name)).includes('action.yml'),
    );
    expect(actions).toContain('drill-report');
    for (const name of actions) {
      const runs = map(map(parse(readFileSync(join(ROOT, 'actions', name, 'action.yml'), 'utf8'))).runs);
      expect({ name, using: runs.using, main: runs.main }).toEqual({ name, using: 'node24', main: 'dist/index.js' });
    }
  });
});

/** Inputs of an action the workflows run, from its action.yml. */
function actionInputs(name: string): { inputs: string[]; required: string[] } {
  const path = join(ROOT, 'actions', name, 'action.yml');
  if (!existsSync(path)) throw new Error(`a workflow uses actions/${name}, which has no action.yml`);
  const inputs = map(map(parse(readFileSync(path, 'utf8'))).inputs);
  return {
    inputs: Object.keys(inputs),
    required: Object.entries(inputs)
      .filter(([, spec]) => map(spec).required === true && map(spec).default === undefined)
      .map(([input]) => input),
  };
}

test.each(readdirSync(WORKFLOWS))(
  "%s: each step of this repository's actions passes only inputs the action declares, and every required one",
  (name) => {
    const problems: string[] = [];
    for (const job of jobsOf(parseWorkflow(read(name)))) {
      for (const step of job.steps) {
        const uses = typeof step.uses === 'string' ? step.uses : '';
        const action = /^\.\/(?:\.dr-actions\/)?actions\/([a-z-]+)$/.exec(uses)?.[1];
        if (!action) continue;
        const given = Object.keys(map(step.with));
        const { inputs, required } = actionInputs(action);
        for (const input of given.filter((i) => !inputs.includes(i)))
          problems.push(`${job.id}: ${action} has no input ${input}`);
        for (const input of required.filter((i) => !given.includes(i)))
          problems.push(`${job.id}: ${action} needs ${input}`);
      }
    }
    expect(problems).toEqual([]);
  },
);

describe('the rule checker finds what it is for (so its passing means something)', () => {
  const broken = `
name: broken
on: push
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@820762786026740c76f36085b0efc47a31fe5020
      - run: echo "\${{ github.event.head_commit.message }}"
      - uses: ./actions/backup
      - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3
        with:
          aws-access-key-id: x
  b:
    runs-on: ubuntu-24.04
    permissions: {}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          path: other
      - uses: ./.dr-actions/actions/backup
`;

  test('tags instead of SHAs, a SHA without its version, missing permissions, a checkout that keeps its token, an expression in run:, a local action without its checkout, AWS keys', () => {
    expect(workflowProblems(broken, 'broken.yml')).toEqual([
      'broken.yml:8: actions/checkout@v4 is not pinned to a full commit SHA',
      'broken.yml:9: actions/setup-node@820762786026740c76f36085b0efc47a31fe5020 has no version comment (# vX.Y.Z)',
      'broken.yml: no top-level permissions',
      'broken.yml: job a has no explicit permissions',
      'broken.yml: job a step 1: actions/checkout leaves the token in .git/config (persist-credentials: false)',
      'broken.yml: job a step 3: an expression inside run: (pass it through env:)',
      'broken.yml: job a step 5: AWS credentials must come from OIDC (role-to-assume), not keys',
      'broken.yml: job a assumes an AWS role without id-token: write',
      'broken.yml: job b step 1: actions/checkout leaves the token in .git/config (persist-credentials: false)',
      'broken.yml: job b step 2: ./.dr-actions/actions/backup is used before a checkout that provides it',
    ]);
  });

  test('a DR workflow that is not reusable, has an untyped input, and may cancel itself', () => {
    const text = `
on:
  workflow_dispatch:
    inputs:
      mode:
        description: m
concurrency:
  group: x
  cancel-in-progress: true
permissions: {}
jobs: {}
`;
    expect(drWorkflowProblems(text, 'dr.yml')).toEqual([
      'dr.yml: not reusable (no on.workflow_call)',
      'dr.yml: input mode has no type',
      'dr.yml: concurrency may cancel a running disaster-recovery job',
    ]);
  });
});

describe('what the issue asks of each workflow', () => {
  const on = (name: string) => map(parseWorkflow(read(name)).on);
  const dispatchInputs = (name: string) => map(map(on(name).workflow_dispatch).inputs);

  test('backup: daily at 02:00 UTC, the plan’s schedule, and by hand', () => {
    expect(on('backup.yml').schedule).toEqual([{ cron: '0 2 * * *' }]);
    expect('workflow_dispatch' in on('backup.yml')).toBe(true);
  });

  test('restore-verify: monthly on the 1st and by hand (latest, random or a key); random on schedule; PostgreSQL of the production version as a service, with scratch settings', () => {
    const cron = (on('restore-verify.yml').schedule as { cron: string }[])[0]?.cron.split(' ');
    expect(cron?.slice(2)).toEqual(['1', '*', '*']);
    expect(map(dispatchInputs('restore-verify.yml').backup)).toMatchObject({
      type: 'choice',
      options: ['latest', 'random', 'key'],
    });
    const text = read('restore-verify.yml');
    expect(text).toMatch(/schedule:\*\) backup=random ;;/);
    const job = jobsOf(parseWorkflow(text)).find((j) => j.id === 'restore-verify');
    expect(map(map(job?.body.services).postgres).image).toBe('${{ needs.configure.outputs.postgres-image }}');
    const scratch = job?.steps.find((s) => String(s.name).startsWith('Scratch settings'));
    for (const setting of ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off', 'pg_reload_conf()'])
      expect(String(scratch?.run)).toContain(setting);
    // wal_level and max_wal_senders take effect only after a restart of the service container.
    for (const setting of [
      'wal_level = minimal',
      'max_wal_senders = 0',
      'max_wal_size',
      'autovacuum = off',
      'docker restart "$SERVICE"',
    ])
      expect(String(scratch?.run)).toContain(setting);
    expect(map(scratch?.env).SERVICE).toBe('${{ job.services.postgres.id }}');
  });

  test('restore-verify: only the issue job may write issues; it opens, comments on and closes the disaster-recovery issue', () => {
    const jobs = jobsOf(parseWorkflow(read('restore-verify.yml')));
    const writers = jobs.filter((j) => map(j.body.permissions).issues === 'write').map((j) => j.id);
    expect(writers).toEqual(['track-failure']);
    const issueJob = jobs.find((j) => j.id === 'track-failure');
    expect(issueJob?.body.permissions).toEqual({ issues: 'write' });
    expect(String(issueJob?.body.if)).toContain('always()');
    const script = String(issueJob?.steps[0]?.run);
    for (const command of ['label=disaster-recovery', 'gh issue create', 'gh issue comment', 'gh issue close'])
      expect(script).toContain(command);
  });

  test('dr-audit: weekly and by hand, read-only role through OIDC; only the issue job writes issues, and it opens, comments on and closes the disaster-recovery issue', () => {
    const triggers = on('dr-audit.yml');
    expect((triggers.schedule as { cron: string }[])[0]?.cron.split(' ').slice(2)).toEqual(['*', '*', '1']);
    expect(Object.keys(triggers).sort()).toEqual(['schedule', 'workflow_call', 'workflow_dispatch']);
    const jobs = jobsOf(parseWorkflow(read('dr-audit.yml')));
    expect(jobs.filter((j) => map(j.body.permissions).issues === 'write').map((j) => j.id)).toEqual(['track-failure']);
    const issueJob = jobs.find((j) => j.id === 'track-failure');
    expect(issueJob?.body.permissions).toEqual({ issues: 'write' });
    expect(String(issueJob?.body.if)).toContain('always()');
    const script = String(issueJob?.steps[0]?.run);
    for (const command of ['label=disaster-recovery', 'gh issue create', 'gh issue comment', 'gh issue close'])
      expect(script).toContain(command);
    const audit = jobs.find((j) => j.id === 'audit');
    expect(audit?.body.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(map(audit?.steps.find((s) => String(s.uses).startsWith('aws-actions/'))?.with)['role-to-assume']).toBe(
      '${{ vars.DR_AUDIT_ROLE_ARN }}',
    );
  });

  test('dr-drill: quarterly on 1 January, April, July and October, and by hand; restore-verify, failover, the RDS recovery point in the secondary region, then drill-report opens the pull request', () => {
    expect((on('dr-drill.yml').schedule as { cron: string }[])[0]?.cron.split(' ').slice(2)).toEqual([
      '1',
      '1,4,7,10',
      '*',
    ]);
    const jobs = jobsOf(parseWorkflow(read('dr-drill.yml')));
    expect(
      jobs.map((j) => [
        j.id,
        j.body.uses ?? j.steps.map((s) => s.uses).find((u) => String(u).includes('drill-report')),
      ]),
    ).toEqual([
      ['restore-verify', './.github/workflows/restore-verify.yml'],
      ['failover', './.github/workflows/failover.yml'],
      ['rds-restore-test', './.github/workflows/rds-restore-test.yml'],
      ['recover-database', './.github/workflows/recover-database.yml'],
      ['recover-application', './.github/workflows/recover-application.yml'],
      ['drill-report', './.dr-actions/actions/drill-report'],
    ]);
    const report = jobs.find((j) => j.id === 'drill-report');
    expect(report?.body.needs).toEqual([
      'restore-verify',
      'failover',
      'rds-restore-test',
      'recover-database',
      'recover-application',
    ]);
    for (const id of ['recover-database', 'recover-application'])
      expect(String(report?.body.if)).toContain(`needs.${id}.outputs.configured == 'true'`);
    expect(String(report?.body.if)).toContain("needs.rds-restore-test.outputs.configured == 'true'");
    // The plan's regional outage on RDS: the latest recovery point, restored where the replicated backups are; only its own secret.
    const rds = jobs.find((j) => j.id === 'rds-restore-test');
    expect(map(rds?.body.with)).toMatchObject({ region: 'secondary', 'recovery-point': 'latest' });
    expect(rds?.body.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(rds?.body.secrets).toEqual({ DR_RDS_MASTER_PASSWORD: '${{ secrets.DR_RDS_MASTER_PASSWORD }}' });
    expect(report?.body.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', issues: 'write' });
    // execute only when a staging stack is named: never production by accident.
    const failover = map(jobs.find((j) => j.id === 'failover')?.body.with);
    expect(failover.mode).toBe("${{ vars.DR_DRILL_FAILOVER_MODE == 'execute' && 'execute' || 'plan' }}");
    expect(failover.staging).toBe("${{ vars.DR_DRILL_FAILOVER_MODE == 'execute' }}");
    const stagingValues = Object.values(failover).filter((v) => String(v).includes('vars.DR_STAGING_'));
    expect(stagingValues.length).toBeGreaterThanOrEqual(10);
    for (const value of stagingValues) expect(String(value)).not.toContain('DR_FAILOVER_');
    expect(map(jobs.find((j) => j.id === 'failover')?.body.with).confirm).toBe(
      "${{ vars.DR_DRILL_FAILOVER_MODE == 'execute' && vars.DR_STAGING_REPLICA_ID || '' }}",
    );
  });

  test('dr-drill: the database recovery and the application crash are rehearsed on staging only, with staging values and secrets only', () => {
    const jobs = jobsOf(parseWorkflow(read('dr-drill.yml')));
    for (const [id, prefix] of [
      ['recover-database', 'DR_STAGING_DB_'],
      ['recover-application', 'DR_STAGING_APP_'],
    ] as const) {
      const job = jobs.find((j) => j.id === id);
      const given = map(job?.body.with);
      expect([id, given.mode, given.staging]).toEqual([id, 'execute', true]);
      const fromVariables = Object.entries(given).filter(([, v]) => String(v).includes('vars.'));
      expect(fromVariables.length).toBeGreaterThanOrEqual(8);
      for (const [input, value] of fromVariables)
        expect([input, /vars\.DR_STAGING_/.test(String(value))]).toEqual([input, true]);
      expect(
        fromVariables
          .filter(([input]) => input.startsWith('staging-') && input !== 'staging-environment')
          .every(([, v]) => String(v).includes(`vars.${prefix}`)),
      ).toBe(true);
      for (const value of Object.values(map(job?.body.secrets)))
        expect(String(value)).toMatch(/^\$\{\{ secrets\.(STAGING_|DR_STAGING_)/);
    }
  });

  test('failover: dispatched by hand only (mode plan or execute, and confirm), execute behind an environment, never cancelled, and the comment says why', () => {
    const triggers = Object.keys(on('failover.yml')).sort();
    expect(triggers).toEqual(['workflow_call', 'workflow_dispatch']);
    expect(map(dispatchInputs('failover.yml').mode)).toMatchObject({
      type: 'choice',
      options: ['plan', 'execute'],
      default: 'plan',
    });
    expect(map(dispatchInputs('failover.yml').confirm)).toMatchObject({ type: 'string' });
    const workflow = parseWorkflow(read('failover.yml'));
    expect(workflow.concurrency).toEqual({ group: 'dr-failover', 'cancel-in-progress': false });
    const execute = jobsOf(workflow).find((j) => j.id === 'execute');
    expect(map(execute?.body.environment).name).toBeTruthy();
    expect(String(execute?.body.if)).toContain("needs.configure.outputs.mode == 'execute'");
    const lines = read('failover.yml').split('\n');
    const at = lines.findIndex((l) => l.startsWith('concurrency:'));
    expect(lines.slice(at - 4, at).every((l) => l.startsWith('#'))).toBe(true);
    expect(lines.slice(at - 4, at).join(' ')).toMatch(/never cancelled/);
  });

  describe.each([
    [
      'recover-database.yml',
      'expected-recovery-point',
      'recovery-point',
      'recover-database',
      'disaster-recovery-database',
    ],
    [
      'recover-application.yml',
      'expected-plan-digest',
      'plan-digest',
      'recover-application',
      'disaster-recovery-application',
    ],
  ])(
    '%s: the plan, then execute behind reviewers bound to it, a staging variant of its own, the post-mortem',
    (name, bindingInput, planOutput, action, environment) => {
      const text = read(name);
      const workflow = parseWorkflow(text);
      const jobs = jobsOf(workflow);
      const job = (id: string) => jobs.find((j) => j.id === id);
      const actionStep = (id: string) => job(id)?.steps.find((s) => s.uses === `./.dr-actions/actions/${action}`);

      test('dispatched by hand only (mode plan or execute, and confirm), never cancelled, and the comment says why', () => {
        expect(Object.keys(on(name)).sort()).toEqual(['workflow_call', 'workflow_dispatch']);
        expect(map(dispatchInputs(name).mode)).toMatchObject({
          type: 'choice',
          options: ['plan', 'execute'],
          default: 'plan',
        });
        expect(map(dispatchInputs(name).confirm)).toMatchObject({ type: 'string' });
        expect(workflow.concurrency).toEqual({ group: `dr-${action}`, 'cancel-in-progress': false });
        const lines = text.split('\n');
        const at = lines.findIndex((l) => l.startsWith('concurrency:'));
        expect(lines.slice(at - 3, at).join(' ')).toMatch(/never cancelled/);
      });

      test(`execute runs in ${environment}, after the plan, given the plan's ${planOutput} as ${bindingInput}, checked before anything else`, () => {
        expect(job('execute')?.body.environment).toEqual({ name: environment });
        expect(job('execute')?.body.needs).toEqual(['configure', 'plan']);
        expect(String(job('execute')?.body.if)).toContain("needs.configure.outputs.mode == 'execute'");
        expect(String(job('execute')?.body.if)).toContain("needs.configure.outputs.staging != 'true'");
        expect(map(job('plan')?.body.outputs)[planOutput]).toBe(
          `\${{ steps.${String(actionStep('plan')?.id)}.outputs.${planOutput} }}`,
        );
        expect(map(actionStep('plan')?.with).mode).toBe('plan');
        expect(map(actionStep('execute')?.with)).toMatchObject({
          mode: 'execute',
          confirm: '${{ inputs.confirm }}',
          [bindingInput]: `\${{ needs.plan.outputs.${planOutput} }}`,
        });
        if (action === 'recover-database') {
          // What the plan would replace, too: execute refuses a database that is not the one the reviewers saw.
          expect(map(job('plan')?.body.outputs).replaces).toBe(
            `\${{ steps.${String(actionStep('plan')?.id)}.outputs.replaces }}`,
          );
          expect(map(actionStep('execute')?.with)['expected-replaces']).toBe('${{ needs.plan.outputs.replaces }}');
          expect(map(actionStep('staging-execute')?.with)['expected-replaces']).toBe(
            '${{ needs.staging-plan.outputs.replaces }}',
          );
        }
        const names = (job('execute')?.steps ?? []).map((s) => String(s.name));
        const check = names.indexOf('Check that execute is bound to the approved plan');
        expect(check).toBeGreaterThan(-1);
        expect(check).toBeLessThan(names.indexOf('AWS credentials (OIDC)'));
        expect(check).toBeLessThan(names.indexOf('Execute'));
      });

      test('the staging jobs are their own, bound the same way, and reference no production variable, secret, role or environment; the production jobs none of staging', () => {
        const staging = ['staging-plan', 'staging-execute'];
        const production = ['plan', 'execute', 'post-mortem'];
        for (const id of staging)
          expect([id, String(job(id)?.body.if)]).toEqual([
            id,
            expect.stringContaining("needs.configure.outputs.staging == 'true'"),
          ]);
        expect(map(actionStep('staging-execute')?.with)[bindingInput]).toBe(
          `\${{ needs.staging-plan.outputs.${planOutput} }}`,
        );
        expect(job('staging-execute')?.body.environment).toEqual({
          name: "${{ inputs.staging-environment || 'dr-staging' }}",
        });
        const body = (id: string) => JSON.stringify(job(id)?.body);
        for (const id of staging) {
          expect([id, body(id).match(/vars\.[A-Z_]+|secrets\.[A-Z_]+|disaster-recovery-[a-z]+/g) ?? []]).toEqual([
            id,
            body(id).match(/secrets\.(STAGING_|DR_STAGING_)[A-Z_]+/g) ?? [],
          ]);
        }
        for (const id of production)
          expect([id, /secrets\.(STAGING_|DR_STAGING_)|inputs\.staging-/.test(body(id))]).toEqual([id, false]);
        // No expression picks between staging and production values: each job has only its own.
        const fallback = /\$\{\{[^}]*staging [!=]= 'true' &&[^}]*\|\|[^}]*\}\}/;
        expect(text).not.toMatch(fallback);
        // The form the pattern exists to catch, as failover.yml once had it.
        expect(
          "${{ needs.configure.outputs.staging == 'true' && secrets.STAGING_REPLICA_DATABASE_URL || secrets.REPLICA_DATABASE_URL }}",
        ).toMatch(fallback);
      });

      test('after a real execute, whether it worked or not (never after a drill), the post-mortem of its report is opened as a pull request', () => {
        const postMortem = job('post-mortem');
        expect(postMortem?.body.needs).toEqual(['configure', 'execute']);
        for (const condition of [
          'always()',
          "needs.configure.outputs.staging != 'true'",
          "needs.configure.outputs.mode == 'execute'",
          "needs.execute.result == 'failure'",
        ])
          expect(String(postMortem?.body.if)).toContain(condition);
        expect(postMortem?.body.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', issues: 'write' });
        const uploaded = map(
          job('execute')?.steps.find((s) => String(s.uses).startsWith('actions/upload-artifact@'))?.with,
        ).name;
        expect(
          map(postMortem?.steps.find((s) => String(s.uses).startsWith('actions/download-artifact@'))?.with).name,
        ).toBe(uploaded);
        expect(map(postMortem?.steps.find((s) => s.uses === './.dr-actions/actions/drill-report')?.with)).toMatchObject(
          { kind: 'incident', 'open-pr': true },
        );
      });
    },
  );

  test('failover: after a real execute (not a staging drill), the post-mortem of its report is opened as a pull request', () => {
    const jobs = jobsOf(parseWorkflow(read('failover.yml')));
    const postMortem = jobs.find((j) => j.id === 'post-mortem');
    expect(postMortem?.body.needs).toEqual(['configure', 'execute']);
    for (const condition of [
      'always()',
      "needs.configure.outputs.configured == 'true'",
      "needs.configure.outputs.mode == 'execute'",
    ])
      expect(String(postMortem?.body.if)).toContain(condition);
    // A staging drill never reaches it: the production configure job it needs does not run in one.
    expect(String(jobs.find((j) => j.id === 'configure')?.body.if)).toBe('${{ !inputs.staging }}');
    expect(map(postMortem?.steps.find((s) => String(s.uses).startsWith('actions/download-artifact@'))?.with).name).toBe(
      'failover-execute',
    );
    expect(map(postMortem?.steps.find((s) => s.uses === './.dr-actions/actions/drill-report')?.with)).toMatchObject({
      kind: 'incident',
      'open-pr': true,
    });
  });

  test('each DR job does nothing but say how to configure it until its variables are set', () => {
    for (const name of DR_WORKFLOWS.filter((n) => n !== 'dr-drill.yml')) {
      const jobs = jobsOf(parseWorkflow(read(name)));
      const configure = jobs.find((j) => j.id === 'configure');
      expect(String(configure?.steps[0]?.run)).toMatch(/not configured, so nothing ran/);
      expect(String(configure?.steps[0]?.run)).toContain('echo "configured=false" >> "$GITHUB_OUTPUT"');
      // failover.yml's staging drill has a configure job of its own, which stops when a staging value is missing.
      for (const job of jobs.filter((j) => !['configure', 'configure-staging', 'track-failure'].includes(j.id))) {
        const configure = job.id.endsWith('-staging') ? 'configure-staging' : 'configure';
        expect(`${name} ${job.id} ${String(job.body.if)}`).toContain(`needs.${configure}.outputs.configured == 'true'`);
      }
    }
    expect(String(jobsOf(parseWorkflow(read('dr-drill.yml'))).find((j) => j.id === 'drill-report')?.body.if)).toContain(
      "needs.restore-verify.outputs.configured == 'true'",
    );
  });

  test('ci: lint (workflows and metadata included), every test lane, build, and the bundles compared with a fresh build', () => {
    const jobs = jobsOf(parseWorkflow(read('ci.yml')));
    const runs = jobs.flatMap((j) => j.steps.map((s) => String(s.run ?? '')));
    expect(runs).toContain('npm run lint');
    // Each lane a job of its own, named by its lane: unit alone, the others in the PostgreSQL matrix.
    expect(runs).toContain('npm run test:unit');
    const matrix = jobs.find((j) => j.id === 'test');
    expect(runs).toContain('npm run "test:$LANE"');
    expect(matrix?.body.env).toMatchObject({ LANE: '${{ matrix.lane }}' });
    expect(String(matrix?.body.name)).toContain('${{ matrix.lane }} lane');
    const lanes = ['unit', ...(matrix?.body.strategy as { matrix: { lane: string[] } }).matrix.lane];
    expect(lanes.sort()).toEqual([...LANE_NAMES].sort());
    expect(runs).toContain('npm run build');
    expect(runs.some((r) => r.includes('git status --porcelain -- actions') && r.includes('exit 1'))).toBe(true);
    const scripts = map(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts);
    expect(String(scripts.lint)).toMatch(/&& npm run lint:workflows$/);
  });
});
