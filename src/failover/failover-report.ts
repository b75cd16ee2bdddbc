import type { RunContext } from '../github/run-context.js';
import { checklistItem, type ChecklistItem } from '../report/checklist.js';
import { newReport, objective, type ObjectiveResult, type Report, type ReportStep } from '../report/report.js';
import { secondsBetween } from '../util/format.js';
import type { ExecutionOutcome } from './execute.js';
import type { HealthProbe } from '../health/wait.js';
import type { FailoverMode, FailoverSettings } from './inputs.js';
import {
  previousRecordValue,
  type Finding,
  type PlannedChange,
  type Preflight,
  type ReplicaRole,
} from './preflight.js';
import { recordValue } from '../aws/route53-record.js';
import type { ReplicationLag } from './replica-database.js';
import { PROMOTED_AT_TAG, PROMOTED_BY_TAG } from './tags.js';

export const RTO_SCENARIO = 'regional outage';

export interface FailoverDetails {
  mode: FailoverMode;
  replica: {
    id: string;
    region: string;
    arn?: string;
    role?: ReplicaRole;
    statusAtPreflight?: string;
    engine?: string;
  };
  source?: {
    id: string;
    region: string;
    arn?: string;
    status?: string;
    reachable: boolean;
    answers: boolean;
    error?: string;
  };
  /** host:port of the new primary. */
  endpoint?: string;
  record?: {
    hostedZoneId: string;
    name: string;
    type: string;
    before?: string;
    after?: string;
    alreadyPointing: boolean;
  };
  replicationLag: ReplicationLag | null;
  inRecoveryAtPreflight: boolean | null;
  health?: {
    url: string;
    expectStatus: number;
    preflight?: HealthProbe;
    attempts?: number;
    lastStatus?: number;
    lastError?: string;
    healthy?: boolean;
  };
  findings: Finding[];
  plannedChanges: PlannedChange[];
  blockers: string[];
  promoted: boolean;
  /**
   * Who promoted the replica and when, as its promoted-by and promoted-at tags say (`by: 'this run'`
   * when this run's PromoteReadReplica was accepted); absent while it is not promoted.
   */
  promotion?: { by: 'this run' | 'someone else'; promotedAt?: string; promotedBy?: string };
  previousRecordValue: string;
  changeId?: string;
  writable?: { canaryTable: string; committedAt: string; cleanupError?: string };
  nextSteps: string[];
  rollback: string[];
}

export type FailoverReport = Report<'failover', FailoverDetails>;

function rtoMeasure(settings: FailoverSettings): string {
  if (settings.health)
    return `start of execute to ${settings.health.display} answering HTTP ${settings.health.expectStatus}`;
  if (settings.record) return 'start of execute to the DNS change being INSYNC (no health-url)';
  return 'start of execute to the new primary being available (no record, no health-url)';
}

function lastFinish(steps: ReportStep[]): Date | undefined {
  const finishes = steps.map((step) => step.finishedAt).filter((at): at is string => Boolean(at));
  return finishes.length ? new Date(finishes.sort().at(-1) as string) : undefined;
}

export interface ReportInput {
  settings: FailoverSettings;
  run: RunContext;
  startedAt: Date;
  finishedAt: Date;
  steps: ReportStep[];
  preflight?: Preflight;
  outcome: ExecutionOutcome;
  /** Why the run failed, one sentence each; empty when it passed. */
  failures: string[];
  nextSteps: string[];
  rollback: string[];
}

function objectivesOf(input: ReportInput): ObjectiveResult[] {
  const { settings, preflight } = input;
  const executed = settings.mode === 'execute' && input.failures.length === 0;
  const end = lastFinish(input.steps) ?? input.finishedAt;
  const rto = objective(
    'RTO',
    RTO_SCENARIO,
    rtoMeasure(settings),
    settings.rtoSeconds,
    executed ? secondsBetween(input.startedAt, end) : null,
  );
  const lag = preflight?.database?.lag;
  const rpo = objective(
    'RPO',
    RTO_SCENARIO,
    'replication lag at preflight',
    settings.maxLagSeconds,
    lag?.state === 'measured' ? lag.seconds : null,
  );
  return [rto, rpo];
}

function checklistOf(input: ReportInput, objectives: ObjectiveResult[]): ChecklistItem[] {
  const items: ChecklistItem[] = [];
  const [rto, rpo] = objectives as [ObjectiveResult, ObjectiveResult];
  if (input.settings.mode === 'execute') {
    if (rto.passed === null) items.push(checklistItem('rto', 'failed', 'failover did not complete'));
    else
      items.push(
        checklistItem(
          'rto',
          rto.passed ? 'passed' : 'failed',
          `${rto.measuredSeconds} s of ${rto.targetSeconds} s (${rto.measure})`,
        ),
      );
    const health = input.outcome.health;
    if (input.settings.health) {
      if (!health) items.push(checklistItem('applicationStarts', 'skipped', 'health check not reached'));
      else
        items.push(
          checklistItem(
            'applicationStarts',
            health.healthy ? 'passed' : 'failed',
            `${input.settings.health.display}: ${health.attempts} attempts, last ${health.last.status ?? health.last.error}`,
          ),
        );
    }
  }
  if (rpo.measuredSeconds !== null)
    items.push(
      checklistItem(
        'rpo',
        rpo.passed ? 'passed' : 'failed',
        `replication lag ${rpo.measuredSeconds} s at preflight, RPO ${rpo.targetSeconds} s`,
      ),
    );
  return items;
}

export function buildFailoverReport(input: ReportInput): FailoverReport {
  const objectives = objectivesOf(input);
  const reasons = [...input.failures];
  const [rto] = objectives;
  if (rto?.passed === false)
    reasons.push(`failover took ${rto.measuredSeconds} s, more than the RTO of ${rto.targetSeconds} s`);
  return newReport<'failover', FailoverDetails>({
    kind: 'failover',
    run: input.run,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    passed: reasons.length === 0,
    reasons,
    steps: input.steps,
    objectives,
    checklist: checklistOf(input, objectives),
    details: detailsOf(input),
  });
}

/** Everything the run learned and did, in the order the report shows it; parts never reached are left out. */
function detailsOf(input: ReportInput): FailoverDetails {
  const { settings, preflight, outcome } = input;
  const replica = preflight?.replica;
  return {
    mode: settings.mode,
    replica: {
      id: settings.replicaId,
      region: settings.region,
      arn: replica?.arn,
      role: preflight?.role,
      statusAtPreflight: replica?.status,
      engine: replica ? `${replica.engine} ${replica.engineVersion}` : undefined,
    },
    ...sourceDetails(preflight),
    endpoint: preflight?.endpoint,
    ...recordDetails(settings, preflight),
    replicationLag: preflight?.database?.lag ?? null,
    inRecoveryAtPreflight: preflight?.database?.inRecovery ?? null,
    ...healthDetails(settings, preflight, outcome),
    findings: preflight?.findings ?? [],
    plannedChanges: preflight?.changes ?? [],
    blockers: preflight?.blockers ?? [],
    promoted: outcome.promoted,
    ...promotionDetails(preflight, outcome),
    previousRecordValue: preflight ? previousRecordValue(preflight) : '',
    changeId: outcome.changeId,
    ...writableDetails(outcome),
    nextSteps: input.nextSteps,
    rollback: input.rollback,
  };
}

/** The source instance as preflight found it, when preflight got as far as naming it. */
function sourceDetails(preflight: Preflight | undefined): Pick<FailoverDetails, 'source'> {
  const source = preflight?.source;
  if (!source?.ref) return {};
  return {
    source: {
      id: source.ref.id,
      region: source.ref.region,
      arn: source.ref.arn,
      status: source.state?.status,
      reachable: source.reachable,
      answers: source.answers,
      ...(source.error ? { error: source.error } : {}),
    },
  };
}

/** The DNS record before and after, when the run was given one to move. */
function recordDetails(settings: FailoverSettings, preflight: Preflight | undefined): Pick<FailoverDetails, 'record'> {
  if (!settings.record) return {};
  const record = preflight?.record;
  return {
    record: {
      hostedZoneId: settings.record.hostedZoneId,
      name: settings.record.name,
      type: settings.record.type,
      before: record?.current ? recordValue(record.current) : undefined,
      after: record?.desired ? recordValue(record.desired) : undefined,
      alreadyPointing: record?.alreadyPointing ?? false,
    },
  };
}

/** The application's health at preflight and after the switch, when the run was given a health-url. */
function healthDetails(
  settings: FailoverSettings,
  preflight: Preflight | undefined,
  outcome: ExecutionOutcome,
): Pick<FailoverDetails, 'health'> {
  const health = settings.health;
  if (!health) return {};
  return {
    health: {
      url: health.display,
      expectStatus: health.expectStatus,
      preflight: preflight?.health,
      ...(outcome.health
        ? {
            attempts: outcome.health.attempts,
            lastStatus: outcome.health.last.status,
            lastError: outcome.health.last.error,
            healthy: outcome.health.healthy,
          }
        : {}),
    },
  };
}

/** The write that proved the new primary takes writes, when the run got that far. */
/** Who promoted the replica, from this run's promotion or, when an earlier run did it, the tags preflight read. */
function promotionDetails(
  preflight: Preflight | undefined,
  outcome: ExecutionOutcome,
): Pick<FailoverDetails, 'promotion'> {
  const result = outcome.promotion;
  if (result) {
    const { promotedAt, promotedBy } = result;
    return { promotion: { by: result.calledPromote ? 'this run' : 'someone else', promotedAt, promotedBy } };
  }
  const tags = preflight?.role === 'promoted' ? preflight.replica?.tags : undefined;
  if (!tags) return {};
  return { promotion: { by: 'someone else', promotedAt: tags[PROMOTED_AT_TAG], promotedBy: tags[PROMOTED_BY_TAG] } };
}

function writableDetails(outcome: ExecutionOutcome): Pick<FailoverDetails, 'writable'> {
  if (!outcome.writable) return {};
  return {
    writable: {
      canaryTable: outcome.writable.canaryTable,
      committedAt: outcome.writable.committedAt,
      cleanupError: outcome.writable.cleanupError,
    },
  };
}
