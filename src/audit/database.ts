import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type DBInstance,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import { createCloudWatchClient, createRdsClient } from '../aws/clients.js';
import { formatDuration } from '../util/format.js';
import { unlessNotFound } from '../aws/errors.js';
import { defineChecks, verdict, type AuditCheck } from './check.js';
import { secondsSince, type AuditContext } from './context.js';
import { PLAN, SENTENCE } from './plan.js';

export const DATABASE_CHECKS = defineChecks('database', {
  retention: ['db.backup-retention', SENTENCE.pitr, 'high'],
  restorable: ['db.latest-restorable-time', SENTENCE.rpo, 'high'],
  crossRegion: ['db.cross-region-backups', SENTENCE.databaseReplication, 'high'],
  replica: ['db.replica', SENTENCE.crossRegionReplica, 'high'],
  lag: ['db.replica-lag', SENTENCE.rpo, 'high'],
  deletionProtection: [
    'db.deletion-protection',
    'Complete Database Recovery: Database corruption or complete data loss',
    'medium',
  ],
  encrypted: [
    'db.storage-encrypted',
    "Database Backups (snapshots and the replica inherit the primary's encryption)",
    'medium',
  ],
});

/** How far back ReplicaLag is read: CloudWatch publishes it every minute. */
const LAG_WINDOW_SECONDS = 15 * 60;

export interface DatabaseFacts {
  primary?: DBInstance;
  replica?: DBInstance;
  /** Newest snapshot of the primary held in the secondary region (an hourly copy): its DbiResourceId is the primary's. */
  newestCopy?: DBSnapshot;
  /** Snapshots in the secondary region of a same-named instance that is not the primary (another region or account). */
  lookAlikeCopies: number;
  /** Highest ReplicaLag of the window, in seconds; undefined when CloudWatch has no data points. */
  maxLagSeconds?: number;
}

async function describeInstance(
  ctx: AuditContext,
  region: 'primary' | 'secondary',
  id: string,
): Promise<DBInstance | undefined> {
  const client = createRdsClient(ctx[region]);
  const response = await unlessNotFound(
    client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    'DBInstanceNotFound',
    'DBInstanceNotFoundFault',
  );
  return response?.DBInstances?.[0];
}

/** The available snapshots in the secondary region of instances named primaryId, newest first. */
async function copiesNamed(ctx: AuditContext, primaryId: string): Promise<DBSnapshot[]> {
  const client = createRdsClient(ctx.secondary);
  const snapshots: DBSnapshot[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: primaryId, Marker: marker }));
    snapshots.push(...(page.DBSnapshots ?? []).filter((s) => s.Status === 'available' && s.SnapshotCreateTime));
    marker = page.Marker;
  } while (marker);
  return snapshots.sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0));
}

async function maxReplicaLag(ctx: AuditContext, replicaId: string): Promise<number | undefined> {
  const client = createCloudWatchClient(ctx.secondary);
  const response = await client.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/RDS',
      MetricName: 'ReplicaLag',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: replicaId }],
      StartTime: new Date(ctx.now.getTime() - LAG_WINDOW_SECONDS * 1000),
      EndTime: ctx.now,
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  const points = (response.Datapoints ?? []).map((p) => p.Maximum).filter((m): m is number => typeof m === 'number');
  return points.length ? Math.max(...points) : undefined;
}

/** Everything the database checks look at, read once: DescribeDBInstances, DescribeDBSnapshots, GetMetricStatistics. */
export async function readDatabaseFacts(ctx: AuditContext): Promise<DatabaseFacts> {
  const db = ctx.settings.database;
  if (!db) return { lookAlikeCopies: 0 };
  const [primary, replica, copies] = await Promise.all([
    describeInstance(ctx, 'primary', db.instanceId),
    describeInstance(ctx, 'secondary', db.replicaId),
    copiesNamed(ctx, db.instanceId),
  ]);
  // An identifier names an instance only within one region and account; the resource id is the primary's own.
  const ofPrimary = copies.filter(
    (s) => primary?.DbiResourceId !== undefined && s.DbiResourceId === primary.DbiResourceId,
  );
  const maxLagSeconds = replica ? await maxReplicaLag(ctx, db.replicaId) : undefined;
  return {
    primary,
    replica,
    newestCopy: ofPrimary[0],
    lookAlikeCopies: copies.length - ofPrimary.length,
    maxLagSeconds,
  };
}

function modify(ctx: AuditContext, args: string): string {
  return `aws rds modify-db-instance --region ${ctx.primary.region} --db-instance-identifier ${ctx.settings.database?.instanceId} ${args} --apply-immediately`;
}

function primaryChecks(ctx: AuditContext, primary: DBInstance): AuditCheck[] {
  const C = DATABASE_CHECKS;
  const retention = primary.BackupRetentionPeriod ?? 0;
  const restorable = primary.LatestRestorableTime;
  const restorableAge = restorable ? secondsSince(restorable, ctx.now) : undefined;
  const rpo = ctx.settings.rpoSeconds;
  return [
    verdict(
      C.retention,
      retention >= PLAN.pitrDays,
      retention === 0
        ? 'automated backups are off (retention 0 days): no point-in-time recovery'
        : `automated backups kept ${retention} days (the plan needs ${PLAN.pitrDays})`,
      modify(ctx, `--backup-retention-period ${PLAN.pitrDays}`),
    ),
    verdict(
      C.restorable,
      restorableAge !== undefined && restorableAge <= rpo,
      restorable
        ? `latest restorable time ${restorable.toISOString()}, ${formatDuration(restorableAge ?? 0)} ago (RPO ${formatDuration(rpo)})`
        : 'no latest restorable time: automated backups are off or have not started',
      `aws rds describe-events --region ${ctx.primary.region} --source-type db-instance --source-identifier ${primary.DBInstanceIdentifier} --duration 1440  # find why log backups stopped, then: ${modify(ctx, `--backup-retention-period ${PLAN.pitrDays}`)}`,
    ),
    verdict(
      C.deletionProtection,
      primary.DeletionProtection === true,
      primary.DeletionProtection
        ? 'deletion protection on'
        : 'deletion protection off: one delete-db-instance removes production',
      modify(ctx, '--deletion-protection'),
    ),
    verdict(
      C.encrypted,
      primary.StorageEncrypted === true,
      primary.StorageEncrypted
        ? `storage encrypted${primary.KmsKeyId ? ` with ${primary.KmsKeyId}` : ''}`
        : 'storage not encrypted: snapshots, copies and the replica are unencrypted too',
      `aws rds create-db-snapshot --region ${ctx.primary.region} --db-instance-identifier ${primary.DBInstanceIdentifier} --db-snapshot-identifier ${primary.DBInstanceIdentifier}-to-encrypt  # then copy-db-snapshot --kms-key-id alias/aws/rds and restore from the encrypted copy (RDS cannot encrypt in place)`,
    ),
  ];
}

/** `arn:<partition>:<service>:<region>:<account>:<type>:<name>`, or undefined for anything else (a bare identifier). */
function arnParts(arn: string | undefined): { region: string; account: string; name: string } | undefined {
  const match = /^arn:[a-z-]+:[a-z0-9-]+:([a-z0-9-]*):(\d*):[a-z-]+:(.+)$/.exec(arn ?? '');
  return match ? { region: match[1] as string, account: match[2] as string, name: match[3] as string } : undefined;
}

function crossRegionCheck(ctx: AuditContext, facts: DatabaseFacts): AuditCheck {
  const primary = facts.primary as DBInstance;
  const replications = (primary.DBInstanceAutomatedBackupsReplications ?? [])
    .map((r) => r.DBInstanceAutomatedBackupsArn)
    .filter((arn): arn is string => Boolean(arn));
  const inSecondary = replications.filter((arn) => arnParts(arn)?.region === ctx.secondary.region);
  const fix = `aws rds start-db-instance-automated-backups-replication --region ${ctx.secondary.region} --source-db-instance-arn ${primary.DBInstanceArn} --backup-retention-period ${PLAN.pitrDays}`;
  if (inSecondary.length)
    return verdict(DATABASE_CHECKS.crossRegion, true, `automated backups replicated to ${inSecondary.join(', ')}`, fix);
  const elsewhere = replications.length
    ? `automated backups replicated only to ${replications.map((arn) => arnParts(arn)?.region ?? arn).join(', ')}, not ${ctx.secondary.region}`
    : 'automated backups are not replicated';
  const lookAlikes = facts.lookAlikeCopies
    ? ` (${facts.lookAlikeCopies} snapshot${facts.lookAlikeCopies === 1 ? '' : 's'} there of a same-named instance elsewhere do not count)`
    : '';
  const copy = facts.newestCopy;
  if (!copy?.SnapshotCreateTime)
    return verdict(
      DATABASE_CHECKS.crossRegion,
      false,
      `${elsewhere}, and ${ctx.secondary.region} holds no snapshot of ${primary.DBInstanceIdentifier}${lookAlikes}`,
      fix,
    );
  const age = secondsSince(copy.SnapshotCreateTime, ctx.now);
  return verdict(
    DATABASE_CHECKS.crossRegion,
    age <= ctx.settings.rpoSeconds,
    `${elsewhere}; newest snapshot copy in ${ctx.secondary.region} is ${copy.DBSnapshotIdentifier}, ${formatDuration(age)} old (RPO ${formatDuration(ctx.settings.rpoSeconds)})${lookAlikes}`,
    fix,
  );
}

/** Whether the replica replicates from the primary itself: its source is the primary's ARN (region, account and name), not just its name. */
function replicaSource(
  replica: DBInstance,
  primary: DBInstance | undefined,
  ctx: AuditContext,
): { replicates: boolean; why: string } {
  const source = replica.ReadReplicaSourceDBInstanceIdentifier;
  if (!source)
    return { replicates: false, why: 'replicates from nothing (a standalone instance: promoted, or never a replica)' };
  if (!primary?.DBInstanceArn)
    return { replicates: false, why: `replicates from ${source}, and there is no primary to compare it with` };
  if (source === primary.DBInstanceArn) return { replicates: true, why: `replicating from ${source}` };
  const from = arnParts(source);
  const want = arnParts(primary.DBInstanceArn);
  if (!from || !want)
    return {
      replicates: false,
      why: `replicates from instance '${source}' of its own region ${ctx.secondary.region}, not from the primary ${primary.DBInstanceArn}`,
    };
  const differences = [
    from.region !== want.region ? `in region ${from.region}, not ${want.region}` : '',
    from.account !== want.account ? `in account ${from.account}, not ${want.account}` : '',
    from.name !== want.name ? `named ${from.name}, not ${want.name}` : '',
  ].filter(Boolean);
  return {
    replicates: false,
    why: `replicates from ${source}, an instance ${differences.join(' and ') || 'other than the primary'}: not the primary ${primary.DBInstanceArn}`,
  };
}

function replicaChecks(ctx: AuditContext, facts: DatabaseFacts): AuditCheck[] {
  const db = ctx.settings.database as NonNullable<AuditContext['settings']['database']>;
  const C = DATABASE_CHECKS;
  const createFix = `aws rds create-db-instance-read-replica --region ${ctx.secondary.region} --db-instance-identifier ${db.replicaId} --source-db-instance-identifier ${facts.primary?.DBInstanceArn ?? db.instanceId}`;
  const lagFix = `aws cloudwatch get-metric-statistics --region ${ctx.secondary.region} --namespace AWS/RDS --metric-name ReplicaLag --dimensions Name=DBInstanceIdentifier,Value=${db.replicaId} --statistics Maximum --period 60 --start-time <15 min ago> --end-time <now>  # then scale the replica (modify-db-instance --db-instance-class) or reduce write bursts`;
  const replica = facts.replica;
  if (!replica) {
    return [
      verdict(C.replica, false, `no instance ${db.replicaId} in ${ctx.secondary.region}`, createFix),
      verdict(C.lag, false, `no replica ${db.replicaId} to measure`, lagFix),
    ];
  }
  const status = replica.DBInstanceStatus ?? 'unknown';
  const { replicates, why } = replicaSource(replica, facts.primary, ctx);
  const found = `${db.replicaId} is ${status}, ${why}`;
  const lag = facts.maxLagSeconds;
  const rpo = ctx.settings.rpoSeconds;
  return [
    verdict(C.replica, replicates && status === 'available', found, createFix),
    verdict(
      C.lag,
      lag !== undefined && lag <= rpo,
      lag === undefined
        ? `CloudWatch has no ReplicaLag data points for ${db.replicaId} in the last ${LAG_WINDOW_SECONDS / 60} minutes: replication may be stopped`
        : `highest ReplicaLag of the last ${LAG_WINDOW_SECONDS / 60} minutes: ${formatDuration(lag)} (RPO ${formatDuration(rpo)})`,
      lagFix,
    ),
  ];
}

/** The database prerequisites: the PITR window, its freshness, copies in the other region, the replica and its lag, protection. */
export function databaseChecks(ctx: AuditContext, facts: DatabaseFacts): AuditCheck[] {
  const db = ctx.settings.database;
  if (!db) return [];
  const C = DATABASE_CHECKS;
  if (!facts.primary) {
    const missing = `no instance ${db.instanceId} in ${ctx.primary.region}`;
    const fix = `aws rds describe-db-instances --region ${ctx.primary.region} --query 'DBInstances[].DBInstanceIdentifier'  # db-instance-id must name the primary`;
    return [
      ...[C.retention, C.restorable, C.crossRegion, C.deletionProtection, C.encrypted].map((d) =>
        verdict(d, false, missing, fix),
      ),
      ...replicaChecks(ctx, facts),
    ];
  }
  const [retention, restorable, deletion, encrypted] = primaryChecks(ctx, facts.primary) as [
    AuditCheck,
    AuditCheck,
    AuditCheck,
    AuditCheck,
  ];
  return [retention, restorable, crossRegionCheck(ctx, facts), ...replicaChecks(ctx, facts), deletion, encrypted];
}
