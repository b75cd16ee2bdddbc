import { checksChecklist } from '../checks/checks-checklist.js';
import type { ChecklistTag } from '../checks/checks-file.js';
import type { CheckResult } from '../checks/run-checks.js';
import type { SmokeResult } from '../checks/smoke.js';
import { checklistItem, type ChecklistItem } from '../report/checklist.js';
import { objective, type ObjectiveResult, type Report, type ReportStep } from '../report/report.js';
import { measureRecoveryTime, rtoChecklistItem, stepOutcome } from '../report/recovery-evidence.js';
import { formatDuration } from '../util/format.js';
import type { DatabaseProof } from './database-proof.js';
import type { RdsRpoMeasurement } from './rpo.js';

export const REPORT_KIND = 'rds-restore-test';

export const STEP = {
  resolve: 'resolve recovery point',
  preflight: 'preflight',
  restore: 'restore',
  wait: 'wait for instance',
  connect: 'connect',
  tables: 'tables',
  checks: 'checks',
  smoke: 'smoke',
  delete: 'delete instance',
} as const;

export interface RdsRestoreDetails {
  instanceId: string;
  sourceRegion: string;
  /** Where the temporary instance was restored. */
  region: string;
  scenario: 'database failure' | 'regional outage';
  /** The recovery-point input as understood. */
  selector: string;
  recoveryPoint?: {
    mechanism: 'point-in-time' | 'snapshot';
    /** The instant the restored data is from. */
    time: string;
    label: string;
    snapshotId?: string;
    window?: { earliest: string; latest: string };
  };
  instance: {
    id: string;
    instanceClass: string;
    tags: Record<string, string>;
    created: boolean;
    deleted: boolean;
    kept: boolean;
    endpoint?: string;
    statuses: { status: string; at: string }[];
  };
  /** login: said when it was not the one the run started with (a rotated secret's previous version). */
  database: { name: string; serverVersion?: string; login?: string };
  proof?: DatabaseProof;
  checks: { file?: string; results: CheckResult[] };
  smoke?: SmokeResult;
  rpo?: RdsRpoMeasurement;
  rto: { from?: string; to?: string; seconds: number | null };
  cancelled: boolean;
}

export type RdsRestoreReport = Report<typeof REPORT_KIND, RdsRestoreDetails>;

const RECOVERY_STEPS: string[] = [STEP.restore, STEP.wait, STEP.connect, STEP.tables, STEP.checks, STEP.smoke];

/** RTO: from the restore call until the checks and the smoke command passed; only when every one of those steps passed or was not configured. */
export function measureRto(steps: readonly ReportStep[]): RdsRestoreDetails['rto'] {
  return measureRecoveryTime(steps, RECOVERY_STEPS);
}

const MECHANISM = { 'point-in-time': 'point-in-time restore', snapshot: 'snapshot restore' } as const;

export function rdsObjectives(
  details: RdsRestoreDetails,
  targets: { rtoSeconds: number; rpoSeconds: number },
): ObjectiveResult[] {
  const mechanism = details.recoveryPoint ? MECHANISM[details.recoveryPoint.mechanism] : 'RDS recovery point';
  const where =
    details.region === details.sourceRegion ? details.region : `${details.region}, from ${details.sourceRegion}`;
  return [
    objective(
      'RTO',
      details.scenario,
      `RDS ${mechanism} in ${where}: restore call until the checks and smoke command passed`,
      targets.rtoSeconds,
      details.rto.seconds,
    ),
    objective(
      'RPO',
      details.scenario,
      `age of the recovery point at the test (RDS ${mechanism}: ${details.recoveryPoint?.label ?? 'not resolved'})`,
      targets.rpoSeconds,
      details.rpo?.pointAgeSeconds ?? null,
    ),
    objective(
      'RPO',
      details.scenario,
      `largest gap between RDS recovery points over ${details.rpo?.windowDays ?? 30} days (point-in-time window and snapshots in ${details.region})`,
      targets.rpoSeconds,
      details.rpo?.maxGapSeconds ?? null,
    ),
  ];
}

/** The plan's Test Checklist rows an RDS restore test speaks to. */
export function rdsChecklist(
  steps: readonly ReportStep[],
  details: RdsRestoreDetails,
  objectives: readonly ObjectiveResult[],
  tagged: ReadonlySet<ChecklistTag>,
): ChecklistItem[] {
  const get = (name: string) => steps.find((s) => s.name === name);
  const items: ChecklistItem[] = [];
  const restoreSteps = [STEP.restore, STEP.wait, STEP.connect, STEP.tables].map((name) => stepOutcome(get(name)));
  const failed = restoreSteps.find((s) => s.status !== 'passed');
  items.push(
    checklistItem(
      'restore',
      failed ? 'failed' : 'passed',
      failed
        ? failed.detail
        : `${details.recoveryPoint?.label ?? ''} restored into ${details.instance.id}; ${restoreSteps[3]?.detail ?? ''}`,
    ),
  );
  items.push(
    ...checksChecklist({
      smokeStep: get(STEP.smoke),
      smoke: details.smoke,
      checksStep: get(STEP.checks),
      results: details.checks.results,
      tagged,
    }),
  );
  const [rto, ...rpo] = objectives;
  items.push(rtoChecklistItem(rto));
  const measured = rpo.every((o) => o.measuredSeconds !== null);
  const mechanism = details.recoveryPoint ? MECHANISM[details.recoveryPoint.mechanism] : 'RDS';
  items.push(
    checklistItem(
      'rpo',
      rpo.every((o) => o.passed) ? 'passed' : 'failed',
      measured
        ? `${rpo.map((o) => `${o.measure}: ${formatDuration(o.measuredSeconds as number)}`).join('; ')} (objective ${formatDuration(rpo[0]?.targetSeconds ?? 0)}; mechanism: ${mechanism})`
        : 'not measured: no recovery point resolved',
    ),
  );
  return items;
}
