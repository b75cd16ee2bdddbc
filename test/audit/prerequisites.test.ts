/**
 * dr-audit against moto_server: the plan's topology set up as the plan says passes every check;
 * then each setting is broken alone, in each way the AWS API allows (filters, disabled rules, other
 * prefixes, other regions and accounts, suspended states), and exactly its check fails, with its fix.
 *
 * Where moto lacks a piece, the test stack supplies it (harness/audit-topology.ts and
 * moto_launcher.py): ReplicaLag data points (PutMetricData, as RDS publishes them), the
 * LatestRestorableTime (moto always answers "now"), object ReplicationStatus and the rule's
 * DeleteMarkerReplication and Filter as they were put (moto drops them).
 */
import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  DeleteBucketEncryptionCommand,
  DeleteBucketLifecycleCommand,
  DeleteBucketReplicationCommand,
  DeleteObjectCommand,
  DeletePublicAccessBlockCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  PutPublicAccessBlockCommand,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import {
  CopyDBSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  StartDBInstanceAutomatedBackupsReplicationCommand,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  DeleteHealthCheckCommand,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import type { AuditReport } from '../../src/audit/audit-report.js';
import { ALL_CHECKS } from '../../src/audit/catalog.js';
import type { AuditSettings } from '../../src/audit/settings.js';
import { runAudit } from '../../src/audit/run-audit.js';
import { silentLogger } from '../../src/util/logger.js';
import { describe as describeInstance, rdsIn, route53, upsertRecord } from '../../harness/aws-topology.js';
import { createRegionalBucket, setReplicationDelay, setWrittenAt } from '../../harness/second-region.js';
import { manifestFor } from '../../harness/manifest.js';
import { CREATED_BY_METADATA } from '../../src/storage/backup-store.js';
import { backupKey, manifestKeyFor } from '../../src/storage/keys.js';
import {
  auditSettingsFor,
  createAuditTopology,
  createInstanceNamed,
  createReplicaOf,
  KEEP_VERSIONS_90_DAYS,
  mediaRule,
  putBackupReplication,
  putCompleteBackup,
  putLifecycle,
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

const audit = (t: AuditTopology, overrides: Partial<AuditSettings> = {}, now?: () => Date) =>
  runAudit({
    ...auditSettingsFor(t, overrides),
    run: { workflow: 'test' },
    log: silentLogger,
    ...(now ? { now } : {}),
  });

const waitUntilPromoted = (id: string) =>
  waitUntil(
    `${id} is promoted`,
    async () => !(await describeInstance(id, SECONDARY_REGION)).ReadReplicaSourceDBInstanceIdentifier,
    { intervalMs: 200 },
  );

interface Breakage {
  id: string;
  /** How the setting is broken: one of the ways the AWS API allows. */
  how: string;
  /** How the topology is built differently from the plan (for settings AWS cannot change afterwards). */
  options?: Partial<TopologyOptions>;
  breakIt?: (t: AuditTopology) => Promise<void>;
  settings?: (t: AuditTopology) => Partial<AuditSettings>;
  /** Minutes after now that the audit runs at, for findings that only time makes. */
  laterMinutes?: number;
  found: RegExp;
  fix: RegExp;
}

const modifyPrimary = (t: AuditTopology, change: Record<string, unknown>) =>
  rdsIn(PRIMARY_REGION).send(
    new ModifyDBInstanceCommand({ DBInstanceIdentifier: t.primaryId, ApplyImmediately: true, ...change }),
  );
const primaryS3 = () => s3In(PRIMARY_REGION);
const deleteCopySnapshot = (t: AuditTopology) =>
  rdsIn(SECONDARY_REGION)
    .send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: t.copySnapshotId }))
    .then(() => undefined);
const settingsOf = (t: AuditTopology) => auditSettingsFor(t);
const withMedia = (t: AuditTopology, media: Partial<NonNullable<AuditSettings['media']>>) => ({
  media: { ...(settingsOf(t).media as NonNullable<AuditSettings['media']>), ...media },
});
const withBackup = (t: AuditTopology, backup: Partial<NonNullable<AuditSettings['backup']>>) => ({
  backup: { ...(settingsOf(t).backup as NonNullable<AuditSettings['backup']>), ...backup },
});
const withDatabase = (t: AuditTopology, database: Partial<NonNullable<AuditSettings['database']>>) => ({
  database: { ...(settingsOf(t).database as NonNullable<AuditSettings['database']>), ...database },
});
const OTHER_REGION = 'us-east-2';
const OTHER_ACCOUNT = '111111111111';
const SHORT = (filter: LifecycleRule['Filter']): LifecycleRule => ({
  ID: 'short',
  Status: 'Enabled',
  Filter: filter,
  NoncurrentVersionExpiration: { NoncurrentDays: 30 },
});
const NARROW = (rule: Partial<LifecycleRule>): LifecycleRule => ({ ...KEEP_VERSIONS_90_DAYS, ...rule });
const NINETY_DAYS_FIX = /"NoncurrentVersionExpiration":\{"NoncurrentDays":90\}/;
const REPLICA_FIX =
  /create-db-instance-read-replica --region us-west-2 --db-instance-identifier saas-production-replica-\w+ --source-db-instance-identifier arn:aws:rds:us-east-1:123456789012:db:saas-production-\w+$/;
const lookAlikeReplica = (t: AuditTopology) => `${t.replicaId}-x`;

async function backupObjectKeys(t: AuditTopology): Promise<string[]> {
  const listed = await primaryS3().send(new ListObjectsV2Command({ Bucket: t.backupBucket, Prefix: t.backupPrefix }));
  return (listed.Contents ?? []).map((o) => o.Key as string);
}

const HOUR = 3_600_000;
const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR);
/** The key of a backup started `hours` ago. */
const backupStartedAgo = (t: AuditTopology, hours: number) => backupKey(t.backupPrefix, hoursAgo(hours), 'custom');

/** Objects a backup run of dr-actions left (marked as its own), last written `hours` ago. */
async function leftBehind(t: AuditTopology, keys: string[], hours: number, body = 'PGDMP!'): Promise<void> {
  for (const key of keys) {
    await primaryS3().send(
      new PutObjectCommand({ Bucket: t.backupBucket, Key: key, Body: body, Metadata: CREATED_BY_METADATA }),
    );
    await setWrittenAt(t.backupBucket, key, hoursAgo(hours));
  }
}

/** The topology's one complete backup. */
async function completeBackupKey(t: AuditTopology): Promise<string> {
  return (await backupObjectKeys(t)).find((key) => key.endsWith('.dump')) as string;
}

/** The complete backup's manifest (its object is 'PGDMP!') rewritten as a parallel backup's, naming data parts of 6 bytes. */
async function manifestNamingParts(t: AuditTopology, parts: number): Promise<string> {
  const key = await completeBackupKey(t);
  const manifest = {
    ...manifestFor(key, { finishedAt: hoursAgo(3) }, [], t.backupBucket),
    sizeBytes: 6,
    sha256: createHash('sha256').update('PGDMP!').digest('hex'),
    parts: Array.from({ length: parts }, (_, i) => ({
      key: `${key}.part-${i + 1}`,
      role: 'data',
      sizeBytes: 6,
      sha256: 'b'.repeat(64),
      tables: 1,
    })),
  };
  await primaryS3().send(
    new PutObjectCommand({ Bucket: t.backupBucket, Key: manifestKeyFor(key), Body: JSON.stringify(manifest) }),
  );
  return key;
}

/** A complete backup that finished `hours` ago, locked as backup locks it (until retention's daily window ends). */
async function lockedBackup(t: AuditTopology, hours: number, region = PRIMARY_REGION, bucket = t.backupBucket) {
  const key = backupStartedAgo(t, hours + 0.1);
  const client = s3In(region);
  await putCompleteBackup(client, bucket, key, hoursAgo(hours));
  const until = new Date(Date.now() + 30 * 24 * HOUR - hours * HOUR);
  for (const locked of [key, manifestKeyFor(key)])
    await client.send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: locked,
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: until },
      }),
    );
  return { key, until };
}

/** A plain delete of a backup's object and manifest, as `aws s3 rm` makes it: a delete marker over each. */
async function deleteBackup(key: string, bucket: string, region = PRIMARY_REGION): Promise<void> {
  for (const deleted of [key, manifestKeyFor(key)])
    await s3In(region).send(new DeleteObjectCommand({ Bucket: bucket, Key: deleted }));
}

const withCopy = (t: AuditTopology) => withBackup(t, { replicaBucket: t.backupReplicaBucket });
const copyS3 = () => s3In(SECONDARY_REGION);

const BACKUP_KEY = String.raw`database\/backup_\d{8}_\d{6}\.dump`;
const BACKUPS_AT = String.raw`s3:\/\/saas-backups-\w+\/database\/`;
const NEWEST_3H = String.raw`the newest complete backup, ${BACKUP_KEY}, finished 3 h 0 min ago: over the RPO of 1 h 0 min`;
const COPY_AT = String.raw`s3:\/\/saas-backups-replica-\w+\/database\/`;
const RETENTION = String.raw`retention \(daily=30,weekly=90,monthly=365, min-keep 7\)`;
const ISO = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;
const UNDELETE = (region: string, bucket: string) =>
  String.raw`aws s3api delete-object --region ${region} --bucket ${bucket} --key ${BACKUP_KEY} --version-id \S+ && aws s3api delete-object --region ${region} --bucket ${bucket} --key ${BACKUP_KEY}\.manifest\.json --version-id \S+  # deleting a delete marker brings its backup back`;

const BREAKAGES: Breakage[] = [
  {
    id: 'db.backup-retention',
    how: 'kept 3 days',
    breakIt: (t) => modifyPrimary(t, { BackupRetentionPeriod: 3 }).then(() => undefined),
    found: /kept 3 days \(the plan needs 7\)/,
    fix: /modify-db-instance --region us-east-1 --db-instance-identifier saas-production-\w+ --backup-retention-period 7/,
  },
  {
    id: 'db.backup-retention',
    how: 'automated backups off',
    breakIt: (t) => modifyPrimary(t, { BackupRetentionPeriod: 0 }).then(() => undefined),
    found: /automated backups are off \(retention 0 days\)/,
    fix: /--backup-retention-period 7/,
  },
  {
    id: 'db.latest-restorable-time',
    how: 'log backups stalled 3 h ago',
    breakIt: (t) => setLatestRestorableTime(PRIMARY_REGION, t.primaryId, new Date(Date.now() - 3 * 3_600_000)),
    found: /3 h 0 min ago \(RPO 1 h 0 min\)/,
    fix: /describe-events .*--source-identifier saas-production-/,
  },
  {
    id: 'db.cross-region-backups',
    how: 'no copy in the secondary region',
    breakIt: deleteCopySnapshot,
    found: /automated backups are not replicated, and us-west-2 holds no snapshot/,
    fix: /start-db-instance-automated-backups-replication --region us-west-2 --source-db-instance-arn arn:aws:rds:us-east-1:/,
  },
  {
    id: 'db.cross-region-backups',
    how: 'the only copy is of a same-named instance in another region',
    breakIt: async (t) => {
      await deleteCopySnapshot(t);
      await createInstanceNamed(t.primaryId, OTHER_REGION);
      const snapshot = await rdsIn(OTHER_REGION).send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: t.primaryId,
          DBSnapshotIdentifier: `${t.primaryId}-elsewhere`,
        }),
      );
      await rdsIn(SECONDARY_REGION).send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: snapshot.DBSnapshot?.DBSnapshotArn,
          TargetDBSnapshotIdentifier: `${t.primaryId}-elsewhere-copy`,
        }),
      );
    },
    found:
      /us-west-2 holds no snapshot of saas-production-\w+ \(1 snapshot there of a same-named instance elsewhere do not count\)/,
    fix: /start-db-instance-automated-backups-replication/,
  },
  {
    id: 'db.cross-region-backups',
    how: 'automated backups replicated to a third region, not the secondary',
    breakIt: async (t) => {
      await deleteCopySnapshot(t);
      await rdsIn(OTHER_REGION).send(
        new StartDBInstanceAutomatedBackupsReplicationCommand({
          SourceDBInstanceArn: t.primaryArn,
          BackupRetentionPeriod: 7,
        }),
      );
    },
    found: /automated backups replicated only to us-east-2, not us-west-2, and us-west-2 holds no snapshot/,
    fix: /start-db-instance-automated-backups-replication --region us-west-2/,
  },
  {
    id: 'db.replica',
    how: 'promoted',
    breakIt: async (t) => {
      await rdsIn(SECONDARY_REGION).send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: t.replicaId }));
      await waitUntilPromoted(t.replicaId);
    },
    found: /replicates from nothing/,
    fix: REPLICA_FIX,
  },
  {
    id: 'db.replica',
    how: 'a replica of a same-named instance in another region',
    breakIt: async (t) => createReplicaOf(await createInstanceNamed(t.primaryId, OTHER_REGION), lookAlikeReplica(t)),
    settings: (t) => withDatabase(t, { replicaId: lookAlikeReplica(t) }),
    found:
      /replicates from arn:aws:rds:us-east-2:123456789012:db:saas-production-\w+, an instance in region us-east-2, not us-east-1: not the primary arn:aws:rds:us-east-1:/,
    fix: /create-db-instance-read-replica --region us-west-2 --db-instance-identifier saas-production-replica-\w+-x --source-db-instance-identifier arn:aws:rds:us-east-1:/,
  },
  {
    id: 'db.replica',
    how: 'a replica of a same-named instance in the secondary region itself',
    breakIt: async (t) => {
      await createInstanceNamed(t.primaryId, SECONDARY_REGION);
      await createReplicaOf(t.primaryId, lookAlikeReplica(t));
    },
    settings: (t) => withDatabase(t, { replicaId: lookAlikeReplica(t) }),
    found:
      /replicates from instance 'saas-production-\w+' of its own region us-west-2, not from the primary arn:aws:rds:us-east-1:/,
    fix: /create-db-instance-read-replica --region us-west-2/,
  },
  {
    id: 'db.replica',
    how: 'a replica of a same-named instance in the same region of another account',
    breakIt: async (t) =>
      createReplicaOf(await createInstanceNamed(t.primaryId, PRIMARY_REGION, OTHER_ACCOUNT), lookAlikeReplica(t)),
    settings: (t) => withDatabase(t, { replicaId: lookAlikeReplica(t) }),
    found:
      /replicates from arn:aws:rds:us-east-1:111111111111:db:saas-production-\w+, an instance in account 111111111111, not 123456789012: not the primary/,
    fix: /create-db-instance-read-replica --region us-west-2/,
  },
  {
    id: 'db.replica-lag',
    how: 'lagging 83 minutes',
    breakIt: (t) => replicaLag(t.replicaId, 5_000),
    found: /ReplicaLag .*1 h 23 min \(RPO 1 h 0 min\)/,
    fix: /--metric-name ReplicaLag/,
  },
  {
    id: 'db.replica-lag',
    how: 'no data points for 15 minutes',
    laterMinutes: 30,
    found: /CloudWatch has no ReplicaLag data points .* replication may be stopped/,
    fix: /--metric-name ReplicaLag/,
  },
  {
    id: 'db.deletion-protection',
    how: 'off',
    breakIt: (t) => modifyPrimary(t, { DeletionProtection: false }).then(() => undefined),
    found: /deletion protection off/,
    fix: /modify-db-instance .* --deletion-protection --apply-immediately/,
  },
  {
    id: 'db.storage-encrypted',
    how: 'unencrypted',
    options: { encrypted: false },
    found: /storage not encrypted/,
    fix: /create-db-snapshot .*copy-db-snapshot --kms-key-id/,
  },
  {
    id: 'media.versioning',
    how: 'suspended',
    breakIt: (t) => setVersioning(t.mediaBucket, PRIMARY_REGION, 'Suspended'),
    found: /versioning Suspended/,
    fix: /put-bucket-versioning --region us-east-1 --bucket saas-media-\w+ --versioning-configuration Status=Enabled/,
  },
  {
    id: 'media.replication',
    how: 'a prefix',
    breakIt: (t) => putMediaReplication(t, mediaRule(t.mediaReplicaBucket, { Filter: { Prefix: 'avatars/' } })),
    found: /prefix 'avatars\/'.*the whole bucket not replicated/,
    fix: /put-bucket-replication .*"Filter":\{\}/,
  },
  {
    id: 'media.replication',
    how: 'the rule disabled',
    breakIt: (t) => putMediaReplication(t, mediaRule(t.mediaReplicaBucket, { Status: 'Disabled' })),
    found: /rule media-to-secondary Disabled for the whole bucket: the whole bucket not replicated/,
    fix: /put-bucket-replication/,
  },
  {
    id: 'media.replication',
    how: 'a tag filter',
    breakIt: (t) =>
      putMediaReplication(t, mediaRule(t.mediaReplicaBucket, { Filter: { Tag: { Key: 'replicate', Value: 'yes' } } })),
    found: /for only objects tagged replicate=yes: the whole bucket not replicated/,
    fix: /put-bucket-replication/,
  },
  {
    id: 'media.replication',
    how: 'an And of the empty prefix and a tag',
    breakIt: (t) =>
      putMediaReplication(
        t,
        mediaRule(t.mediaReplicaBucket, {
          Filter: { And: { Prefix: '', Tags: [{ Key: 'replicate', Value: 'yes' }] } },
        }),
      ),
    found: /for only objects tagged replicate=yes: the whole bucket not replicated/,
    fix: /put-bucket-replication/,
  },
  {
    id: 'media.replication',
    how: 'another of the team’s prefixes',
    breakIt: (t) => putMediaReplication(t, mediaRule(t.mediaReplicaBucket, { Filter: { Prefix: 'avatars/' } })),
    settings: (t) => withMedia(t, { prefixes: ['avatars/', 'uploads/'] }),
    found: /for only prefix 'avatars\/': 'uploads\/' not replicated/,
    fix: /put-bucket-replication/,
  },
  {
    id: 'media.delete-marker-replication',
    how: 'disabled, the team chose enabled',
    breakIt: (t) =>
      putMediaReplication(t, mediaRule(t.mediaReplicaBucket, { DeleteMarkerReplication: { Status: 'Disabled' } })),
    found: /delete marker replication Disabled \(the team chose Enabled\)/,
    fix: /"DeleteMarkerReplication":\{"Status":"Enabled"\}/,
  },
  {
    id: 'media.delete-marker-replication',
    how: 'enabled, the team chose disabled',
    settings: (t) => withMedia(t, { deleteMarkers: 'disabled' }),
    found: /delete marker replication Enabled \(the team chose Disabled\)/,
    fix: /"DeleteMarkerReplication":\{"Status":"Disabled"\}/,
  },
  {
    id: 'media.replication-time',
    how: 'neither configured',
    breakIt: (t) =>
      putMediaReplication(
        t,
        mediaRule(t.mediaReplicaBucket, { Destination: { Bucket: `arn:aws:s3:::${t.mediaReplicaBucket}` } }),
      ),
    found: /neither Replication Time Control nor replication metrics/,
    fix: /"ReplicationTime":\{"Status":"Enabled"/,
  },
  {
    id: 'media.replication-time',
    how: 'both present but disabled',
    breakIt: (t) =>
      putMediaReplication(
        t,
        mediaRule(t.mediaReplicaBucket, {
          Destination: {
            Bucket: `arn:aws:s3:::${t.mediaReplicaBucket}`,
            ReplicationTime: { Status: 'Disabled', Time: { Minutes: 15 } },
            Metrics: { Status: 'Disabled' },
          },
        }),
      ),
    found: /neither Replication Time Control nor replication metrics/,
    fix: /"ReplicationTime":\{"Status":"Enabled"/,
  },
  {
    id: 'media.replica-bucket',
    how: 'its versioning suspended',
    breakIt: (t) => setVersioning(t.mediaReplicaBucket, SECONDARY_REGION, 'Suspended'),
    found: /is in us-west-2, versioning Suspended/,
    fix: /put-bucket-versioning --region us-west-2 --bucket saas-media-replica-/,
  },
  {
    id: 'media.replica-bucket',
    how: 'in another region than the secondary',
    breakIt: async (t) => {
      const elsewhere = await createRegionalBucket(OTHER_REGION, { prefix: 'saas-media-replica', versioned: true });
      await putMediaReplication(t, mediaRule(elsewhere));
      t.mediaReplicaBucket = elsewhere;
    },
    settings: (t) => withMedia(t, { replicaBucket: t.mediaReplicaBucket }),
    found: /is in us-east-2 \(not the secondary region us-west-2\), versioning Enabled/,
    fix: /create-bucket --region us-west-2 --bucket saas-media-replica-\w+-us-west-2 .*put-bucket-versioning --region us-west-2 .*point the replication rule at it/,
  },
  {
    id: 'media.replica-bucket',
    how: 'missing',
    breakIt: async (t) => {
      t.mediaReplicaBucket = `${t.mediaReplicaBucket}-gone`;
      await putMediaReplication(t, mediaRule(t.mediaReplicaBucket));
    },
    settings: (t) => withMedia(t, { replicaBucket: t.mediaReplicaBucket }),
    found: /saas-media-replica-\w+-gone does not exist/,
    fix: /create-bucket --region us-west-2 --bucket saas-media-replica-\w+-gone/,
  },
  {
    id: 'media.noncurrent-version-retention',
    how: 'deleted after 30 days',
    breakIt: (t) => putLifecycle(t.mediaBucket, [SHORT({})]),
    found: /deleted sooner than 90 days, .*: rule short: 30 days for the whole bucket/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.noncurrent-version-retention',
    how: 'deleted after 30 days for tagged objects, beside the 90-day rule',
    breakIt: (t) =>
      putLifecycle(t.mediaBucket, [KEEP_VERSIONS_90_DAYS, SHORT({ Tag: { Key: 'tier', Value: 'scratch' } })]),
    found: /rule short: 30 days for only objects tagged tier=scratch$/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.noncurrent-version-retention',
    how: 'deleted after 30 days for large objects, beside the 90-day rule',
    breakIt: (t) => putLifecycle(t.mediaBucket, [KEEP_VERSIONS_90_DAYS, SHORT({ ObjectSizeGreaterThan: 1_048_576 })]),
    found: /rule short: 30 days for only objects larger than 1048576 bytes$/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.noncurrent-version-retention',
    how: 'deleted after 30 days for small objects under a prefix (And), beside the 90-day rule',
    breakIt: (t) =>
      putLifecycle(t.mediaBucket, [
        KEEP_VERSIONS_90_DAYS,
        SHORT({ And: { Prefix: 'thumbnails/', ObjectSizeLessThan: 65_536 } }),
      ]),
    found: /rule short: 30 days for only prefix 'thumbnails\/', objects smaller than 65536 bytes$/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.noncurrent-version-expiration',
    how: 'no rule',
    breakIt: (t) =>
      primaryS3()
        .send(new DeleteBucketLifecycleCommand({ Bucket: t.mediaBucket }))
        .then(() => undefined),
    found: /no lifecycle rule expires old versions: they are kept \(and paid for\) forever/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.noncurrent-version-expiration',
    how: 'narrowed to objects larger than 128 KiB',
    breakIt: (t) => putLifecycle(t.mediaBucket, [NARROW({ Filter: { ObjectSizeGreaterThan: 131_072 } })]),
    found:
      /old versions in the whole bucket expire only where an enabled rule covers them, the rest are kept \(and paid for\) forever: rule keep-versions-90-days: 90 days for only objects larger than 131072 bytes$/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.noncurrent-version-expiration',
    how: 'narrowed to objects smaller than 128 KiB',
    breakIt: (t) => putLifecycle(t.mediaBucket, [NARROW({ Filter: { ObjectSizeLessThan: 131_072 } })]),
    found: /forever: rule keep-versions-90-days: 90 days for only objects smaller than 131072 bytes$/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.noncurrent-version-expiration',
    how: 'narrowed by a tag',
    breakIt: (t) => putLifecycle(t.mediaBucket, [NARROW({ Filter: { Tag: { Key: 'expire', Value: 'yes' } } })]),
    found: /forever: rule keep-versions-90-days: 90 days for only objects tagged expire=yes$/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.noncurrent-version-expiration',
    how: 'an And of the empty prefix and a size',
    breakIt: (t) =>
      putLifecycle(t.mediaBucket, [NARROW({ Filter: { And: { Prefix: '', ObjectSizeGreaterThan: 1 } } })]),
    found: /forever: rule keep-versions-90-days: 90 days for only objects larger than 1 bytes$/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.noncurrent-version-expiration',
    how: 'a prefix',
    breakIt: (t) => putLifecycle(t.mediaBucket, [NARROW({ Filter: { Prefix: 'uploads/' } })]),
    found: /forever: rule keep-versions-90-days: 90 days for only prefix 'uploads\/'$/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.noncurrent-version-expiration',
    how: 'the legacy top-level prefix',
    breakIt: (t) =>
      putLifecycle(t.mediaBucket, [
        { ID: 'legacy', Status: 'Enabled', Prefix: 'uploads/', NoncurrentVersionExpiration: { NoncurrentDays: 90 } },
      ]),
    found: /forever: rule legacy: 90 days for only prefix 'uploads\/'$/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.noncurrent-version-expiration',
    how: 'the rule disabled',
    breakIt: (t) => putLifecycle(t.mediaBucket, [NARROW({ Status: 'Disabled' })]),
    found: /forever: rule keep-versions-90-days: 90 days for the whole bucket \(Disabled: it does nothing\)$/,
    fix: NINETY_DAYS_FIX,
  },
  {
    id: 'media.replication-status',
    how: 'an object failed to replicate',
    // An object written while the destination could not take it stays FAILED after the destination is fixed, as in S3.
    breakIt: async (t) => {
      await setVersioning(t.mediaReplicaBucket, SECONDARY_REGION, 'Suspended');
      await primaryS3().send(new PutObjectCommand({ Bucket: t.mediaBucket, Key: 'uploads/lost.jpg', Body: 'x' }));
      await setVersioning(t.mediaReplicaBucket, SECONDARY_REGION, 'Enabled');
    },
    found: /3 COMPLETED, 0 PENDING, 1 FAILED; e\.g\. 'uploads\/lost\.jpg' FAILED/,
    fix: /copy-object --region us-east-1 --bucket saas-media-\w+ --key 'uploads\/lost\.jpg'/,
  },
  {
    id: 'media.replication-status',
    how: 'replication pending for 20 minutes',
    // The stack holds every object of the bucket PENDING from now on, as a rule whose role cannot write the destination does.
    laterMinutes: 20,
    breakIt: async (t) => {
      await setReplicationDelay(t.mediaBucket, null);
      await primaryS3().send(new PutObjectCommand({ Bucket: t.mediaBucket, Key: 'uploads/stuck.jpg', Body: 'x' }));
      await replicaLag(t.replicaId, 4, new Date(Date.now() + 20 * 60_000));
    },
    found: /newest 4 objects \(of up to 20\): 0 COMPLETED, 4 PENDING, 0 FAILED; e\.g\. '[^']+' PENDING/,
    fix: /copy-object --region us-east-1 --bucket saas-media-\w+ --key/,
  },
  {
    id: 'media.replication-status',
    how: 'an object written while no rule covered it',
    breakIt: async (t) => {
      await primaryS3().send(new DeleteBucketReplicationCommand({ Bucket: t.mediaBucket }));
      await primaryS3().send(
        new PutObjectCommand({ Bucket: t.mediaBucket, Key: 'uploads/unreplicated.jpg', Body: 'x' }),
      );
      await putMediaReplication(t, mediaRule(t.mediaReplicaBucket));
    },
    found:
      /3 COMPLETED, 0 PENDING, 0 FAILED, 1 with no replication status; e\.g\. 'uploads\/unreplicated\.jpg' not replicated/,
    fix: /copy-object .*--key 'uploads\/unreplicated\.jpg'/,
  },
  {
    id: 'backup.encryption',
    how: 'no default encryption',
    breakIt: (t) =>
      primaryS3()
        .send(new DeleteBucketEncryptionCommand({ Bucket: t.backupBucket }))
        .then(() => undefined),
    found: /no default encryption/,
    fix: /put-bucket-encryption/,
  },
  {
    id: 'backup.public-access-block',
    how: 'one block off',
    breakIt: (t) =>
      primaryS3()
        .send(
          new PutPublicAccessBlockCommand({
            Bucket: t.backupBucket,
            PublicAccessBlockConfiguration: {
              BlockPublicAcls: true,
              IgnorePublicAcls: true,
              BlockPublicPolicy: false,
              RestrictPublicBuckets: true,
            },
          }),
        )
        .then(() => undefined),
    found: /public access block off for BlockPublicPolicy/,
    fix: /put-public-access-block .*BlockPublicPolicy=true/,
  },
  {
    id: 'backup.public-access-block',
    how: 'removed',
    breakIt: (t) =>
      primaryS3()
        .send(new DeletePublicAccessBlockCommand({ Bucket: t.backupBucket }))
        .then(() => undefined),
    found: /no public access block on the bucket/,
    fix: /put-public-access-block/,
  },
  {
    id: 'backup.abort-incomplete-uploads',
    how: 'no rule',
    breakIt: (t) =>
      primaryS3()
        .send(new DeleteBucketLifecycleCommand({ Bucket: t.backupBucket }))
        .then(() => undefined),
    found: /no lifecycle rule aborts incomplete multipart uploads under 'database\/'/,
    fix: /"AbortIncompleteMultipartUpload":\{"DaysAfterInitiation":7\}/,
  },
  {
    id: 'backup.abort-incomplete-uploads',
    how: 'the rule disabled',
    breakIt: (t) =>
      putLifecycle(t.backupBucket, [
        {
          ID: 'abort-incomplete-uploads',
          Status: 'Disabled',
          Filter: { Prefix: 'database/' },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ]),
    found: /no lifecycle rule aborts incomplete multipart uploads under 'database\/'/,
    fix: /AbortIncompleteMultipartUpload/,
  },
  {
    id: 'backup.abort-incomplete-uploads',
    how: 'a rule for another prefix',
    breakIt: (t) =>
      putLifecycle(t.backupBucket, [
        {
          ID: 'abort-incomplete-uploads',
          Status: 'Enabled',
          Filter: { Prefix: 'logs/' },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ]),
    found: /no lifecycle rule aborts incomplete multipart uploads under 'database\/'/,
    fix: /AbortIncompleteMultipartUpload/,
  },
  {
    id: 'backup.versioning',
    how: 'suspended',
    // Object Lock buckets cannot suspend versioning: a team that asks for versioning alone.
    options: { objectLock: false },
    breakIt: (t) => setVersioning(t.backupBucket, PRIMARY_REGION, 'Suspended'),
    settings: (t) => withBackup(t, { versioning: true, objectLock: false }),
    found: /versioning Suspended/,
    fix: /put-bucket-versioning --region us-east-1 --bucket saas-backups-/,
  },
  {
    id: 'backup.object-lock',
    how: 'not enabled',
    options: { objectLock: false },
    found: /Object Lock not enabled/,
    fix: /put-object-lock-configuration/,
  },
  {
    id: 'backup.object-lock',
    how: 'enabled on the backup bucket, not on the copy it replicates to in the secondary region',
    breakIt: async (t) => {
      t.backupReplicaBucket = await createRegionalBucket(SECONDARY_REGION, {
        prefix: 'saas-backups-unlocked',
        versioned: true,
      });
      await putBackupReplication(t);
    },
    found:
      /Object Lock enabled on saas-backups-\w+, not on its copies in saas-backups-unlocked-\w+ \(us-west-2\): a leaked key/,
    fix: /put-object-lock-configuration --region us-west-2 --bucket saas-backups-unlocked-\w+ /,
  },
  {
    id: 'backup.cross-region-copy',
    how: 'no replication',
    breakIt: (t) =>
      primaryS3()
        .send(new DeleteBucketReplicationCommand({ Bucket: t.backupBucket }))
        .then(() => undefined),
    found: /nothing copies s3:\/\/saas-backups-\w+\/database\/ to us-west-2/,
    fix: /put-bucket-replication .*"Prefix":"database\/"/,
  },
  {
    id: 'backup.cross-region-copy',
    how: 'the rule disabled',
    breakIt: (t) => putBackupReplication(t, { Status: 'Disabled' }),
    found: /nothing copies s3:\/\/saas-backups-\w+\/database\/ to us-west-2/,
    fix: /put-bucket-replication/,
  },
  {
    id: 'backup.cross-region-copy',
    how: 'a rule for another prefix',
    breakIt: (t) => putBackupReplication(t, { Filter: { Prefix: 'logs/' } }),
    found: /nothing copies s3:\/\/saas-backups-\w+\/database\/ to us-west-2/,
    fix: /put-bucket-replication/,
  },
  {
    id: 'backup.cross-region-copy',
    how: 'a tag filter',
    breakIt: (t) =>
      putBackupReplication(t, { Filter: { And: { Prefix: 'database/', Tags: [{ Key: 'copy', Value: 'yes' }] } } }),
    found: /nothing copies s3:\/\/saas-backups-\w+\/database\/ to us-west-2/,
    fix: /put-bucket-replication/,
  },
  {
    id: 'backup.cross-region-copy',
    how: 'replicated to a bucket in the primary region',
    breakIt: async (t) =>
      putBackupReplication(t, {
        Destination: {
          Bucket: `arn:aws:s3:::${await createRegionalBucket(PRIMARY_REGION, { prefix: 'saas-backups-same-region', versioned: true })}`,
        },
      }),
    found: /replicates only to saas-backups-same-region-\w+ \(us-east-1\), not to us-west-2/,
    fix: /put-bucket-replication/,
  },
  {
    id: 'backup.cross-region-copy',
    how: 'copied by the backup to a bucket in another region',
    breakIt: async (t) => {
      await primaryS3().send(new DeleteBucketReplicationCommand({ Bucket: t.backupBucket }));
      t.backupReplicaBucket = await createRegionalBucket(OTHER_REGION, {
        prefix: 'saas-backups-copy',
        versioned: true,
        objectLock: true,
      });
    },
    settings: (t) => withBackup(t, { replicaBucket: t.backupReplicaBucket }),
    found: /saas-backups-copy-\w+ is in us-east-2, not us-west-2/,
    fix: /put-bucket-replication/,
  },
  {
    id: 'backup.cross-region-copy',
    how: 'copied by the backup to a bucket in the secondary region that holds no backup',
    breakIt: async (t) => {
      await primaryS3().send(new DeleteBucketReplicationCommand({ Bucket: t.backupBucket }));
      t.backupReplicaBucket = await createRegionalBucket(SECONDARY_REGION, {
        prefix: 'saas-backups-copy',
        versioned: true,
        objectLock: true,
      });
    },
    settings: (t) => withBackup(t, { replicaBucket: t.backupReplicaBucket }),
    found: /no complete backup \(with a valid manifest\) in s3:\/\/saas-backups-copy-\w+\/database\//,
    fix: /put-bucket-replication/,
  },
  {
    id: 'backup.newest-backup',
    how: '30 hours old',
    options: { backupAgeHours: 30 },
    found: /finished 30 h 0 min ago \(at most 26 h 0 min\)/,
    fix: /gh workflow run backup\.yml/,
  },
  {
    id: 'backup.newest-backup',
    // Deleted by version: a plain delete only hides it behind a delete marker (backup.deleted-backups).
    how: 'its manifest deleted for good',
    breakIt: async (t) => {
      for (const key of (await backupObjectKeys(t)).filter((k) => k.endsWith('.manifest.json'))) {
        const { VersionId } = await primaryS3().send(new HeadObjectCommand({ Bucket: t.backupBucket, Key: key }));
        await primaryS3().send(new DeleteObjectCommand({ Bucket: t.backupBucket, Key: key, VersionId }));
      }
    },
    found: /no complete backup \(with a valid manifest\) in s3:\/\/saas-backups-\w+\/database\//,
    fix: /gh workflow run backup\.yml/,
  },
  {
    id: 'backup.newest-backup',
    how: 'its manifest not valid',
    breakIt: async (t) => {
      for (const key of (await backupObjectKeys(t)).filter((k) => k.endsWith('.manifest.json')))
        await primaryS3().send(new PutObjectCommand({ Bucket: t.backupBucket, Key: key, Body: '{"version":1' }));
    },
    found: /no complete backup \(with a valid manifest\)/,
    fix: /gh workflow run backup\.yml/,
  },
  {
    id: 'backup.incomplete-backups',
    how: 'a run killed 30 hours ago: its object without a manifest',
    breakIt: (t) => leftBehind(t, [backupStartedAgo(t, 30)], 30),
    found: new RegExp(
      `^1 incomplete backup older than 24 h in ${BACKUPS_AT} \\(6 B\\): ${BACKUP_KEY} \\(incomplete \\(no manifest\\), 30 h 0 min old, 6 B\\); ${NEWEST_3H}$`,
    ),
    fix: new RegExp(
      `^gh workflow run backup\\.yml .* aws s3 rm --region us-east-1 ${BACKUPS_AT}backup_\\d{8}_\\d{6}\\.dump$`,
    ),
  },
  {
    id: 'backup.incomplete-backups',
    how: 'the two .part-n objects of a parallel run, 26 hours old, without their object',
    breakIt: (t) => {
      const key = backupStartedAgo(t, 26);
      return leftBehind(t, [`${key}.part-1`, `${key}.part-2`], 26, 'PGDMP');
    },
    found: new RegExp(
      `^1 incomplete backup older than 24 h in ${BACKUPS_AT} \\(10 B\\): ${BACKUP_KEY} \\(incomplete: 2 data parts whose backup object \\(the schema\\) is not there, 26 h 0 min old, 10 B\\); ${NEWEST_3H}$`,
    ),
    fix: /aws s3 rm --region us-east-1 s3:\/\/saas-backups-\w+\/database\/backup_\d{8}_\d{6}\.dump\.part-1 && aws s3 rm --region us-east-1 s3:\/\/saas-backups-\w+\/database\/backup_\d{8}_\d{6}\.dump\.part-2$/,
  },
  {
    id: 'backup.incomplete-backups',
    how: 'a manifest, 25 hours old, whose object is missing',
    breakIt: async (t) => {
      const key = backupStartedAgo(t, 25);
      const manifest = JSON.stringify(manifestFor(key, { finishedAt: hoursAgo(25) }, [], t.backupBucket));
      await primaryS3().send(
        new PutObjectCommand({ Bucket: t.backupBucket, Key: manifestKeyFor(key), Body: manifest }),
      );
      await setWrittenAt(t.backupBucket, manifestKeyFor(key), hoursAgo(25));
    },
    found: new RegExp(
      `^1 incomplete backup older than 24 h in ${BACKUPS_AT} \\(\\d+ B\\): ${BACKUP_KEY}\\.manifest\\.json \\(manifest without its backup object, 25 h 0 min old, \\d+ B\\); ${NEWEST_3H}$`,
    ),
    fix: /aws s3 rm --region us-east-1 s3:\/\/saas-backups-\w+\/database\/backup_\d{8}_\d{6}\.dump\.manifest\.json$/,
  },
  {
    id: 'backup.incomplete-backups',
    how: 'the newest backup object, killed 24.5 hours ago, newer than the newest complete one (25 hours old)',
    options: { backupAgeHours: 25 },
    breakIt: (t) => leftBehind(t, [backupStartedAgo(t, 24.5)], 24.5),
    found: new RegExp(
      `\\(incomplete \\(no manifest\\), 24 h 30 min old, 6 B\\); ${BACKUP_KEY} looks like the newest backup but is incomplete, and the newest complete backup, ${BACKUP_KEY}, finished 25 h 0 min ago: over the RPO of 1 h 0 min$`,
    ),
    fix: /gh workflow run backup\.yml/,
  },
  {
    id: 'backup.manifest-matches-object',
    how: 'its object overwritten with other bytes',
    breakIt: async (t) => {
      const key = await completeBackupKey(t);
      await primaryS3().send(new PutObjectCommand({ Bucket: t.backupBucket, Key: key, Body: 'PGDMP!!!!' }));
    },
    found: new RegExp(
      `^1 backup in ${BACKUPS_AT} does not match its manifest: ${BACKUP_KEY} \\(the object is 9 bytes, the manifest says 6\\); the newest complete backup is one of them$`,
    ),
    fix: /^gh workflow run restore-verify\.yml -f backup=key -f key=database\/backup_\d{8}_\d{6}\.dump /,
  },
  {
    id: 'backup.manifest-matches-object',
    how: 'its sha256 tag not the SHA-256 its manifest records',
    breakIt: async (t) => {
      const key = await completeBackupKey(t);
      await primaryS3().send(
        new PutObjectTaggingCommand({
          Bucket: t.backupBucket,
          Key: key,
          Tagging: { TagSet: [{ Key: 'sha256', Value: 'f'.repeat(64) }] },
        }),
      );
    },
    found: new RegExp(
      `${BACKUP_KEY} \\(the object's sha256 tag ffffffffffff… is not the manifest's [0-9a-f]{12}…\\); the newest`,
    ),
    fix: /restore-verify\.yml/,
  },
  {
    id: 'backup.manifest-matches-object',
    how: 'a data part its manifest names missing',
    breakIt: async (t) => {
      const key = await manifestNamingParts(t, 2);
      await primaryS3().send(new PutObjectCommand({ Bucket: t.backupBucket, Key: `${key}.part-1`, Body: 'PGDMP!' }));
    },
    found: new RegExp(`${BACKUP_KEY} \\(${BACKUP_KEY}\\.part-2 is missing\\); the newest`),
    fix: /restore-verify\.yml/,
  },
  {
    id: 'backup.manifest-matches-object',
    how: 'a data part of another size than its manifest records',
    breakIt: async (t) => {
      const key = await manifestNamingParts(t, 1);
      await primaryS3().send(new PutObjectCommand({ Bucket: t.backupBucket, Key: `${key}.part-1`, Body: 'PGDMP' }));
    },
    found: new RegExp(`${BACKUP_KEY} \\(part-1 is 5 bytes, the manifest says 6\\); the newest`),
    fix: /restore-verify\.yml/,
  },
  {
    id: 'backup.incomplete-backups',
    how: 'in the copy bucket: a run killed 30 hours ago left its object without a manifest',
    settings: withCopy,
    breakIt: async (t) => {
      const key = backupStartedAgo(t, 30);
      await copyS3().send(
        new PutObjectCommand({
          Bucket: t.backupReplicaBucket,
          Key: key,
          Body: 'PGDMP!',
          Metadata: CREATED_BY_METADATA,
        }),
      );
      await setWrittenAt(t.backupReplicaBucket, key, hoursAgo(30));
    },
    found: new RegExp(
      `^no incomplete backup older than 24 h in ${BACKUPS_AT}; ${NEWEST_3H}\\. 1 incomplete backup older than 24 h in ${COPY_AT} \\(6 B\\): ${BACKUP_KEY} \\(incomplete \\(no manifest\\), 30 h 0 min old, 6 B\\); ${NEWEST_3H}$`,
    ),
    fix: new RegExp(`\\. By hand: aws s3 rm --region us-west-2 ${COPY_AT}backup_\\d{8}_\\d{6}\\.dump$`),
  },
  {
    id: 'backup.manifest-matches-object',
    how: 'in the copy bucket: its object overwritten with other bytes',
    settings: withCopy,
    breakIt: async (t) => {
      const key = await completeBackupKey(t);
      await copyS3().send(new PutObjectCommand({ Bucket: t.backupReplicaBucket, Key: key, Body: 'PGDMP!!!!' }));
    },
    found: new RegExp(
      `^1 complete backup in ${BACKUPS_AT}, each with the objects, sizes and sha256 tags its manifest records\\. 1 backup in ${COPY_AT} does not match its manifest: ${BACKUP_KEY} \\(the object is 9 bytes, the manifest says 6\\); the newest complete backup is one of them$`,
    ),
    fix: /^aws s3 cp --source-region us-east-1 --region us-west-2 s3:\/\/saas-backups-\w+\/(database\/backup_\d{8}_\d{6}\.dump) s3:\/\/saas-backups-replica-\w+\/\1 /,
  },
  {
    id: 'backup.deleted-backups',
    how: 'a locked backup of 2 days ago deleted with a plain delete (delete markers over its object and manifest)',
    breakIt: async (t) => deleteBackup((await lockedBackup(t, 48)).key, t.backupBucket),
    found: new RegExp(
      `^1 backup in ${BACKUPS_AT} hidden by a delete marker while ${RETENTION} would keep it, out of sight of restore-verify, recover-database and aws s3 ls: ${BACKUP_KEY} \\(deleted ${ISO}, [^;]+ ago; retention keeps it: daily \\(within 30 d\\), one of the newest 7 \\(min-keep\\)[^;]*; its data version \\(6 B\\) is still there, locked until ${ISO}\\)$`,
    ),
    fix: new RegExp(`^${UNDELETE('us-east-1', String.raw`saas-backups-\w+`)}`),
  },
  {
    id: 'backup.deleted-backups',
    how: 'in the copy bucket: its copy of the newest backup deleted with a plain delete',
    settings: withCopy,
    breakIt: async (t) => deleteBackup(await completeBackupKey(t), t.backupReplicaBucket, SECONDARY_REGION),
    found: new RegExp(
      `^no backup in ${BACKUPS_AT} hidden by a delete marker while ${RETENTION} would keep it\\. 1 backup in ${COPY_AT} hidden by a delete marker .*: ${BACKUP_KEY} \\(deleted ${ISO}, [^;]+ ago; retention keeps it: daily \\(within 30 d\\).*; its data version \\(6 B\\) is still there, not locked: it can be deleted for good\\)$`,
    ),
    fix: new RegExp(`^${UNDELETE('us-west-2', String.raw`saas-backups-replica-\w+`)}`),
  },
  {
    id: 'dns.record',
    how: 'deleted',
    breakIt: (t) =>
      route53()
        .send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: t.zoneId,
            ChangeBatch: {
              Changes: [
                {
                  Action: 'DELETE',
                  ResourceRecordSet: {
                    Name: t.recordName,
                    Type: 'CNAME',
                    TTL: 60,
                    ResourceRecords: [{ Value: t.primaryAddress }],
                  },
                },
              ],
            },
          }),
        )
        .then(() => undefined),
    found: /no CNAME, A or AAAA record db\./,
    fix: /change-resource-record-sets --hosted-zone-id \w+ --change-batch '.*"Action":"UPSERT"/,
  },
  {
    id: 'dns.record',
    how: 'only a TXT record of the name',
    breakIt: (t) =>
      route53()
        .send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: t.zoneId,
            ChangeBatch: {
              Changes: [
                {
                  Action: 'DELETE',
                  ResourceRecordSet: {
                    Name: t.recordName,
                    Type: 'CNAME',
                    TTL: 60,
                    ResourceRecords: [{ Value: t.primaryAddress }],
                  },
                },
                {
                  Action: 'CREATE',
                  ResourceRecordSet: {
                    Name: t.recordName,
                    Type: 'TXT',
                    TTL: 60,
                    ResourceRecords: [{ Value: '"primary"' }],
                  },
                },
              ],
            },
          }),
        )
        .then(() => undefined),
    found: /no CNAME, A or AAAA record db\./,
    fix: /"Action":"UPSERT"/,
  },
  {
    id: 'dns.record',
    how: 'in a zone that does not exist',
    settings: (t) => ({
      dns: { ...(settingsOf(t).dns as NonNullable<AuditSettings['dns']>), hostedZoneId: 'Z0NOSUCHZONE0' },
    }),
    found: /hosted zone Z0NOSUCHZONE0 does not exist/,
    fix: /change-resource-record-sets --hosted-zone-id Z0NOSUCHZONE0/,
  },
  {
    id: 'dns.ttl',
    how: 'an hour',
    breakIt: (t) =>
      upsertRecord(t.zoneId, {
        Name: t.recordName,
        Type: 'CNAME',
        TTL: 3600,
        ResourceRecords: [{ Value: t.primaryAddress }],
      }),
    found: /TTL 1 h 0 min \(at most 5 min 0 s/,
    fix: /"TTL":60/,
  },
  {
    id: 'dns.health-check',
    how: 'deleted',
    breakIt: (t) =>
      route53()
        .send(new DeleteHealthCheckCommand({ HealthCheckId: t.healthCheckId }))
        .then(() => undefined),
    found: /no enabled Route 53 health check/,
    fix: /create-health-check .*Type=TCP,FullyQualifiedDomainName=saas-production-/,
  },
  {
    id: 'dns.health-check',
    how: 'watching another name',
    breakIt: async (t) => {
      await route53().send(new DeleteHealthCheckCommand({ HealthCheckId: t.healthCheckId }));
      await route53().send(
        new CreateHealthCheckCommand({
          CallerReference: `other-${t.zoneId}`,
          HealthCheckConfig: {
            Type: 'TCP',
            FullyQualifiedDomainName: 'other.example.com',
            Port: 5432,
            RequestInterval: 30,
            FailureThreshold: 3,
          },
        }),
      );
    },
    found: /no enabled Route 53 health check is attached to db\..* or watches saas-production-/,
    fix: /create-health-check/,
  },
  {
    id: 'dns.health-check',
    how: 'disabled',
    breakIt: (t) =>
      route53()
        .send(new UpdateHealthCheckCommand({ HealthCheckId: t.healthCheckId, Disabled: true }))
        .then(() => undefined),
    found: /no enabled Route 53 health check/,
    fix: /create-health-check/,
  },
  {
    id: 'cache.persistence',
    how: 'no snapshots and no Multi-AZ',
    options: { cacheSnapshots: false },
    found: /no automatic snapshots; Multi-AZ disabled/,
    fix: /modify-replication-group --region us-east-1 --replication-group-id saas-cache-\w+ --snapshot-retention-limit 7/,
  },
  {
    id: 'cache.persistence',
    how: 'no such replication group',
    settings: () => ({ cache: { replicationGroupId: 'saas-cache-gone' } }),
    found: /no replication group saas-cache-gone in us-east-1/,
    fix: /modify-replication-group/,
  },
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
    expect(written).toMatchObject({
      version: 1,
      kind: 'dr-audit',
      passed: true,
      reasons: [],
      checklist: [{ key: 'prerequisites', item: 'Plan prerequisites in place', status: 'passed' }],
    });
    expect(written.objectives.map((o) => [o.scenario, o.passed])).toEqual([
      ['database failure', true],
      ['regional outage', true],
    ]);
    for (const check of written.details.checks)
      expect(Object.keys(check).sort()).toEqual(['area', 'fix', 'found', 'id', 'plan', 'severity', 'status']);
  });

  test('a backup still being written (2 h) and a 30-hour-old backup of the plan’s old script are not incomplete, and the passing finding says so', async () => {
    const t = await createAuditTopology();
    await leftBehind(t, [backupStartedAgo(t, 2)], 2);
    const legacy = backupStartedAgo(t, 30).replace(/\.dump$/, '.sql.gz');
    await primaryS3().send(new PutObjectCommand({ Bucket: t.backupBucket, Key: legacy, Body: 'gzip' }));
    await setWrittenAt(t.backupBucket, legacy, hoursAgo(30));
    const result = await audit(t);
    const check = (id: string) => result.report.details.checks.find((c) => c.id === id);
    expect(result.report.details.checks.filter((c) => c.status !== 'passed').map((c) => c.id)).toEqual([]);
    expect(check('backup.incomplete-backups')?.found).toMatch(
      new RegExp(
        `^no incomplete backup older than 24 h in ${BACKUPS_AT} \\(1 backup younger than 24 h: may still be in progress\\); ${NEWEST_3H}$`,
      ),
    );
    expect(check('backup.manifest-matches-object')?.found).toMatch(
      new RegExp(
        `^1 complete backup in ${BACKUPS_AT}, each with the objects, sizes and sha256 tags its manifest records$`,
      ),
    );
  });

  test('every check has a breakage below, so each can fail', () => {
    expect([...new Set(BREAKAGES.map((b) => b.id))].sort()).toEqual(ALL_CHECKS.map((c) => c.id).sort());
  });

  test.each(BREAKAGES.map((b) => [b.id, b.how, b] as const))(
    '%s, %s: broken alone, it alone fails, with its fix',
    async (id, _how, breakage) => {
      const t = await createAuditTopology(breakage.options);
      await breakage.breakIt?.(t);
      const later = (breakage.laterMinutes ?? 0) * 60_000;
      const result = await audit(t, breakage.settings?.(t), () => new Date(Date.now() + later));
      const failed = result.report.details.checks.filter((c) => c.status === 'failed');
      expect(failed.map((c) => c.id)).toEqual([id]);
      const [check] = failed;
      expect(check?.found).toMatch(breakage.found);
      expect(check?.fix).toMatch(breakage.fix);
      expect(result.findingsCount).toBe(1);
      expect(result.passed).toBe(check?.severity !== 'high');
    },
  );
});
