import { checksChecklist } from '../checks/checks-checklist.js';
import type { ChecklistTag } from '../checks/checks-file.js';
import { checklistItem, type ChecklistItem } from '../report/checklist.js';
import { measureRecoveryTime, missedObjectives, rtoChecklistItem, stepOutcome } from '../report/recovery-evidence.js';
import { newReport, objective, type ObjectiveResult, type Report, type ReportStep } from '../report/report.js';
import type { RunContext } from '../github/run-context.js';
import { formatDuration } from '../util/format.js';
import type { RecoverDetails } from './context.js';
import type { RecoverDatabaseSettings } from './inputs.js';
import { STEP } from './steps.js';

export const REPORT_KIND = 'recover-database';
/** The plan's RPO; a recovery reports against it but is not failed by it (the reviewers accepted the loss with the plan). */
export const RPO_OBJECTIVE_SECONDS = 3600;

export type RecoverDatabaseReport = Report<typeof REPORT_KIND, RecoverDetails>;

/** From the start of execute to the health URL's answer (or, without one, the end of the last step); a re-run measures its own part. */
const RECOVERY_STEPS: string[] = Object.values(STEP);

export function measureRto(
  steps: readonly ReportStep[],
  details: RecoverDetails,
  health: boolean,
): RecoverDetails['rto'] {
  // A run that found the recovery complete recovered nothing itself: the run that did has the time.
  const recovering = details.mode === 'execute' && details.recovered && details.phase !== 'done';
  const measured = recovering ? measureRecoveryTime(steps, RECOVERY_STEPS) : { seconds: null };
  const measure = health
    ? 'start of execute until health-url answered'
    : 'start of execute until the last step ended (no health-url)';
  return { ...measured, measure };
}

export function recoverObjectives(details: RecoverDetails, rtoSeconds: number): ObjectiveResult[] {
  return [
    objective('RTO', 'database failure', details.rto.measure, rtoSeconds, details.rto.seconds),
    objective(
      'RPO',
      'database failure',
      `age of the recovery point (${details.rds ? `the RDS ${details.rds.recoveryPoint?.mechanism ?? 'recovery point'}` : "the backup's snapshot"}) at the end of the run: the data lost`,
      RPO_OBJECTIVE_SECONDS,
      details.rpo.seconds,
    ),
  ];
}

function recoverChecklist(
  steps: readonly ReportStep[],
  details: RecoverDetails,
  objectives: readonly ObjectiveResult[],
  tagged: ReadonlySet<ChecklistTag>,
): ChecklistItem[] {
  if (details.mode === 'plan') return [];
  const get = (name: string) => steps.find((s) => s.name === name);
  const items: ChecklistItem[] = [];
  if (details.rds) {
    const restored = stepOutcome(get(STEP.connect));
    items.push(checklistItem('restore', restored.status, restored.detail));
  } else {
    items.push(checklistItem('download', stepOutcome(get(STEP.download)).status, get(STEP.download)?.detail));
    const verify = stepOutcome(get(STEP.verify));
    items.push(checklistItem('restore', verify.status, verify.detail));
  }
  items.push(
    ...checksChecklist({
      smokeStep: get(STEP.smoke),
      smoke: details.smoke,
      checksStep: get(STEP.checks),
      results: details.checks.results,
      tagged,
    }),
  );
  const [rto, rpo] = objectives;
  items.push(rtoChecklistItem(rto));
  if (rpo?.measuredSeconds !== null && rpo)
    items.push(
      checklistItem(
        'rpo',
        rpo.passed ? 'passed' : 'failed',
        `${formatDuration(rpo.measuredSeconds)} of data lost (objective ${formatDuration(rpo.targetSeconds)})`,
      ),
    );
  return items;
}

export function buildRecoverReport(input: {
  settings: RecoverDatabaseSettings;
  run: RunContext;
  startedAt: Date;
  finishedAt: Date;
  steps: ReportStep[];
  details: RecoverDetails;
  failure?: string;
}): RecoverDatabaseReport {
  const { settings, details, steps } = input;
  const objectives = recoverObjectives(details, settings.rtoSeconds);
  const reasons = [...(input.failure ? [input.failure] : []), ...missedObjectives(objectives.slice(0, 1))];
  const tagged = new Set<ChecklistTag>((settings.checks?.checks ?? []).flatMap((c) => c.checklist));
  return newReport({
    kind: REPORT_KIND,
    run: input.run,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    passed: reasons.length === 0,
    reasons,
    steps,
    objectives,
    checklist: recoverChecklist(steps, details, objectives, tagged),
    details,
  });
}
