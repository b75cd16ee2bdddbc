import {
  DescribeDBInstanceAutomatedBackupsCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { toInstanceState, type InstanceState } from './rds.js';
import { tagList } from './rds-tags.js';

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

/** Every automated backup a region describes for the instance (paginated). */
export async function describeAutomatedBackups(client: RDSClient, instanceId: string): Promise<AutomatedBackups[]> {
  const found: AutomatedBackups[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: instanceId, Marker: marker }),
    );
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

/**
 * What a restored instance is made with, whatever the source had. A temporary one (a restore
 * test) leaves the three flags out: never public, no deletion protection, single-AZ; a
 * replacement (a recovery) takes the production instance's.
 */
export interface TemporaryInstance {
  id: string;
  instanceClass: string;
  subnetGroup?: string;
  securityGroupIds: string[];
  tags: Record<string, string>;
  publiclyAccessible?: boolean;
  deletionProtection?: boolean;
  multiAz?: boolean;
  /** IAM database authentication on the restored instance: a restore turns it off unless asked. */
  iamDatabaseAuthentication?: boolean;
}

function temporarySettings(target: TemporaryInstance) {
  return {
    DBInstanceClass: target.instanceClass,
    PubliclyAccessible: target.publiclyAccessible ?? false,
    DeletionProtection: target.deletionProtection ?? false,
    MultiAZ: target.multiAz ?? false,
    CopyTagsToSnapshot: false,
    ...(target.iamDatabaseAuthentication ? { EnableIAMDatabaseAuthentication: true } : {}),
    Tags: tagList(target.tags),
    ...(target.subnetGroup ? { DBSubnetGroupName: target.subnetGroup } : {}),
    ...(target.securityGroupIds.length ? { VpcSecurityGroupIds: target.securityGroupIds } : {}),
  };
}

export type PointInTimeSource = { instanceId: string } | { automatedBackupsArn: string };

/** RestoreDBInstanceToPointInTime: `time` 'latest' asks RDS for its latest restorable time. */
export async function restoreToPointInTime(
  client: RDSClient,
  source: PointInTimeSource,
  time: Date | 'latest',
  target: TemporaryInstance,
  region: string,
): Promise<InstanceState> {
  const response = await client.send(
    new RestoreDBInstanceToPointInTimeCommand({
      ...('instanceId' in source
        ? { SourceDBInstanceIdentifier: source.instanceId }
        : { SourceDBInstanceAutomatedBackupsArn: source.automatedBackupsArn }),
      TargetDBInstanceIdentifier: target.id,
      ...(time === 'latest' ? { UseLatestRestorableTime: true } : { RestoreTime: time }),
      ...temporarySettings(target),
    }),
  );
  return toInstanceState(response.DBInstance ?? {}, region);
}

export async function restoreFromSnapshot(
  client: RDSClient,
  snapshot: string,
  target: TemporaryInstance,
  region: string,
): Promise<InstanceState> {
  const response = await client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBSnapshotIdentifier: snapshot,
      DBInstanceIdentifier: target.id,
      ...temporarySettings(target),
    }),
  );
  return toInstanceState(response.DBInstance ?? {}, region);
}
