import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { jobsOf, type Job } from './workflow-rules.js';

/**
 * Where each job of a reusable workflow runs. A job that connects to a database, or reaches the
 * application's network, runs on the runner its caller chose (database-runner, application-runner),
 * read by the workflow's configure job; every other job only calls AWS or GitHub and stays on
 * GitHub's runner. What a job reaches is read from what its steps run, not from a list of jobs.
 */

type Map = Record<string, unknown>;
const map = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Map;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DR_ACTION = /^\.\/\.dr-actions\/actions\/([a-z-]+)$/;
export const GITHUB_HOSTED = 'ubuntu-24.04';

/** How every runner input is written, in every description: the form and the default. */
export const RUNNER_FORM =
  'a label, or a JSON list of labels such as ["self-hosted","linux","dr-vpc"]; default ubuntu-24.04 (GitHub-hosted); see docs/running-in-your-vpc.md';

/** The commands and URLs of the application that a step runs or polls from the runner. */
const APPLICATION_INPUTS = [
  'restart-command',
  'crash-command',
  'log-command',
  'health-url',
  'stop-command',
  'start-command',
  'migrate-command',
];

/** The inputs of a dr-actions action that open a PostgreSQL connection: a postgres:// URL, or the credentials it logs in with. */
function connectionInputs(action: string): string[] {
  const path = join(ROOT, 'actions', action, 'action.yml');
  if (!existsSync(path)) return [];
  return Object.entries(map(map(parse(readFileSync(path, 'utf8'))).inputs))
    .filter(
      ([name, spec]) =>
        String(map(spec).description ?? '').includes('postgres://') || /^(username|password)$/.test(name),
    )
    .map(([name]) => name);
}

/** What a job's steps reach besides AWS and GitHub: the database, the application, or neither. */
export function reachOf(job: Job): 'database' | 'application' | undefined {
  if ('services' in job.body) return 'database';
  let application = false;
  for (const step of job.steps) {
    if (typeof step.run === 'string' && /\b(psql|pg_dump|pg_dumpall|pg_restore|pg_isready)\b/.test(step.run))
      return 'database';
    const action = DR_ACTION.exec(String(step.uses ?? ''))?.[1];
    const given = Object.keys(map(step.with));
    if (action && connectionInputs(action).some((input) => given.includes(input))) return 'database';
    if (given.some((input) => APPLICATION_INPUTS.includes(input))) application = true;
  }
  return application ? 'application' : undefined;
}

export const RUNNER_INPUT = { database: 'database-runner', application: 'application-runner' } as const;

/** The configure job's step that checks the runner input and writes it as JSON. */
export function runnerStepOf(job: Job): Map | undefined {
  return job.steps.find((step) => step.id === 'runner');
}

/** A called workflow's runner inputs, given the caller's own: a drill runs where its caller said, except a staging-only call. */
function passedThrough(job: Job, inputs: Map, name: string): string[] {
  const called = /^\.\/\.github\/workflows\/([a-z-]+\.yml)$/.exec(String(job.body.uses))?.[1];
  if (!called || map(job.body.with).staging === true) return [];
  const calledInputs = map(
    map(map(map(parse(readFileSync(join(ROOT, '.github', 'workflows', called), 'utf8'))).on).workflow_call).inputs,
  );
  return Object.values(RUNNER_INPUT).flatMap((input) => {
    if (!(input in calledInputs)) return [];
    if (!(input in inputs)) return [`${name}: no workflow_call input ${input}, to give to ${called}`];
    return map(job.body.with)[input] === `\${{ inputs.${input} }}`
      ? []
      : [`${name}: job ${job.id} does not give ${called} its ${input} (\${{ inputs.${input} }})`];
  });
}

/** Every job on the wrong runner, every runner input missing or undocumented, and every configure job that does not check it. */
export function runnerProblems(workflow: Map, name: string): string[] {
  const problems: string[] = [];
  const jobs = jobsOf(workflow);
  const inputs = map(map(map(workflow.on).workflow_call).inputs);
  const checkedBy = new globalThis.Map<string, string>();
  for (const job of jobs) {
    if (typeof job.body.uses === 'string') {
      problems.push(...passedThrough(job, inputs, name));
      continue;
    }
    const reach = reachOf(job);
    const where = `${name}: job ${job.id}`;
    if (!reach) {
      if (job.body['runs-on'] !== GITHUB_HOSTED)
        problems.push(
          `${where} only calls AWS or GitHub, so it runs on ${GITHUB_HOSTED}, not ${String(job.body['runs-on'])}`,
        );
      continue;
    }
    const input = RUNNER_INPUT[reach];
    if (!(input in inputs)) problems.push(`${name}: no workflow_call input ${input}, for job ${job.id}`);
    else if (!String(map(inputs[input]).description ?? '').includes(RUNNER_FORM))
      problems.push(`${name}: the input ${input}'s description does not say ${RUNNER_FORM}`);
    const needs = ([] as string[]).concat((job.body.needs as string | string[] | undefined) ?? []);
    const configure = needs.find((id) => map(jobs.find((j) => j.id === id)?.body.outputs)[input] !== undefined);
    const expected = `\${{ fromJSON(needs.${configure ?? 'configure'}.outputs.${input}) }}`;
    if (!configure) problems.push(`${where} reaches the ${reach} but needs no job with the output ${input}`);
    else if (job.body['runs-on'] !== expected)
      problems.push(`${where} reaches the ${reach}, so it runs on ${expected}, not ${String(job.body['runs-on'])}`);
    if (configure) checkedBy.set(configure, input);
  }
  for (const [id, input] of checkedBy) {
    const configure = jobs.find((j) => j.id === id) as Job;
    const step = runnerStepOf(configure);
    if (map(configure.body.outputs)[input] !== '${{ steps.runner.outputs.runner }}' || !step)
      problems.push(`${name}: job ${id}'s output ${input} is not its runner step's runner`);
    else if (![`inputs.${input}`, 'inputs.staging-runner'].some((read) => JSON.stringify(step.env).includes(read)))
      problems.push(`${name}: job ${id}'s runner step reads neither inputs.${input} nor inputs.staging-runner`);
  }
  return problems;
}
