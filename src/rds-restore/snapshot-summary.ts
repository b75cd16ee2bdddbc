import { code, MARK, table, text } from '../report/markdown.js';
import { reasonsSection, stepsSection } from '../report/report-sections.js';
import type { HourlySnapshotReport } from './hourly-snapshots.js';

/** The job summary of an hourly snapshot run. */
export function hourlySnapshotsMarkdown(report: HourlySnapshotReport): string {
  const d = report.details;
  const lines = [
    `## ${report.passed ? MARK.passed : MARK.failed} Hourly snapshot of ${code(d.instanceId)}: ${report.passed ? 'passed' : 'failed'}`,
    '',
  ];
  lines.push(...reasonsSection(report.reasons), ...stepsSection(report.steps));
  for (const r of d.retention) {
    const rows = [
      ...r.kept.map((k) => [code(k.id), 'kept', text(k.reasons.join('; '))]),
      ...r.deleted.map((k) => [code(k.id), 'deleted', text(k.reasons.join('; '))]),
    ];
    lines.push(
      `### Retention in ${r.region}`,
      '',
      table(['snapshot', '', 'why'], rows),
      '',
      `${r.untouched} other snapshot(s) (automated, or not made by this mode) untouched.`,
      '',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
