import type { S3Client } from '@aws-sdk/client-s3';
import { BackupStore } from '../storage/backup-store.js';
import { findDeletedBackups, type DeletedBackup } from '../storage/deleted-backups.js';
import { decideRetention, type RetentionCandidate, type RetentionPolicy } from '../retention/retention.js';
import { formatBytes, formatDuration, plural } from '../util/format.js';
import { named } from './backup-integrity.js';
import { defineChecks, verdict, type AuditCheck } from './check.js';
import { secondsSince, type AuditContext } from './context.js';
import { SENTENCE } from './plan.js';
import type { BackupSettings } from './settings.js';

export const DELETED_CHECKS = defineChecks('backup', {
  // Out of sight of every restore and of `aws s3 ls`: recovery points lost without a sound until the day they are needed.
  deleted: ['backup.deleted-backups', SENTENCE.retention, 'high'],
});

/** The retention the backups are held to: the backup action's, as backup-retention and backup-min-keep give it. */
export interface RetentionRule {
  retention: RetentionPolicy | 'off';
  minKeep: number;
}

/** The rule as the backup action's inputs write it, e.g. `daily=30,weekly=90,monthly=365, min-keep 7`. */
function ruleText({ retention, minKeep }: RetentionRule): string {
  if (retention === 'off') return 'off';
  const tiers = [
    ['daily', retention.dailyDays],
    ['weekly', retention.weeklyDays],
    ['monthly', retention.monthlyDays],
  ].filter(([, days]) => days);
  return `${tiers.map(([tier, days]) => `${tier}=${days}`).join(',')}, min-keep ${minKeep}`;
}

const RETENTION_OFF = 'retention is off: it removes nothing, so every deleted backup was deleted by someone else';

/** A backup hidden by a delete marker that retention would still keep, and why it would. */
export interface RetainedDeletion extends DeletedBackup {
  reasons: string[];
}

export interface DeletedFacts {
  /** Hidden backups retention would keep: deleted by someone else. */
  retained: RetainedDeletion[];
  /** Hidden backups outside every window: deletions retention would have made itself. */
  expired: number;
}

/** One bucket's hidden backups: the backup bucket, or its copy in the copy region. */
export interface BucketDeletions {
  bucket: string;
  region: string;
  facts: DeletedFacts;
}

/**
 * The backups under the prefix that a delete marker hides, judged by retention as if they were not
 * hidden: together with the complete backups still in sight, as the backup action's retention would
 * see them all, so that each hidden one it would keep is reported and each it would delete is not.
 */
export async function readDeletedFacts(
  client: S3Client,
  bucket: string,
  { prefix, retention, minKeep }: RetentionRule & { prefix: string },
  visible: readonly RetentionCandidate[],
  now: Date,
): Promise<DeletedFacts> {
  const deleted = await findDeletedBackups(new BackupStore(client, bucket, prefix));
  if (retention === 'off') return { retained: deleted.map((b) => ({ ...b, reasons: [RETENTION_OFF] })), expired: 0 };
  const hidden = new Set(deleted.map((d) => d.key));
  const candidates = [...visible.filter((v) => !hidden.has(v.key)), ...deleted];
  const decisions = new Map(decideRetention(candidates, retention, minKeep, now).map((d) => [d.key, d]));
  const retained = deleted.flatMap((backup) => {
    const decision = decisions.get(backup.key);
    return decision?.keep ? [{ ...backup, reasons: decision.reasons }] : [];
  });
  return { retained, expired: deleted.length - retained.length };
}

function dataNote(backup: RetainedDeletion): string {
  const { data } = backup;
  if (!data) return 'its data version is gone: removing the markers does not bring it back';
  const { retainUntil, legalHold } = data.lock;
  const lock = retainUntil
    ? `locked until ${retainUntil.toISOString()}`
    : legalHold
      ? 'under a legal hold'
      : 'not locked: it can be deleted for good';
  return `its data version (${formatBytes(data.sizeBytes)}) is still there, ${lock}${retainUntil && legalHold ? ' and under a legal hold' : ''}`;
}

function described(ctx: AuditContext, backup: RetainedDeletion, rule: RetentionRule): string {
  const deletedAt = backup.markers.reduce((first, m) => (m.deletedAt < first ? m.deletedAt : first), ctx.now);
  const why = rule.retention === 'off' ? '' : `retention keeps it: ${backup.reasons.join(', ')}; `;
  return `${backup.key} (deleted ${deletedAt.toISOString()}, ${formatDuration(secondsSince(deletedAt, ctx.now))} ago; ${why}${dataNote(backup)})`;
}

function bucketFound(ctx: AuditContext, where: string, facts: DeletedFacts, rule: RetentionRule): string {
  const own = facts.expired
    ? ` (${plural(facts.expired, 'deleted backup')} outside every window: retention's own)`
    : '';
  const kept = `retention (${ruleText(rule)}) would keep`;
  if (rule.retention === 'off' && !facts.retained.length)
    return `no backup in ${where} hidden by a delete marker (${RETENTION_OFF})`;
  if (!facts.retained.length) return `no backup in ${where} hidden by a delete marker while ${kept} it${own}`;
  const whyFlagged =
    rule.retention === 'off' ? `(${RETENTION_OFF})` : `while ${kept} ${facts.retained.length === 1 ? 'it' : 'them'}`;
  return `${plural(facts.retained.length, 'backup')} in ${where} hidden by a delete marker ${whyFlagged}, out of sight of restore-verify, recover-database and aws s3 ls: ${named(facts.retained, (b) => described(ctx, b, rule))}${own}`;
}

/** Removing a backup's delete markers brings it back as it was: one command per marker, for the first few backups. */
function restores(scan: BucketDeletions): string[] {
  return scan.facts.retained
    .filter((backup) => backup.data)
    .slice(0, 10)
    .flatMap((backup) =>
      backup.markers.map(
        (m) =>
          `aws s3api delete-object --region ${scan.region} --bucket ${scan.bucket} --key ${m.key} --version-id ${m.versionId}`,
      ),
    );
}

/** Backups a delete marker hides while retention would keep them, in the backup bucket and in its copy. */
export function deletedCheck(ctx: AuditContext, backup: BackupSettings, scans: readonly BucketDeletions[]): AuditCheck {
  const commands = scans.flatMap(restores);
  const example = `aws s3api delete-object --region ${ctx.primary.region} --bucket ${backup.bucket} --key <key> --version-id <delete marker's version id>`;
  const hint = '  # deleting a delete marker brings its backup back; then find who deleted it, and with which role';
  return verdict(
    DELETED_CHECKS.deleted,
    scans.every((scan) => scan.facts.retained.length === 0),
    scans.map((scan) => bucketFound(ctx, `s3://${scan.bucket}/${backup.prefix}`, scan.facts, backup)).join('. '),
    `${commands.length ? commands.join(' && ') : example}${hint}`,
  );
}
