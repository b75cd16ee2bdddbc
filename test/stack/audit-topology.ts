/**
 * The plan's whole AWS topology on moto, set up as the plan says, for the dr-audit tests: the
 * database (PITR 7 days, deletion protection, encryption, a cross-region replica, a snapshot
 * copied to the other region), the media buckets (versioning, replication with delete markers and
 * Replication Time Control, 90 days of old versions, replicated objects), the backup bucket
 * (private, encrypted, Object Lock, replicated, a fresh complete backup), DNS (a CNAME with a
 * short TTL and a health check) and the Redis replication group (snapshots kept 7 days).
 *
 * Where moto lacks a piece, the stack supplies it, as AWS would have it:
 * - CloudWatch has no ReplicaLag data points in moto: `replicaLag` puts them (PutMetricData into
 *   AWS/RDS), as RDS publishes them each minute.
 * - LatestRestorableTime is always "now" in moto: `setLatestRestorableTime` sets it through the
 *   launcher (moto_launcher.py).
 * - Object ReplicationStatus and delete-marker replication: the launcher models them.
 */
import { randomBytes } from 'node:crypto';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateReplicationGroupCommand } from '@aws-sdk/client-elasticache';
import { CopyDBSnapshotCommand, CreateDBInstanceCommand, CreateDBInstanceReadReplicaCommand, CreateDBSnapshotCommand, type DBInstance } from '@aws-sdk/client-rds';
import { CreateHealthCheckCommand } from '@aws-sdk/client-route-53';
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type ReplicationRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createCloudWatchClient, createElastiCacheClient, createS3Client } from '../../src/aws/clients.js';
import type { AuditSettings } from '../../src/audit/settings.js';
import { backupKey, manifestKeyFor } from '../../src/storage/keys.js';
import type { BackupManifest } from '../../src/storage/manifest.js';
import { createZone, PRIMARY_REGION, rdsIn, route53, SECONDARY_REGION, upsertRecord } from './aws-topology.js';
import { stackFromEnv } from './index.js';

export { PRIMARY_REGION, SECONDARY_REGION };

export const s3In = (region: string): S3Client => createS3Client({ region, endpointUrl: stackFromEnv().awsEndpoint });
const REPLICATION_ROLE = 'arn:aws:iam::123456789012:role/s3-replication';
const HOUR = 3_600_000;

export interface AuditTopology {
  primaryId: string;
  primaryArn: string;
  primaryAddress: string;
  replicaId: string;
  copySnapshotId: string;
  mediaBucket: string;
  mediaReplicaBucket: string;
  backupBucket: string;
  backupReplicaBucket: string;
  backupPrefix: string;
  zoneId: string;
  recordName: string;
  healthCheckId: string;
  cacheGroupId: string;
}

/** Settings the plan's own topology is set up as; a test breaks one of them. */
export interface TopologyOptions {
  encrypted: boolean;
  objectLock: boolean;
  backupAgeHours: number;
  cacheSnapshots: boolean;
}

const PLAN_AS_WRITTEN: TopologyOptions = { encrypted: true, objectLock: true, backupAgeHours: 3, cacheSnapshots: true };

/** The media rule as the plan wants it: the whole bucket, delete markers too, Replication Time Control. */
export function mediaRule(replicaBucket: string, overrides: Partial<ReplicationRule> = {}): ReplicationRule {
  return {
    ID: 'media-to-secondary',
    Priority: 1,
    Status: 'Enabled',
    Filter: {},
    DeleteMarkerReplication: { Status: 'Enabled' },
    Destination: { Bucket: `arn:aws:s3:::${replicaBucket}`, ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } }, Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } } },
    ...overrides,
  };
}

export async function putMediaReplication(t: AuditTopology, rule: ReplicationRule): Promise<void> {
  await s3In(PRIMARY_REGION).send(new PutBucketReplicationCommand({ Bucket: t.mediaBucket, ReplicationConfiguration: { Role: REPLICATION_ROLE, Rules: [rule] } }));
}

export async function setVersioning(bucket: string, region: string, status: 'Enabled' | 'Suspended'): Promise<void> {
  await s3In(region).send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } }));
}

async function bucket(name: string, region: string, options: { versioned?: boolean; objectLock?: boolean } = {}): Promise<void> {
  const client = s3In(region);
  await client.send(new CreateBucketCommand({ Bucket: name, ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as 'us-west-2' } }), ...(options.objectLock ? { ObjectLockEnabledForBucket: true } : {}) }));
  if (options.versioned) await setVersioning(name, region, 'Enabled');
}

async function database(suffix: string, options: TopologyOptions) {
  const primaryId = `saas-production-${suffix}`;
  const replicaId = `saas-production-replica-${suffix}`;
  const created = await rdsIn(PRIMARY_REGION).send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: primaryId,
      Engine: 'postgres',
      EngineVersion: '15.8',
      DBInstanceClass: 'db.t3.micro',
      MasterUsername: 'app',
      MasterUserPassword: 'not-a-real-secret',
      AllocatedStorage: 20,
      BackupRetentionPeriod: 7,
      DeletionProtection: true,
      StorageEncrypted: options.encrypted,
    }),
  );
  const primary = created.DBInstance as DBInstance;
  await rdsIn(SECONDARY_REGION).send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: replicaId, SourceDBInstanceIdentifier: primary.DBInstanceArn, DBInstanceClass: 'db.t3.micro' }));
  // The plan's hourly snapshot, copied to the secondary region.
  const snapshot = await rdsIn(PRIMARY_REGION).send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: primaryId, DBSnapshotIdentifier: `${primaryId}-hourly` }));
  const copySnapshotId = `${primaryId}-hourly-copy`;
  await rdsIn(SECONDARY_REGION).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: snapshot.DBSnapshot?.DBSnapshotArn, TargetDBSnapshotIdentifier: copySnapshotId }));
  await replicaLag(replicaId, 4);
  return { primaryId, primaryArn: primary.DBInstanceArn as string, primaryAddress: primary.Endpoint?.Address as string, replicaId, copySnapshotId };
}

/** A ReplicaLag data point for the last full minute, as RDS publishes one each minute (moto has none of its own). */
export async function replicaLag(replicaId: string, seconds: number): Promise<void> {
  await createCloudWatchClient({ region: SECONDARY_REGION, endpointUrl: stackFromEnv().awsEndpoint }).send(
    new PutMetricDataCommand({ Namespace: 'AWS/RDS', MetricData: [{ MetricName: 'ReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: replicaId }], Value: seconds, Unit: 'Seconds', Timestamp: new Date(Date.now() - 60_000) }] }),
  );
}

/** RDS's LatestRestorableTime for the instance, through the launcher (moto always answers "now"). */
export async function setLatestRestorableTime(region: string, instance: string, time: Date): Promise<void> {
  const response = await fetch(`${stackFromEnv().awsEndpoint}/moto-api/dr-stack/rds/latest-restorable-time`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ region, instance, time: time.toISOString() }) });
  if (response.status !== 201) throw new Error(`the stack did not take the latest restorable time: HTTP ${response.status}`);
}

async function media(suffix: string) {
  const mediaBucket = `saas-media-${suffix}`;
  const mediaReplicaBucket = `saas-media-replica-${suffix}`;
  await bucket(mediaBucket, PRIMARY_REGION, { versioned: true });
  await bucket(mediaReplicaBucket, SECONDARY_REGION, { versioned: true });
  const client = s3In(PRIMARY_REGION);
  await client.send(new PutBucketReplicationCommand({ Bucket: mediaBucket, ReplicationConfiguration: { Role: REPLICATION_ROLE, Rules: [mediaRule(mediaReplicaBucket)] } }));
  await client.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: mediaBucket,
      LifecycleConfiguration: { Rules: [{ ID: 'keep-versions-90-days', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 90 } }] },
    }),
  );
  for (const key of ['avatars/1.png', 'avatars/2.png', 'uploads/report.pdf']) await client.send(new PutObjectCommand({ Bucket: mediaBucket, Key: key, Body: `media ${key}` }));
  return { mediaBucket, mediaReplicaBucket };
}

export function manifestFor(bucketName: string, key: string, finishedAt: Date): BackupManifest {
  return {
    version: 1,
    tool: { name: 'dr-actions', version: '0.1.0' },
    bucket: bucketName,
    key,
    database: 'saas_production',
    server: { version: '15.8', versionNum: 150008 },
    pgDump: { version: '15.8' },
    format: 'custom',
    compression: 'gzip:1',
    startedAt: new Date(finishedAt.getTime() - 600_000).toISOString(),
    finishedAt: finishedAt.toISOString(),
    snapshotAt: new Date(finishedAt.getTime() - 600_000).toISOString(),
    sizeBytes: 6,
    sha256: 'f'.repeat(64),
    databaseSizeBytes: 100,
    rowCounts: 'exact',
    tables: [],
    pgDumpArgs: [],
    run: {},
  };
}

async function backups(suffix: string, options: TopologyOptions) {
  const backupBucket = `saas-backups-${suffix}`;
  const backupReplicaBucket = `saas-backups-replica-${suffix}`;
  const backupPrefix = 'database/';
  await bucket(backupBucket, PRIMARY_REGION, { versioned: true, objectLock: options.objectLock });
  await bucket(backupReplicaBucket, SECONDARY_REGION, { versioned: true });
  const client = s3In(PRIMARY_REGION);
  await client.send(new PutBucketEncryptionCommand({ Bucket: backupBucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }] } }));
  await client.send(new PutPublicAccessBlockCommand({ Bucket: backupBucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
  await client.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: backupBucket,
      LifecycleConfiguration: { Rules: [{ ID: 'abort-incomplete-uploads', Status: 'Enabled', Filter: { Prefix: backupPrefix }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }] },
    }),
  );
  await client.send(
    new PutBucketReplicationCommand({
      Bucket: backupBucket,
      ReplicationConfiguration: { Role: REPLICATION_ROLE, Rules: [{ ID: 'backups-to-secondary', Priority: 1, Status: 'Enabled', Filter: { Prefix: backupPrefix }, DeleteMarkerReplication: { Status: 'Disabled' }, Destination: { Bucket: `arn:aws:s3:::${backupReplicaBucket}` } }] },
    }),
  );
  const finishedAt = new Date(Date.now() - options.backupAgeHours * HOUR);
  const key = backupKey(backupPrefix, new Date(finishedAt.getTime() - 600_000), 'custom');
  await client.send(new PutObjectCommand({ Bucket: backupBucket, Key: key, Body: 'PGDMP!' }));
  await client.send(new PutObjectCommand({ Bucket: backupBucket, Key: manifestKeyFor(key), Body: JSON.stringify(manifestFor(backupBucket, key, finishedAt)) }));
  return { backupBucket, backupReplicaBucket, backupPrefix };
}

async function dns(primaryAddress: string) {
  const { zoneId, zoneName } = await createZone();
  const recordName = `db.${zoneName}`;
  await upsertRecord(zoneId, { Name: recordName, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: primaryAddress }] });
  const health = await route53().send(
    new CreateHealthCheckCommand({ CallerReference: randomBytes(8).toString('hex'), HealthCheckConfig: { Type: 'TCP', FullyQualifiedDomainName: primaryAddress, Port: 5432, RequestInterval: 30, FailureThreshold: 3 } }),
  );
  return { zoneId, recordName, healthCheckId: health.HealthCheck?.Id as string };
}

export async function createCacheGroup(id: string, snapshots: boolean): Promise<void> {
  await createElastiCacheClient({ region: PRIMARY_REGION, endpointUrl: stackFromEnv().awsEndpoint }).send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: id,
      ReplicationGroupDescription: 'application state',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 1,
      ...(snapshots ? { SnapshotRetentionLimit: 7, SnapshotWindow: '03:00-04:00' } : { SnapshotRetentionLimit: 0 }),
    }),
  );
}

/** Builds the plan's topology with fresh names; `options` sets up one thing differently from the plan. */
export async function createAuditTopology(options: Partial<TopologyOptions> = {}): Promise<AuditTopology> {
  const settings = { ...PLAN_AS_WRITTEN, ...options };
  const suffix = randomBytes(4).toString('hex');
  const db = await database(suffix, settings);
  const cacheGroupId = `saas-cache-${suffix}`;
  const [mediaBuckets, backupBuckets, records] = await Promise.all([media(suffix), backups(suffix, settings), dns(db.primaryAddress), createCacheGroup(cacheGroupId, settings.cacheSnapshots)]);
  return { ...db, ...mediaBuckets, ...backupBuckets, ...records, cacheGroupId };
}

/** The audit's settings for the topology, as the action's inputs would give them, pointed at moto. */
export function auditSettingsFor(t: AuditTopology, overrides: Partial<AuditSettings> = {}): AuditSettings {
  return {
    primaryRegion: PRIMARY_REGION,
    secondaryRegion: SECONDARY_REGION,
    endpointUrl: stackFromEnv().awsEndpoint,
    database: { instanceId: t.primaryId, replicaId: t.replicaId },
    media: { bucket: t.mediaBucket, replicaBucket: t.mediaReplicaBucket, prefixes: [''], deleteMarkers: 'enabled' },
    backup: { bucket: t.backupBucket, prefix: t.backupPrefix, maxAgeSeconds: 26 * 3600, versioning: true, objectLock: true },
    dns: { hostedZoneId: t.zoneId, recordName: t.recordName, maxTtlSeconds: 300, healthCheckDomain: t.primaryAddress },
    cache: { replicationGroupId: t.cacheGroupId },
    rpoSeconds: 3600,
    rtoSeconds: 28_800,
    skip: new Map(),
    failOn: 'high',
    reportPath: `/tmp/dr-audit-${randomBytes(4).toString('hex')}.json`,
    ...overrides,
  };
}

/**
 * The dr-audit action's inputs for the topology's database, media, backup and DNS areas; a caller
 * adds the cache (cache-replication-group-id, or a skip), a health-check-domain, or other options.
 */
export function auditInputsFor(t: AuditTopology, where: { endpointUrl: string; reportPath: string }): Record<string, string> {
  return {
    'primary-region': PRIMARY_REGION,
    'secondary-region': SECONDARY_REGION,
    'db-instance-id': t.primaryId,
    'replica-id': t.replicaId,
    'media-bucket': t.mediaBucket,
    'media-replica-bucket': t.mediaReplicaBucket,
    'backup-bucket': t.backupBucket,
    'backup-object-lock': 'true',
    'hosted-zone-id': t.zoneId,
    'record-name': t.recordName,
    'endpoint-url': where.endpointUrl,
    'report-path': where.reportPath,
  };
}
