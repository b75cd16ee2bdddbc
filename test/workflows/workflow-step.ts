import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobsOf, parseWorkflow } from './workflow-rules.js';

const WORKFLOWS = fileURLToPath(new URL('../../.github/workflows', import.meta.url));

export interface StepRun {
  exitCode: number;
  outputs: Record<string, string>;
  /** What the script printed, workflow commands (::error::) included. */
  output: string;
  summary: string;
}

/** A `run:` step of a job, by its index or its name: by default the first step of `configure`, which reads the repository variables. */
export interface StepAt {
  job: string;
  step: number | string;
}

const CONFIGURE: StepAt = { job: 'configure', step: 0 };

/**
 * Runs a workflow's step with bash, as the runner would, with the step's `env:` expressions
 * replaced by the values given (unnamed ones are empty, as GitHub makes an unset variable or
 * secret). The decisions of the workflow are tested by running them.
 */
export async function runWorkflowStep(
  workflow: string,
  env: Record<string, string>,
  { job: jobId, step: which }: StepAt = CONFIGURE,
): Promise<StepRun> {
  const job = jobsOf(parseWorkflow(readFileSync(join(WORKFLOWS, workflow), 'utf8'))).find((j) => j.id === jobId);
  const step = typeof which === 'number' ? job?.steps[which] : job?.steps.find((s) => s.name === which);
  if (!step || typeof step.run !== 'string') throw new Error(`${workflow} has no ${jobId} step ${which}`);
  const declared = Object.keys((step.env ?? {}) as Record<string, unknown>);
  const unknown = Object.keys(env).filter((name) => !declared.includes(name));
  if (unknown.length) throw new Error(`${workflow}'s ${jobId} step has no env ${unknown.join(', ')}`);
  const dir = await mkdtemp(join(tmpdir(), 'dr-configure-'));
  try {
    const outputFile = join(dir, 'output');
    const summaryFile = join(dir, 'summary');
    await writeFile(outputFile, '');
    await writeFile(summaryFile, '');
    const stepEnv = Object.fromEntries(declared.map((name) => [name, env[name] ?? '']));
    const run = await execa('bash', ['-e', '-c', step.run], {
      env: { PATH: process.env.PATH, ...stepEnv, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile },
      extendEnv: false,
      reject: false,
      all: true,
    });
    const outputs = Object.fromEntries(
      (await readFile(outputFile, 'utf8'))
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    return {
      exitCode: run.exitCode ?? 1,
      outputs,
      output: run.all ?? '',
      summary: await readFile(summaryFile, 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
