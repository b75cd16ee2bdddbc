import { AddTagsToResourceCommand, PromoteReadReplicaCommand, type RDSClient } from '@aws-sdk/client-rds';
import { retryWhileThrottled } from '../aws/throttling.js';
import { pollUntil, type Backoff } from '../util/backoff.js';
import { formatDuration } from '../util/format.js';
import type { InstanceRef } from './instance-ref.js';
import { describeInstance, TRANSITIONAL_STATUSES, type InstanceState } from './rds-instance.js';
import { PROMOTED_AT_TAG, PROMOTED_FROM_TAG } from './preflight.js';

export interface PromotionOptions {
  /** Epoch ms: wait-timeout-seconds after the promotion step began. */
  deadline: number;
  waitTimeoutSeconds: number;
  poll: Backoff;
  throttle: Backoff;
}

export interface PromotionResult {
  /** False when a promotion already under way (from an earlier run) finished while this one waited. */
  calledPromote: boolean;
  polls: number;
  final: InstanceState;
}

/** Promotion did not reach a known end within the time allowed: the instance's state is unknown. */
export class PromotionUnknownStateError extends Error {
  override name = 'PromotionUnknownStateError';
}

function seen(state: InstanceState | undefined): string {
  if (!state) return 'the instance was not found';
  return `status ${state.status}, ${state.source ? `still a replica of ${state.source.arn ?? state.source.id}` : 'no replication source'}`;
}

const isStandaloneAvailable = (state: InstanceState | undefined) => state?.status === 'available' && !state.source;

/**
 * Waits until RDS reports the instance available and no longer a replica. 'available' right after
 * PromoteReadReplica is not proof: RDS answers so before it starts, so the source must be gone too.
 * A status that needs a person (failed, incompatible-*, storage-full) ends the wait at once.
 */
async function waitUntil(client: RDSClient, ref: InstanceRef, accept: (state: InstanceState | undefined) => boolean, options: PromotionOptions) {
  const outcome = await pollUntil(
    async () => (await retryWhileThrottled(() => describeInstance(client, ref), { deadline: options.deadline, backoff: options.throttle })).value,
    (state) => accept(state) || (state !== undefined && state.status !== 'available' && !TRANSITIONAL_STATUSES.has(state.status)),
    { deadline: options.deadline, backoff: options.poll },
  );
  if (outcome.done && !accept(outcome.value)) {
    throw new Error(`${ref.id} went into status ${outcome.value?.status}, which needs a person: DNS was not changed. Resolve it in the RDS console and run failover again`);
  }
  if (!outcome.done) {
    throw new PromotionUnknownStateError(
      `promotion of ${ref.id} did not finish within wait-timeout-seconds (${formatDuration(options.waitTimeoutSeconds)}): unknown state (last seen: ${seen(outcome.value)}). ` +
        'DNS was not changed. Watch the instance in the RDS console, then run failover again: it skips promotion once RDS reports it complete',
    );
  }
  return { polls: outcome.attempts, final: outcome.value as InstanceState };
}

/**
 * Promotes the read replica and waits for the end state. The replica is first tagged with its
 * source, so that a re-run can tell "promoted from this source" from "never a replica".
 * An instance busy with something else (or with a promotion an earlier run started) is waited
 * out before PromoteReadReplica is called.
 */
export async function promoteReplica(client: RDSClient, replica: InstanceState, source: InstanceRef, options: PromotionOptions): Promise<PromotionResult> {
  let current = replica;
  let polls = 0;
  if (current.status !== 'available') {
    const settled = await waitUntil(client, replica, (state) => state?.status === 'available', options);
    polls += settled.polls;
    current = settled.final;
    if (!current.source) return { calledPromote: false, polls, final: current };
  }
  const throttled = { deadline: options.deadline, backoff: options.throttle };
  if (current.arn) {
    const tags = [
      { Key: PROMOTED_FROM_TAG, Value: source.arn ?? source.id },
      { Key: PROMOTED_AT_TAG, Value: new Date().toISOString() },
    ];
    await retryWhileThrottled(() => client.send(new AddTagsToResourceCommand({ ResourceName: current.arn, Tags: tags })), throttled);
  }
  await retryWhileThrottled(() => client.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: replica.id })), throttled);
  const done = await waitUntil(client, replica, isStandaloneAvailable, options);
  return { calledPromote: true, polls: polls + done.polls, final: done.final };
}

/** For an instance promoted earlier that is busy (rebooting, modifying): waits until it is an available primary. */
export async function waitForPrimary(client: RDSClient, ref: InstanceRef, options: PromotionOptions): Promise<PromotionResult> {
  const done = await waitUntil(client, ref, isStandaloneAvailable, options);
  return { calledPromote: false, ...done };
}
