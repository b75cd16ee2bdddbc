import { checksSection, smokeSection } from '../checks/checks-markdown.js';
import { displayName } from '../postgres/identifiers.js';
import { code, foldIfLong, MARK, table, text } from '../report/markdown.js';
import { checklistSection, objectivesSection, reasonsSection, stepsSection } from '../report/report-sections.js';
import { formatBytes, formatDuration } from '../util/format.js';
import type { RestoreVerifyReport } from './restore-report.js';

const rows = (n: number | null) => (n === null ? '-' : n.toLocaleString('en-US'));

/** The job summary of a restore test, rendered from its report alone. */
export function restoreVerifyMarkdown(report: RestoreVerifyReport): string {
  const d = report.details;
  const backup = d.backup;
  const verdict = report.passed ? MARK.passed : MARK.failed;
  const what = backup ? ` of ${code(backup.key)}` : '';
  const lines = [
    `## ${verdict} Restore test${what}: ${report.passed ? 'passed' : 'failed'}${backup && !backup.verifiable ? ' (unverifiable: no manifest)' : ''}`,
    '',
  ];

  lines.push(
    ...reasonsSection(report.reasons),
    ...checklistSection(report.checklist),
    ...objectivesSection(report.objectives, report.objectives[0]?.scenario ?? 'database failure'),
    ...stepsSection(report.steps),
    ...backupSection(d),
    ...existingRolesSection(d),
    ...serverSettingsSection(d),
    ...tablesSection(d),
    ...checksSection(d.checks.file, d.checks.results),
    ...smokeSection(d.smoke),
    ...recoveryPointsSection(d),
  );
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Which backup was restored, why it was chosen, how it was made and checked, and where it went. */
function backupSection(d: RestoreVerifyReport['details']): string[] {
  const backup = d.backup;
  if (!backup) return [];
  const m = backup.manifest;
  const facts: [string, string][] = [
    ['Object', code(`s3://${d.bucket}/${backup.key}`)],
    ['Chosen', `${text(backup.reason)} (backup: ${code(d.selector)})`],
    ['Size', formatBytes(backup.sizeBytes)],
    [
      'Data from',
      `${backup.dataFrom} (${formatDuration(backup.dataAgeSeconds)} before this run)${m ? '' : ', the time in the key: there is no manifest'}`,
    ],
  ];
  if (m) {
    facts.push([
      'Made by',
      `pg_dump ${text(m.pgDumpVersion)} from PostgreSQL ${text(m.serverVersion)} (${code(m.database)}), ${text(m.compression)}`,
    ]);
    facts.push([
      'SHA-256',
      `${code(m.sha256)}${backup.downloaded ? (backup.downloaded.sha256 === m.sha256 ? ' (matches)' : `, downloaded ${code(backup.downloaded.sha256)}`) : ''}`,
    ]);
  } else if (backup.downloaded) {
    facts.push([
      'SHA-256',
      `${code(backup.downloaded.sha256)} (nothing to compare with${backup.downloaded.storageChecksumChecked ? "; S3's own checksum of the object was checked" : ''})`,
    ]);
  }
  if (d.restore)
    facts.push([
      'Restored with',
      `${d.restore.tool} ${d.restore.version}, ${d.restore.jobs} jobs, PGOPTIONS ${code(d.restore.sessionOptions)}`,
    ]);
  facts.push([
    'Scratch database',
    `${code(d.target.database)}${d.target.serverVersion ? ` on PostgreSQL ${d.target.serverVersion}` : ''}: ${d.target.created ? 'created' : 'not created'}, ${d.target.dropped ? 'dropped' : 'not dropped'}`,
  ]);
  return ['### Backup', '', table(['', ''], facts), ''];
}

/** The target server's settings that decide restore speed and crash cost, when they were read. */
function serverSettingsSection(d: RestoreVerifyReport['details']): string[] {
  const settings = Object.entries(d.target.serverSettings ?? {});
  if (!settings.length) return [];
  return [
    '### Server settings',
    '',
    "The target server's settings that decide restore speed and what a crash during the restore costs (the README's recovery procedure says which to use):",
    '',
    table(
      ['setting', 'value'],
      settings.map(([name, value]) => [code(name), code(value)]),
    ),
    '',
  ];
}

/** Each table's rows in the manifest beside those restored, folded when the list is long. */
function tablesSection(d: RestoreVerifyReport['details']): string[] {
  if (!d.tables.length) return [];
  const differing = d.tables.filter((t) => t.status === 'differs' || t.status === 'missing').length;
  const tableRows = d.tables.map((t) => [
    text(displayName(t)),
    rows(t.expectedRows),
    rows(t.restoredRows),
    t.status === 'equal' || t.status === 'present'
      ? `${MARK.passed} ${t.status}`
      : t.status === 'not in manifest'
        ? t.status
        : `${MARK.failed} ${t.status}`,
  ]);
  const title = `Tables: ${d.tables.length} compared, ${differing} differ`;
  return [
    `### ${title}`,
    '',
    foldIfLong(title, table(['table', 'manifest rows', 'restored rows', ''], tableRows), tableRows.length),
    '',
  ];
}

/** The largest gap between recovery points in the window, when there is one to report. */
function recoveryPointsSection(d: RestoreVerifyReport['details']): string[] {
  if (!d.rpo?.maxGap) return [];
  const gap = d.rpo.maxGap;
  return [
    '### Recovery points',
    '',
    `${d.rpo.backupsInWindow} complete backup${d.rpo.backupsInWindow === 1 ? '' : 's'} in the last ${d.rpo.windowDays} days. Largest gap: ${formatDuration(gap.seconds)}, from ${code(gap.fromKey)} (${gap.from}) to ${gap.toKey ? `${code(gap.toKey)} (${gap.to})` : `now (${gap.to})`}.`,
    '',
  ];
}

/** How the roles the server already had differ from the backup's, and what this run did about it (existing-roles). */
function existingRolesSection(d: RestoreVerifyReport['details']): string[] {
  const differences = d.roles?.differences ?? [];
  if (differences.length === 0) return [];
  const mode = d.roles?.existingRoles ?? 'keep';
  const rows = differences.map((x) => [
    code(x.role),
    text(x.kind),
    x.backup === '-' ? '-' : code(x.backup),
    x.server === '-' ? '-' : code(x.server),
    x.updated ? 'updated' : 'left as it is',
  ]);
  const title = `Existing roles: ${differences.length} differences from the backup`;
  const why =
    mode === 'keep'
      ? "Roles the server already had are left as they are (`existing-roles: keep`); `existing-roles: update` gives them the backup's password (role-passwords), attributes, settings and memberships."
      : "`existing-roles: update` gave roles the server already had the backup's password (role-passwords), attributes, settings and memberships; what only the server has is left.";
  return [
    `### ${title}`,
    '',
    why,
    '',
    foldIfLong(title, table(['role', 'what', 'backup', 'server', 'this run'], rows), rows.length),
    '',
  ];
}
