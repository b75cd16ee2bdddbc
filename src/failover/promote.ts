import type { RDSClient } from '@aws-sdk/client-rds';
import { isAwsError } from '../aws/errors.js';
import { errorMessage } from '../errors.js';
import { promoteReadReplica } from '../aws/rds-promotion.js';
import { addInstanceTags, pollInstance, TRANSITIONAL_STATUSES, type InstanceState } from '../aws/rds.js';
import type { InstanceRef } from '../aws/rds-instance-ref.js';
import type { Backoff } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';
import { formatDuration } from '../util/format.js';
import { PROMOTED_AT_TAG, PROMOTED_FROM_TAG } from './tags.js';

export interface PromotionOptions {
  /** Epoch ms: wait-timeout-seconds after the promotion step began. */
  deadline: number;
  waitTimeoutSeconds: number;
  poll: Backoff;
  throttle: Backoff;
  clock?: Clock;
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

/**
 * Waits until RDS reports the instance in the state `accept` wants. 'available' right after
 * PromoteReadReplica is not proof: RDS answers so before it starts, so the source must be gone too.
 * A status that needs a person (failed, incompatible-*, storage-full) ends the wait at once.
 */
async function waitUntil(
  client: RDSClient,
  ref: InstanceRef,
  accept: (state: InstanceState) => boolean,
  options: PromotionOptions,
) {
  const needsPerson = (state: InstanceState) =>
    state.status !== 'available' && !TRANSITIONAL_STATUSES.has(state.status);
  const outcome = await pollInstance(
    client,
    ref,
    (state) => state !== undefined && (accept(state) || needsPerson(state)),
    options,
  );
  const final = outcome.value;
  if (final && accept(final)) return { polls: outcome.attempts, final };
  if (outcome.done) {
    throw new Error(
      `${ref.id} went into status ${final?.status}, which needs a person: DNS was not changed. Resolve it in the RDS console and run failover again`,
    );
  }
  throw new PromotionUnknownStateError(
    `promotion of ${ref.id} did not finish within wait-timeout-seconds (${formatDuration(options.waitTimeoutSeconds)}): unknown state (last seen: ${seen(final)}). ` +
      'DNS was not changed. Watch the instance in the RDS console, then run failover again: it skips promotion once RDS reports it complete',
  );
}

const isAvailable = (state: InstanceState) => state.status === 'available';
const isPrimary = (state: InstanceState) => state.status === 'available' && !state.source;

/**
 * Promotes the read replica and waits for the end state. The replica is first tagged with its
 * source, so that a re-run can tell "promoted from this source" from "never a replica".
 * An instance busy with something else (or with a promotion an earlier run started) is waited
 * out before PromoteReadReplica is called.
 */
export async function promoteReplica(
  client: RDSClient,
  replica: InstanceState,
  source: InstanceRef,
  options: PromotionOptions,
): Promise<PromotionResult> {
  let current = replica;
  let polls = 0;
  if (current.status !== 'available') {
    const settled = await waitUntil(client, replica, isAvailable, options);
    polls += settled.polls;
    current = settled.final;
    if (!current.source) return { calledPromote: false, polls, final: current };
  }
  const clock = options.clock ?? systemClock;
  if (current.arn) {
    await addInstanceTags(
      client,
      current.arn,
      { [PROMOTED_FROM_TAG]: source.arn ?? source.id, [PROMOTED_AT_TAG]: new Date(clock.now()).toISOString() },
      options,
    );
  }
  let refusal: string | undefined;
  await promoteReadReplica(client, replica, options).catch((error: unknown) => {
    // Another run (a second person, a retry on another machine) promoted it first: RDS refuses a
    // second PromoteReadReplica, and this run waits for that promotion as for its own.
    if (!isAwsError(error, 'InvalidDBInstanceState', 'InvalidDBInstanceStateFault')) throw error;
    refusal = errorMessage(error);
  });
  const done = await waitUntil(client, replica, isPrimary, options).catch((error: unknown) => {
    if (refusal && error instanceof Error) error.message += ` RDS refused PromoteReadReplica: ${refusal}`;
    throw error;
  });
  return { calledPromote: refusal === undefined, polls: polls + done.polls, final: done.final };
}

/** For an instance promoted earlier that is busy (rebooting, modifying): waits until it is an available primary. */
export async function waitForPrimary(
  client: RDSClient,
  ref: InstanceRef,
  options: PromotionOptions,
): Promise<PromotionResult> {
  const done = await waitUntil(client, ref, isPrimary, options);
  return { calledPromote: false, ...done };
}
