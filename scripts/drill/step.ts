import { formatDuration } from '../../src/util/format.js';
import type { DrillRun } from './drill-run.js';

/** One step of the drill: usually one action run as the plan's workflow runs it, and what it proves. */
export interface DrillStep {
  /** What the step does, as the drill prints it and its verdict lists it; from the drill's options when they change it. */
  name: string | ((drill: DrillRun) => string);
  /** Steps that must have passed for this one to mean anything (a restore needs the backup); otherwise it is skipped. */
  needs?: readonly DrillStep[];
  /** Nothing after this step can run without it (the stack, the sample database): when it fails, the drill stops there. */
  essential?: boolean;
  /** Does the step's work; returns the line the drill prints for it, or throws what went wrong. */
  run(drill: DrillRun): Promise<string>;
}

const nameOf = (step: DrillStep, drill: DrillRun) => (typeof step.name === 'string' ? step.name : step.name(drill));

/** Runs one step, timed; records and prints its outcome. Whether it passed. */
async function runStep(drill: DrillRun, step: DrillStep): Promise<boolean> {
  const name = nameOf(step, drill);
  drill.say(`${name}...`);
  const t = Date.now();
  let result: { passed: boolean; detail: string };
  try {
    result = { passed: true, detail: await step.run(drill) };
  } catch (error) {
    result = { passed: false, detail: error instanceof Error ? error.message : String(error) };
  }
  const seconds = (Date.now() - t) / 1000;
  drill.steps.push({ name, seconds, ...result });
  drill.say(`${result.passed ? 'ok  ' : 'FAIL'} ${name} (${formatDuration(seconds)}): ${result.detail}`);
  return result.passed;
}

/** Runs the steps in order: one whose needs did not pass is skipped, and a failed essential step ends the drill. */
export async function runSteps(drill: DrillRun, steps: readonly DrillStep[]): Promise<void> {
  const passed = new Set<DrillStep>();
  for (const step of steps) {
    const unmet = (step.needs ?? []).filter((need) => !passed.has(need));
    if (unmet.length > 0) {
      drill.say(`skipped: ${nameOf(step, drill)} (needs ${unmet.map((need) => nameOf(need, drill)).join(', ')})`);
      continue;
    }
    if (await runStep(drill, step)) passed.add(step);
    else if (step.essential) return;
  }
}
