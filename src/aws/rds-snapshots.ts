import { DescribeDBSnapshotsCommand, type DBSnapshot, type RDSClient } from '@aws-sdk/client-rds';
import { isNotFound } from './errors.js';
import { tagsOf } from './rds-tags.js';

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
  /** The ARN of the snapshot this one was copied from, for a copy across regions or accounts (RDS names none for a copy within one). */
  copiedFrom?: string;
}

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
    ...(snapshot.SourceDBSnapshotIdentifier ? { copiedFrom: snapshot.SourceDBSnapshotIdentifier } : {}),
  };
}

/** The instance's snapshots in the client's region, of every type (paginated), or the one named. */
export async function listSnapshots(
  client: RDSClient,
  filter: { instanceId: string } | { snapshotId: string },
): Promise<SnapshotState[]> {
  const found: SnapshotState[] = [];
  let marker: string | undefined;
  try {
    do {
      const query =
        'instanceId' in filter
          ? { DBInstanceIdentifier: filter.instanceId }
          : { DBSnapshotIdentifier: filter.snapshotId };
      const page = await client.send(new DescribeDBSnapshotsCommand({ ...query, Marker: marker }));
      found.push(...(page.DBSnapshots ?? []).map(toSnapshotState));
      marker = page.Marker;
    } while (marker);
  } catch (error) {
    if (isNotFound(error, 'DBSnapshotNotFoundFault', 'DBSnapshotNotFound')) return [];
    throw error;
  }
  return found;
}
