import { formatDuration } from '../util/format.js';
import type { ChecklistItem } from './checklist.js';
import { MARK, table, text } from './markdown.js';
import type { ObjectiveResult, ReportStep } from './report.js';
import type { StepStatus } from './step-status.js';

/** The parts of a job summary every checking action renders alike from its report; each ends with a blank line. */

export const markStatus = (status: StepStatus) => `${MARK[status]} ${status}`;

export function reasonsSection(reasons: readonly string[]): string[] {
  return reasons.length ? ['**Why it failed:**', '', ...reasons.map((r) => `- ${text(r)}`), ''] : [];
}

export function checklistSection(checklist: readonly ChecklistItem[]): string[] {
  return [
    '### Test Checklist',
    '',
    table(
      ['item', 'result', 'detail'],
      checklist.map((c) => [text(c.item), markStatus(c.status), text(c.detail)]),
    ),
    '',
  ];
}

export function objectivesSection(objectives: readonly ObjectiveResult[], scenario: string): string[] {
  const rows = objectives.map((o) => [
    o.name,
    o.measure,
    formatDuration(o.targetSeconds),
    o.measuredSeconds === null ? 'not measured' : formatDuration(o.measuredSeconds),
    o.passed ? MARK.passed : MARK.failed,
  ]);
  return [
    `### Objectives (scenario: ${scenario})`,
    '',
    table(['objective', 'measured as', 'target', 'measured', ''], rows),
    '',
  ];
}

export function stepsSection(steps: readonly ReportStep[]): string[] {
  const rows = steps.map((s) => [
    text(s.name),
    markStatus(s.status),
    s.durationSeconds === undefined ? '-' : formatDuration(s.durationSeconds),
    text(s.detail),
  ]);
  return ['### Steps', '', table(['step', 'result', 'duration', 'detail'], rows), ''];
}
