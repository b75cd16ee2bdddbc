import { createRdsClient, createRoute53Client, createS3Client } from '../aws/clients.js';
import { describeSelector as describeRecoveryPoint } from '../aws/rds-recovery-point.js';
import { errorMessage } from '../errors.js';
import type { RunContext } from '../github/run-context.js';
import { findClient } from '../postgres/binaries.js';
import { withDatabase } from '../postgres/connection.js';
import { quoteIdent } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import { openMaintenance } from '../postgres/scratch-database.js';
import { claimTarget, type TargetClaim } from '../postgres/target-claim.js';
import { StepRecorder, writeReport, type ReportStep } from '../report/report.js';
import { StepFailure } from '../report/step-pipeline.js';
import { BackupStore } from '../storage/backup-store.js';
import { describeSelector } from '../storage/backup-selector.js';
import { secondsBetween } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import { putBackSql, recoveryActions } from './actions-list.js';
import type { RecoveryRun } from './backup-run.js';
import type { RecoverDetails } from './context.js';
import { DEFAULT_PACING, type CutoverPacing } from './application-steps.js';
import { bringUp, cutOver } from './cutover.js';
import type { RecoverDatabaseSettings, RecoverMode } from './inputs.js';
import { describePhase, planRecovery, type RecoveryPlan } from './plan.js';
import { buildRecoverReport, measureRto, type RecoverDatabaseReport } from './recover-report.js';
import { DEFAULT_RDS_PACING, type RdsPacing } from './rds-execute.js';
import { proveRestored, restoreBeside, type Execution } from './restore-beside.js';
import { rdsPlanAndExecute } from './run-rds-recovery.js';
import { STEP } from './steps.js';

export interface RecoverDatabaseOptions extends RecoverDatabaseSettings {
  run: RunContext;
  log: Logger;
  now?: () => Date;
  signal?: AbortSignal;
  /** The environment the commands inherit (connection variables are replaced). */
  env?: NodeJS.ProcessEnv;
  pacing?: Partial<CutoverPacing>;
  rdsPacing?: Partial<RdsPacing>;
}

export interface RecoverDatabaseResult {
  mode: RecoverMode;
  /** The backup key restored (or that execute would restore): expected-recovery-point's value. */
  recoveryPoint: string;
  /** The OID of the database replaced: expected-replaces's value. */
  replaces: string;
  /** The name the damaged database is (or would be) kept under. */
  keptAs: string;
  /** cutover: dns: the record as read before any change (expected-record-value's value); empty otherwise. */
  recordValue: string;
  recovered: boolean;
  recoverySeconds: number | null;
  reportPath: string;
  report: RecoverDatabaseReport;
  /** Why the run failed; absent when it passed. */
  error?: Error;
}

function initialDetails(settings: RecoverDatabaseSettings): RecoverDetails {
  const rds = settings.rds;
  return {
    mode: settings.mode,
    source: settings.source,
    ...(rds
      ? {
          rds: {
            instanceId: rds.instanceId,
            region: settings.aws.region,
            cutover: rds.cutover,
            ...(rds.record ? { record: rds.record.name.slice(0, -1) } : {}),
            restored: { id: '', statuses: [] },
          },
        }
      : {}),
    database: settings.database.display,
    production: settings.database.database,
    bucket: settings.bucket,
    prefix: settings.prefix,
    selector: settings.rds ? describeRecoveryPoint(settings.rds.recoveryPoint) : describeSelector(settings.backup),
    actions: [],
    tables: [],
    checks: { file: settings.checks?.path, results: [] },
    commands: [],
    recovered: false,
    state: '',
    putBack: [],
    rto: { seconds: null, measure: '' },
    rpo: { seconds: null },
  };
}

/** Claims the production database's name for this run: two recoveries of one database must not interleave. */
async function claimProduction(settings: RecoverDatabaseSettings, psqlPath: string): Promise<TargetClaim> {
  const target = settings.database;
  return claimTarget(
    target,
    psqlPath,
    (holder) =>
      `another run is recovering ${target.display} (${holder}); nothing was changed: let it finish, then run again (a re-run resumes where it stopped)`,
  );
}

/** From where the plan found the recovery, the rest of it: each part skipped when an earlier run did it. */
async function execute(execution: Execution, pacing: CutoverPacing): Promise<void> {
  const kind = execution.plan.phase.kind;
  if (kind === 'done') {
    execution.run.details.recovered = true;
    return;
  }
  if (kind === 'fresh') await restoreBeside(execution);
  if (kind === 'fresh' || kind === 'restored') await proveRestored(execution);
  if (kind !== 'renamed') await cutOver(execution, pacing);
  execution.run.details.recovered = true;
  await bringUp(execution, pacing);
}

/** Where things stand at the end, and, once the renames happened, the SQL that undoes them. */
function describeEnd(
  details: RecoverDetails,
  plan: RecoveryPlan | undefined,
  steps: readonly ReportStep[],
  failed: boolean,
): void {
  const production = details.production;
  if (!plan) return void (details.state = `nothing was changed: ${production} is as it was`);
  const kept = `the damaged database is kept as ${plan.keptAs} (drop it once the incident is closed: DROP DATABASE ${quoteIdent(plan.keptAs)};)`;
  if (details.recovered) {
    details.putBack = putBackSql(production, plan);
    details.state = failed
      ? `${production} is the restored backup ${plan.selection.backup.key} now, but the recovery stopped after the renames (see the failed step); ${kept}. Run again to go on, or put the old database back with the SQL below`
      : `${production} is the restored backup ${plan.selection.backup.key}; ${kept}`;
    return;
  }
  if (details.mode === 'plan')
    return void (details.state = `plan only: nothing was changed${plan.phase.kind === 'done' ? '; the recovery is already complete' : ''}`);
  const created =
    plan.phase.kind !== 'fresh' || steps.some((s) => s.name === STEP.createDatabase && s.status === 'passed');
  details.state = created
    ? `${production} was not changed (oid ${plan.replaces}); the restored database ${plan.restoredAs} is kept for inspection: run again to resume from it, or drop it (DROP DATABASE ${quoteIdent(plan.restoredAs)};)`
    : `${production} was not changed (oid ${plan.replaces}); no database was created`;
}

interface Outcome {
  plan?: RecoveryPlan;
  error?: Error;
}

async function planAndExecute(run: RecoveryRun, steps: StepRecorder, pacing: CutoverPacing): Promise<Outcome> {
  const { settings } = run;
  const outcome: Outcome = {};
  let claim: TargetClaim | undefined;
  let maintenance: PsqlSession | undefined;
  try {
    const psqlPath = (await findClient('psql')).path;
    if (settings.mode === 'execute') claim = await claimProduction(settings, psqlPath);
    const session = (maintenance = await openMaintenance(
      withDatabase(settings.database, settings.database.database),
      psqlPath,
    ));
    const plan = await steps.run(
      STEP.plan,
      () => planRecovery(run, session, psqlPath),
      (p) => describePhase(p, settings.database.database),
    );
    outcome.plan = plan;
    run.details.actions = recoveryActions(settings, plan);
    const journal =
      plan.phase.kind === 'fresh'
        ? {
            production: settings.database.database,
            backup: plan.selection.backup.key,
            replaces: plan.replaces,
            restoredAs: plan.restoredAs,
            keptAs: plan.keptAs,
            state: 'restoring' as const,
            run: run.run.runId,
          }
        : plan.phase.journal;
    if (settings.mode === 'execute')
      await execute({ run, plan, maintenance: session, psqlPath, steps, journal, claim }, pacing);
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(errorMessage(caught));
    error.message = redact(error instanceof StepFailure ? error.reasons.join('; ') : error.message, run.secrets);
    if (error.stack) error.stack = redact(error.stack, run.secrets);
    outcome.error = error;
  } finally {
    await maintenance?.close().catch(() => undefined);
    await claim?.release();
  }
  return outcome;
}

/**
 * The plan's Complete Database Recovery. Plan (the default) reads and says what execute would do
 * and lose. Execute restores the backup beside the damaged database, proves it, and only then
 * stops the application, renames the damaged database away and the restored one into its place,
 * migrates, starts and waits for health; nothing is dropped. Always returns (and writes the
 * report) once the inputs are valid: a failure is in `error`, with the state it left.
 */
export async function runRecoverDatabase(options: RecoverDatabaseOptions): Promise<RecoverDatabaseResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const steps = new StepRecorder(now);
  const details = initialDetails(options);
  const secrets = [options.database.password];
  const base = {
    settings: options,
    details,
    log: options.log,
    now,
    run: options.run,
    secrets,
    signal: options.signal,
    env: options.env,
  };
  const pacing = { ...DEFAULT_PACING, ...options.pacing };
  let error: Error | undefined;
  if (options.rds) {
    const clients = {
      rds: createRdsClient({ region: options.aws.region, endpointUrl: options.aws.endpointUrl }),
      route53: options.rds.cutover === 'dns' ? createRoute53Client(options.aws) : undefined,
    };
    ({ error } = await rdsPlanAndExecute(base, clients, steps, {
      cutover: pacing,
      rds: { ...DEFAULT_RDS_PACING, ...options.rdsPacing },
    }));
  } else {
    const store = new BackupStore(
      createS3Client(options.aws, { responseChecksumValidation: 'WHEN_REQUIRED' }),
      options.bucket,
      options.prefix,
    );
    const outcome = await planAndExecute({ ...base, store }, steps, pacing);
    error = outcome.error;
    describeEnd(details, outcome.plan, steps.steps, Boolean(error));
  }
  details.rto = measureRto(steps.steps, details, Boolean(options.health));
  const pointTime = details.backup?.snapshotAt ?? details.rds?.recoveryPoint?.time;
  details.rpo = { seconds: pointTime ? secondsBetween(new Date(pointTime), now()) : null };
  const report = buildRecoverReport({
    settings: options,
    run: options.run,
    startedAt,
    finishedAt: now(),
    steps: steps.steps,
    details,
    failure: error?.message,
  });
  await writeReport(options.reportPath, report);
  return {
    mode: options.mode,
    recoveryPoint: details.recoveryPoint ?? '',
    replaces: details.replaces ?? '',
    keptAs: details.keptAs ?? '',
    recordValue: details.recordValue ?? '',
    recovered: details.recovered,
    recoverySeconds: details.rto.seconds,
    reportPath: options.reportPath,
    report,
    ...(error ? { error } : !report.passed ? { error: new Error(report.reasons.join('; ')) } : {}),
  };
}
