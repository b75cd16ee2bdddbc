/**
 * backup.deleted-backups against moto's versioned buckets: a backup hidden by a delete marker is
 * reported when the backup action's retention would still keep it, and not when retention would
 * have deleted it itself; the commands the finding prints bring it back.
 */
import { describe, expect, test } from '@jest/globals';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { parseAuditInputs } from '../../src/audit/inputs.js';
import { runAudit } from '../../src/audit/run-audit.js';
import type { AuditSettings, BackupSettings } from '../../src/audit/settings.js';
import { backupKey, manifestKeyFor } from '../../src/storage/keys.js';
import { silentLogger } from '../../src/util/logger.js';
import { awsCli } from '../../harness/aws-cli.js';
import {
  auditInputsFor,
  auditSettingsFor,
  createAuditTopology,
  PRIMARY_REGION,
  putCompleteBackup,
  s3In,
  type AuditTopology,
} from '../../harness/audit-topology.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The backup area as dr-audit's inputs give it, with `backup-retention` and `backup-min-keep` as the team sets them. */
function withRetention(t: AuditTopology, inputs: Record<string, string>): AuditSettings {
  const settings = auditSettingsFor(t);
  const all: Record<string, string> = {
    ...auditInputsFor(t, { endpointUrl: settings.endpointUrl ?? '', reportPath: settings.reportPath }),
    'cache-replication-group-id': t.cacheGroupId,
    ...inputs,
  };
  const parsed = parseAuditInputs((name) => all[name] ?? '', {}).backup as BackupSettings;
  const backup = { ...(settings.backup as BackupSettings), retention: parsed.retention, minKeep: parsed.minKeep };
  return { ...settings, backup };
}

const audit = async (t: AuditTopology, settings: AuditSettings = auditSettingsFor(t)) => {
  const result = await runAudit({ ...settings, run: { workflow: 'test' }, log: silentLogger });
  const checks = result.report.details.checks;
  return {
    failed: checks.filter((c) => c.status === 'failed'),
    check: checks.find((c) => c.id === 'backup.deleted-backups'),
  };
};

/** A complete backup that finished `ago` ms ago, then deleted as `aws s3 rm` deletes: a delete marker over its object and manifest. */
async function deletedBackup(t: AuditTopology, ago: number): Promise<string> {
  const client = s3In(PRIMARY_REGION);
  const key = backupKey(t.backupPrefix, new Date(Date.now() - ago - 600_000), 'custom');
  await putCompleteBackup(client, t.backupBucket, key, new Date(Date.now() - ago));
  for (const deleted of [key, manifestKeyFor(key)])
    await client.send(new DeleteObjectCommand({ Bucket: t.backupBucket, Key: deleted }));
  return key;
}

/** Complete backups in sight, enough that min-keep (7) keeps none of the older ones. */
async function recentBackups(t: AuditTopology, count: number): Promise<void> {
  for (let hours = 4; hours < 4 + count; hours += 1) {
    const finishedAt = new Date(Date.now() - hours * HOUR);
    const key = backupKey(t.backupPrefix, new Date(finishedAt.getTime() - 600_000), 'custom');
    await putCompleteBackup(s3In(PRIMARY_REGION), t.backupBucket, key, finishedAt);
  }
}

/** Runs the finding's fix as an SRE would paste it: each `aws s3api delete-object` of a delete marker. */
async function runFix(fix: string): Promise<void> {
  const commands = fix.replace(/ {2}#.*$/, '').split(' && ');
  expect(commands.length).toBeGreaterThan(0);
  for (const command of commands) {
    const [aws, ...args] = command.split(' ');
    expect(aws).toBe('aws');
    await awsCli(args);
  }
}

describe('backups hidden by a delete marker', () => {
  test('one retention would keep (the newest of its week, 45 days old) is reported, one outside every window (400 days) is retention’s own; the fix brings the first back', async () => {
    const t = await createAuditTopology();
    await recentBackups(t, 7);
    const expired = await deletedBackup(t, 400 * DAY);
    const weekly = await deletedBackup(t, 45 * DAY);

    const before = await audit(t);
    expect(before.failed.map((c) => c.id)).toEqual(['backup.deleted-backups']);
    expect(before.check?.found).toContain(`${weekly} (deleted `);
    expect(before.check?.found).toMatch(
      /retention keeps it: newest of week \d{4}-W\d{2} \(within 90 d\), newest of month/,
    );
    expect(before.check?.found).toContain('its data version (6 B) is still there, not locked');
    expect(before.check?.found).not.toContain(expired);
    expect(before.check?.found).toMatch(/\(1 deleted backup outside every window: retention's own\)$/);
    expect(before.check?.fix).not.toContain(expired);

    await runFix(before.check?.fix as string);
    const after = await audit(t);
    expect(after.failed).toEqual([]);
    expect(after.check?.found).toMatch(
      /^no backup in s3:\/\/saas-backups-\w+\/database\/ hidden by a delete marker while retention \(daily=30,weekly=90,monthly=365, min-keep 7\) would keep it \(1 deleted backup outside every window: retention's own\)$/,
    );
    const listed = await awsCli(['s3', 'ls', `s3://${t.backupBucket}/${t.backupPrefix}`]);
    expect(listed).toContain(weekly.slice(t.backupPrefix.length));
    expect(listed).not.toContain(expired.slice(t.backupPrefix.length));
  });

  test('one outside every window is still reported while fewer than min-keep (7) complete backups are left', async () => {
    const t = await createAuditTopology();
    const old = await deletedBackup(t, 400 * DAY);
    const { failed, check } = await audit(t);
    expect(failed.map((c) => c.id)).toEqual(['backup.deleted-backups']);
    expect(check?.found).toContain(`${old} (deleted `);
    expect(check?.found).toContain('retention keeps it: one of the newest 7 (min-keep)');
  });

  test('judged by the retention the backup runs with: a 10-day-old hidden backup is reported under the default, not under backup-retention: daily=7 with backup-min-keep: 3', async () => {
    const t = await createAuditTopology();
    await recentBackups(t, 3);
    const tenDays = await deletedBackup(t, 10 * DAY);

    const byDefault = await audit(t);
    expect(byDefault.failed.map((c) => c.id)).toEqual(['backup.deleted-backups']);
    expect(byDefault.check?.found).toContain(`${tenDays} (deleted `);
    expect(byDefault.check?.found).toContain('retention keeps it: daily (within 30 d)');

    const weekOnly = await audit(t, withRetention(t, { 'backup-retention': 'daily=7', 'backup-min-keep': '3' }));
    expect(weekOnly.failed).toEqual([]);
    expect(weekOnly.check?.found).toMatch(
      /^no backup in s3:\/\/saas-backups-\w+\/database\/ hidden by a delete marker while retention \(daily=7, min-keep 3\) would keep it \(1 deleted backup outside every window: retention's own\)$/,
    );

    // min-keep counts the hidden backup with the 4 in sight (the topology's own and 3 more): with 5 it is kept.
    const keepFive = await audit(t, withRetention(t, { 'backup-retention': 'daily=7', 'backup-min-keep': '5' }));
    expect(keepFive.failed.map((c) => c.id)).toEqual(['backup.deleted-backups']);
    expect(keepFive.check?.found).toContain('retention keeps it: one of the newest 5 (min-keep)');
  });

  test('with backup-retention: off every hidden backup is reported, however old, and the finding says retention is off', async () => {
    const t = await createAuditTopology();
    await recentBackups(t, 7);
    const old = await deletedBackup(t, 400 * DAY);
    const { failed, check } = await audit(t, withRetention(t, { 'backup-retention': 'off' }));
    expect(failed.map((c) => c.id)).toEqual(['backup.deleted-backups']);
    expect(check?.found).toContain(`${old} (deleted `);
    expect(check?.found).toContain(
      'hidden by a delete marker (retention is off: it removes nothing, so every deleted backup was deleted by someone else)',
    );
    expect(check?.found).not.toContain('retention keeps it');
    expect(check?.found).not.toContain("retention's own");
  });
});
