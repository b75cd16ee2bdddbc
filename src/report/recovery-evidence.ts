import { formatDuration, secondsBetween } from '../util/format.js';
import { checklistItem, type ChecklistItem } from './checklist.js';
import type { ObjectiveResult, ReportStep } from './report.js';
import type { StepStatus } from './step-status.js';

/** The detail the step pipeline gives a step it did not run because an earlier one failed or the run was cancelled. */
const NOT_RUN = /^not run/;

/** A step skipped because it was not configured (as opposed to not run: an earlier step failed). */
export const notConfigured = (step: ReportStep) => step.status === 'skipped' && !NOT_RUN.test(step.detail ?? '');

/**
 * How a step reads as a row of the checklist: absent or not run, it was not achieved (failed);
 * skipped as not configured, it stays skipped unless the row cannot do without it.
 */
export function stepOutcome(
  step: ReportStep | undefined,
  options: { required?: boolean } = {},
): { status: StepStatus; detail?: string } {
  if (!step) return { status: 'failed', detail: 'not reached' };
  if (step.status === 'skipped')
    return !options.required && notConfigured(step)
      ? { status: 'skipped', detail: step.detail }
      : { status: 'failed', detail: step.detail };
  return { status: step.status, detail: step.detail };
}

export interface RecoveryTime {
  from?: string;
  to?: string;
  seconds: number | null;
}

/**
 * RTO as measured by a run: from the start of the first of `recoverySteps` to the end of the last
 * one that ran. Measured only when the recovery completed (each of those steps passed or was not
 * configured) and began with the first of them.
 */
export function measureRecoveryTime(steps: readonly ReportStep[], recoverySteps: readonly string[]): RecoveryTime {
  const recovery = steps.filter((s) => recoverySteps.includes(s.name));
  const completed = recovery.every((s) => s.status === 'passed' || notConfigured(s));
  const ran = recovery.filter((s) => s.startedAt && s.finishedAt);
  const first = ran[0];
  const last = ran.at(-1);
  if (!completed || !first?.startedAt || !last?.finishedAt || first.name !== recoverySteps[0]) return { seconds: null };
  return {
    from: first.startedAt,
    to: last.finishedAt,
    seconds: secondsBetween(new Date(first.startedAt), new Date(last.finishedAt)),
  };
}

/** The checklist's RTO row from the run's RTO objective. */
export function rtoChecklistItem(rto: ObjectiveResult | undefined): ChecklistItem {
  if (rto === undefined || rto.measuredSeconds === null)
    return checklistItem('rto', 'failed', 'not measured: the recovery did not complete');
  return checklistItem(
    'rto',
    rto.passed ? 'passed' : 'failed',
    `${formatDuration(rto.measuredSeconds)} against ${formatDuration(rto.targetSeconds)}`,
  );
}

/** A restore test passes when nothing went wrong and every objective was measured and met. */
export function restoreTestPassed(reasons: readonly string[], objectives: readonly ObjectiveResult[]): boolean {
  return reasons.length === 0 && objectives.every((o) => o.passed === true);
}

/** One reason per objective the run measured and missed. */
export function missedObjectives(objectives: readonly ObjectiveResult[]): string[] {
  return objectives.flatMap((o) =>
    o.passed === false && o.measuredSeconds !== null
      ? [
          `${o.name} (${o.measure}): ${formatDuration(o.measuredSeconds)}, over the objective of ${formatDuration(o.targetSeconds)}`,
        ]
      : [],
  );
}
