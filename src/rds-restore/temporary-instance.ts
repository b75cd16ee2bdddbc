import type { RDSClient } from '@aws-sdk/client-rds';
import { deleteInstance } from '../aws/rds-instance-delete.js';
import { describeInstance, type InstanceState } from '../aws/rds.js';
import type { RunContext } from '../github/run-context.js';
import { MADE_BY, MADE_BY_TAG, RUN_TAG, SOURCE_TAG } from './tags.js';

const MAX_ID = 63;

/**
 * `<source>-rt-<run id>-<attempt>` on a runner (a re-run gets a new name), `<source>-rt-<time>` elsewhere;
 * the source part is cut so the whole stays within RDS's 63 characters.
 */
export function temporaryInstanceId(sourceId: string, run: RunContext, now: Date): string {
  const suffix = run.runId
    ? `rt-${run.runId}-${run.runAttempt ?? '1'}`
    : `rt-${now.toISOString().replace(/\D/g, '').slice(0, 14)}`;
  const head = sourceId.slice(0, MAX_ID - suffix.length - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}

export function temporaryTags(sourceId: string, runTag: string): Record<string, string> {
  return { [MADE_BY_TAG]: MADE_BY, [RUN_TAG]: runTag, [SOURCE_TAG]: sourceId };
}

/** True when the instance's tags prove this run made it. */
export function madeByThisRun(state: InstanceState, runTag: string): boolean {
  return state.tags[MADE_BY_TAG] === MADE_BY && state.tags[RUN_TAG] === runTag;
}

export type DeleteOutcome = { deleted: true; status: string } | { deleted: false; why: string };

/**
 * Deletes the temporary instance, but only after reading its tags back: an instance that is not
 * provably this run's is never deleted. Does not wait for the deletion to finish (RDS takes
 * minutes; a cancelled job has seconds), only for RDS to accept it.
 */
export async function deleteTemporaryInstance(
  client: RDSClient,
  id: string,
  region: string,
  runTag: string,
): Promise<DeleteOutcome> {
  const state = await describeInstance(client, { id, region });
  if (!state) return { deleted: true, status: 'already gone' };
  if (!madeByThisRun(state, runTag)) {
    return {
      deleted: false,
      why: `${id} does not carry this run's tags (${MADE_BY_TAG}=${state.tags[MADE_BY_TAG] ?? 'none'}): not deleted`,
    };
  }
  if (state.status === 'deleting') return { deleted: true, status: 'deleting' };
  await deleteInstance(client, id);
  const after = await describeInstance(client, { id, region });
  return { deleted: true, status: after?.status ?? 'gone' };
}
