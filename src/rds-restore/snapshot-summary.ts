import { code, MARK, table } from '../report/markdown.js';
import { formatDuration } from '../util/format.js';
import type { HourlySnapshotReport } from './hourly-snapshots.js';

const mark = (status: 'passed' | 'failed' | 'skipped') => `${MARK[status]} ${status}`;

/** The job summary of an hourly snapshot run. */
export function hourlySnapshotsMarkdown(report: HourlySnapshotReport): string {
  const d = report.details;
  const lines = [`## ${report.passed ? MARK.passed : MARK.failed} Hourly snapshot of ${code(d.instanceId)}: ${report.passed ? 'passed' : 'failed'}`, ''];
  if (report.reasons.length) lines.push('**Why it failed:**', '', ...report.reasons.map((r) => `- ${r}`), '');
  lines.push('### Steps', '', table(['step', 'result', 'duration', 'detail'], report.steps.map((s) => [s.name, mark(s.status), s.durationSeconds === undefined ? '-' : formatDuration(s.durationSeconds), s.detail ?? ''])), '');
  for (const r of d.retention) {
    const rows = [...r.kept.map((k) => [code(k.id), 'kept', k.reasons.join('; ')]), ...r.deleted.map((k) => [code(k.id), 'deleted', k.reasons.join('; ')])];
    lines.push(`### Retention in ${r.region}`, '', table(['snapshot', '', 'why'], rows), '', `${r.untouched} other snapshot(s) (automated, or not made by this mode) untouched.`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
