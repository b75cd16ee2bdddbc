import { waitForChangeInSync, type InSyncWait } from '../aws/route53.js';
import { describeRef, type InstanceRef } from '../aws/rds-instance-ref.js';
import type { InstanceState } from '../aws/rds.js';
import { alreadyDone, notApplicable, StepPipeline } from '../report/step-pipeline.js';
import type { Clock } from '../util/clock.js';
import { formatDuration, plural } from '../util/format.js';
import { errorMessage } from '../errors.js';
import type { FailoverContext } from './context.js';
import { switchBackCommand } from './guidance.js';
import { describeProbe, waitHealthy, type HealthWait } from '../health/wait.js';
import type { HealthTarget } from '../health/target.js';
import type { FailoverSettings, RecordTarget } from './inputs.js';
import type { Preflight } from './preflight.js';
import { promoteReplica, waitForPrimary, type PromotionResult } from './promote.js';
import { describeRecord, RecordChangedError, switchRecord, type SwitchResult } from '../aws/route53-record.js';
import { httpStatusOf } from '../aws/errors.js';
import { proveWritable, type WritableProof } from './replica-database.js';
import { PROMOTED_AT_TAG, PROMOTED_BY_TAG, PROMOTED_FROM_TAG, promotedBy } from './tags.js';

/** What execute did, step by step; filled in as it goes, so a failure still shows what was done. */
export interface ExecutionOutcome {
  /** The instance is a standalone primary (promoted by this run or an earlier one). */
  promoted: boolean;
  promotion?: PromotionResult;
  writable?: WritableProof;
  /** Set when this run changed the record. */
  changeId?: string;
  changeAttempts?: number;
  inSyncPolls?: number;
  /** The record points at the new primary (switched now or before). */
  recordSwitched: boolean;
  health?: HealthWait;
}

/** What every step of one execute shares; `outcome` is filled in as the steps go, so a failure still shows what was done. */
export interface FailoverRun {
  settings: FailoverSettings;
  preflight: Preflight;
  ctx: FailoverContext;
  replica: InstanceState;
  source: InstanceRef;
  outcome: ExecutionOutcome;
  clock: Clock;
  /** wait-timeout-seconds in ms: each wait's budget. */
  waitMs: number;
  /** Epoch ms: the promotion's deadline when promotion is not needed (execute's start plus waitMs). */
  startDeadline: number;
}

export class HealthCheckError extends Error {
  override name = 'HealthCheckError';
}

export class DnsNotInSyncError extends Error {
  override name = 'DnsNotInSyncError';
}

export interface Promotion {
  result: PromotionResult;
  /** Epoch ms: the writable proof shares this budget. */
  deadline: number;
}

async function promoteStep(run: FailoverRun): Promise<Promotion> {
  const { settings, preflight, replica, source, ctx, clock } = run;
  const deadline = clock.now() + run.waitMs;
  const options = {
    deadline,
    waitTimeoutSeconds: settings.waitTimeoutSeconds,
    poll: ctx.pacing.promotion,
    throttle: ctx.pacing.throttle,
    clock,
    promotedBy: promotedBy(ctx.run),
  };
  ctx.log.info(
    `promoting ${replica.id} (${replica.region}), replica of ${describeRef(source)}; waiting up to ${formatDuration(settings.waitTimeoutSeconds)}`,
  );
  const result =
    preflight.role === 'promoted'
      ? await waitForPrimary(ctx.clients.rds, replica, options)
      : await promoteReplica(ctx.clients.rds, replica, source, options);
  run.outcome.promotion = result;
  run.outcome.promoted = true;
  return { result, deadline };
}

async function proveWritableStep(
  run: FailoverRun,
  {
    target,
    psqlPath,
    deadline,
  }: { target: NonNullable<FailoverSettings['replicaDatabase']>; psqlPath: string; deadline: number },
): Promise<WritableProof> {
  const proof = await proveWritable(target, psqlPath, { deadline, backoff: run.ctx.pacing.writable, clock: run.clock });
  run.outcome.writable = proof;
  return proof;
}

/**
 * A switch that failed after the promotion leaves the failover half done: the message says so
 * first. With no answer from Route 53 the change may still have been made; a re-run's preflight
 * reads the record either way and finishes by compare-and-swap.
 */
function halfDone(run: FailoverRun, target: RecordTarget, error: unknown): unknown {
  if (!(error instanceof Error) || !run.outcome.promoted) return error;
  const answered = httpStatusOf(error) !== undefined || error instanceof RecordChangedError;
  const record = `${target.name.replace(/\.$/, '')} ${target.type}`;
  error.message =
    `${run.replica.id} is promoted and is the primary now, but ${record} was ${answered ? 'not switched' : 'not switched, or switched without an answer'}: ${error.message}` +
    (error instanceof RecordChangedError
      ? ''
      : `. Run failover again once Route 53 answers: it finds the promotion done, reads the record and switches it by compare-and-swap`);
  return error;
}

async function switchStep(
  run: FailoverRun,
  target: RecordTarget,
  desired: NonNullable<NonNullable<Preflight['record']>['desired']>,
): Promise<SwitchResult> {
  const { ctx, clock, settings, source, outcome } = run;
  const switched = await switchRecord(ctx.clients.route53, target, run.preflight.record?.current, desired, {
    deadline: clock.now() + run.waitMs,
    backoff: ctx.pacing.throttle,
    clock,
    comment: `dr-actions failover: ${settings.replicaId} promoted from ${source.id}`,
    onRetry: (error, attempt, delayMs) =>
      ctx.log.info(
        `Route 53 answered ${(error as { name?: string }).name ?? 'an error'} (attempt ${attempt}); retrying in ${formatDuration(delayMs / 1000)}`,
      ),
  }).catch((error: unknown) => {
    throw halfDone(run, target, error);
  });
  if (switched.switchedBy === 'this run') {
    outcome.changeId = switched.changeId;
    outcome.changeAttempts = switched.attempts;
  }
  outcome.recordSwitched = true;
  return switched;
}

async function inSyncStep(run: FailoverRun, changeId: string): Promise<Extract<InSyncWait, { done: true }>> {
  const { ctx, clock } = run;
  const sync = await waitForChangeInSync(ctx.clients.route53, changeId, {
    deadline: clock.now() + run.waitMs,
    backoff: ctx.pacing.dns,
    throttle: ctx.pacing.throttle,
    clock,
  }).catch((error: unknown) => {
    // The record moved already: the failure must not read as if nothing happened.
    const name = (error as { name?: string }).name;
    throw new Error(
      `Route 53 accepted change ${changeId}: ${run.settings.record?.name ?? 'the record'} points at the new primary now, but waiting for the change to be INSYNC failed (${name ? `${name}: ` : ''}${errorMessage(error)}); health was not checked. Run failover again: it finds the record switched and checks health`,
      { cause: error },
    );
  });
  if (!sync.done) {
    throw new DnsNotInSyncError(
      `change ${changeId} is still ${sync.status} after wait-timeout-seconds (${formatDuration(run.settings.waitTimeoutSeconds)}): Route 53 will still apply it; health was not checked. Run failover again to wait and check`,
    );
  }
  run.outcome.inSyncPolls = sync.attempts;
  return sync;
}

/** What the operator must know about DNS when the check after the switch fails: it moved already, and how to move it back. */
function dnsAfterFailedHealth(run: FailoverRun): string {
  const { settings, preflight, outcome } = run;
  if (!settings.record) return 'DNS was not changed (no record given)';
  const name = settings.record.name;
  if (!outcome.changeId)
    return `DNS was not switched by this run: ${name} already points at the new primary (the report of the run that switched it says how to switch back)`;
  const command = switchBackCommand(settings.record, preflight.record);
  return `DNS was already switched: change ${outcome.changeId} points ${name} at the new primary. To switch back (only while nothing was written to the new primary): ${command ?? 'see the report'}`;
}

async function healthStep(run: FailoverRun, health: HealthTarget): Promise<HealthWait> {
  const result = await waitHealthy(health, run.ctx.pacing.health, run.clock);
  run.outcome.health = result;
  if (!result.healthy) {
    throw new HealthCheckError(
      `${health.display} did not answer HTTP ${health.expectStatus} within health-timeout-seconds (${formatDuration(health.timeoutSeconds)}): ${plural(result.attempts, 'attempt')}, last answer ${describeProbe(result.last)}. ${dnsAfterFailedHealth(run)}`,
    );
  }
  return result;
}

/** When and by whom the replica was promoted, from its tags. */
function whenAndWho(at: string | undefined, by: string | undefined): string {
  return `promoted at ${at ?? 'an unknown time (no promoted-at tag)'} by ${by ?? 'an unknown run (no promoted-by tag)'}`;
}

/** What this run's promotion step did: promoted the replica, or found someone else's promotion, and whose. */
function describePromotion(result: PromotionResult): string {
  const whose = whenAndWho(result.promotedAt, result.promotedBy);
  if (result.refused)
    return `someone else (another failover at the same moment?) promoted it first: RDS refused this run's PromoteReadReplica; ${whose} (its tags left as they were)`;
  if (!result.calledPromote) return `a promotion already under way finished; ${whose}`;
  if (!result.tagError) return `PromoteReadReplica called; ${whose}, tagged ${PROMOTED_AT_TAG} and ${PROMOTED_BY_TAG}`;
  const tags = `Key=${PROMOTED_AT_TAG},Value=${result.promotedAt ?? ''} "Key=${PROMOTED_BY_TAG},Value=${result.promotedBy ?? ''}"`;
  return (
    `PromoteReadReplica called; ${whose}, but the tags that say so could not be written (${result.tagError}): ` +
    `aws rds add-tags-to-resource --resource-name ${result.final.arn ?? '<its ARN>'} --tags ${tags}`
  );
}

/** The DNS switch's input: the record and where it should point, or why DNS is not changed. */
function switchInput(run: FailoverRun) {
  const { settings, preflight, outcome } = run;
  const record = preflight.record;
  if (!settings.record || !record?.desired) return notApplicable('no hosted-zone-id/record-name: DNS not changed');
  if (record.alreadyPointing) {
    const pointing = `${settings.record.name} already points at the new primary (${describeRecord(record.current ?? record.desired)})`;
    return alreadyDone(pointing, () => (outcome.recordSwitched = true));
  }
  return { target: settings.record, desired: record.desired };
}

/**
 * Execute as a list of steps: promote, prove writable, switch DNS (compare-and-swap), wait for
 * INSYNC, check health. Each is skipped when it does not apply or an earlier run did it.
 */
export function failoverSteps(run: FailoverRun) {
  const { settings, preflight, replica, source, ctx, clock } = run;
  return StepPipeline.start<object>()
    .optionalStep('promotion', {
      name: 'promote replica',
      input: () =>
        preflight.role === 'promoted' && replica.status === 'available'
          ? alreadyDone(
              `${replica.id} was already promoted from ${describeRef(source)} (tag ${PROMOTED_FROM_TAG}=${replica.tags[PROMOTED_FROM_TAG] ?? ''}), ${whenAndWho(replica.tags[PROMOTED_AT_TAG], replica.tags[PROMOTED_BY_TAG])}; PromoteReadReplica not called`,
              () => (run.outcome.promoted = true),
            )
          : run,
      run: promoteStep,
      describe: ({ result }) =>
        `${describePromotion(result)}; ${result.final.id} is available with no replication source after ${plural(result.polls, 'status check')}`,
    })
    .optionalStep('writable', {
      name: 'prove writable',
      input: ({ promotion }) =>
        settings.replicaDatabase && ctx.psqlPath
          ? // Shares the promotion's time budget: RDS reboots the instance while promoting, so it may not answer at once.
            {
              target: settings.replicaDatabase,
              psqlPath: ctx.psqlPath,
              deadline: Math.max(promotion?.deadline ?? run.startDeadline, clock.now() + ctx.pacing.writable.maxMs),
            }
          : notApplicable(
              'no replica-database-url: writability was not proved; DNS follows RDS reporting the promotion complete',
            ),
      run: (input) => proveWritableStep(run, input),
      describe: (proof, { target }) =>
        `${target.display} is out of recovery (after ${proof.attempts} checks); canary row committed at ${proof.committedAt} in ${proof.canaryTable}` +
        (proof.cleanupError
          ? `; the table could not be dropped, drop it by hand: ${proof.cleanupError}`
          : ', table dropped'),
    })
    .optionalStep('switched', {
      name: 'switch DNS record',
      input: () => switchInput(run),
      run: ({ target, desired }) => switchStep(run, target, desired),
      describe: (result, { desired }) =>
        result.switchedBy === 'this run'
          ? `change ${result.changeId} (${result.status}) replaced ${preflight.record?.current ? describeRecord(preflight.record.current) : 'no record'} with ${describeRecord(desired)}${result.attempts > 1 ? `, after ${result.attempts - 1} throttled attempts` : ''}`
          : `someone else (another failover at the same moment?) switched it after preflight: it already holds ${result.now}, where this run would point it; this run changed nothing`,
    })
    .optionalStep('inSync', {
      name: 'wait for DNS INSYNC',
      input: ({ switched }) =>
        switched?.switchedBy === 'this run'
          ? switched.changeId
          : notApplicable(switched ? 'the record was switched by someone else, not by this run' : 'no DNS change'),
      run: (changeId) => inSyncStep(run, changeId),
      describe: (sync) => `INSYNC after ${plural(sync.attempts, 'check')}`,
    })
    .optionalStep('health', {
      name: 'health check',
      input: () => settings.health ?? notApplicable('no health-url'),
      run: (health) => healthStep(run, health),
      describe: (result) => `HTTP ${result.last.status} after ${plural(result.attempts, 'attempt')}`,
    });
}
