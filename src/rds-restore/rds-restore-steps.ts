import type { RDSClient } from '@aws-sdk/client-rds';
import { isAwsError } from '../aws/errors.js';
import { restoreFromSnapshot, restoreToPointInTime, type TemporaryInstance } from '../aws/rds-recovery.js';
import { describeInstance, endpointText } from '../aws/rds.js';
import { waitUntilAvailable } from '../aws/rds-wait.js';
import { proveWithChecks, proveWithSmoke, type ProofRun } from '../checks/user-proof.js';
import { findClient } from '../postgres/binaries.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../postgres/connection.js';
import { awaitConnection, PASSWORD_REFUSED } from '../postgres/await-connection.js';
import type { StepRecorder } from '../report/report.js';
import { notApplicable, StepFailure, StepPipeline } from '../report/step-pipeline.js';
import type { Backoff } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';
import { plural } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import { judgeProof, proveDatabase } from './database-proof.js';
import type { RdsRestoreSettings } from './inputs.js';
import { STEP, type RdsRestoreDetails } from './rds-restore-report.js';
import type { ResolvedPoint } from '../aws/rds-recovery-points.js';
import { MADE_BY_TAG } from './tags.js';
import { deleteTemporaryInstance } from './temporary-instance.js';
import type { DatabaseLogin } from './master-login.js';

export interface RdsPacing {
  /** Between status checks of the restoring instance. */
  poll: Backoff;
  /** How often an unchanged status is logged. */
  progressEveryMs: number;
  /** Between connection attempts once RDS says available. */
  connect: Backoff;
  /** How long the database may take to answer once RDS says available. */
  connectTimeoutMs: number;
  throttle: Backoff;
}

export const DEFAULT_PACING: RdsPacing = {
  poll: { initialMs: 10_000, maxMs: 30_000, factor: 1.5 },
  progressEveryMs: 60_000,
  connect: { initialMs: 2_000, maxMs: 15_000, factor: 1.5 },
  connectTimeoutMs: 300_000,
  throttle: { initialMs: 1_000, maxMs: 20_000, factor: 2 },
};

/** What every step of one run shares; `details` is filled in as the steps go. */
export interface RdsRestoreRun {
  settings: RdsRestoreSettings;
  /** The source's master login, which the restored instance keeps. */
  login: DatabaseLogin;
  client: RDSClient;
  target: TemporaryInstance;
  runTag: string;
  details: RdsRestoreDetails;
  recorder: StepRecorder;
  log: Logger;
  clock: Clock;
  pacing: RdsPacing;
  secrets: (string | undefined)[];
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export interface Connected {
  database: DatabaseTarget;
  psqlPath: string;
  serverVersion: string;
}

const now = (run: RdsRestoreRun) => new Date(run.clock.now());
const proofRun = (run: RdsRestoreRun): ProofRun => ({ ...run, now: () => now(run) });

function collision(run: RdsRestoreRun): StepFailure {
  const { id } = run.target;
  const message = `an instance named ${id} already exists in ${run.settings.region} and was not created by this run: nothing was restored, and it is left untouched; delete or rename it, or re-run (a re-run gets another name)`;
  return new StepFailure(message, [message]);
}

async function preflightStep(run: RdsRestoreRun): Promise<string> {
  const existing = await describeInstance(run.client, { id: run.target.id, region: run.settings.region });
  if (existing) throw collision(run);
  return (await findClient('psql')).path;
}

async function restoreStep(run: RdsRestoreRun, point: ResolvedPoint): Promise<void> {
  const { client, target, settings } = run;
  try {
    if (point.mechanism === 'snapshot')
      await restoreFromSnapshot(client, point.snapshot.arn || point.snapshot.id, target, settings.region);
    else await restoreToPointInTime(client, point.source, point.request, target, settings.region);
  } catch (error) {
    if (isAwsError(error, 'DBInstanceAlreadyExists', 'DBInstanceAlreadyExistsFault')) throw collision(run);
    throw error;
  }
  run.details.instance.created = true;
}

async function waitStep(run: RdsRestoreRun): Promise<string> {
  const { settings, pacing, clock } = run;
  const wait = await waitUntilAvailable(run.client, run.target.id, settings.region, {
    deadline: clock.now() + settings.waitTimeoutMinutes * 60_000,
    poll: pacing.poll,
    throttle: pacing.throttle,
    clock,
    log: run.log,
    progressEveryMs: pacing.progressEveryMs,
    signal: run.signal,
  });
  run.details.instance.statuses = wait.statuses;
  const status = wait.state?.status ?? 'not found';
  if (run.signal?.aborted && !wait.done) throw new Error(`cancelled while ${run.target.id} was ${status}`);
  if (!wait.done)
    throw new Error(
      `${run.target.id} is still ${status} after wait-timeout-minutes (${settings.waitTimeoutMinutes} min, ${plural(wait.polls, 'status check')})`,
    );
  const endpoint = endpointText(wait.state);
  if (!endpoint || !wait.state?.endpoint) throw new Error(`${run.target.id} is available but RDS reports no endpoint`);
  run.details.instance.endpoint = endpoint;
  return endpoint;
}

async function connectStep(
  run: RdsRestoreRun,
  { endpoint, psqlPath }: { endpoint: string; psqlPath: string },
): Promise<Connected> {
  const { settings, pacing, clock, login } = run;
  const url = `postgres://${encodeURIComponent(login.username)}@${endpoint}/${encodeURIComponent(settings.database)}`;
  const parsed = parseDatabaseUrl(url, 'the restored instance');
  const withPassword = (password: string): DatabaseTarget =>
    settings.databaseAuth.apply(password ? { ...parsed, password } : parsed, 'the restored instance');
  const options = { psqlPath, applicationName: 'dr-actions rds-restore-test', timeoutSeconds: 30, signal: run.signal };
  const wait = { backoff: pacing.connect, timeoutMs: pacing.connectTimeoutMs, clock };
  const connect = (database: DatabaseTarget) =>
    awaitConnection(database, options, { ...wait, final: login.password ? PASSWORD_REFUSED : undefined });
  let database = withPassword(login.password);
  let serverVersion: string;
  try {
    serverVersion = await connect(database);
  } catch (error) {
    if (!login.previousPassword || !PASSWORD_REFUSED.test(String(error))) throw error;
    run.log.info(
      "the restored instance refused the secret's current password: the password was rotated after the recovery point, so the secret's previous version (AWSPREVIOUS) is tried",
    );
    database = withPassword(login.previousPassword);
    serverVersion = await connect(database).catch((second: unknown) => {
      if (!PASSWORD_REFUSED.test(String(second))) throw second;
      const message = `${database.display} refused both the current and the previous password of the secret: it was rotated more than once since the recovery point; use database-auth: iam (the restored instance has IAM authentication on), or a later point`;
      throw new StepFailure(message, [message]);
    });
    run.details.database.login = 'the secret before its last rotation (AWSPREVIOUS)';
  }
  run.details.database.serverVersion = serverVersion;
  return { database, psqlPath, serverVersion };
}

async function tablesStep(run: RdsRestoreRun, connected: Connected, point: ResolvedPoint): Promise<string> {
  const { settings } = run;
  const proof = await proveDatabase(
    connected.database,
    {
      checks: settings.checks?.checks ?? [],
      countTables: settings.countTables,
      newestRows: settings.freshness,
      recoveryPoint: point.time,
    },
    {
      psqlPath: connected.psqlPath,
      applicationName: 'dr-actions rds-restore-test',
      timeoutSeconds: settings.rtoSeconds,
      signal: run.signal,
    },
  );
  run.details.proof = proof;
  return judgeProof(proof, settings.countTables);
}

/** Why the instance goes now: said in the report, so a cancelled or failed run shows it cleaned up. */
function deleteOccasion(run: RdsRestoreRun): string {
  if (run.signal?.aborted) return ' after the cancellation';
  return run.recorder.steps.some((s) => s.status === 'failed') ? ' after the failure' : '';
}

async function deleteStep(run: RdsRestoreRun): Promise<string> {
  const { target, settings } = run;
  const occasion = deleteOccasion(run);
  if (occasion) run.log.info(`deleting ${target.id}${occasion}`);
  const outcome = await deleteTemporaryInstance(run.client, target.id, settings.region, run.runTag);
  if (!outcome.deleted) throw new StepFailure(outcome.why, [outcome.why]);
  run.details.instance.deleted = true;
  return `deleted ${target.id}${occasion} without a final snapshot (RDS: ${outcome.status}); only after its tags proved this run made it`;
}

function deleteInput(run: RdsRestoreRun) {
  const { target, settings, details } = run;
  if (!details.instance.created) return notApplicable('nothing to delete: this run created no instance');
  if (settings.keepInstance) {
    details.instance.kept = true;
    return notApplicable(
      `keep-instance: ${target.id} was kept; delete it with aws rds delete-db-instance --region ${settings.region} --db-instance-identifier ${target.id} --skip-final-snapshot (tag ${MADE_BY_TAG})`,
    );
  }
  return run;
}

const detailIs = (detail: string) => detail;

/**
 * One restore test as a list of steps: preflight (the name is free), the restore call, the wait
 * for `available`, the connection (each blocking the rest), the proofs (tables, checks, smoke:
 * each on its own), and the deletion, which runs whatever happened, cancel included.
 */
export function rdsRestoreSteps(run: RdsRestoreRun) {
  const { checks, smokeCommand } = run.settings;
  const pipeline = StepPipeline.start<{ point: ResolvedPoint }>()
    .step('psqlPath', {
      name: STEP.preflight,
      input: () => run,
      run: preflightStep,
      describe: () => `${run.target.id} is free in ${run.settings.region}; psql found`,
    })
    .step('restored', {
      name: STEP.restore,
      input: ({ point }) => point,
      run: (point) => restoreStep(run, point),
      describe: (_result, point) =>
        `${point.mechanism === 'snapshot' ? 'RestoreDBInstanceFromDBSnapshot' : 'RestoreDBInstanceToPointInTime'} of ${point.label} into ${run.target.id} (${run.target.instanceClass}, not public, no deletion protection)`,
    })
    .step('endpoint', {
      name: STEP.wait,
      input: () => run,
      run: waitStep,
      describe: (endpoint) =>
        `available at ${endpoint}; RDS reported ${run.details.instance.statuses.map((s) => s.status).join(' → ')}`,
    })
    .step('connected', {
      name: STEP.connect,
      input: ({ endpoint, psqlPath }) => ({ endpoint, psqlPath }),
      run: (input) => connectStep(run, input),
      describe: (c) => {
        const login = run.details.database.login;
        return `${c.database.display}: PostgreSQL ${c.serverVersion}${login ? `, logged in with ${login}` : ''}`;
      },
    })
    .check('tables', {
      name: STEP.tables,
      input: ({ connected, point }) => ({ connected, point }),
      run: ({ connected, point }) => tablesStep(run, connected, point),
      describe: detailIs,
    });
  const withChecks = checks
    ? pipeline.check('checked', {
        name: STEP.checks,
        input: ({ connected }) => connected,
        run: (connected) => proveWithChecks(proofRun(run), checks, connected.database, connected.psqlPath),
        describe: detailIs,
      })
    : pipeline.skipped(STEP.checks, 'no checks file');
  const withSmoke = smokeCommand
    ? withChecks.check('smoke', {
        name: STEP.smoke,
        input: ({ connected }) => connected,
        run: (connected) => proveWithSmoke(proofRun(run), smokeCommand, connected.database),
        describe: detailIs,
      })
    : withChecks.skipped(STEP.smoke, 'no smoke-command');
  return withSmoke.always('deleted', {
    name: STEP.delete,
    input: () => deleteInput(run),
    run: deleteStep,
    describe: detailIs,
  });
}
