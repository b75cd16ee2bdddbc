import { code, foldIfLong, MARK, table, text } from '../report/markdown.js';
import { formatBytes, formatDuration } from '../util/format.js';
import { displayName } from '../postgres/identifiers.js';
import type { BackupResult } from './run-backup.js';
import type { PruneReport } from '../storage/prune.js';
import type { LockExtensionReport } from '../storage/lock-extension.js';
import type { CopyOutcome } from './second-copy.js';

function describePolicy(report: PruneReport): string {
  const { dailyDays, weeklyDays, monthlyDays } = report.policy;
  const tiers = [`daily ${dailyDays} d`, `weekly ${weeklyDays} d`, `monthly ${monthlyDays} d`].filter(
    (tier) => !/ 0 d$/.test(tier),
  );
  return `${tiers.join(', ')}; min-keep ${report.minKeep}`;
}

export function retentionMarkdown(report: PruneReport): string {
  const kept = report.complete.filter((b) => b.action === 'kept').length;
  const leaving = report.complete.filter((b) => b.action !== 'kept');
  const verb = report.dryRun ? 'would delete (dry run)' : 'deleted';
  const lines = [
    `### Retention (${describePolicy(report)})`,
    '',
    `${report.complete.length} complete backups: ${kept} kept, ${leaving.length} ${verb}.`,
  ];
  const rows = report.complete.map((b) => [
    code(b.key),
    b.finishedAt.toISOString(),
    b.action,
    text(b.reasons.join('; ')),
  ]);
  if (rows.length)
    lines.push(
      '',
      foldIfLong(
        `Every decision (${rows.length})`,
        table(['backup', 'finished (UTC)', 'decision', 'why'], rows),
        rows.length,
      ),
    );
  const others = [...report.incomplete, ...report.orphanManifests, ...report.legacy];
  if (others.length) {
    const otherRows = others.map((o) => [code(o.key), o.lastModified.toISOString(), o.action, text(o.reason)]);
    lines.push(
      '',
      foldIfLong(
        `Other objects (${otherRows.length})`,
        table(['object', 'last modified', 'decision', 'why'], otherRows),
        otherRows.length,
      ),
    );
  }
  if (report.locked.length) {
    const lockedRows = report.locked.map((l) => [
      code(l.key),
      l.lockedUntil ? l.lockedUntil.toISOString() : '-',
      l.legalHold ? 'legal hold' : '',
    ]);
    lines.push(
      '',
      `${report.locked.length} objects retention would delete are still under Object Lock, left for a later run:`,
      '',
      table(['object', 'locked until (UTC)', ''], lockedRows),
    );
  }
  if (report.errors.length)
    lines.push(
      '',
      `**${report.errors.length} deletions failed:** ${report.errors.map((e) => `${code(e.key)} (${text(e.message)})`).join(', ')}`,
    );
  return lines.join('\n');
}

function describeGlobals(m: BackupResult['manifest']): string {
  const roles = m.roles
    ? `; the dump depends on ${m.roles.length === 0 ? 'no roles' : m.roles.map((r) => code(r.name)).join(', ')}`
    : '';
  if (m.globals?.status === 'stored')
    return `${code(`s3://${m.bucket}/${m.globals.key}`)} (roles without passwords, the database's own settings)${roles}`;
  if (m.globals?.status === 'missing')
    return `${MARK.failed} missing (globals: best-effort): ${text(m.globals.reason)}${roles}`;
  return 'not taken (globals: off)';
}

/** The job summary of a backup: what was stored, how fast, and what retention decided. */
export function backupMarkdown(result: BackupResult): string {
  const m = result.manifest;
  const rows: [string, string][] = [
    [
      'Database',
      `${code(m.database)} (PostgreSQL ${text(m.server.version)}, ${formatBytes(m.databaseSizeBytes)} on disk)`,
    ],
    ['Object', code(`s3://${m.bucket}/${m.key}`)],
    [
      'Size',
      `${formatBytes(result.storedBytes)} (${result.compressionRatio.toFixed(1)}x smaller than the database on disk)${m.parts ? `: the schema and ${m.parts.length} data parts beside it, each with its SHA-256 in the manifest` : ''}`,
    ],
    ['Format', `${m.format}, ${text(m.compression)}, pg_dump ${text(m.pgDump.version)}`],
    ['SHA-256', code(m.sha256)],
    [
      'S3 checksum',
      m.storageChecksum
        ? `${m.storageChecksum.algorithm} (${m.storageChecksum.type}) ${code(m.storageChecksum.value)}`
        : 'none',
    ],
    ['Duration', formatDuration(result.durationSeconds)],
    ['Throughput', `${formatBytes(result.throughputBytesPerSecond)}/s`],
    ['Snapshot', `${m.snapshotAt} (server clock)`],
    ['Tables', String(m.tables.length)],
    [
      'Rows',
      result.totalRows === null
        ? 'not counted (row-counts: off)'
        : `${result.totalRows.toLocaleString('en-US')} (exact, in the dump's snapshot)`,
    ],
    ['Globals', describeGlobals(m)],
  ];
  const lines = [`## ${MARK.passed} Backup of ${code(m.database)}`, '', table(['', ''], rows)];
  if (m.tables.length) {
    const tableRows = m.tables.map((t) => [
      text(displayName(t)),
      t.rows === null ? '-' : t.rows.toLocaleString('en-US'),
    ]);
    lines.push('', foldIfLong(`Tables (${tableRows.length})`, table(['table', 'rows'], tableRows), tableRows.length));
  }
  if (result.lock)
    lines.push(
      '',
      `This backup and its manifest are locked (${result.lock.mode}) until ${result.lock.retainUntil.toISOString()}.`,
    );
  if (result.retention) lines.push('', retentionMarkdown(result.retention));
  if (result.locks) lines.push('', locksMarkdown(result.locks));
  if (result.retentionError) lines.push('', `### ${MARK.failed} Retention failed`, '', text(result.retentionError));
  if (result.copy) lines.push('', copyMarkdown(result.copy));
  return `${lines.join('\n')}\n`;
}

/** What is locked until when, after retention extended the locks of promoted backups. */
export function locksMarkdown(report: LockExtensionReport): string {
  const extended = report.locks.filter((l) => l.extended).length;
  const rows = report.locks.map((l) => [
    code(l.key),
    l.lockedUntil.toISOString(),
    l.extended ? 'extended in this run' : 'already locked',
  ]);
  const lines = [
    `### Object Lock (${report.mode})`,
    '',
    `${report.locks.length} weekly or monthly backups are locked as long as retention keeps them; ${extended} locks extended in this run.`,
  ];
  if (rows.length)
    lines.push(
      '',
      foldIfLong(`Locks (${rows.length})`, table(['backup', 'locked until (UTC)', ''], rows), rows.length),
    );
  if (report.errors.length)
    lines.push(
      '',
      `**${report.errors.length} locks not extended:** ${report.errors.map((e) => `${code(e.key)} (${text(e.message)})`).join(', ')}`,
    );
  return lines.join('\n');
}

/** The second copy in another region: where it is, or why it failed (the primary backup stands either way). */
export function copyMarkdown(copy: CopyOutcome): string {
  const where = code(`s3://${copy.bucket}/${copy.key}`);
  if (copy.status === 'failed') {
    return [
      `## ${MARK.failed} Copy to ${copy.region} failed`,
      '',
      `The backup above is complete and kept; its copy ${where} is not: ${text(copy.error)}`,
    ].join('\n');
  }
  const how =
    copy.status === 'copied'
      ? 'copied by this action and checked (size and checksum) before its manifest was written'
      : 'replicated by S3 (ReplicationStatus COMPLETED), object and manifest';
  const lines = [`## ${MARK.passed} Copy in ${copy.region}`, '', `${where}: ${how}.`];
  if (copy.lock) lines.push('', `The copy is locked (${copy.lock.mode}) until ${copy.lock.retainUntil.toISOString()}.`);
  if (copy.retention)
    lines.push('', retentionMarkdown(copy.retention).replace('### Retention', '### Retention of the copies'));
  if (copy.locks) lines.push('', locksMarkdown(copy.locks).replace('### Object Lock', '### Object Lock of the copies'));
  if (copy.retentionError)
    lines.push('', `### ${MARK.failed} Retention of the copies failed`, '', text(copy.retentionError));
  return lines.join('\n');
}
