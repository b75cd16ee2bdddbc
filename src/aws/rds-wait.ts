import type { RDSClient } from '@aws-sdk/client-rds';
import type { Backoff } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';
import { formatDuration } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import { pollInstance, type InstanceState } from './rds.js';

export interface WaitOptions {
  /** Epoch ms. */
  deadline: number;
  poll: Backoff;
  throttle: Backoff;
  clock: Clock;
  log: Logger;
  /** How often the status is logged while it does not change. */
  progressEveryMs: number;
  signal?: AbortSignal;
}

export interface AvailableWait {
  done: boolean;
  state?: InstanceState;
  polls: number;
  /** Each status RDS reported, with when it was first seen. */
  statuses: { status: string; at: string }[];
}

/**
 * Polls until the instance is available, logging each new status at once and the current one on a
 * steady cadence, so a restore of tens of minutes shows it is alive. Stops early when cancelled.
 */
export async function waitUntilAvailable(
  client: RDSClient,
  id: string,
  region: string,
  options: WaitOptions,
): Promise<AvailableWait> {
  const { clock, log } = options;
  const started = clock.now();
  const statuses: AvailableWait['statuses'] = [];
  let lastLog = started;
  const outcome = await pollInstance(
    client,
    { id, region },
    (state) => {
      const status = state?.status ?? 'not found';
      const now = clock.now();
      if (statuses.at(-1)?.status !== status) {
        statuses.push({ status, at: new Date(now).toISOString() });
        log.info(`${id}: ${status} after ${formatDuration((now - started) / 1000)}`);
        lastLog = now;
      } else if (now - lastLog >= options.progressEveryMs) {
        log.info(`${id}: still ${status} after ${formatDuration((now - started) / 1000)}`);
        lastLog = now;
      }
      return status === 'available' || options.signal?.aborted === true;
    },
    { deadline: options.deadline, poll: options.poll, throttle: options.throttle, clock },
  );
  const available = outcome.value?.status === 'available';
  return { done: available, ...(outcome.value ? { state: outcome.value } : {}), polls: outcome.attempts, statuses };
}
