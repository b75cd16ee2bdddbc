import { tagValue } from '../aws/rds-tags.js';
import type { RunContext } from '../github/run-context.js';

/** Tags on every temporary instance: who made it and which run, so that only that run deletes it. */
export const MADE_BY_TAG = 'dr-actions:made-by';
export const RUN_TAG = 'dr-actions:run';
export const SOURCE_TAG = 'dr-actions:restored-from';
export const MADE_BY = 'rds-restore-test';

/** What the run's tag holds: the run and a token only this process knows, so no other run can pass for it. */
export function runTagValue(run: RunContext, token: string): string {
  return tagValue(
    [run.repository, run.runId && `run ${run.runId}`, run.runAttempt && `attempt ${run.runAttempt}`, token]
      .filter(Boolean)
      .join(' '),
  );
}
