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
 * - Lifecycle filters by object size, a source instance in another account, each instance's own
 *   DbiResourceId and the replications of automated backups: the launcher answers them as AWS does.
 */
import { randomBytes } from 'node:crypto';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateReplicationGroupCommand } from '@aws-sdk/client-elasticache';
import {
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { CreateHealthCheckCommand } from '@aws-sdk/client-route-53';
import {
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type LifecycleRule,
  type ReplicationRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createCloudWatchClient, createElastiCacheClient } from '../src/aws/clients.js';
import type { AuditSettings } from '../src/audit/settings.js';
import { CREATED_BY_METADATA } from '../src/storage/backup-store.js';
import { backupKey, manifestKeyFor } from '../src/storage/keys.js';
import { parseMinKeep, parseRetention } from '../src/retention/retention.js';
import { createTopology, PRIMARY_REGION, rdsIn, route53, SECONDARY_REGION, type Topology } from './aws-topology.js';
import { manifestFor } from './manifest.js';
import { createRegionalBucket, s3In } from './second-region.js';
import { awsCli } from './aws-cli.js';
import { stackFromEnv } from './stack.js';

export { PRIMARY_REGION, s3In, SECONDARY_REGION };
export { setLatestRestorableTime } from './rds-restores.js';

const REPLICATION_ROLE = 'arn:aws:iam::123456789012:role/s3-replication';
const HOUR = 3_600_000;

/** The failover topology (primary, cross-region replica, the record) and the rest of the plan's. */
export interface AuditTopology extends Topology {
  copySnapshotId: string;
  mediaBucket: string;
  mediaReplicaBucket: string;
  backupBucket: string;
  backupReplicaBucket: string;
  backupPrefix: string;
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
    Destination: {
      Bucket: `arn:aws:s3:::${replicaBucket}`,
      ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
      Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
    },
    ...overrides,
  };
}

export async function putMediaReplication(t: AuditTopology, rule: ReplicationRule): Promise<void> {
  await s3In(PRIMARY_REGION).send(
    new PutBucketReplicationCommand({
      Bucket: t.mediaBucket,
      ReplicationConfiguration: { Role: REPLICATION_ROLE, Rules: [rule] },
    }),
  );
}

/** The backup bucket's one replication rule, as the plan has it unless `overrides` change it. */
export async function putBackupReplication(
  t: Pick<AuditTopology, 'backupBucket' | 'backupPrefix' | 'backupReplicaBucket'>,
  overrides: Partial<ReplicationRule> = {},
): Promise<void> {
  const rule: ReplicationRule = {
    ID: 'backups-to-secondary',
    Priority: 1,
    Status: 'Enabled',
    Filter: { Prefix: t.backupPrefix },
    DeleteMarkerReplication: { Status: 'Disabled' },
    Destination: { Bucket: `arn:aws:s3:::${t.backupReplicaBucket}` },
    ...overrides,
  };
  await s3In(PRIMARY_REGION).send(
    new PutBucketReplicationCommand({
      Bucket: t.backupBucket,
      ReplicationConfiguration: { Role: REPLICATION_ROLE, Rules: [rule] },
    }),
  );
}

/** Replaces the bucket's lifecycle rules (the bucket is in the primary region). */
export async function putLifecycle(bucket: string, rules: LifecycleRule[]): Promise<void> {
  await s3In(PRIMARY_REGION).send(
    new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }),
  );
}

/** The media bucket's rule as the plan has it: every old version deleted after 90 days. */
export const KEEP_VERSIONS_90_DAYS: LifecycleRule = {
  ID: 'keep-versions-90-days',
  Status: 'Enabled',
  Filter: {},
  NoncurrentVersionExpiration: { NoncurrentDays: 90 },
};

/** An RDS client acting in another account: credentials from STS AssumeRole of a role there, as moto maps them to that account. */
async function rdsInAccount(account: string, region: string): Promise<RDSClient> {
  const assumed = JSON.parse(
    await awsCli([
      'sts',
      'assume-role',
      '--role-arn',
      `arn:aws:iam::${account}:role/dr-audit-test`,
      '--role-session-name',
      'dr-audit-test',
    ]),
  ) as {
    Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
  };
  const {
    AccessKeyId: accessKeyId,
    SecretAccessKey: secretAccessKey,
    SessionToken: sessionToken,
  } = assumed.Credentials;
  return new RDSClient({
    region,
    endpoint: stackFromEnv().awsEndpoint,
    credentials: { accessKeyId, secretAccessKey, sessionToken },
  });
}

/** A PostgreSQL instance named `id` in `region` (of `account`, when given): a same-named look-alike of the primary. Its ARN. */
export async function createInstanceNamed(id: string, region: string, account?: string): Promise<string> {
  const client = account ? await rdsInAccount(account, region) : rdsIn(region);
  const created = await client.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'postgres',
      EngineVersion: '15.8',
      DBInstanceClass: 'db.t3.micro',
      MasterUsername: 'app',
      MasterUserPassword: 'not-a-real-secret',
      AllocatedStorage: 20,
      BackupRetentionPeriod: 7,
    }),
  );
  return created.DBInstance?.DBInstanceArn as string;
}

/** A read replica in the secondary region of `source` (an ARN, or an identifier there), with RDS's ReplicaLag data point. */
export async function createReplicaOf(source: string, replicaId: string): Promise<void> {
  await rdsIn(SECONDARY_REGION).send(
    new CreateDBInstanceReadReplicaCommand({
      DBInstanceIdentifier: replicaId,
      SourceDBInstanceIdentifier: source,
      DBInstanceClass: 'db.t3.micro',
    }),
  );
  await replicaLag(replicaId, 4);
}

export async function setVersioning(bucket: string, region: string, status: 'Enabled' | 'Suspended'): Promise<void> {
  await s3In(region).send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } }),
  );
}

/** The failover topology with PITR 7 days, deletion protection and encryption, and the hourly snapshot copied to the secondary region. */
async function database(options: TopologyOptions) {
  const topology = await createTopology({
    BackupRetentionPeriod: 7,
    DeletionProtection: true,
    StorageEncrypted: options.encrypted,
  });
  const snapshot = await rdsIn(PRIMARY_REGION).send(
    new CreateDBSnapshotCommand({
      DBInstanceIdentifier: topology.primaryId,
      DBSnapshotIdentifier: `${topology.primaryId}-hourly`,
    }),
  );
  const copySnapshotId = `${topology.primaryId}-hourly-copy`;
  await rdsIn(SECONDARY_REGION).send(
    new CopyDBSnapshotCommand({
      SourceDBSnapshotIdentifier: snapshot.DBSnapshot?.DBSnapshotArn,
      TargetDBSnapshotIdentifier: copySnapshotId,
    }),
  );
  await replicaLag(topology.replicaId, 4);
  return { ...topology, copySnapshotId };
}

/** A ReplicaLag data point for the minute before `now`, as RDS publishes one each minute (moto has none of its own). */
export async function replicaLag(replicaId: string, seconds: number, now = new Date()): Promise<void> {
  await createCloudWatchClient({ region: SECONDARY_REGION, endpointUrl: stackFromEnv().awsEndpoint }).send(
    new PutMetricDataCommand({
      Namespace: 'AWS/RDS',
      MetricData: [
        {
          MetricName: 'ReplicaLag',
          Dimensions: [{ Name: 'DBInstanceIdentifier', Value: replicaId }],
          Value: seconds,
          Unit: 'Seconds',
          Timestamp: new Date(now.getTime() - 60_000),
        },
      ],
    }),
  );
}

async function media() {
  const mediaBucket = await createRegionalBucket(PRIMARY_REGION, { prefix: 'saas-media', versioned: true });
  const mediaReplicaBucket = await createRegionalBucket(SECONDARY_REGION, {
    prefix: 'saas-media-replica',
    versioned: true,
  });
  const client = s3In(PRIMARY_REGION);
  await client.send(
    new PutBucketReplicationCommand({
      Bucket: mediaBucket,
      ReplicationConfiguration: { Role: REPLICATION_ROLE, Rules: [mediaRule(mediaReplicaBucket)] },
    }),
  );
  await putLifecycle(mediaBucket, [KEEP_VERSIONS_90_DAYS]);
  for (const key of ['avatars/1.png', 'avatars/2.png', 'uploads/report.pdf'])
    await client.send(new PutObjectCommand({ Bucket: mediaBucket, Key: key, Body: `media ${key}` }));
  return { mediaBucket, mediaReplicaBucket };
}

async function backups(options: TopologyOptions) {
  const backupPrefix = 'database/';
  const backupBucket = await createRegionalBucket(PRIMARY_REGION, {
    prefix: 'saas-backups',
    versioned: true,
    objectLock: options.objectLock,
  });
  const backupReplicaBucket = await createRegionalBucket(SECONDARY_REGION, {
    prefix: 'saas-backups-replica',
    versioned: true,
    objectLock: options.objectLock,
  });
  const client = s3In(PRIMARY_REGION);
  await client.send(
    new PutBucketEncryptionCommand({
      Bucket: backupBucket,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }],
      },
    }),
  );
  await client.send(
    new PutPublicAccessBlockCommand({
      Bucket: backupBucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
  await putLifecycle(backupBucket, [
    {
      ID: 'abort-incomplete-uploads',
      Status: 'Enabled',
      Filter: { Prefix: backupPrefix },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    },
  ]);
  await putBackupReplication({ backupBucket, backupPrefix, backupReplicaBucket });
  const finishedAt = new Date(Date.now() - options.backupAgeHours * HOUR);
  await putCompleteBackup(
    client,
    backupBucket,
    backupKey(backupPrefix, new Date(finishedAt.getTime() - 600_000), 'custom'),
    finishedAt,
  );
  return { backupBucket, backupReplicaBucket, backupPrefix };
}

/** A backup as the backup action publishes one: its object (marked as ours, tagged with its SHA-256), then its manifest. */
export async function putCompleteBackup(
  client: S3Client,
  bucket: string,
  key: string,
  finishedAt: Date,
): Promise<void> {
  const body = 'PGDMP!';
  const sha256 = createHash('sha256').update(body).digest('hex');
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      Metadata: CREATED_BY_METADATA,
      Tagging: `sha256=${sha256}`,
    }),
  );
  const manifest = { ...manifestFor(key, { finishedAt }, [], bucket), sizeBytes: body.length, sha256 };
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKeyFor(key), Body: JSON.stringify(manifest) }));
}

/** The health check on the primary (the record itself is the failover topology's). */
async function healthCheck(primaryAddress: string): Promise<string> {
  const health = await route53().send(
    new CreateHealthCheckCommand({
      CallerReference: randomBytes(8).toString('hex'),
      HealthCheckConfig: {
        Type: 'TCP',
        FullyQualifiedDomainName: primaryAddress,
        Port: 5432,
        RequestInterval: 30,
        FailureThreshold: 3,
      },
    }),
  );
  return health.HealthCheck?.Id as string;
}

async function createCacheGroup(id: string, snapshots: boolean): Promise<void> {
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
  const db = await database(settings);
  const cacheGroupId = `saas-cache-${randomBytes(4).toString('hex')}`;
  const [mediaBuckets, backupBuckets, healthCheckId] = await Promise.all([
    media(),
    backups(settings),
    healthCheck(db.primaryAddress),
    createCacheGroup(cacheGroupId, settings.cacheSnapshots),
  ]);
  return { ...db, ...mediaBuckets, ...backupBuckets, healthCheckId, cacheGroupId };
}

/** The audit's settings for the topology, as the action's inputs would give them, pointed at moto. */
export function auditSettingsFor(t: AuditTopology, overrides: Partial<AuditSettings> = {}): AuditSettings {
  return {
    primaryRegion: PRIMARY_REGION,
    secondaryRegion: SECONDARY_REGION,
    endpointUrl: stackFromEnv().awsEndpoint,
    database: { instanceId: t.primaryId, replicaId: t.replicaId },
    media: { bucket: t.mediaBucket, replicaBucket: t.mediaReplicaBucket, prefixes: [''], deleteMarkers: 'enabled' },
    backup: {
      bucket: t.backupBucket,
      prefix: t.backupPrefix,
      maxAgeSeconds: 26 * 3600,
      versioning: true,
      objectLock: true,
      retention: parseRetention(''),
      minKeep: parseMinKeep(''),
    },
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
export function auditInputsFor(
  t: AuditTopology,
  where: { endpointUrl: string; reportPath: string },
): Record<string, string> {
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
