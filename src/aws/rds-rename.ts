import { ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { toInstanceState, type InstanceState } from './rds.js';

/**
 * Renames an instance at once (ModifyDBInstance NewDBInstanceIdentifier, ApplyImmediately): RDS
 * reports it `renaming`, then `available` under the new identifier, whose endpoint is the one the
 * old identifier had. Nothing else is changed (deletion protection, backups and tags stay).
 */
export async function renameInstance(
  client: RDSClient,
  id: string,
  newId: string,
  region: string,
): Promise<InstanceState> {
  const response = await client.send(
    new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, NewDBInstanceIdentifier: newId, ApplyImmediately: true }),
  );
  return toInstanceState(response.DBInstance ?? {}, region);
}
