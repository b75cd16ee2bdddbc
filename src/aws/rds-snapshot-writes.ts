import {
  CopyDBSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { toSnapshotState, type SnapshotState } from './rds-snapshots.js';
import { tagList } from './rds-tags.js';

export async function createSnapshot(
  client: RDSClient,
  instanceId: string,
  snapshotId: string,
  tags: Record<string, string>,
): Promise<SnapshotState> {
  const response = await client.send(
    new CreateDBSnapshotCommand({
      DBInstanceIdentifier: instanceId,
      DBSnapshotIdentifier: snapshotId,
      Tags: tagList(tags),
    }),
  );
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
