import { PLAN_CHECKLIST, type ChecklistItem, type ChecklistKey } from '../report/checklist.js';
import { MARK } from '../report/markdown.js';

/** passed: every item the drill was meant to check was checked and nothing failed. */
export type DrillVerdict = 'passed' | 'failed' | 'incomplete';

export const VERDICT_MARK: Readonly<Record<DrillVerdict, string>> = {
  passed: MARK.passed,
  failed: MARK.failed,
  incomplete: '⚠️',
};

/**
 * What a report of each kind checks of the plan's Test Checklist whenever it runs to the end,
 * whatever its optional inputs: a drill that gathered such a report was meant to check these.
 * - restore-verify always downloads, restores, and measures the restore time and the backup's age;
 *   the application, login, payment and feature items need a smoke-command or a checks file, so
 *   they count only when its report checked them.
 * - failover measures the recovery time only in execute mode: a plan-mode report checks none of it.
 *   Data loss (lag) and the application (health) need replica-database-url and health-url.
 * - dr-audit checks the prerequisites, which are not an item of the plan's Test Checklist.
 * Other kinds (backup) check no item.
 */
export const MEANT_TO_CHECK: Readonly<Record<string, readonly ChecklistKey[]>> = {
  'restore-verify': ['download', 'restore', 'rto', 'rpo'],
  'rds-restore-test': ['restore', 'rto', 'rpo'],
  failover: ['rto'],
  'dr-audit': ['prerequisites'],
};

/** What the drill was meant to check, and which of those it did not. */
export interface DrillCoverage {
  /** In the plan's order. */
  meantToCheck: ChecklistKey[];
  /** Meant to be checked, but no report passed or failed it (missing, or skipped). */
  unchecked: ChecklistKey[];
  /** Why the drill is incomplete, one sentence each; empty when it is not. */
  reasons: string[];
}

interface Gathered {
  kind: string;
}

const PLAN_ORDER = Object.keys(PLAN_CHECKLIST) as ChecklistKey[];

function kindsMeantToCheck(key: ChecklistKey, sources: readonly Gathered[]): string[] {
  return [...new Set(sources.map((s) => s.kind).filter((kind) => MEANT_TO_CHECK[kind]?.includes(key)))];
}

/**
 * A drill passes only when it checked what its reports are meant to check (MEANT_TO_CHECK, by
 * the kinds gathered), and at least one item of the plan's own Test Checklist: otherwise a drill
 * of a failover plan alone, or of an audit alone, would pass having rehearsed no recovery.
 */
export function drillCoverage(sources: readonly Gathered[], checklist: readonly ChecklistItem[]): DrillCoverage {
  const meant = PLAN_ORDER.filter((key) => kindsMeantToCheck(key, sources).length > 0);
  const checked = (key: ChecklistKey) => checklist.some((row) => row.key === key && row.status !== 'skipped');
  const unchecked = meant.filter((key) => !checked(key));
  const reasons = unchecked.map((key) => {
    const row = checklist.find((r) => r.key === key);
    const by = kindsMeantToCheck(key, sources)
      .map((kind) =>
        kind === 'failover'
          ? 'a failover report in execute mode'
          : `${/^(rds|[aeio])/.test(kind) ? 'an' : 'a'} ${kind} report`,
      )
      .join(' or ');
    return `not checked: ${PLAN_CHECKLIST[key]}, which ${by} checks${row?.detail ? ` (skipped: ${row.detail})` : ''}`;
  });
  if (sources.length > 0 && !meant.some((key) => key !== 'prerequisites')) {
    const kinds = [...new Set(sources.map((s) => s.kind))].join(', ');
    reasons.push(
      `no report of this drill (${kinds}) is of a kind that checks an item of the plan's Test Checklist: gather a restore-verify or rds-restore-test report, or a failover report in execute mode`,
    );
  }
  return { meantToCheck: meant, unchecked, reasons };
}
