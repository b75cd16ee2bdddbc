import { displayName } from '../postgres/identifiers.js';
import { code, details as fold, foldIfLong, MARK, table } from '../report/markdown.js';
import { formatDuration } from '../util/format.js';
import type { RdsRestoreReport } from './rds-restore-report.js';

const mark = (status: 'passed' | 'failed' | 'skipped') => `${MARK[status]} ${status}`;
const count = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n.toLocaleString('en-US'));

/** The job summary of an RDS restore test, rendered from its report alone. */
export function rdsRestoreMarkdown(report: RdsRestoreReport): string {
  const d = report.details;
  const point = d.recoveryPoint;
  const lines = [
    `## ${report.passed ? MARK.passed : MARK.failed} RDS restore test of ${code(d.instanceId)}${point ? ` (${point.mechanism}, ${d.region})` : ''}: ${report.passed ? 'passed' : 'failed'}`,
    '',
  ];
  if (report.reasons.length) lines.push('**Why it failed:**', '', ...report.reasons.map((r) => `- ${r}`), '');
  lines.push('### Test Checklist', '', table(['item', 'result', 'detail'], report.checklist.map((c) => [c.item, mark(c.status), c.detail ?? ''])), '');
  const objectiveRows = report.objectives.map((o) => [
    o.name,
    o.measure,
    formatDuration(o.targetSeconds),
    o.measuredSeconds === null ? 'not measured' : formatDuration(o.measuredSeconds),
    o.passed ? MARK.passed : MARK.failed,
  ]);
  lines.push(`### Objectives (scenario: ${d.scenario})`, '', table(['objective', 'measured as', 'target', 'measured', ''], objectiveRows), '');
  const stepRows = report.steps.map((s) => [s.name, mark(s.status), s.durationSeconds === undefined ? '-' : formatDuration(s.durationSeconds), s.detail ?? '']);
  lines.push('### Steps', '', table(['step', 'result', 'duration', 'detail'], stepRows), '');

  const facts: [string, string][] = [
    ['Source', `${code(d.instanceId)} in ${d.sourceRegion}`],
    ['Recovery point', point ? `${point.label} (recovery-point: ${d.selector})` : `not resolved (recovery-point: ${d.selector})`],
  ];
  if (point?.window) facts.push(['Point-in-time window', `${point.window.earliest} to ${point.window.latest}`]);
  const i = d.instance;
  facts.push(['Temporary instance', `${code(i.id)} (${i.instanceClass}) in ${d.region}: ${i.created ? 'created' : 'not created'}, ${i.deleted ? 'deleted' : i.kept ? 'kept (keep-instance)' : 'not deleted'}`]);
  if (i.endpoint) facts.push(['Endpoint', `${code(i.endpoint)}${d.database.serverVersion ? `, PostgreSQL ${d.database.serverVersion}` : ''}`]);
  if (i.statuses.length) facts.push(['RDS statuses', i.statuses.map((s) => `${s.status} (${s.at})`).join(' → ')]);
  if (d.cancelled) facts.push(['Cancelled', 'yes: the steps after the cancel did not run; the instance was still deleted']);
  lines.push('### Restore', '', table(['', ''], facts), '');

  if (d.proof) {
    const proof = d.proof;
    const rows = proof.tables.map((t) => [displayName(t), count(t.estimatedRows), count(t.exactRows)]);
    lines.push(`### Tables (${proof.tables.length})`, '', foldIfLong('Every table', table(['table', 'estimated rows', 'exact rows'], rows), rows.length), '');
    if (proof.newestRows.length) {
      const fresh = proof.newestRows.map((n) => [code(n.column), n.newest ?? (n.error ? `error: ${n.error}` : 'empty'), n.beforeRecoveryPointSeconds === undefined ? '-' : formatDuration(Math.max(0, n.beforeRecoveryPointSeconds))]);
      lines.push('### Newest rows', '', table(['column', 'newest', 'before the recovery point'], fresh), '');
    }
  }
  if (d.checks.results.length) {
    const rows = d.checks.results.map((c) => [c.name, c.line, mark(c.passed ? 'passed' : 'failed'), c.detail, c.checklist.join(', ')]);
    lines.push(`### Checks (${code(d.checks.file ?? '')})`, '', foldIfLong('Every check', table(['check', 'line', 'result', 'detail', 'checklist'], rows), rows.length), '');
  }
  if (d.smoke) {
    lines.push('### Smoke command', '', `${code(d.smoke.command)}: ${mark(d.smoke.passed ? 'passed' : 'failed')}, ${d.smoke.detail}, ${formatDuration(d.smoke.durationSeconds)}`, '');
    if (d.smoke.output.trim()) lines.push(fold('Output', `\`\`\`\n${d.smoke.output.trimEnd().replace(/```/g, "'''")}\n\`\`\``), '');
  }
  if (d.rpo?.maxGap) {
    const gap = d.rpo.maxGap;
    lines.push(
      '### Recovery points',
      '',
      `${d.rpo.pointInTimeWindow ? `Point-in-time window ${d.rpo.pointInTimeWindow.earliest} to ${d.rpo.pointInTimeWindow.latest}; ` : 'No point-in-time window; '}${d.rpo.snapshotsInWindow} snapshot(s) in the last ${d.rpo.windowDays} days. Largest gap: ${formatDuration(gap.seconds)}, ${gap.between} (${gap.from} to ${gap.to}).`,
      '',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
