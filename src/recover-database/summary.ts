import { checksSection, smokeSection } from '../checks/checks-markdown.js';
import { code, codeBlock, foldIfLong, MARK, table, text } from '../report/markdown.js';
import { checklistSection, objectivesSection, reasonsSection, stepsSection } from '../report/report-sections.js';
import { formatBytes, formatDuration } from '../util/format.js';
import type { RecoverDatabaseReport } from './recover-report.js';

const count = (n: number | null) => (n === null ? '-' : n.toLocaleString('en-US'));

function heading(report: RecoverDatabaseReport): string {
  const d = report.details;
  const what = code(d.rds?.instanceId ?? d.production);
  if (d.mode === 'plan')
    return report.passed
      ? `## 📋 Recovery plan for ${what}: execute would proceed`
      : `## ${MARK.failed} Recovery plan for ${what}: execute would refuse`;
  return report.passed ? `## ${MARK.passed} ${what} recovered` : `## ${MARK.failed} Recovery of ${what} failed`;
}

function rdsBindingSection(report: RecoverDatabaseReport): string[] {
  const d = report.details;
  const rds = d.rds;
  if (!rds) return [];
  const rows: [string, string][] = [
    ['Instance', `${code(rds.instanceId)} (${rds.region})`],
    [
      'Recovery point (expected-recovery-point)',
      d.recoveryPoint
        ? `${code(d.recoveryPoint)}${rds.recoveryPoint ? `: ${text(rds.recoveryPoint.label)}` : ''}`
        : '-',
    ],
    ['Replaces (expected-replaces)', d.replaces ? code(d.replaces) : '-'],
    ['Restored into', d.restoredAs ? code(d.restoredAs) : '-'],
    [
      'Cut-over',
      rds.cutover === 'dns'
        ? `dns: ${code(rds.record ?? '?')} moves from ${code(d.recordValue ?? '?')} to the endpoint of ${code(d.restoredAs ?? '?')} (compare-and-swap); ${code(rds.instanceId)} keeps its identifier`
        : `${rds.cutover}: the restored instance takes the identifier ${code(rds.instanceId)}, so the endpoint stays`,
    ],
    ...(rds.cutover === 'dns'
      ? ([['Record (expected-record-value)', d.recordValue ? code(d.recordValue) : '-']] as [string, string][])
      : []),
    [
      'Damaged instance kept as',
      d.keptAs
        ? `${code(d.keptAs)} (deletion protection left ${rds.damagedDeletionProtection ? 'on' : 'off'}, as it is)`
        : '-',
    ],
  ];
  return ['### What is replaced, and by what', '', table(['', ''], rows), ''];
}

function bindingSection(report: RecoverDatabaseReport): string[] {
  const d = report.details;
  if (d.rds) return rdsBindingSection(report);
  const rows: [string, string][] = [
    ['Database', code(d.database)],
    [
      'Recovery point (expected-recovery-point)',
      d.recoveryPoint
        ? `${code(d.recoveryPoint)}${d.backup ? `: data from ${d.backup.snapshotAt}, ${text(d.backup.reason)}` : ''}`
        : '-',
    ],
    ['Replaces (expected-replaces)', d.replaces ? `oid ${d.replaces}` : '-'],
    ['Restored into', d.restoredAs ? code(d.restoredAs) : '-'],
    ['Damaged database kept as', d.keptAs ? code(d.keptAs) : '-'],
  ];
  if (d.backup) {
    const { sizeBytes, sha256, parts } = d.backup;
    rows.push([
      'Backup',
      parts
        ? `${formatBytes(sizeBytes)} in the object (the schema) and ${parts} data parts; the object's SHA-256 ${code(sha256)}`
        : `${formatBytes(sizeBytes)}, SHA-256 ${code(sha256)}`,
    ]);
  }
  return ['### What is replaced, and by what', '', table(['', ''], rows), ''];
}

function lossSection(report: RecoverDatabaseReport): string[] {
  const loss = report.details.loss;
  if (!loss) return [];
  const lines = [
    '### Data that would be lost',
    '',
    `Everything written after ${loss.recoveryPoint}: ${formatDuration(loss.seconds)} of writes.`,
    '',
  ];
  if (loss.liveUnavailable)
    lines.push(`The live database did not answer, so its rows were not counted: ${text(loss.liveUnavailable)}`, '');
  const rows = loss.tables.map((t) => [
    text(t.table),
    count(t.backupRows),
    count(t.liveRows),
    t.difference === null
      ? '-'
      : t.difference > 0
        ? `${count(t.difference)} rows lost`
        : t.difference < 0
          ? `${count(-t.difference)} rows the live database lacks`
          : 'same',
  ]);
  const title = `Rows: backup against the live database (${loss.tables.length} tables)`;
  if (rows.length)
    lines.push(foldIfLong(title, table(['table', 'backup', 'live', 'difference'], rows), rows.length), '');
  return lines;
}

/** The job summary of a recovery, rendered from its report alone. */
export function recoverDatabaseMarkdown(report: RecoverDatabaseReport): string {
  const d = report.details;
  const lines = [heading(report), '', `**State:** ${text(d.state)}`, ''];
  if (d.putBack.length) {
    const what = d.rds ? ['instance', 'identifier', 'shell'] : ['database', 'name', 'sql'];
    lines.push(
      `To put the damaged ${what[0]} back under the production ${what[1]} (stop the application first):`,
      '',
      codeBlock(d.putBack.join('\n'), what[2]),
      '',
    );
  }
  lines.push(...reasonsSection(report.reasons), ...bindingSection(report), ...lossSection(report));
  if (d.actions.length)
    lines.push(
      `### What execute ${d.mode === 'plan' ? 'would do' : 'does'}`,
      '',
      ...d.actions.map((a, i) => `${i + 1}. ${code(a)}`),
      '',
    );
  if (d.sessions?.length) {
    lines.push(
      '### Sessions in the databases to rename',
      '',
      table(
        ['pid', 'user', 'application', 'client', 'database'],
        d.sessions.map((s) => [s.pid, text(s.user), text(s.application), text(s.client), text(s.database)]),
      ),
      '',
    );
  }
  if (report.checklist.length) lines.push(...checklistSection(report.checklist));
  // A plan measures no recovery time: its RPO is the data-loss section above.
  if (d.mode === 'execute') lines.push(...objectivesSection(report.objectives, 'database failure'));
  lines.push(...stepsSection(report.steps));
  lines.push(...checksSection(d.checks.file, d.checks.results), ...smokeSection(d.smoke));
  return `${lines.join('\n').trimEnd()}\n`;
}
