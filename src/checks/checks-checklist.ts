import { checklistItem, type ChecklistItem } from '../report/checklist.js';
import { stepOutcome } from '../report/recovery-evidence.js';
import type { ReportStep } from '../report/report.js';
import { CHECKLIST_TAGS, type ChecklistTag } from './checks-file.js';
import type { CheckResult } from './run-checks.js';
import type { SmokeResult } from './smoke.js';

export interface ChecksEvidence {
  smokeStep: ReportStep | undefined;
  smoke: SmokeResult | undefined;
  checksStep: ReportStep | undefined;
  results: readonly CheckResult[];
  /** The checklist tags the checks file marks some check with. */
  tagged: ReadonlySet<ChecklistTag>;
}

/**
 * The checklist rows the smoke command and the user's checks speak to: the application starts,
 * each row a check is marked for, and the critical features (every check).
 */
export function checksChecklist({ smokeStep, smoke, checksStep, results, tagged }: ChecksEvidence): ChecklistItem[] {
  const started = stepOutcome(smokeStep);
  const items = [
    checklistItem(
      'applicationStarts',
      started.status,
      started.status === 'skipped' ? 'no smoke-command' : smoke ? `smoke command ${smoke.detail}` : started.detail,
    ),
  ];
  for (const tag of Object.keys(CHECKLIST_TAGS) as ChecklistTag[]) {
    const key = CHECKLIST_TAGS[tag];
    const marked = results.filter((r) => r.checklist.includes(tag));
    if (!tagged.has(tag))
      items.push(checklistItem(key, 'skipped', `no check marked '-- checklist: ${tag}' in the checks file`));
    else if (marked.length === 0)
      items.push(checklistItem(key, 'failed', stepOutcome(checksStep).detail ?? 'not reached'));
    else
      items.push(
        checklistItem(
          key,
          marked.some((r) => !r.passed) ? 'failed' : 'passed',
          marked.map((r) => `${r.name}: ${r.passed ? 'passed' : r.detail}`).join('; '),
        ),
      );
  }
  const checks = stepOutcome(checksStep);
  items.push(
    checklistItem('criticalFeatures', checks.status, checks.status === 'skipped' ? 'no checks file' : checks.detail),
  );
  return items;
}
