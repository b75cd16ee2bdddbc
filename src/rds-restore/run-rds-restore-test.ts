import { randomBytes } from 'node:crypto';
import { createRdsClient } from '../aws/clients.js';
import type { TemporaryInstance } from '../aws/rds-recovery.js';
import { checklistTags } from '../checks/checks-file.js';
import { ConfigurationError, errorMessage } from '../errors.js';
import type { RunContext } from '../github/run-context.js';
import { missedObjectives, restoreTestPassed } from '../report/recovery-evidence.js';
import { newReport, StepRecorder, writeReport, type ReportStep } from '../report/report.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import type { RdsRestoreSettings } from './inputs.js';
import {
  measureRto,
  rdsChecklist,
  rdsObjectives,
  REPORT_KIND,
  STEP,
  type RdsRestoreDetails,
  type RdsRestoreReport,
} from './rds-restore-report.js';
import { DEFAULT_PACING, rdsRestoreSteps, type RdsPacing } from './rds-restore-steps.js';
import { describeSelector } from '../aws/rds-recovery-point.js';
import {
  findRecoveryPoints,
  resolveRecoveryPoint,
  type PointsQuery,
  type ResolvedPoint,
} from '../aws/rds-recovery-points.js';
import { measureRdsRpo } from './rpo.js';
import { runTagValue } from './tags.js';
import { temporaryInstanceId, temporaryTags } from './temporary-instance.js';
import { resolveMasterLogin } from './master-login.js';

export interface RdsRestoreOptions extends RdsRestoreSettings {
  run: RunContext;
  log: Logger;
  clock?: Clock;
  pacing?: Partial<RdsPacing>;
  /** Aborting (a cancelled job) stops the running step; the instance is still deleted. */
  signal?: AbortSignal;
  /** The environment the smoke command inherits (connection variables are replaced). */
  env?: NodeJS.ProcessEnv;
  /** Called with a password read from Secrets Manager the moment it is read (the action masks it); tests leave it out. */
  maskSecret?: (secret: string) => void;
}

export interface RdsRestoreResult {
  report: RdsRestoreReport;
  passed: boolean;
  reportPath: string;
  restoredInstanceId: string;
  recoveryPointTime?: string;
  /** RTO: restore call until the checks and smoke command passed. */
  recoverySeconds: number | null;
  /** A mistake in the inputs found against AWS (a time outside the restore window, no such snapshot). */
  configurationError?: ConfigurationError;
}

/** A clock whose sleeps end at once when the job is cancelled, so the deletion runs in the seconds a cancel leaves. */
function cancellable(clock: Clock, signal: AbortSignal | undefined): Clock {
  if (!signal) return clock;
  return {
    now: () => clock.now(),
    sleep: (ms) =>
      signal.aborted
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const done = () => {
              signal.removeEventListener('abort', done);
              resolve();
            };
            signal.addEventListener('abort', done, { once: true });
            void clock.sleep(ms).then(done);
          }),
  };
}

function newDetails(
  options: RdsRestoreOptions,
  instanceId: string,
  instanceClass: string,
  tags: Record<string, string>,
): RdsRestoreDetails {
  return {
    instanceId: options.instanceId,
    sourceRegion: options.sourceRegion,
    region: options.region,
    scenario: options.region === options.sourceRegion ? 'database failure' : 'regional outage',
    selector: describeSelector(options.recoveryPoint),
    instance: { id: instanceId, instanceClass, tags, created: false, deleted: false, kept: false, statuses: [] },
    database: { name: options.database },
    checks: { file: options.checks?.path, results: [] },
    rto: { seconds: null },
    cancelled: false,
  };
}

/**
 * The plan's RPO mechanisms, proven: restores an RDS recovery point (latest, a time, a snapshot)
 * into a temporary instance in the primary or the secondary region, proves the data with the
 * team's checks and smoke command, measures RTO and RPO, and deletes the instance. Every outcome
 * after the master login was read ends up in the report; it throws only when that login cannot be
 * read (a ConfigurationError, before anything is done) or the report cannot be written.
 */
export async function runRdsRestoreTest(options: RdsRestoreOptions): Promise<RdsRestoreResult> {
  const clock = cancellable(options.clock ?? systemClock, options.signal);
  const now = () => new Date(clock.now());
  const client = createRdsClient({ region: options.region, endpointUrl: options.endpointUrl });
  const sourceClient =
    options.region === options.sourceRegion
      ? client
      : createRdsClient({ region: options.sourceRegion, endpointUrl: options.endpointUrl });
  const login = await resolveMasterLogin(options.master, {
    ...options,
    sourceClient,
    maskSecret: options.maskSecret ?? (() => undefined),
  });
  if (options.master.from === 'secret') options.log.info(`master login: ${login.username}, from ${login.source}`);
  const startedAt = now();
  const secrets = [login.password];
  const runTag = runTagValue(options.run, randomBytes(6).toString('hex'));
  const target = temporaryTarget(options, runTag, startedAt);
  const details = newDetails(options, target.id, target.instanceClass, target.tags);
  const recorder = new StepRecorder(now);
  const reasons: string[] = [];

  const query = {
    instanceId: options.instanceId,
    sourceRegion: options.sourceRegion,
    region: options.region,
    client,
    sourceClient,
  };
  const resolved = await resolvePoint(options, query, { recorder, details, now, secrets, targetId: target.id });
  if (resolved.reason) reasons.push(resolved.reason);
  if (resolved.point) {
    const pipeline = rdsRestoreSteps({
      settings: options,
      login,
      client,
      target,
      runTag,
      details,
      recorder,
      log: options.log,
      clock,
      pacing: { ...DEFAULT_PACING, ...options.pacing },
      secrets,
      signal: options.signal,
      env: options.env,
    });
    const outcome = await pipeline.run(
      { point: resolved.point },
      { recorder, onFailure: 'collect', log: options.log, secrets, signal: options.signal },
    );
    reasons.push(...outcome.reasons);
  }
  details.cancelled = options.signal?.aborted === true;
  const report = await finishReport(options, { startedAt, finishedAt: now(), details, steps: recorder.steps, reasons });
  const { configurationError } = resolved;
  return {
    report,
    passed: report.passed,
    reportPath: options.reportPath,
    restoredInstanceId: details.instance.created ? target.id : '',
    ...(details.recoveryPoint ? { recoveryPointTime: details.recoveryPoint.time } : {}),
    recoverySeconds: details.rto.seconds,
    ...(configurationError ? { configurationError } : {}),
  };
}

/** The temporary instance the recovery point is restored into, named and tagged so that only this run deletes it. */
function temporaryTarget(options: RdsRestoreOptions, runTag: string, startedAt: Date): TemporaryInstance {
  return {
    id: temporaryInstanceId(options.instanceId, options.run, startedAt),
    instanceClass: options.instanceClass,
    subnetGroup: options.subnetGroup,
    securityGroupIds: options.securityGroupIds,
    iamDatabaseAuthentication: options.databaseAuth.auth === 'iam',
    tags: temporaryTags(options.instanceId, runTag),
  };
}

/** The point found, or why not: the failure as a report reason, and as a ConfigurationError when the inputs were at fault. */
interface PointResolution {
  point?: ResolvedPoint;
  reason?: string;
  configurationError?: ConfigurationError;
}

/**
 * Finds the recovery point the inputs ask for, recording the RPO the points found allow. A point
 * that cannot be resolved ends the run before anything is created, so its failure is not thrown.
 */
async function resolvePoint(
  options: RdsRestoreOptions,
  query: PointsQuery,
  run: {
    recorder: StepRecorder;
    details: RdsRestoreDetails;
    now: () => Date;
    secrets: string[];
    targetId: string;
  },
): Promise<PointResolution> {
  const { details } = run;
  try {
    const point = await run.recorder.run(
      STEP.resolve,
      async () => {
        const points = await findRecoveryPoints(query);
        const resolved = await resolveRecoveryPoint(options.recoveryPoint, points, query);
        details.rpo = measureRdsRpo(points, resolved.time, run.now());
        return resolved;
      },
      (resolved) => `${resolved.label} in ${options.region}`,
    );
    details.recoveryPoint = {
      mechanism: point.mechanism,
      time: point.time.toISOString(),
      label: point.label,
      ...(point.mechanism === 'snapshot'
        ? { snapshotId: point.snapshot.id }
        : { window: { earliest: point.window.earliest.toISOString(), latest: point.window.latest.toISOString() } }),
    };
    options.log.info(`recovery point: ${point.label}; restoring into ${run.targetId} in ${options.region}`);
    return { point };
  } catch (error) {
    const message = redact(errorMessage(error), run.secrets);
    return {
      reason: `${STEP.resolve}: ${message}`,
      ...(error instanceof ConfigurationError ? { configurationError: new ConfigurationError(message) } : {}),
    };
  }
}

async function finishReport(
  options: RdsRestoreOptions,
  run: { startedAt: Date; finishedAt: Date; details: RdsRestoreDetails; steps: ReportStep[]; reasons: string[] },
): Promise<RdsRestoreReport> {
  const { details, steps } = run;
  const reasons = [...run.reasons];
  details.rto = measureRto(steps);
  const objectives = rdsObjectives(details, { rtoSeconds: options.rtoSeconds, rpoSeconds: options.rpoSeconds });
  reasons.push(...missedObjectives(objectives));
  const report = newReport({
    kind: REPORT_KIND,
    run: options.run,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    passed: restoreTestPassed(reasons, objectives),
    reasons,
    steps,
    objectives,
    checklist: rdsChecklist(steps, details, objectives, checklistTags(options.checks)),
    details,
  });
  await writeReport(options.reportPath, report);
  return report;
}
