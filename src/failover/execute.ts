import { ConfigurationError } from '../errors.js';
import type { StepRecorder } from '../report/report.js';
import { systemClock } from '../util/clock.js';
import type { FailoverContext } from './context.js';
import { failoverSteps, type ExecutionOutcome } from './failover-steps.js';
import { assertConfirmed, type FailoverSettings } from './inputs.js';
import type { Preflight } from './preflight.js';

export { DnsNotInSyncError, HealthCheckError, type ExecutionOutcome } from './failover-steps.js';

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
export async function executeFailover(
  settings: FailoverSettings,
  preflight: Preflight,
  ctx: FailoverContext,
  steps: StepRecorder,
  outcome: ExecutionOutcome,
): Promise<void> {
  assertConfirmed(settings);
  assertNoBlockers(preflight);
  const replica = preflight.replica;
  const source = preflight.source.ref;
  if (!replica || !source) throw new Error('preflight passed without a replica and its source');
  const clock = ctx.clock ?? systemClock;
  const waitMs = settings.waitTimeoutSeconds * 1000;
  const run = {
    settings,
    preflight,
    ctx,
    replica,
    source,
    outcome,
    clock,
    waitMs,
    startDeadline: clock.now() + waitMs,
  };
  await failoverSteps(run).run({}, { recorder: steps, onFailure: 'throw' });
}
