/**
 * dr-audit against moto_server: the plan's topology set up as the plan says passes every check;
 * then each setting is broken alone, and exactly its check fails, with its fix command.
 *
 * Where moto lacks a piece, the test stack supplies it (harness/audit-topology.ts and
 * moto_launcher.py): ReplicaLag data points (PutMetricData, as RDS publishes them), the
 * LatestRestorableTime (moto always answers "now"), object ReplicationStatus and the rule's
 * DeleteMarkerReplication and Filter as they were put (moto drops them).
 */
import { describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { DeleteBucketEncryptionCommand, DeleteBucketLifecycleCommand, DeleteBucketReplicationCommand, PutBucketLifecycleConfigurationCommand, PutObjectCommand, PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { DeleteDBSnapshotCommand, ModifyDBInstanceCommand, PromoteReadReplicaCommand } from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, DeleteHealthCheckCommand } from '@aws-sdk/client-route-53';
import type { AuditReport } from '../../src/audit/audit-report.js';
import { ALL_CHECKS } from '../../src/audit/catalog.js';
import type { AuditSettings } from '../../src/audit/settings.js';
import { runAudit } from '../../src/audit/run-audit.js';
import { silentLogger } from '../../src/util/logger.js';
import { describe as describeInstance, rdsIn, route53, upsertRecord } from '../../harness/aws-topology.js';
import {
  auditSettingsFor,
  createAuditTopology,
  mediaRule,
  PRIMARY_REGION,
  putMediaReplication,
  replicaLag,
  s3In,
  SECONDARY_REGION,
  setLatestRestorableTime,
  setVersioning,
  type AuditTopology,
  type TopologyOptions,
} from '../../harness/audit-topology.js';
import { waitUntil } from '../../harness/wait.js';

const audit = (t: AuditTopology, overrides: Partial<AuditSettings> = {}) => runAudit({ ...auditSettingsFor(t, overrides), run: { workflow: 'test' }, log: silentLogger });

const waitUntilPromoted = (id: string) =>
  waitUntil(`${id} is promoted`, async () => !(await describeInstance(id, SECONDARY_REGION)).ReadReplicaSourceDBInstanceIdentifier, { intervalMs: 200 });

interface Breakage {
  id: string;
  /** How the topology is built differently from the plan (for settings AWS cannot change afterwards). */
  options?: Partial<TopologyOptions>;
  breakIt?: (t: AuditTopology) => Promise<void>;
  settings?: (t: AuditTopology) => Partial<AuditSettings>;
  found: RegExp;
  fix: RegExp;
}

const modifyPrimary = (t: AuditTopology, change: Record<string, unknown>) => rdsIn(PRIMARY_REGION).send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: t.primaryId, ApplyImmediately: true, ...change }));

const BREAKAGES: Breakage[] = [
  { id: 'db.backup-retention', breakIt: (t) => modifyPrimary(t, { BackupRetentionPeriod: 3 }).then(() => undefined), found: /kept 3 days \(the plan needs 7\)/, fix: /modify-db-instance --region us-east-1 --db-instance-identifier saas-production-\w+ --backup-retention-period 7/ },
  { id: 'db.latest-restorable-time', breakIt: (t) => setLatestRestorableTime(PRIMARY_REGION, t.primaryId, new Date(Date.now() - 3 * 3_600_000)), found: /3 h 0 min ago \(RPO 1 h 0 min\)/, fix: /describe-events .*--source-identifier saas-production-/ },
  { id: 'db.cross-region-backups', breakIt: (t) => rdsIn(SECONDARY_REGION).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: t.copySnapshotId })).then(() => undefined), found: /us-west-2 holds no snapshot/, fix: /start-db-instance-automated-backups-replication --region us-west-2 --source-db-instance-arn arn:aws:rds:us-east-1:/ },
  {
    id: 'db.replica',
    breakIt: async (t) => {
      await rdsIn(SECONDARY_REGION).send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: t.replicaId }));
      await waitUntilPromoted(t.replicaId);
    },
    found: /replicates from nothing/,
    fix: /create-db-instance-read-replica --region us-west-2 --db-instance-identifier saas-production-replica-\w+ --source-db-instance-identifier arn:aws:rds:us-east-1:/,
  },
  { id: 'db.replica-lag', breakIt: (t) => replicaLag(t.replicaId, 5_000), found: /ReplicaLag .*1 h 23 min \(RPO 1 h 0 min\)/, fix: /--metric-name ReplicaLag/ },
  { id: 'db.deletion-protection', breakIt: (t) => modifyPrimary(t, { DeletionProtection: false }).then(() => undefined), found: /deletion protection off/, fix: /modify-db-instance .* --deletion-protection --apply-immediately/ },
  { id: 'db.storage-encrypted', options: { encrypted: false }, found: /storage not encrypted/, fix: /create-db-snapshot .*copy-db-snapshot --kms-key-id/ },
  { id: 'media.versioning', breakIt: (t) => setVersioning(t.mediaBucket, PRIMARY_REGION, 'Suspended'), found: /versioning Suspended/, fix: /put-bucket-versioning --region us-east-1 --bucket saas-media-\w+ --versioning-configuration Status=Enabled/ },
  { id: 'media.replication', breakIt: (t) => putMediaReplication(t, mediaRule(t.mediaReplicaBucket, { Filter: { Prefix: 'avatars/' } })), found: /prefix 'avatars\/'.*the whole bucket not replicated/, fix: /put-bucket-replication .*"Filter":\{\}/ },
  { id: 'media.delete-marker-replication', breakIt: (t) => putMediaReplication(t, mediaRule(t.mediaReplicaBucket, { DeleteMarkerReplication: { Status: 'Disabled' } })), found: /delete marker replication Disabled \(the team chose Enabled\)/, fix: /"DeleteMarkerReplication":\{"Status":"Enabled"\}/ },
  {
    id: 'media.replication-time',
    breakIt: (t) => putMediaReplication(t, mediaRule(t.mediaReplicaBucket, { Destination: { Bucket: `arn:aws:s3:::${t.mediaReplicaBucket}` } })),
    found: /neither Replication Time Control nor replication metrics/,
    fix: /"ReplicationTime":\{"Status":"Enabled"/,
  },
  { id: 'media.replica-bucket', breakIt: (t) => setVersioning(t.mediaReplicaBucket, SECONDARY_REGION, 'Suspended'), found: /is in us-west-2, versioning Suspended/, fix: /put-bucket-versioning --region us-west-2 --bucket saas-media-replica-/ },
  {
    id: 'media.noncurrent-version-expiration',
    breakIt: (t) =>
      s3In(PRIMARY_REGION)
        .send(new PutBucketLifecycleConfigurationCommand({ Bucket: t.mediaBucket, LifecycleConfiguration: { Rules: [{ ID: 'short', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 30 } }] } }))
        .then(() => undefined),
    found: /deleted sooner than 90 days: rule short: 30 days/,
    fix: /"NoncurrentVersionExpiration":\{"NoncurrentDays":90\}/,
  },
  {
    id: 'media.replication-status',
    // An object written while the destination could not take it stays FAILED after the destination is fixed, as in S3.
    breakIt: async (t) => {
      await setVersioning(t.mediaReplicaBucket, SECONDARY_REGION, 'Suspended');
      await s3In(PRIMARY_REGION).send(new PutObjectCommand({ Bucket: t.mediaBucket, Key: 'uploads/lost.jpg', Body: 'x' }));
      await setVersioning(t.mediaReplicaBucket, SECONDARY_REGION, 'Enabled');
    },
    found: /3 COMPLETED, 0 PENDING, 1 FAILED; e\.g\. 'uploads\/lost\.jpg' FAILED/,
    fix: /copy-object --region us-east-1 --bucket saas-media-\w+ --key 'uploads\/lost\.jpg'/,
  },
  { id: 'backup.encryption', breakIt: (t) => s3In(PRIMARY_REGION).send(new DeleteBucketEncryptionCommand({ Bucket: t.backupBucket })).then(() => undefined), found: /no default encryption/, fix: /put-bucket-encryption/ },
  {
    id: 'backup.public-access-block',
    breakIt: (t) =>
      s3In(PRIMARY_REGION)
        .send(new PutPublicAccessBlockCommand({ Bucket: t.backupBucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: true } }))
        .then(() => undefined),
    found: /public access block off for BlockPublicPolicy/,
    fix: /put-public-access-block .*BlockPublicPolicy=true/,
  },
  { id: 'backup.abort-incomplete-uploads', breakIt: (t) => s3In(PRIMARY_REGION).send(new DeleteBucketLifecycleCommand({ Bucket: t.backupBucket })).then(() => undefined), found: /no lifecycle rule aborts incomplete multipart uploads under 'database\/'/, fix: /"AbortIncompleteMultipartUpload":\{"DaysAfterInitiation":7\}/ },
  {
    id: 'backup.versioning',
    // Object Lock buckets cannot suspend versioning: a team that asks for versioning alone.
    options: { objectLock: false },
    breakIt: (t) => setVersioning(t.backupBucket, PRIMARY_REGION, 'Suspended'),
    settings: (t) => ({ backup: { ...(auditSettingsFor(t).backup as NonNullable<AuditSettings['backup']>), versioning: true, objectLock: false } }),
    found: /versioning Suspended/,
    fix: /put-bucket-versioning --region us-east-1 --bucket saas-backups-/,
  },
  { id: 'backup.object-lock', options: { objectLock: false }, found: /Object Lock not enabled/, fix: /put-object-lock-configuration/ },
  { id: 'backup.cross-region-copy', breakIt: (t) => s3In(PRIMARY_REGION).send(new DeleteBucketReplicationCommand({ Bucket: t.backupBucket })).then(() => undefined), found: /nothing copies s3:\/\/saas-backups-\w+\/database\/ to us-west-2/, fix: /put-bucket-replication .*"Prefix":"database\/"/ },
  { id: 'backup.newest-backup', options: { backupAgeHours: 30 }, found: /finished 30 h 0 min ago \(at most 26 h 0 min\)/, fix: /gh workflow run backup\.yml/ },
  {
    id: 'dns.record',
    breakIt: (t) =>
      route53()
        .send(new ChangeResourceRecordSetsCommand({ HostedZoneId: t.zoneId, ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: { Name: t.recordName, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: t.primaryAddress }] } }] } }))
        .then(() => undefined),
    found: /no CNAME, A or AAAA record db\./,
    fix: /change-resource-record-sets --hosted-zone-id \w+ --change-batch '.*"Action":"UPSERT"/,
  },
  { id: 'dns.ttl', breakIt: (t) => upsertRecord(t.zoneId, { Name: t.recordName, Type: 'CNAME', TTL: 3600, ResourceRecords: [{ Value: t.primaryAddress }] }), found: /TTL 1 h 0 min \(at most 5 min 0 s/, fix: /"TTL":60/ },
  { id: 'dns.health-check', breakIt: (t) => route53().send(new DeleteHealthCheckCommand({ HealthCheckId: t.healthCheckId })).then(() => undefined), found: /no enabled Route 53 health check/, fix: /create-health-check .*Type=TCP,FullyQualifiedDomainName=saas-production-/ },
  { id: 'cache.persistence', options: { cacheSnapshots: false }, found: /no automatic snapshots; Multi-AZ disabled/, fix: /modify-replication-group --region us-east-1 --replication-group-id saas-cache-\w+ --snapshot-retention-limit 7/ },
];

describe('dr-audit against the plan’s topology on moto', () => {
  test('set up as the plan says, every check passes, and the report says so', async () => {
    const t = await createAuditTopology();
    const result = await audit(t);
    const { checks } = result.report.details;
    expect(checks.map((c) => c.id)).toEqual(ALL_CHECKS.map((c) => c.id));
    expect(checks.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.found}`)).toEqual([]);
    expect(result).toMatchObject({ passed: true, findingsCount: 0, failedCount: 0 });
    const written = JSON.parse(await readFile(result.reportPath, 'utf8')) as AuditReport;
    expect(written).toMatchObject({ version: 1, kind: 'dr-audit', passed: true, reasons: [], checklist: [{ key: 'prerequisites', item: 'Plan prerequisites in place', status: 'passed' }] });
    expect(written.objectives.map((o) => [o.scenario, o.passed])).toEqual([
      ['database failure', true],
      ['regional outage', true],
    ]);
    for (const check of written.details.checks) expect(Object.keys(check).sort()).toEqual(['area', 'fix', 'found', 'id', 'plan', 'severity', 'status']);
  });

  test('every check has a breakage below, so each can fail', () => {
    expect(BREAKAGES.map((b) => b.id).sort()).toEqual(ALL_CHECKS.map((c) => c.id).sort());
  });

  test.each(BREAKAGES.map((b) => [b.id, b] as const))('%s: broken alone, it alone fails, with its fix', async (id, breakage) => {
    const t = await createAuditTopology(breakage.options);
    await breakage.breakIt?.(t);
    const result = await audit(t, breakage.settings?.(t));
    const failed = result.report.details.checks.filter((c) => c.status === 'failed');
    expect(failed.map((c) => c.id)).toEqual([id]);
    const [check] = failed;
    expect(check?.found).toMatch(breakage.found);
    expect(check?.fix).toMatch(breakage.fix);
    expect(result.findingsCount).toBe(1);
    expect(result.passed).toBe(check?.severity !== 'high');
  });
});
