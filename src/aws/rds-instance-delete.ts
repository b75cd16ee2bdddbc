import { DeleteDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';

// Kept apart from the restore calls: an action that only restores and renames (recover-database)
// never reaches this file, so its role needs no rds:DeleteDBInstance.
/** Deletes a temporary instance for good: no final snapshot, no retained automated backups. */
export async function deleteInstance(client: RDSClient, id: string): Promise<void> {
  await client.send(
    new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }),
  );
}
