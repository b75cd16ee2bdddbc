import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobsOf, parseWorkflow } from './workflow-rules.js';
import { GITHUB_HOSTED, reachOf, runnerProblems, runnerStepOf } from './runner-rules.js';
import { runWorkflowStep } from './workflow-step.js';

const WORKFLOWS = fileURLToPath(new URL('../../.github/workflows', import.meta.url));
const read = (file: string) => parseWorkflow(readFileSync(join(WORKFLOWS, file), 'utf8'));
type Map = Record<string, unknown>;
const jobOf = (workflow: Map, id: string) => (workflow.jobs as Record<string, Map>)[id] as Map;

const REUSABLE = readdirSync(WORKFLOWS).filter((file) => 'workflow_call' in (read(file).on as Map));

/** Each configure job that checks a runner input, with its workflow. */
const RUNNER_STEPS = REUSABLE.flatMap((file) =>
  jobsOf(read(file)).flatMap((job) => {
    const step = runnerStepOf(job);
    return step ? [{ file, job: job.id, env: step.env as Record<string, string>, run: String(step.run) }] : [];
  }),
);

describe('each job runs where it can reach what it connects to', () => {
  test.each(REUSABLE)(
    '%s: database and application jobs on the caller-chosen runner, AWS-only jobs on GitHub',
    (file) => {
      expect(runnerProblems(read(file), file)).toEqual([]);
    },
  );

  test('the jobs found to reach a database or the application are the ones expected today', () => {
    const reached = Object.fromEntries(
      REUSABLE.map((file) => [
        file,
        jobsOf(read(file))
          .filter((job) => reachOf(job))
          .map((job) => `${job.id}:${reachOf(job)}`),
      ]),
    );
    expect(reached).toEqual({
      'backup.yml': ['backup:database'],
      'restore-verify.yml': ['restore-verify:database'],
      'failover.yml': ['plan:database', 'execute:database', 'plan-staging:database', 'execute-staging:database'],
      'rds-restore-test.yml': ['rds-restore-test:database'],
      'recover-database.yml': [
        'plan:database',
        'execute:database',
        'staging-plan:database',
        'staging-execute:database',
      ],
      'recover-application.yml': [
        'plan:application',
        'execute:application',
        'staging-plan:application',
        'staging-execute:application',
      ],
      'dr-audit.yml': [],
      'rds-snapshots.yml': [],
      'dr-drill.yml': [],
    });
  });
});

describe('an edit that loses the runner is caught', () => {
  test('a database job put back on the GitHub runner', () => {
    const workflow = read('failover.yml');
    jobOf(workflow, 'plan')['runs-on'] = GITHUB_HOSTED;
    expect(runnerProblems(workflow, 'failover.yml')).toEqual([
      'failover.yml: job plan reaches the database, so it runs on ${{ fromJSON(needs.configure.outputs.database-runner) }}, not ubuntu-24.04',
    ]);
  });

  test('the input removed from the workflow', () => {
    const workflow = read('backup.yml');
    delete ((workflow.on as Map).workflow_call as { inputs: Map }).inputs['database-runner'];
    expect(runnerProblems(workflow, 'backup.yml')).toEqual([
      'backup.yml: no workflow_call input database-runner, for job backup',
    ]);
  });

  test('a new job that passes a database URL, without the runner', () => {
    const workflow = read('backup.yml');
    (workflow.jobs as Map)['check'] = {
      needs: 'configure',
      'runs-on': GITHUB_HOSTED,
      permissions: {},
      steps: [
        {
          uses: './.dr-actions/actions/failover',
          with: { 'replica-database-url': '${{ secrets.REPLICA_DATABASE_URL }}' },
        },
      ],
    };
    expect(runnerProblems(workflow, 'backup.yml')).toEqual([
      'backup.yml: job check reaches the database, so it runs on ${{ fromJSON(needs.configure.outputs.database-runner) }}, not ubuntu-24.04',
    ]);
  });

  test('a job that only calls AWS moved onto the database runner', () => {
    const workflow = read('rds-snapshots.yml');
    jobOf(workflow, 'snapshot')['runs-on'] = '${{ fromJSON(needs.configure.outputs.database-runner) }}';
    expect(runnerProblems(workflow, 'rds-snapshots.yml')).toEqual([
      'rds-snapshots.yml: job snapshot only calls AWS or GitHub, so it runs on ubuntu-24.04, not ${{ fromJSON(needs.configure.outputs.database-runner) }}',
    ]);
  });

  test("the drill no longer giving a called workflow its caller's runner", () => {
    const workflow = read('dr-drill.yml');
    delete (jobOf(workflow, 'restore-verify').with as Map)['database-runner'];
    expect(runnerProblems(workflow, 'dr-drill.yml')).toEqual([
      'dr-drill.yml: job restore-verify does not give restore-verify.yml its database-runner (${{ inputs.database-runner }})',
    ]);
  });

  test('a configure job whose output no longer comes from the checked runner', () => {
    const workflow = read('recover-database.yml');
    (jobOf(workflow, 'configure').outputs as Map)['database-runner'] = '${{ inputs.database-runner }}';
    expect(runnerProblems(workflow, 'recover-database.yml')).toEqual([
      "recover-database.yml: job configure's output database-runner is not its runner step's runner",
    ]);
  });
});

describe('the runner input: one label as written, or a JSON list of labels', () => {
  test('every workflow checks it with the same script', () => {
    expect(RUNNER_STEPS.map((s) => `${s.file}:${s.job}`)).toEqual([
      'backup.yml:configure',
      'failover.yml:configure',
      'failover.yml:configure-staging',
      'rds-restore-test.yml:configure',
      'recover-application.yml:configure',
      'recover-database.yml:configure',
      'restore-verify.yml:configure',
    ]);
    for (const step of RUNNER_STEPS) expect(step.run).toBe(RUNNER_STEPS[0]?.run);
  });

  /** The step run as the runner runs it, given the value the input (or, with staging, staging-runner) holds. */
  async function choose(at: (typeof RUNNER_STEPS)[number], value: string) {
    // The step's written values (the input's name for the message) as they are; the expressions given.
    const written = Object.fromEntries(Object.entries(at.env).filter(([, v]) => !String(v).includes('${{')));
    const staging = written.STAGING === 'true';
    const env = { ...written, ...(staging ? { STAGING_RUNNER: value } : { RUNNER: value }) };
    const run = await runWorkflowStep(at.file, env, { job: at.job, step: 'Choose the runner' });
    // What runs-on receives: ${{ fromJSON(...) }} of the output.
    return { ...run, runsOn: run.outputs.runner === undefined ? undefined : JSON.parse(run.outputs.runner) };
  }

  describe.each(RUNNER_STEPS.map((s) => [`${s.file} ${s.job}`, s] as const))('%s', (_, at) => {
    test.each([
      ['', GITHUB_HOSTED],
      ['ubuntu-24.04', 'ubuntu-24.04'],
      ['  dr-vpc ', 'dr-vpc'],
      ['codebuild-dr-runner-9876543210-1', 'codebuild-dr-runner-9876543210-1'],
      ['my runner', 'my runner'],
      ['["self-hosted","linux","dr-vpc"]', ['self-hosted', 'linux', 'dr-vpc']],
      [' [ "self-hosted", "dr vpc" ] ', ['self-hosted', 'dr vpc']],
      ['"dr-vpc"', 'dr-vpc'],
    ])('%j runs on %j', async (value, runsOn) => {
      const run = await choose(at, value);
      expect(run.exitCode).toBe(0);
      expect(run.runsOn).toEqual(runsOn);
    });

    test.each([
      ['self-hosted,linux', 'a list written with commas, not JSON'],
      ['[]', 'an empty list'],
      ['["self-hosted",""]', 'an empty label in the list'],
      ['["self-hosted",1]', 'a number'],
      ['["self-hosted","linux"', 'JSON cut short'],
      ['{"group":"dr"}', 'an object'],
      ['""', 'an empty quoted label'],
      ['"a" "b"', 'two JSON values'],
      ['dr-vpc\nruns-on=x', 'a line break'],
    ])('%j (%s) stops the run and names the input', async (value) => {
      const run = await choose(at, value);
      expect(run.exitCode).toBe(1);
      expect(run.output).toMatch(
        /^::error::the input (database-runner|application-runner|staging-runner)[^\n]* must be one runner label \(such as ubuntu-24\.04 or dr-vpc\) or a JSON list of labels/m,
      );
      expect(run.outputs).toEqual({});
    });
  });

  test.each([
    ['recover-database.yml', 'database-runner'],
    ['recover-application.yml', 'application-runner'],
  ])("%s: a staging drill runs on staging-runner, never on production's %s", async (file) => {
    const at = { job: 'configure', step: 'Choose the runner' };
    const production = '["self-hosted","production"]';
    const staging = await runWorkflowStep(file, { STAGING: 'true', STAGING_RUNNER: '', RUNNER: production }, at);
    expect(JSON.parse(staging.outputs.runner as string)).toBe(GITHUB_HOSTED);
    const given = await runWorkflowStep(
      file,
      { STAGING: 'true', STAGING_RUNNER: 'dr-staging', RUNNER: production },
      at,
    );
    expect(JSON.parse(given.outputs.runner as string)).toBe('dr-staging');
    const notStaging = await runWorkflowStep(
      file,
      { STAGING: 'false', STAGING_RUNNER: 'dr-staging', RUNNER: production },
      at,
    );
    expect(JSON.parse(notStaging.outputs.runner as string)).toEqual(['self-hosted', 'production']);
  });

  test.each([
    ['rds-restore-test.yml', 'database-runner', 'DR_RDS_RUNNER'],
    ['recover-database.yml', 'database-runner', 'DR_RECOVER_RUNNER'],
    ['recover-application.yml', 'application-runner', 'DR_APP_RUNNER'],
  ])('%s: the input %s comes first, the variable %s still works without it', (file, input, variable) => {
    const step = runnerStepOf(jobsOf(read(file)).find((j) => j.id === 'configure')!) as { env: Map };
    expect(step.env.RUNNER).toBe(`\${{ inputs.${input} || vars.${variable} }}`);
  });
});
