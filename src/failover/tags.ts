import { hostname, userInfo } from 'node:os';
import { tagValue } from '../aws/rds-tags.js';
import type { RunContext } from '../github/run-context.js';

/**
 * Tags failover puts on the replica when it promotes it: after the promotion RDS forgets the
 * source, so a re-run (or a person) reads from these which source it was promoted from, when, and
 * by which run. Only the run whose PromoteReadReplica RDS accepted writes when and by whom; a run
 * that finds the replica promoted by someone else leaves them as they are: they are the evidence.
 */
export const PROMOTED_FROM_TAG = 'dr-actions:promoted-from';
export const PROMOTED_AT_TAG = 'dr-actions:promoted-at';
export const PROMOTED_BY_TAG = 'dr-actions:promoted-by';

/** Who promotes, as the promoted-by tag says it: the workflow run and its actor, or the user and machine outside GitHub Actions. */
export function promotedBy(run: RunContext | undefined): string {
  const where = run?.url ?? [run?.repository, run?.runId && `run ${run.runId}`].filter(Boolean).join(' ');
  if (!where) return tagValue(`${safeUser()} on ${hostname()} outside GitHub Actions`);
  return tagValue(
    [where, run?.runAttempt && `attempt ${run.runAttempt}`, run?.actor && `by ${run.actor}`].filter(Boolean).join(' '),
  );
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'an unknown user';
  }
}
