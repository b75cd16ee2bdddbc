import { CHECKLIST_TAGS, type ChecklistTag } from '../checks/checks-file.js';
import type { CheckResult } from '../checks/run-checks.js';
import type { SmokeResult } from '../checks/smoke.js';
import { checklistItem, type ChecklistItem } from '../report/checklist.js';
import { objective, type ObjectiveResult, type Report, type ReportStep } from '../report/report.js';
import { formatDuration, secondsBetween } from '../util/format.js';
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
  database: { name: string; serverVersion?: string };
  proof?: DatabaseProof;
  checks: { file?: string; results: CheckResult[] };
  smoke?: SmokeResult;
  rpo?: RdsRpoMeasurement;
  rto: { from?: string; to?: string; seconds: number | null };
  cancelled: boolean;
}

export type RdsRestoreReport = Report<typeof REPORT_KIND, RdsRestoreDetails>;

const NOT_RUN = /^not run/;
const RECOVERY_STEPS: string[] = [STEP.restore, STEP.wait, STEP.connect, STEP.tables, STEP.checks, STEP.smoke];

/** RTO: from the restore call until the checks and the smoke command passed; only when every one of those steps passed or was not configured. */
export function measureRto(steps: readonly ReportStep[]): RdsRestoreDetails['rto'] {
  const recovery = steps.filter((s) => RECOVERY_STEPS.includes(s.name));
  const completed = recovery.length > 0 && recovery.every((s) => s.status === 'passed' || (s.status === 'skipped' && !NOT_RUN.test(s.detail ?? '')));
  const ran = recovery.filter((s) => s.startedAt && s.finishedAt);
  const first = ran[0];
  const last = ran.at(-1);
  if (!completed || !first || !last || first.name !== STEP.restore) return { seconds: null };
  return { from: first.startedAt, to: last.finishedAt, seconds: secondsBetween(new Date(first.startedAt as string), new Date(last.finishedAt as string)) };
}

const MECHANISM = { 'point-in-time': 'point-in-time restore', snapshot: 'snapshot restore' } as const;

export function rdsObjectives(details: RdsRestoreDetails, targets: { rtoSeconds: number; rpoSeconds: number }): ObjectiveResult[] {
  const mechanism = details.recoveryPoint ? MECHANISM[details.recoveryPoint.mechanism] : 'RDS recovery point';
  const where = details.region === details.sourceRegion ? details.region : `${details.region}, from ${details.sourceRegion}`;
  return [
    objective('RTO', details.scenario, `RDS ${mechanism} in ${where}: restore call until the checks and smoke command passed`, targets.rtoSeconds, details.rto.seconds),
    objective('RPO', details.scenario, `age of the recovery point at the test (RDS ${mechanism}: ${details.recoveryPoint?.label ?? 'not resolved'})`, targets.rpoSeconds, details.rpo?.pointAgeSeconds ?? null),
    objective('RPO', details.scenario, `largest gap between RDS recovery points over ${details.rpo?.windowDays ?? 30} days (point-in-time window and snapshots in ${details.region})`, targets.rpoSeconds, details.rpo?.maxGapSeconds ?? null),
  ];
}

function fromStep(step: ReportStep | undefined): { status: 'passed' | 'failed' | 'skipped'; detail?: string } {
  if (!step) return { status: 'failed', detail: 'not reached' };
  if (step.status === 'skipped') return NOT_RUN.test(step.detail ?? '') ? { status: 'failed', detail: step.detail } : { status: 'skipped', detail: step.detail };
  return { status: step.status, detail: step.detail };
}

/** The plan's Test Checklist rows an RDS restore test speaks to. */
export function rdsChecklist(steps: readonly ReportStep[], details: RdsRestoreDetails, objectives: readonly ObjectiveResult[], tagged: ReadonlySet<ChecklistTag>): ChecklistItem[] {
  const get = (name: string) => steps.find((s) => s.name === name);
  const items: ChecklistItem[] = [];
  const restoreSteps = [STEP.restore, STEP.wait, STEP.connect, STEP.tables].map((name) => fromStep(get(name)));
  const failed = restoreSteps.find((s) => s.status !== 'passed');
  items.push(checklistItem('restore', failed ? 'failed' : 'passed', failed ? failed.detail : `${details.recoveryPoint?.label ?? ''} restored into ${details.instance.id}; ${restoreSteps[3]?.detail ?? ''}`));
  const smoke = fromStep(get(STEP.smoke));
  items.push(checklistItem('applicationStarts', smoke.status, smoke.status === 'skipped' ? 'no smoke-command' : details.smoke ? `smoke command ${details.smoke.detail}` : smoke.detail));
  for (const tag of Object.keys(CHECKLIST_TAGS) as ChecklistTag[]) {
    const results = details.checks.results.filter((r) => r.checklist.includes(tag));
    if (!tagged.has(tag)) items.push(checklistItem(CHECKLIST_TAGS[tag], 'skipped', `no check marked '-- checklist: ${tag}' in the checks file`));
    else if (results.length === 0) items.push(checklistItem(CHECKLIST_TAGS[tag], 'failed', fromStep(get(STEP.checks)).detail ?? 'not reached'));
    else items.push(checklistItem(CHECKLIST_TAGS[tag], results.some((r) => !r.passed) ? 'failed' : 'passed', results.map((r) => `${r.name}: ${r.passed ? 'passed' : r.detail}`).join('; ')));
  }
  const checks = fromStep(get(STEP.checks));
  items.push(checklistItem('criticalFeatures', checks.status, checks.status === 'skipped' ? 'no checks file' : checks.detail));
  const [rto, ...rpo] = objectives;
  items.push(checklistItem('rto', rto?.passed ? 'passed' : 'failed', rto?.measuredSeconds === null || rto?.measuredSeconds === undefined ? 'not measured: the recovery did not complete' : `${formatDuration(rto.measuredSeconds)} against ${formatDuration(rto.targetSeconds)}`));
  const measured = rpo.every((o) => o.measuredSeconds !== null);
  const mechanism = details.recoveryPoint ? MECHANISM[details.recoveryPoint.mechanism] : 'RDS';
  items.push(
    checklistItem(
      'rpo',
      rpo.every((o) => o.passed) ? 'passed' : 'failed',
      measured ? `${rpo.map((o) => `${o.measure}: ${formatDuration(o.measuredSeconds as number)}`).join('; ')} (objective ${formatDuration(rpo[0]?.targetSeconds ?? 0)}; mechanism: ${mechanism})` : 'not measured: no recovery point resolved',
    ),
  );
  return items;
}
