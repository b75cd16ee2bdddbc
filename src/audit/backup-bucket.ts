import {
  GetBucketEncryptionCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  type LifecycleRule,
  type ReplicationConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3Client } from '../aws/clients.js';
import {
  INTEGRITY_CHECKS,
  integrityChecks,
  readIntegrityFacts,
  type IntegrityFacts,
  type NewestBackup,
} from './backup-integrity.js';
import { DELETED_CHECKS, deletedCheck, readDeletedFacts, type DeletedFacts } from './deleted-backups.js';
import { formatDuration } from '../util/format.js';
import { unlessNotFound } from '../aws/errors.js';
import { defineChecks, skipped, verdict, type AuditCheck } from './check.js';
import { secondsSince, type AuditContext } from './context.js';
import type { BackupSettings } from './settings.js';
import { SENTENCE } from './plan.js';
import {
  bucketArn,
  bucketOfArn,
  bucketRegion,
  covers,
  lifecycleOf,
  replicationOf,
  versioningStatus,
} from './s3-config.js';

export const BACKUP_CHECKS = {
  ...defineChecks('backup', {
    encryption: ['backup.encryption', SENTENCE.dailyBackups, 'medium'],
    publicAccess: ['backup.public-access-block', SENTENCE.dailyBackups, 'high'],
    abortMultipart: ['backup.abort-incomplete-uploads', SENTENCE.retention, 'low'],
    // Asked for, and off: one mistaken or malicious delete destroys backups for good.
    versioning: ['backup.versioning', SENTENCE.retention, 'high'],
    objectLock: ['backup.object-lock', SENTENCE.retention, 'high'],
    crossRegion: ['backup.cross-region-copy', SENTENCE.regionalOutage, 'high'],
    newest: ['backup.newest-backup', SENTENCE.dailyBackups, 'high'],
  }),
  ...INTEGRITY_CHECKS,
  ...DELETED_CHECKS,
};

export interface BackupFacts {
  exists: boolean;
  encryption?: string;
  publicAccess?: Record<string, boolean | undefined>;
  lifecycle: LifecycleRule[];
  versioning?: string;
  objectLock?: string;
  /**
   * The Object Lock status of each copy of the backups in the secondary region (the bucket backup
   * copies to, and replication destinations there): the backup role may delete in a copy bucket it
   * writes, so a copy without Object Lock is one a leaked key can empty.
   */
  copyLocks: { bucket: string; objectLock?: string }[];
  replication?: ReplicationConfiguration;
  /** Destination bucket of each replication rule covering the prefix, with its region. */
  destinations: { bucket: string; region?: string }[];
  newest?: NewestBackup;
  /** The backups under the prefix in the backup bucket, then in backup-replica-bucket when it exists. */
  scans: BucketScan[];
  /** The newest complete backup in backup-replica-bucket, when that is how the copy is made. */
  replicaNewest?: NewestBackup;
  replicaRegion?: string;
}

/** One bucket's backups as read: unfinished ones, those that differ from their manifest, those a delete marker hides. */
export interface BucketScan {
  bucket: string;
  region: string;
  integrity: IntegrityFacts;
  deleted: DeletedFacts;
}

async function scanBackups(client: S3Client, bucket: string, region: string, backup: BackupSettings, now: Date) {
  const integrity = await readIntegrityFacts(client, bucket, backup.prefix, now);
  const deleted = await readDeletedFacts(client, bucket, backup, integrity.complete, now);
  return { bucket, region, integrity, deleted };
}

async function bucketSettings(client: S3Client, bucket: string) {
  const [encryption, publicAccess, lifecycle, versioning, objectLock, replication] = await Promise.all([
    unlessNotFound(
      client.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
      'ServerSideEncryptionConfigurationNotFoundError',
    ),
    unlessNotFound(
      client.send(new GetPublicAccessBlockCommand({ Bucket: bucket })),
      'NoSuchPublicAccessBlockConfiguration',
    ),
    lifecycleOf(client, bucket),
    versioningStatus(client, bucket),
    objectLockStatus(client, bucket),
    replicationOf(client, bucket),
  ]);
  return {
    encryption:
      encryption?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    publicAccess: publicAccess?.PublicAccessBlockConfiguration as Record<string, boolean | undefined> | undefined,
    lifecycle,
    versioning,
    objectLock,
    replication,
  };
}

/** Whether a bucket has Object Lock: `Enabled`, or undefined without the configuration. */
async function objectLockStatus(client: S3Client, bucket: string): Promise<string | undefined> {
  const response = await unlessNotFound(
    client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })),
    'ObjectLockConfigurationNotFoundError',
  );
  return response?.ObjectLockConfiguration?.ObjectLockEnabled;
}

/** The Object Lock of each copy bucket in the secondary region, read only when Object Lock is asked for. */
async function readCopyLocks(ctx: AuditContext, backup: BackupSettings, facts: BackupFacts) {
  if (!backup.objectLock) return [];
  const copies = facts.destinations.filter((d) => d.region === ctx.secondary.region).map((d) => d.bucket);
  if (backup.replicaBucket && facts.replicaRegion === ctx.secondary.region) copies.push(backup.replicaBucket);
  const client = createS3Client(ctx.secondary);
  return Promise.all(
    [...new Set(copies)].map(async (bucket) => ({ bucket, objectLock: await objectLockStatus(client, bucket) })),
  );
}

/** backup-replica-bucket's backups, read in its own region, when it exists. */
async function scanReplica(ctx: AuditContext, backup: BackupSettings, facts: BackupFacts): Promise<void> {
  if (!backup.replicaBucket || !facts.replicaRegion) return;
  const region = facts.replicaRegion;
  const client = createS3Client({ ...ctx.secondary, region });
  const scan = await scanBackups(client, backup.replicaBucket, region, backup, ctx.now);
  facts.scans.push(scan);
  facts.replicaNewest = scan.integrity.newest;
}

export async function readBackupFacts(ctx: AuditContext, backup: BackupSettings): Promise<BackupFacts> {
  const client = createS3Client(ctx.primary);
  if (!(await bucketRegion(client, backup.bucket)))
    return { exists: false, lifecycle: [], destinations: [], copyLocks: [], scans: [] };
  const [settings, scan] = await Promise.all([
    bucketSettings(client, backup.bucket),
    scanBackups(client, backup.bucket, ctx.primary.region, backup, ctx.now),
  ]);
  const rules = (settings.replication?.Rules ?? []).filter((r) => r.Status === 'Enabled' && covers(r, backup.prefix));
  const buckets = [...new Set(rules.map((r) => bucketOfArn(r.Destination?.Bucket ?? '')))];
  const destinations = await Promise.all(
    buckets.map(async (bucket) => ({ bucket, region: await bucketRegion(client, bucket) })),
  );
  const facts: BackupFacts = {
    exists: true,
    ...settings,
    destinations,
    newest: scan.integrity.newest,
    scans: [scan],
    copyLocks: [],
  };
  if (backup.replicaBucket) facts.replicaRegion = await bucketRegion(client, backup.replicaBucket);
  await scanReplica(ctx, backup, facts);
  facts.copyLocks = await readCopyLocks(ctx, backup, facts);
  return facts;
}

const PUBLIC_ACCESS_FIELDS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'];

function newestText(newest: NewestBackup | undefined, ctx: AuditContext, where: string): string {
  return newest
    ? `newest complete backup in ${where} is ${newest.key}, finished ${formatDuration(secondsSince(newest.finishedAt, ctx.now))} ago`
    : `no complete backup (with a valid manifest) in ${where}`;
}

function fresh(newest: NewestBackup | undefined, ctx: AuditContext, maxAge: number): boolean {
  return newest !== undefined && secondsSince(newest.finishedAt, ctx.now) <= maxAge;
}

function crossRegionCheck(ctx: AuditContext, backup: BackupSettings, facts: BackupFacts): AuditCheck {
  const where = `s3://${backup.bucket}/${backup.prefix}`;
  const fix = `aws s3api put-bucket-replication --region ${ctx.primary.region} --bucket ${backup.bucket} --replication-configuration '${JSON.stringify({ Role: facts.replication?.Role ?? 'arn:aws:iam::<account-id>:role/<s3-replication-role>', Rules: [{ ID: 'dr-backups', Priority: 1, Status: 'Enabled', Filter: { Prefix: backup.prefix }, DeleteMarkerReplication: { Status: 'Disabled' }, Destination: { Bucket: bucketArn(backup.replicaBucket ?? `${backup.bucket}-${ctx.secondary.region}`) } }] })}'`;
  const inSecondary = facts.destinations.filter((d) => d.region === ctx.secondary.region);
  if (inSecondary.length)
    return verdict(
      BACKUP_CHECKS.crossRegion,
      true,
      `${where} replicates to ${inSecondary.map((d) => d.bucket).join(', ')} in ${ctx.secondary.region}`,
      fix,
    );
  const elsewhere = facts.destinations.map((d) => `${d.bucket} (${d.region ?? 'missing'})`).join(', ');
  if (backup.replicaBucket) {
    const copyWhere = `s3://${backup.replicaBucket}/${backup.prefix}`;
    if (facts.replicaRegion !== ctx.secondary.region) {
      return verdict(
        BACKUP_CHECKS.crossRegion,
        false,
        facts.replicaRegion
          ? `${backup.replicaBucket} is in ${facts.replicaRegion}, not ${ctx.secondary.region}`
          : `${backup.replicaBucket} does not exist`,
        fix,
      );
    }
    return verdict(
      BACKUP_CHECKS.crossRegion,
      fresh(facts.replicaNewest, ctx, backup.maxAgeSeconds),
      `${newestText(facts.replicaNewest, ctx, copyWhere)} (at most ${formatDuration(backup.maxAgeSeconds)})`,
      fix,
    );
  }
  return verdict(
    BACKUP_CHECKS.crossRegion,
    false,
    elsewhere
      ? `${where} replicates only to ${elsewhere}, not to ${ctx.secondary.region}`
      : `nothing copies ${where} to ${ctx.secondary.region}: a regional outage takes the backups with it`,
    fix,
  );
}

/** Object Lock on the backup bucket and on every copy of it in the secondary region. */
function objectLockVerdict(ctx: AuditContext, backup: BackupSettings, facts: BackupFacts, lockFix: string): AuditCheck {
  if (facts.objectLock !== 'Enabled')
    return verdict(
      BACKUP_CHECKS.objectLock,
      false,
      'Object Lock not enabled: a leaked key can delete every backup',
      lockFix,
    );
  const unlocked = facts.copyLocks.filter((c) => c.objectLock !== 'Enabled').map((c) => c.bucket);
  if (!unlocked.length)
    return verdict(
      BACKUP_CHECKS.objectLock,
      true,
      `Object Lock enabled${facts.copyLocks.length ? ` here and on the copies in ${facts.copyLocks.map((c) => c.bucket).join(', ')}` : ''}`,
      lockFix,
    );
  return verdict(
    BACKUP_CHECKS.objectLock,
    false,
    `Object Lock enabled on ${backup.bucket}, not on its copies in ${unlocked.join(', ')} (${ctx.secondary.region}): a leaked key of the role that writes them can delete every copy, and S3 does not replicate locked objects into a bucket without Object Lock`,
    unlocked
      .map(
        (bucket) =>
          `aws s3api put-object-lock-configuration --region ${ctx.secondary.region} --bucket ${bucket} --object-lock-configuration '{"ObjectLockEnabled":"Enabled"}'`,
      )
      .join('; ') + '  # needs versioning; backup locks each copy itself',
  );
}

function lockChecks(ctx: AuditContext, backup: BackupSettings, facts: BackupFacts): AuditCheck[] {
  const versioningFix = `aws s3api put-bucket-versioning --region ${ctx.primary.region} --bucket ${backup.bucket} --versioning-configuration Status=Enabled`;
  const lockFix = `aws s3api put-object-lock-configuration --region ${ctx.primary.region} --bucket ${backup.bucket} --object-lock-configuration '{"ObjectLockEnabled":"Enabled"}'  # needs versioning; backup locks each object itself`;
  const versioning = backup.versioning
    ? verdict(BACKUP_CHECKS.versioning, facts.versioning === 'Enabled', `versioning ${facts.versioning}`, versioningFix)
    : skipped(
        BACKUP_CHECKS.versioning,
        'not asked for: backup-versioning and backup-object-lock are false',
        versioningFix,
      );
  const lock = backup.objectLock
    ? objectLockVerdict(ctx, backup, facts, lockFix)
    : skipped(BACKUP_CHECKS.objectLock, 'not asked for: backup-object-lock is false', lockFix);
  return [versioning, lock];
}

/** The backup bucket's prerequisites: private, encrypted, tidy, protected when asked, copied to the other region, and fresh. */
export function backupChecks(ctx: AuditContext, backup: BackupSettings, facts: BackupFacts): AuditCheck[] {
  const C = BACKUP_CHECKS;
  const region = ctx.primary.region;
  if (!facts.exists)
    return Object.values(C).map((d) =>
      verdict(
        d,
        false,
        `${backup.bucket} does not exist`,
        `aws s3api list-buckets --query 'Buckets[].Name'  # backup-bucket must name the bucket backups go to`,
      ),
    );
  const publicAccess = facts.publicAccess ?? {};
  const open = PUBLIC_ACCESS_FIELDS.filter((f) => publicAccess[f] !== true);
  const aborting = facts.lifecycle.filter(
    (r) =>
      r.Status === 'Enabled' &&
      r.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined &&
      covers(r, backup.prefix),
  );
  return [
    verdict(
      C.encryption,
      Boolean(facts.encryption),
      facts.encryption ? `default encryption ${facts.encryption}` : 'no default encryption',
      `aws s3api put-bucket-encryption --region ${region} --bucket ${backup.bucket} --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"},"BucketKeyEnabled":true}]}'`,
    ),
    verdict(
      C.publicAccess,
      open.length === 0,
      facts.publicAccess
        ? open.length
          ? `public access block off for ${open.join(', ')}`
          : 'all four public access blocks on'
        : 'no public access block on the bucket',
      `aws s3api put-public-access-block --region ${region} --bucket ${backup.bucket} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
    ),
    verdict(
      C.abortMultipart,
      aborting.length > 0,
      aborting.length
        ? `incomplete uploads aborted after ${aborting[0]?.AbortIncompleteMultipartUpload?.DaysAfterInitiation} days`
        : `no lifecycle rule aborts incomplete multipart uploads under '${backup.prefix}': failed backups leave paid-for parts`,
      `aws s3api put-bucket-lifecycle-configuration --region ${region} --bucket ${backup.bucket} --lifecycle-configuration '{"Rules":[{"ID":"abort-incomplete-uploads","Status":"Enabled","Filter":{"Prefix":"${backup.prefix}"},"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":7}}]}'  # replaces every rule: merge in the bucket's other rules`,
    ),
    ...lockChecks(ctx, backup, facts),
    crossRegionCheck(ctx, backup, facts),
    verdict(
      C.newest,
      fresh(facts.newest, ctx, backup.maxAgeSeconds),
      `${newestText(facts.newest, ctx, `s3://${backup.bucket}/${backup.prefix}`)} (at most ${formatDuration(backup.maxAgeSeconds)})`,
      `gh workflow run backup.yml  # then read the failed runs of the backup workflow: the schedule stopped or backups fail`,
    ),
    ...integrityChecks(
      ctx,
      backup,
      facts.scans.map(({ bucket, region, integrity }) => ({ bucket, region, facts: integrity })),
    ),
    deletedCheck(
      ctx,
      backup,
      facts.scans.map(({ bucket, region, deleted }) => ({ bucket, region, facts: deleted })),
    ),
  ];
}
