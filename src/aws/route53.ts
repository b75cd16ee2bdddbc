import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  waitUntilResourceRecordSetsChanged,
  type Change,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import type { Backoff } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';
import { retryWhileThrottled, type ThrottleRetryOptions } from './throttling.js';

/** The hosted zone's name, as Route 53 returns it (lower case or not, with its trailing dot). */
export async function hostedZoneName(client: Route53Client, hostedZoneId: string): Promise<string> {
  const zone = await client.send(new GetHostedZoneCommand({ Id: hostedZoneId }));
  return zone.HostedZone?.Name ?? '';
}

export interface ChangeSubmitted {
  changeId: string;
  status: string;
  /** Calls made, throttled ones included. */
  attempts: number;
}

/**
 * Sends one change batch. Throttling and PriorRequestNotComplete (the zone's previous change is
 * not INSYNC yet) are retried with backoff until the deadline; Route 53 applies a batch whole or
 * not at all, so resending it is safe.
 */
export async function changeRecordSets(
  client: Route53Client,
  hostedZoneId: string,
  batch: { comment: string; changes: Change[] },
  options: ThrottleRetryOptions,
): Promise<ChangeSubmitted> {
  const { value, attempts } = await retryWhileThrottled(
    () =>
      client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: hostedZoneId,
          ChangeBatch: { Comment: batch.comment, Changes: batch.changes },
        }),
      ),
    options,
  );
  return {
    changeId: (value.ChangeInfo?.Id ?? '').replace(/^\/change\//, ''),
    status: value.ChangeInfo?.Status ?? 'PENDING',
    attempts,
  };
}

/** INSYNC after `attempts` GetChange calls, or still `status` when the time ran out. */
export type InSyncWait = { done: true; status: 'INSYNC'; attempts: number } | { done: false; status: string };

/** The SDK waiter counts in seconds; the caller's pacing is in milliseconds. */
const seconds = (ms: number) => ms / 1000;

/**
 * Waits with the SDK's ResourceRecordSetsChanged waiter until Route 53 reports the change INSYNC
 * (every name server has it) or the deadline passes; then looks once more, so a change that went
 * INSYNC during the waiter's last delay is not reported as pending. The waiter retries errors
 * (throttling among them) itself.
 */
export async function waitForChangeInSync(
  client: Route53Client,
  changeId: string,
  options: { deadline: number; backoff: Backoff; throttle: Backoff; clock?: Clock },
): Promise<InSyncWait> {
  const clock = options.clock ?? systemClock;
  const minDelay = seconds(options.backoff.initialMs);
  const maxDelay = Math.max(minDelay, seconds(options.backoff.maxMs));
  // The waiter refuses a maximum wait that is not longer than its first delay.
  const maxWaitTime = Math.max(seconds(options.deadline - clock.now()), minDelay * 1.5);
  try {
    const result = await waitUntilResourceRecordSetsChanged(
      { client, minDelay, maxDelay, maxWaitTime },
      { Id: changeId },
    );
    return {
      done: true,
      status: 'INSYNC',
      attempts: Object.values(result.observedResponses ?? {}).reduce((sum, count) => sum + count, 0),
    };
  } catch (error) {
    if ((error as { name?: string }).name !== 'TimeoutError') throw error;
    const lastLook = { deadline: clock.now() + options.throttle.maxMs * 3, backoff: options.throttle, clock };
    const { value } = await retryWhileThrottled(() => client.send(new GetChangeCommand({ Id: changeId })), lastLook);
    const status = value.ChangeInfo?.Status ?? 'UNKNOWN';
    return status === 'INSYNC' ? { done: true, status, attempts: 1 } : { done: false, status };
  }
}
