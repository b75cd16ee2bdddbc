import { ConfigurationError } from '../errors.js';
import type { StepRecorder } from '../report/report.js';
import { formatDuration, plural } from '../util/format.js';
import type { FailoverContext } from './context.js';
import { describeProbe, waitHealthy, type HealthWait } from './health.js';
import { assertConfirmed, type FailoverSettings } from './inputs.js';
import { describeRef } from './instance-ref.js';
import { PROMOTED_FROM_TAG, type Preflight } from './preflight.js';
import { promoteReplica, waitForPrimary, type PromotionResult } from './promote.js';
import { describeRecord, switchRecord, waitInSync } from './record.js';
import { proveWritable, type WritableProof } from './replica-database.js';

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

export class HealthCheckError extends Error {
  override name = 'HealthCheckError';
}

export class DnsNotInSyncError extends Error {
  override name = 'DnsNotInSyncError';
}

/** Execute refuses to start while preflight found something that makes it unsafe. */
export function assertNoBlockers(preflight: Preflight): void {
  if (preflight.blockers.length === 0) return;
  throw new ConfigurationError(`execute refused, nothing was changed: ${preflight.blockers.join('; ')}`);
}

/**
 * Promote, prove writable, switch DNS (compare-and-swap), wait for INSYNC, check health: each a
 * timed step; each skipped when already done. Throws at the first failure with `outcome` showing
 * how far it got. Nothing changes before `confirm` and preflight both allow it.
 */
export async function executeFailover(settings: FailoverSettings, preflight: Preflight, ctx: FailoverContext, steps: StepRecorder, outcome: ExecutionOutcome): Promise<void> {
  assertConfirmed(settings);
  assertNoBlockers(preflight);
  const replica = preflight.replica;
  const source = preflight.source.ref;
  if (!replica || !source) throw new Error('preflight passed without a replica and its source');
  const { pacing, clients, log } = ctx;
  const waitMs = settings.waitTimeoutSeconds * 1000;
  let promotionDeadline = Date.now() + waitMs;

  if (preflight.role === 'promoted' && replica.status === 'available') {
    outcome.promoted = true;
    steps.skip('promote replica', `${replica.id} was already promoted from ${describeRef(source)} (tag ${PROMOTED_FROM_TAG}=${replica.tags[PROMOTED_FROM_TAG] ?? ''}); PromoteReadReplica not called`);
  } else {
    outcome.promotion = await steps.run(
      'promote replica',
      async () => {
        promotionDeadline = Date.now() + waitMs;
        const options = { deadline: promotionDeadline, waitTimeoutSeconds: settings.waitTimeoutSeconds, poll: pacing.promotion, throttle: pacing.throttle };
        log.info(`promoting ${replica.id} (${replica.region}), replica of ${describeRef(source)}; waiting up to ${formatDuration(settings.waitTimeoutSeconds)}`);
        return preflight.role === 'promoted' ? waitForPrimary(clients.rds, replica, options) : promoteReplica(clients.rds, replica, source, options);
      },
      (result) =>
        `${result.calledPromote ? 'PromoteReadReplica called' : 'a promotion already under way finished'}; ${result.final.id} is available with no replication source after ${plural(result.polls, 'status check')}`,
    );
    outcome.promoted = true;
  }

  if (settings.replicaDatabase && ctx.psqlPath) {
    const target = settings.replicaDatabase;
    const psqlPath = ctx.psqlPath;
    outcome.writable = await steps.run(
      'prove writable',
      // Shares the promotion's time budget: RDS reboots the instance while promoting, so it may not answer at once.
      () => proveWritable(target, psqlPath, { deadline: Math.max(promotionDeadline, Date.now() + pacing.writable.maxMs), backoff: pacing.writable }),
      (proof) =>
        `${target.display} is out of recovery (after ${proof.attempts} checks); canary row committed at ${proof.committedAt} in ${proof.canaryTable}` +
        (proof.cleanupError ? `; the table could not be dropped, drop it by hand: ${proof.cleanupError}` : ', table dropped'),
    );
  } else {
    steps.skip('prove writable', 'no replica-database-url: writability was not proved; DNS follows RDS reporting the promotion complete');
  }

  const record = preflight.record;
  if (!settings.record || !record?.desired) {
    steps.skip('switch DNS record', 'no hosted-zone-id/record-name: DNS not changed');
    steps.skip('wait for DNS INSYNC', 'no DNS change');
  } else if (record.alreadyPointing) {
    outcome.recordSwitched = true;
    steps.skip('switch DNS record', `${settings.record.name} already points at the new primary (${describeRecord(record.current ?? record.desired)})`);
    steps.skip('wait for DNS INSYNC', 'no DNS change');
  } else {
    const target = settings.record;
    const desired = record.desired;
    const switched = await steps.run(
      'switch DNS record',
      () =>
        switchRecord(clients.route53, target, record.current, desired, {
          deadline: Date.now() + waitMs,
          backoff: pacing.throttle,
          comment: `dr-actions failover: ${settings.replicaId} promoted from ${source.id}`,
          onRetry: (error, attempt, delayMs) => log.info(`Route 53 answered ${(error as { name?: string }).name ?? 'an error'} (attempt ${attempt}); retrying in ${formatDuration(delayMs / 1000)}`),
        }),
      (result) => `change ${result.changeId} (${result.status}) replaced ${record.current ? describeRecord(record.current) : 'no record'} with ${describeRecord(desired)}${result.attempts > 1 ? `, after ${result.attempts - 1} throttled attempts` : ''}`,
    );
    outcome.changeId = switched.changeId;
    outcome.changeAttempts = switched.attempts;
    outcome.recordSwitched = true;
    await steps.run(
      'wait for DNS INSYNC',
      async () => {
        const sync = await waitInSync(clients.route53, switched.changeId, { deadline: Date.now() + waitMs, backoff: pacing.dns, throttleBackoff: pacing.throttle });
        outcome.inSyncPolls = sync.attempts;
        if (!sync.done) {
          throw new DnsNotInSyncError(
            `change ${switched.changeId} is still ${sync.value} after wait-timeout-seconds (${formatDuration(settings.waitTimeoutSeconds)}): Route 53 will still apply it; health was not checked. Run failover again to wait and check`,
          );
        }
        return sync;
      },
      (sync) => `INSYNC after ${plural(sync.attempts, 'check')}`,
    );
  }

  const health = settings.health;
  if (!health) {
    steps.skip('health check', 'no health-url');
    return;
  }
  await steps.run(
    'health check',
    async () => {
      const result = await waitHealthy(health, pacing.health);
      outcome.health = result;
      if (!result.healthy) {
        throw new HealthCheckError(
          `${health.display} did not answer HTTP ${health.expectStatus} within health-timeout-seconds (${formatDuration(health.timeoutSeconds)}): ${plural(result.attempts, 'attempt')}, last answer ${describeProbe(result.last)}`,
        );
      }
      return result;
    },
    (result) => `HTTP ${result.last.status} after ${plural(result.attempts, 'attempt')}`,
  );
}
