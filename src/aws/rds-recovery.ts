import {
  CopyDBSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBSnapshotsCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  type DBSnapshot,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import { toInstanceState, type InstanceState } from './rds.js';

/** An instance's automated backups as one region holds them: its own, or replicated from another region. */
export interface AutomatedBackups {
  arn: string;
  instanceId: string;
  /** The region of the instance the backups are of. */
  sourceRegion: string;
  status: string;
  earliest?: Date;
  latest?: Date;
  retentionDays: number;
}

export interface SnapshotState {
  id: string;
  arn: string;
  instanceId: string;
  /** 'automated', 'manual', 'awsbackup'... */
  type: string;
  status: string;
  /** The moment the data is from: the last transaction, or when the original snapshot was taken (a copy keeps it). */
  dataAt?: Date;
  encrypted: boolean;
  tags: Record<string, string>;
}

const tagsOf = (list: Tag[] | undefined) => Object.fromEntries((list ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']));
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export function toSnapshotState(snapshot: DBSnapshot): SnapshotState {
  return {
    id: snapshot.DBSnapshotIdentifier ?? '',
    arn: snapshot.DBSnapshotArn ?? '',
    instanceId: (snapshot.DBInstanceIdentifier ?? '').toLowerCase(),
    type: snapshot.SnapshotType ?? 'unknown',
    status: snapshot.Status ?? 'unknown',
    dataAt: snapshot.SnapshotDatabaseTime ?? snapshot.OriginalSnapshotCreateTime ?? snapshot.SnapshotCreateTime,
    encrypted: snapshot.Encrypted === true,
    tags: tagsOf(snapshot.TagList),
  };
}

/** Every automated backup a region describes for the instance (paginated). */
export async function describeAutomatedBackups(client: RDSClient, instanceId: string): Promise<AutomatedBackups[]> {
  const found: AutomatedBackups[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: instanceId, Marker: marker }));
    for (const backup of page.DBInstanceAutomatedBackups ?? []) {
      found.push({
        arn: backup.DBInstanceAutomatedBackupsArn ?? '',
        instanceId: (backup.DBInstanceIdentifier ?? '').toLowerCase(),
        sourceRegion: backup.Region ?? '',
        status: backup.Status ?? 'unknown',
        earliest: backup.RestoreWindow?.EarliestTime,
        latest: backup.RestoreWindow?.LatestTime,
        retentionDays: backup.BackupRetentionPeriod ?? 0,
      });
    }
    marker = page.Marker;
  } while (marker);
  return found;
}

/** The instance's snapshots in the client's region, of every type (paginated), or the one named. */
export async function listSnapshots(client: RDSClient, filter: { instanceId: string } | { snapshotId: string }): Promise<SnapshotState[]> {
  const found: SnapshotState[] = [];
  let marker: string | undefined;
  try {
    do {
      const query = 'instanceId' in filter ? { DBInstanceIdentifier: filter.instanceId } : { DBSnapshotIdentifier: filter.snapshotId };
      const page = await client.send(new DescribeDBSnapshotsCommand({ ...query, Marker: marker }));
      found.push(...(page.DBSnapshots ?? []).map(toSnapshotState));
      marker = page.Marker;
    } while (marker);
  } catch (error) {
    if ((error as { name?: string }).name === 'DBSnapshotNotFoundFault' || (error as { name?: string }).name === 'DBSnapshotNotFound') return [];
    throw error;
  }
  return found;
}

/** What a temporary instance is made with, whatever the source had: never public, no deletion protection, single-AZ. */
export interface TemporaryInstance {
  id: string;
  instanceClass: string;
  subnetGroup?: string;
  securityGroupIds: string[];
  tags: Record<string, string>;
}

function temporarySettings(target: TemporaryInstance) {
  return {
    DBInstanceClass: target.instanceClass,
    PubliclyAccessible: false,
    DeletionProtection: false,
    MultiAZ: false,
    CopyTagsToSnapshot: false,
    Tags: tagList(target.tags),
    ...(target.subnetGroup ? { DBSubnetGroupName: target.subnetGroup } : {}),
    ...(target.securityGroupIds.length ? { VpcSecurityGroupIds: target.securityGroupIds } : {}),
  };
}

export type PointInTimeSource = { instanceId: string } | { automatedBackupsArn: string };

/** RestoreDBInstanceToPointInTime: `time` 'latest' asks RDS for its latest restorable time. */
export async function restoreToPointInTime(client: RDSClient, source: PointInTimeSource, time: Date | 'latest', target: TemporaryInstance, region: string): Promise<InstanceState> {
  const response = await client.send(
    new RestoreDBInstanceToPointInTimeCommand({
      ...('instanceId' in source ? { SourceDBInstanceIdentifier: source.instanceId } : { SourceDBInstanceAutomatedBackupsArn: source.automatedBackupsArn }),
      TargetDBInstanceIdentifier: target.id,
      ...(time === 'latest' ? { UseLatestRestorableTime: true } : { RestoreTime: time }),
      ...temporarySettings(target),
    }),
  );
  return toInstanceState(response.DBInstance ?? {}, region);
}

export async function restoreFromSnapshot(client: RDSClient, snapshot: string, target: TemporaryInstance, region: string): Promise<InstanceState> {
  const response = await client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({ DBSnapshotIdentifier: snapshot, DBInstanceIdentifier: target.id, ...temporarySettings(target) }),
  );
  return toInstanceState(response.DBInstance ?? {}, region);
}

/** Deletes a temporary instance for good: no final snapshot, no retained automated backups. */
export async function deleteInstance(client: RDSClient, id: string): Promise<void> {
  await client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
}

export async function createSnapshot(client: RDSClient, instanceId: string, snapshotId: string, tags: Record<string, string>): Promise<SnapshotState> {
  const response = await client.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: instanceId, DBSnapshotIdentifier: snapshotId, Tags: tagList(tags) }));
  return toSnapshotState(response.DBSnapshot ?? {});
}

/** CopyDBSnapshot in the destination region (the client's); the SDK signs the pre-signed URL for the source region named in the ARN. */
export async function copySnapshot(
  client: RDSClient,
  sourceArn: string,
  targetId: string,
  options: { kmsKeyId?: string; tags: Record<string, string> },
): Promise<SnapshotState> {
  const response = await client.send(
    new CopyDBSnapshotCommand({
      SourceDBSnapshotIdentifier: sourceArn,
      TargetDBSnapshotIdentifier: targetId,
      Tags: tagList(options.tags),
      ...(options.kmsKeyId ? { KmsKeyId: options.kmsKeyId } : {}),
    }),
  );
  return toSnapshotState(response.DBSnapshot ?? {});
}

export async function deleteSnapshot(client: RDSClient, snapshotId: string): Promise<void> {
  await client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshotId }));
}
