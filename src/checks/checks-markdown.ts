import { code, codeBlock, details, foldIfLong, table, text } from '../report/markdown.js';
import { markStatus } from '../report/report-sections.js';
import { formatDuration } from '../util/format.js';
import type { CheckResult } from './run-checks.js';
import type { SmokeResult } from './smoke.js';

/** The job summary's section on the user's checks; nothing when none ran. */
export function checksSection(file: string | undefined, results: readonly CheckResult[]): string[] {
  if (!results.length) return [];
  const rows = results.map((c) => [
    text(c.name),
    c.line,
    markStatus(c.passed ? 'passed' : 'failed'),
    text(c.detail),
    text(c.checklist.join(', ')),
  ]);
  return [
    `### Checks (${code(file ?? '')})`,
    '',
    foldIfLong('Every check', table(['check', 'line', 'result', 'detail', 'checklist'], rows), rows.length),
    '',
  ];
}

/** The job summary's section on the smoke command, its output folded; nothing when it did not run. */
export function smokeSection(smoke: SmokeResult | undefined): string[] {
  if (!smoke) return [];
  const lines = [
    '### Smoke command',
    '',
    `${code(smoke.command)}: ${markStatus(smoke.passed ? 'passed' : 'failed')}, ${text(smoke.detail)}, ${formatDuration(smoke.durationSeconds)}`,
    '',
  ];
  if (smoke.output.trim()) lines.push(details('Output', codeBlock(smoke.output.trimEnd())), '');
  return lines;
}
