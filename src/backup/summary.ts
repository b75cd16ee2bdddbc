import { code, foldIfLong, MARK, table } from '../report/markdown.js';
import { formatBytes, formatDuration } from '../util/format.js';
import { displayName } from '../postgres/identifiers.js';
import type { BackupResult } from './run-backup.js';
import type { PruneReport } from '../storage/prune.js';

function describePolicy(report: PruneReport): string {
  const { dailyDays, weeklyDays, monthlyDays } = report.policy;
  const tiers = [`daily ${dailyDays} d`, `weekly ${weeklyDays} d`, `monthly ${monthlyDays} d`].filter((tier) => !/ 0 d$/.test(tier));
  return `${tiers.join(', ')}; min-keep ${report.minKeep}`;
}

export function retentionMarkdown(report: PruneReport): string {
  const kept = report.complete.filter((b) => b.action === 'kept').length;
  const leaving = report.complete.filter((b) => b.action !== 'kept');
  const verb = report.dryRun ? 'would delete (dry run)' : 'deleted';
  const lines = [`### Retention (${describePolicy(report)})`, '', `${report.complete.length} complete backups: ${kept} kept, ${leaving.length} ${verb}.`];
  const rows = report.complete.map((b) => [code(b.key), b.finishedAt.toISOString(), b.action, b.reasons.join('; ')]);
  if (rows.length) lines.push('', foldIfLong(`Every decision (${rows.length})`, table(['backup', 'finished (UTC)', 'decision', 'why'], rows), rows.length));
  const others = [...report.incomplete, ...report.orphanManifests, ...report.legacy];
  if (others.length) {
    const otherRows = others.map((o) => [code(o.key), o.lastModified.toISOString(), o.action, o.reason]);
    lines.push('', foldIfLong(`Other objects (${otherRows.length})`, table(['object', 'last modified', 'decision', 'why'], otherRows), otherRows.length));
  }
  if (report.errors.length) lines.push('', `**${report.errors.length} deletions failed:** ${report.errors.map((e) => `${code(e.key)} (${e.message})`).join(', ')}`);
  return lines.join('\n');
}

function describeGlobals(m: BackupResult['manifest']): string {
  const roles = m.roles ? `; the dump depends on ${m.roles.length === 0 ? 'no roles' : m.roles.map((r) => code(r.name)).join(', ')}` : '';
  if (m.globals?.status === 'stored') return `${code(`s3://${m.bucket}/${m.globals.key}`)} (roles without passwords, the database's own settings)${roles}`;
  if (m.globals?.status === 'missing') return `${MARK.failed} missing (globals: best-effort): ${m.globals.reason}${roles}`;
  return 'not taken (globals: off)';
}

/** The job summary of a backup: what was stored, how fast, and what retention decided. */
export function backupMarkdown(result: BackupResult): string {
  const m = result.manifest;
  const rows: [string, string][] = [
    ['Database', `${m.database} (PostgreSQL ${m.server.version}, ${formatBytes(m.databaseSizeBytes)} on disk)`],
    ['Object', code(`s3://${m.bucket}/${m.key}`)],
    ['Size', `${formatBytes(m.sizeBytes)} (${result.compressionRatio.toFixed(1)}x smaller than the database on disk)`],
    ['Format', `${m.format}, ${m.compression}, pg_dump ${m.pgDump.version}`],
    ['SHA-256', code(m.sha256)],
    ['S3 checksum', m.storageChecksum ? `${m.storageChecksum.algorithm} (${m.storageChecksum.type}) ${code(m.storageChecksum.value)}` : 'none'],
    ['Duration', formatDuration(result.durationSeconds)],
    ['Throughput', `${formatBytes(result.throughputBytesPerSecond)}/s`],
    ['Snapshot', `${m.snapshotAt} (server clock)`],
    ['Tables', String(m.tables.length)],
    ['Rows', result.totalRows === null ? 'not counted (row-counts: off)' : `${result.totalRows.toLocaleString('en-US')} (exact, in the dump's snapshot)`],
    ['Globals', describeGlobals(m)],
  ];
  const lines = [`## ${MARK.passed} Backup of ${code(m.database)}`, '', table(['', ''], rows)];
  if (m.tables.length) {
    const tableRows = m.tables.map((t) => [displayName(t), t.rows === null ? '-' : t.rows.toLocaleString('en-US')]);
    lines.push('', foldIfLong(`Tables (${tableRows.length})`, table(['table', 'rows'], tableRows), tableRows.length));
  }
  if (result.retention) lines.push('', retentionMarkdown(result.retention));
  if (result.retentionError) lines.push('', `### ${MARK.failed} Retention failed`, '', result.retentionError);
  return `${lines.join('\n')}\n`;
}
