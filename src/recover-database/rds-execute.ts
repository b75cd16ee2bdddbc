import { isAwsError } from '../aws/errors.js';
import { restoreFromSnapshot, restoreToPointInTime, type TemporaryInstance } from '../aws/rds-recovery.js';
import { renameInstance } from '../aws/rds-rename.js';
import { waitForChangeInSync } from '../aws/route53.js';
import { switchRecord } from '../aws/route53-record.js';
import { bareDnsName } from '../aws/dns-names.js';
import { waitUntilAvailable } from '../aws/rds-wait.js';
import { addInstanceTags, describeInstance, endpointText, type InstanceState } from '../aws/rds.js';
import { ConfigurationError } from '../errors.js';
import { awaitConnection, PASSWORD_REFUSED } from '../postgres/await-connection.js';
import { findClient } from '../postgres/binaries.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import { claimTarget, type TargetClaim } from '../postgres/target-claim.js';
import type { StepRecorder } from '../report/report.js';
import type { Backoff } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';
import { plural } from '../util/format.js';
import {
  assertClaimed,
  bringUpApplication,
  commandStep,
  userProofSteps,
  type CutoverPacing,
} from './application-steps.js';
import { claimName, claimRefusal, restoredIdentifier, restoredTarget } from './rds-claim.js';
import { MADE_BY, runTag, TAG } from './rds-journal.js';
import { movedTo } from './rds-record.js';
import type { RdsRecoveryPlan, RdsRun } from './rds-plan.js';
import { STEP } from './steps.js';

export interface RdsPacing {
  poll: Backoff;
  throttle: Backoff;
  connect: Backoff;
  connectTimeoutMs: number;
  progressEveryMs: number;
}

export const DEFAULT_RDS_PACING: RdsPacing = {
  poll: { initialMs: 5_000, maxMs: 30_000, factor: 1.5 },
  throttle: { initialMs: 1_000, maxMs: 20_000, factor: 2 },
  connect: { initialMs: 2_000, maxMs: 15_000, factor: 1.5 },
  connectTimeoutMs: 300_000,
  progressEveryMs: 60_000,
};

export interface RdsExecution {
  run: RdsRun;
  plan: RdsRecoveryPlan;
  steps: StepRecorder;
  pacing: RdsPacing & { clock: Clock };
  /**
   * This run's claim on the restored instance, held from the connection to the end, whatever phase
   * the run starts from: of two runs that go on from one restored instance (both planned before
   * either moved, or one resuming after the other's renames while it migrates), one runs the user's
   * commands and the changes, the other is refused. RDS has no conditional write to lock with; the
   * instance has.
   */
  claim?: TargetClaim;
}

const region = (execution: RdsExecution) => execution.run.settings.aws.region;
const throttled = (execution: RdsExecution) => ({
  deadline: execution.pacing.clock.now() + 300_000,
  throttle: execution.pacing.throttle,
  clock: execution.pacing.clock,
});

/** The restored instance is made as the damaged one is (class, network, public access, Multi-AZ, deletion protection) and carries the journal. */
function replacement(execution: RdsExecution, damaged: InstanceState): TemporaryInstance {
  const { run, plan } = execution;
  return {
    id: plan.restoredId,
    instanceClass: damaged.instanceClass ?? 'db.t4g.small',
    subnetGroup: damaged.subnetGroup,
    securityGroupIds: damaged.securityGroupIds ?? [],
    publiclyAccessible: damaged.publiclyAccessible ?? false,
    deletionProtection: damaged.deletionProtection ?? false,
    multiAz: damaged.multiAz ?? false,
    iamDatabaseAuthentication: run.settings.database.auth !== undefined,
    tags: {
      [TAG.madeBy]: MADE_BY,
      [TAG.recoveryOf]: run.rds.instanceId,
      [TAG.replaces]: plan.replaces,
      [TAG.recoveryPoint]: plan.binding,
      [TAG.keptAs]: plan.keptAs,
      [TAG.run]: runTag(run.run),
    },
  };
}

async function restoreInstance(execution: RdsExecution): Promise<string> {
  const { run, plan } = execution;
  const { point, damaged } = plan;
  if (!point || !damaged) throw new Error('the recovery point was not resolved');
  const target = replacement(execution, damaged);
  try {
    if (point.mechanism === 'snapshot')
      await restoreFromSnapshot(run.client, point.snapshot.arn || point.snapshot.id, target, region(execution));
    else await restoreToPointInTime(run.client, point.source, point.time, target, region(execution));
  } catch (error) {
    if (isAwsError(error, 'DBInstanceAlreadyExists', 'DBInstanceAlreadyExistsFault'))
      throw new ConfigurationError(
        `${plan.restoredId} was created meanwhile by someone else; nothing was changed: run the plan again`,
      );
    throw error;
  }
  const call = point.mechanism === 'snapshot' ? 'RestoreDBInstanceFromDBSnapshot' : 'RestoreDBInstanceToPointInTime';
  return `${call} of ${point.label} into ${plan.restoredId} (${target.instanceClass}, as ${damaged.id} is made), tagged ${TAG.madeBy}=${MADE_BY}`;
}

/** Waits until RDS says `available` for `id`; returns the instance as it is then. */
async function waitAvailable(execution: RdsExecution, id: string): Promise<InstanceState> {
  const { run, pacing } = execution;
  const wait = await waitUntilAvailable(run.client, id, region(execution), {
    deadline: pacing.clock.now() + run.rds.waitTimeoutMinutes * 60_000,
    poll: pacing.poll,
    throttle: pacing.throttle,
    clock: pacing.clock,
    log: run.log,
    progressEveryMs: pacing.progressEveryMs,
    signal: run.signal,
  });
  if (id === execution.plan.restoredId && run.details.rds) run.details.rds.restored.statuses.push(...wait.statuses);
  if (!wait.done || !wait.state)
    throw new Error(
      `${id} is ${wait.state?.status ?? 'not found'} after wait-timeout-minutes (${run.rds.waitTimeoutMinutes} min, ${plural(wait.polls, 'status check')})`,
    );
  return wait.state;
}

/** The restored instance's database, with the user, password and database of database-url, claimed for the rest of the run. */
async function connectRestored(
  execution: RdsExecution,
  restored: InstanceState,
  refusal = claimRefusal(execution.run, execution.plan),
): Promise<{ target: DatabaseTarget; psqlPath: string }> {
  const { run, pacing } = execution;
  const endpoint = endpointText(restored);
  if (!endpoint) throw new Error(`${restored.id} is available but RDS reports no endpoint`);
  if (run.details.rds) run.details.rds.restored.endpoint = endpoint;
  const target = restoredTarget(run, endpoint);
  const psqlPath = (await findClient('psql')).path;
  const options = { psqlPath, applicationName: 'dr-actions recover-database', timeoutSeconds: 30, signal: run.signal };
  await awaitConnection(target, options, {
    backoff: pacing.connect,
    timeoutMs: pacing.connectTimeoutMs,
    clock: pacing.clock,
    // The restored data keeps the password of its recovery point: one it refuses stays refused.
    final: run.settings.database.auth ? undefined : PASSWORD_REFUSED,
  });
  const { plan } = execution;
  execution.claim = await claimTarget(target, psqlPath, refusal, claimName(plan, target.database));
  return { target, psqlPath };
}

/** Waits until the restored instance, under `id` now, is available, then connects to it and claims it for the rest of the run. */
async function connectStep(execution: RdsExecution, id: string): Promise<{ target: DatabaseTarget; psqlPath: string }> {
  const { steps } = execution;
  const restored = await steps.run(
    STEP.waitInstance,
    () => waitAvailable(execution, id),
    (s) => `${s.id} available at ${endpointText(s) ?? '?'}`,
  );
  return steps.run(
    STEP.connect,
    () => connectRestored(execution, restored),
    (c) => c.target.display,
  );
}

/** Restore (unless an earlier run did), wait, connect, checks, smoke: production is not touched. */
async function restoreAndProve(execution: RdsExecution): Promise<void> {
  const { plan, steps } = execution;
  if (plan.phase === 'fresh')
    await steps.run(
      STEP.restoreInstance,
      () => restoreInstance(execution),
      (d) => d,
    );
  else steps.skip(STEP.restoreInstance, `an earlier run restored ${plan.restoredId}`);
  const { target, psqlPath } = await connectStep(execution, plan.restoredId);
  await userProofSteps(execution, target, psqlPath);
}

/**
 * A run that goes on from an earlier run's cut-over (the proof passed, an instance or the record
 * moved) claims the restored instance, under the identifier it has now, before it runs a command
 * or changes anything: a run still at work on it (in migrate-command, say) holds the claim, and
 * this one is refused having changed nothing.
 */
async function claimToResume(execution: RdsExecution): Promise<void> {
  const { run, plan, steps } = execution;
  steps.skip(STEP.restoreInstance, `an earlier run restored ${plan.restoredId}`);
  if (plan.phase === 'renamed') run.details.recovered = true;
  await connectStep(execution, restoredIdentifier(run, plan));
}

/** Tags the damaged instance with the recovery (its journal entry), then renames it to its dated identifier and waits. */
async function renameDamaged(execution: RdsExecution): Promise<string> {
  const { run, plan } = execution;
  const damaged = plan.damaged;
  if (!damaged?.arn) throw new Error(`${run.rds.instanceId}: RDS reports no ARN to tag`);
  await assertClaimed(execution, `renaming ${damaged.id} to ${plan.keptAs}`);
  await addInstanceTags(
    run.client,
    damaged.arn,
    { [TAG.replacedBy]: plan.restoredId, [TAG.keptAs]: plan.keptAs, [TAG.run]: runTag(run.run) },
    throttled(execution),
  );
  await renameInstance(run.client, damaged.id, plan.keptAs, region(execution));
  const kept = await waitAvailable(execution, plan.keptAs);
  return `${damaged.id} → ${plan.keptAs} (available; deletion protection ${kept.deletionProtection ? 'on' : 'off'}, as it was; tagged ${TAG.replacedBy}=${plan.restoredId})`;
}

/**
 * Renaming an instance restarts it, which ends this run's claim on it: claimed again under the
 * production identifier before migrate-command, unless it survived. A run that took it meanwhile keeps it.
 */
async function claimAgain(execution: RdsExecution, restored: InstanceState): Promise<void> {
  const { run, plan } = execution;
  if (!execution.claim || (await execution.claim.isHeld())) return;
  await execution.claim.release();
  execution.claim = undefined;
  await connectRestored(
    execution,
    restored,
    (holder) =>
      `another run is recovering ${run.rds.instanceId} (${holder}): it claimed ${restored.id} while the rename of ${plan.restoredId} restarted it; this run stopped after the renames, before migrate-command: let the other run finish, then run again if it stopped`,
  );
}

async function renameRestored(execution: RdsExecution): Promise<string> {
  const { run, plan } = execution;
  await assertClaimed(execution, `renaming ${plan.restoredId} to ${run.rds.instanceId}`);
  await renameInstance(run.client, plan.restoredId, run.rds.instanceId, region(execution));
  run.details.recovered = true;
  const now = await waitAvailable(execution, run.rds.instanceId);
  await claimAgain(execution, now);
  return `${plan.restoredId} → ${run.rds.instanceId} (available at ${endpointText(now) ?? '?'}: the production endpoint)`;
}

/** stop-command, then the renames: the damaged instance away to its dated identifier, the restored one into the production identifier. */
async function cutOverByRename(execution: RdsExecution): Promise<void> {
  const { run, plan, steps } = execution;
  await commandStep(execution, STEP.stop, 'stop-command', run.settings.commands.stop);
  if (plan.phase === 'half-renamed') {
    // The damaged instance may still be `renaming` when a run stopped right after the call.
    await steps.run(
      STEP.renameDamaged,
      async () => `an earlier run renamed it to ${(await waitAvailable(execution, plan.keptAs)).id}`,
      (d) => d,
    );
  } else
    await steps.run(
      STEP.renameDamaged,
      () => renameDamaged(execution),
      (d) => d,
    );
  await steps.run(
    STEP.renameRestored,
    () => renameRestored(execution),
    (d) => d,
  );
}

/** Tags the damaged instance with the recovery, then moves the record to the restored instance in one compare-and-swap and waits until it is in sync. */
async function moveRecord(execution: RdsExecution): Promise<string> {
  const { run, plan, pacing } = execution;
  const { record, damaged } = plan;
  if (!record || !run.route53 || !damaged?.arn)
    throw new Error('cutover: dns without its record or the damaged instance');
  await assertClaimed(execution, `moving ${bareDnsName(record.target.name)} to ${plan.restoredId}`);
  await addInstanceTags(
    run.client,
    damaged.arn,
    { [TAG.replacedBy]: plan.restoredId, [TAG.keptAs]: damaged.id, [TAG.run]: runTag(run.run) },
    throttled(execution),
  );
  const restored = await describeInstance(run.client, { id: plan.restoredId, region: region(execution) });
  const address = restored?.endpoint?.address;
  if (!address) throw new Error(`${plan.restoredId} is available but RDS reports no endpoint`);
  const comment = `recover-database: ${damaged.id} restored to ${plan.binding} as ${plan.restoredId}`;
  const { deadline, throttle, clock } = throttled(execution);
  const change = await switchRecord(run.route53, record.target, record.current, movedTo(record, address), {
    comment,
    deadline,
    backoff: throttle,
    clock,
  });
  plan.restoredAddress = address;
  run.details.recovered = true;
  const kept = `${damaged.id} keeps its identifier, tagged ${TAG.replacedBy}=${plan.restoredId}`;
  if (change.switchedBy === 'someone else')
    return `${bareDnsName(record.target.name)} CNAME already held ${change.now} when this run's compare-and-swap reached Route 53: someone else (another execute at the same moment?) moved it there, this run changed nothing; ${kept}`;
  const sync = await waitForChangeInSync(run.route53, change.changeId, {
    deadline,
    backoff: pacing.poll,
    throttle,
    clock,
  });
  const synced = sync.done ? 'INSYNC' : `still ${sync.status}: Route 53 will apply it`;
  return `${bareDnsName(record.target.name)} CNAME ${record.value} → ${address} (change ${change.changeId}, ${synced}; clients may keep the old value up to its TTL, ${record.target.ttl} s); ${kept}`;
}

/** stop-command, then the record moved from the damaged instance to the restored one. */
async function cutOverByDns(execution: RdsExecution): Promise<void> {
  const { run, steps } = execution;
  await commandStep(execution, STEP.stop, 'stop-command', run.settings.commands.stop);
  await steps.run(
    STEP.moveRecord,
    () => moveRecord(execution),
    (d) => d,
  );
}

async function markComplete(execution: RdsExecution): Promise<void> {
  const { run, plan } = execution;
  // The recovered instance: under the production identifier after the renames, its own with cutover: dns.
  const id = plan.record ? plan.restoredId : run.rds.instanceId;
  const production = await describeInstance(run.client, { id, region: region(execution) });
  if (production?.arn)
    await addInstanceTags(run.client, production.arn, { [TAG.state]: 'complete' }, throttled(execution));
}

/** From where the plan found the recovery, the rest of it; each part skipped when an earlier run did it. */
export async function executeRdsRecovery(execution: RdsExecution, cutover: CutoverPacing): Promise<void> {
  const { run, plan } = execution;
  if (plan.phase === 'done') {
    run.details.recovered = true;
    return;
  }
  try {
    if (plan.phase === 'fresh' || plan.phase === 'restored') await restoreAndProve(execution);
    else await claimToResume(execution);
    if (plan.phase !== 'renamed') await (plan.record ? cutOverByDns(execution) : cutOverByRename(execution));
    run.details.recovered = true;
    await bringUpApplication(execution, cutover);
    await markComplete(execution);
  } finally {
    await execution.claim?.release();
  }
}

/** The refusal of an expected-replaces that is not the damaged instance: before any change. */
export function refuseOtherInstance(run: RdsRun, plan: RdsRecoveryPlan): void {
  const expected = run.settings.expectedReplaces;
  if (expected && expected !== plan.replaces) {
    throw new ConfigurationError(
      `expected-replaces is ${expected}, but the instance to replace is now ${plan.replaces}, so nothing was changed: ${run.rds.instanceId} changed since the plan; run the plan again`,
    );
  }
}
