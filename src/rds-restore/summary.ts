import { displayName } from '../postgres/identifiers.js';
import { checksSection, smokeSection } from '../checks/checks-markdown.js';
import { code, foldIfLong, MARK, table, text } from '../report/markdown.js';
import { checklistSection, objectivesSection, reasonsSection, stepsSection } from '../report/report-sections.js';
import { formatDuration } from '../util/format.js';
import type { RdsRestoreReport } from './rds-restore-report.js';

const count = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n.toLocaleString('en-US'));

/** The job summary of an RDS restore test, rendered from its report alone. */
export function rdsRestoreMarkdown(report: RdsRestoreReport): string {
  const d = report.details;
  const point = d.recoveryPoint;
  const lines = [
    `## ${report.passed ? MARK.passed : MARK.failed} RDS restore test of ${code(d.instanceId)}${point ? ` (${point.mechanism}, ${d.region})` : ''}: ${report.passed ? 'passed' : 'failed'}`,
    '',
  ];
  lines.push(
    ...reasonsSection(report.reasons),
    ...checklistSection(report.checklist),
    ...objectivesSection(report.objectives, d.scenario),
    ...stepsSection(report.steps),
  );

  const facts: [string, string][] = [
    ['Source', `${code(d.instanceId)} in ${d.sourceRegion}`],
    [
      'Recovery point',
      point
        ? `${text(point.label)} (recovery-point: ${code(d.selector)})`
        : `not resolved (recovery-point: ${code(d.selector)})`,
    ],
  ];
  if (point?.window) facts.push(['Point-in-time window', `${point.window.earliest} to ${point.window.latest}`]);
  const i = d.instance;
  facts.push([
    'Temporary instance',
    `${code(i.id)} (${i.instanceClass}) in ${d.region}: ${i.created ? 'created' : 'not created'}, ${i.deleted ? 'deleted' : i.kept ? 'kept (keep-instance)' : 'not deleted'}`,
  ]);
  if (i.endpoint)
    facts.push([
      'Endpoint',
      `${code(i.endpoint)}${d.database.serverVersion ? `, PostgreSQL ${d.database.serverVersion}` : ''}`,
    ]);
  if (i.statuses.length) facts.push(['RDS statuses', i.statuses.map((s) => `${s.status} (${s.at})`).join(' → ')]);
  if (d.cancelled)
    facts.push(['Cancelled', 'yes: the steps after the cancel did not run; the instance was still deleted']);
  lines.push('### Restore', '', table(['', ''], facts), '');

  if (d.proof) {
    const proof = d.proof;
    const rows = proof.tables.map((t) => [text(displayName(t)), count(t.estimatedRows), count(t.exactRows)]);
    lines.push(
      `### Tables (${proof.tables.length})`,
      '',
      foldIfLong('Every table', table(['table', 'estimated rows', 'exact rows'], rows), rows.length),
      '',
    );
    if (proof.newestRows.length) {
      const fresh = proof.newestRows.map((n) => [
        code(n.column),
        text(n.newest ?? (n.error ? `error: ${n.error}` : 'empty')),
        n.beforeRecoveryPointSeconds === undefined ? '-' : formatDuration(Math.max(0, n.beforeRecoveryPointSeconds)),
      ]);
      lines.push('### Newest rows', '', table(['column', 'newest', 'before the recovery point'], fresh), '');
    }
  }
  lines.push(...checksSection(d.checks.file, d.checks.results), ...smokeSection(d.smoke));
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
