import type { RDSClient } from '@aws-sdk/client-rds';
import { isAwsError } from '../aws/errors.js';
import { errorMessage } from '../errors.js';
import { promoteReadReplica } from '../aws/rds-promotion.js';
import { addInstanceTags, pollInstance, TRANSITIONAL_STATUSES, type InstanceState } from '../aws/rds.js';
import type { InstanceRef } from '../aws/rds-instance-ref.js';
import type { Backoff } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';
import { formatDuration } from '../util/format.js';
import { PROMOTED_AT_TAG, PROMOTED_BY_TAG, PROMOTED_FROM_TAG } from './tags.js';

export interface PromotionOptions {
  /** Epoch ms: wait-timeout-seconds after the promotion step began. */
  deadline: number;
  waitTimeoutSeconds: number;
  poll: Backoff;
  throttle: Backoff;
  clock?: Clock;
  /** This run, as the promoted-by tag names it (tags.ts promotedBy). */
  promotedBy: string;
}

export interface PromotionResult {
  /** False when a promotion already under way (from an earlier run) finished while this one waited. */
  calledPromote: boolean;
  /** RDS refused this run's PromoteReadReplica (its message): someone else promoted the replica first. */
  refused?: string;
  /** When the replica was promoted and by whom, as its tags say (this run's own when it promoted it); absent when untagged. */
  promotedAt?: string;
  promotedBy?: string;
  /** The promoted-at and promoted-by tags could not be written after RDS accepted this run's promotion. */
  tagError?: string;
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

/** Who promoted the instance and when, as its tags say. */
function promotionTags(state: InstanceState): Pick<PromotionResult, 'promotedAt' | 'promotedBy'> {
  const { [PROMOTED_AT_TAG]: promotedAt, [PROMOTED_BY_TAG]: promotedBy } = state.tags;
  return { ...(promotedAt ? { promotedAt } : {}), ...(promotedBy ? { promotedBy } : {}) };
}

/**
 * Calls PromoteReadReplica; once RDS accepts it, tags when (the moment before the call) and by whom.
 * Of two runs at once RDS accepts one call, so only the run that promotes writes these: one that
 * is refused leaves the first's as they are. Returns RDS's refusal, or the accepted run's tags.
 */
async function promoteAndTag(
  client: RDSClient,
  replica: InstanceState,
  options: PromotionOptions,
): Promise<Pick<PromotionResult, 'refused' | 'promotedAt' | 'promotedBy' | 'tagError'>> {
  const promotedAt = new Date((options.clock ?? systemClock).now()).toISOString();
  try {
    await promoteReadReplica(client, replica, options);
  } catch (error) {
    // Another run (a second person, a retry on another machine) promoted it first: RDS refuses a
    // second PromoteReadReplica, and this run waits for that promotion as for its own.
    if (!isAwsError(error, 'InvalidDBInstanceState', 'InvalidDBInstanceStateFault')) throw error;
    return { refused: errorMessage(error) };
  }
  const tags = { [PROMOTED_AT_TAG]: promotedAt, [PROMOTED_BY_TAG]: options.promotedBy };
  // The promotion goes on whether or not the tags are written: a failure here is reported, not thrown.
  const tagError = replica.arn
    ? await addInstanceTags(client, replica.arn, tags, options).then(
        () => undefined,
        (error: unknown) => errorMessage(error),
      )
    : 'RDS reported no ARN for the replica';
  return { promotedAt, promotedBy: options.promotedBy, ...(tagError ? { tagError } : {}) };
}

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
    if (!current.source) return { calledPromote: false, ...promotionTags(current), polls, final: current };
  }
  if (current.arn)
    await addInstanceTags(client, current.arn, { [PROMOTED_FROM_TAG]: source.arn ?? source.id }, options);
  const promotion = await promoteAndTag(client, current, options);
  const done = await waitUntil(client, replica, isPrimary, options).catch((error: unknown) => {
    if (promotion.refused && error instanceof Error)
      error.message += ` RDS refused PromoteReadReplica: ${promotion.refused}`;
    throw error;
  });
  // Refused: the tags are the other run's, read now that its promotion is complete.
  const who = promotion.refused ? promotionTags(done.final) : {};
  return { calledPromote: !promotion.refused, ...promotion, ...who, polls: polls + done.polls, final: done.final };
}

/** For an instance promoted earlier that is busy (rebooting, modifying): waits until it is an available primary. */
export async function waitForPrimary(
  client: RDSClient,
  ref: InstanceRef,
  options: PromotionOptions,
): Promise<PromotionResult> {
  const done = await waitUntil(client, ref, isPrimary, options);
  return { calledPromote: false, ...promotionTags(done.final), ...done };
}
