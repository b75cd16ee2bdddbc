import type { RunContext } from '../github/run-context.js';
import type { InstanceState } from '../aws/rds.js';

/**
 * How far an RDS recovery got, kept as tags on the instances themselves: they follow an instance
 * through its renames, survive a lost runner and show in the console. A re-run reads them to
 * resume where the last run stopped, or to refuse.
 */
export const TAG = {
  madeBy: 'dr-actions:made-by',
  /** On the restored instance: the production identifier it recovers. */
  recoveryOf: 'dr-actions:recovery-of',
  /** On the restored instance: the DbiResourceId of the damaged instance it replaces. */
  replaces: 'dr-actions:replaces',
  recoveryPoint: 'dr-actions:recovery-point',
  /** On both: the identifier the damaged instance is kept under. */
  keptAs: 'dr-actions:kept-as',
  /** On both: the run of the recovery. */
  run: 'dr-actions:recovery-run',
  /** On the damaged instance: the restored instance that took its place. */
  replacedBy: 'dr-actions:replaced-by',
  /** On the restored instance once the application answered: complete. */
  state: 'dr-actions:recovery-state',
} as const;

export const MADE_BY = 'recover-database';

/** The run as a tag value (RDS allows letters, digits, spaces and _ . : / = + - @). */
export function runTag(run: RunContext): string {
  const text = [run.repository, run.runId && `run ${run.runId}`, run.runAttempt && `attempt ${run.runAttempt}`]
    .filter(Boolean)
    .join(' ');
  return (text || 'local run').replace(/[^\p{L}\p{N}\s_.:/=+\-@]/gu, '_').slice(0, 256);
}

/** True when `state` is an instance recover-database restored to recover `production`. */
export function restoredFor(state: InstanceState | undefined, production: string): boolean {
  return state?.tags[TAG.madeBy] === MADE_BY && state.tags[TAG.recoveryOf] === production;
}

const MAX_ID = 63;

/** yyyymmddhhmmss in UTC. */
const stamp = (time: Date) => time.toISOString().replace(/\D/g, '').slice(0, 14);

function withSuffix(production: string, suffix: string): string {
  const head = production.slice(0, MAX_ID - suffix.length - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}

/** The restored instance: named by the recovery point, so a re-run of the same recovery finds it. */
export const restoredId = (production: string, recoveryPoint: Date) =>
  withSuffix(production, `recovered-${stamp(recoveryPoint)}`);

/** The identifier the damaged instance is kept under: the production one and the time execute started. */
export const damagedId = (production: string, at: Date) => withSuffix(production, `damaged-${stamp(at)}`);
