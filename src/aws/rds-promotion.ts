import { PromoteReadReplicaCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { ThrottledCallOptions } from './rds.js';
import type { InstanceRef } from './rds-instance-ref.js';
import { retryWhileThrottled } from './throttling.js';

/** In a file of its own, so that only the code that promotes (failover) reaches PromoteReadReplica. */
export async function promoteReadReplica(
  client: RDSClient,
  ref: InstanceRef,
  options: ThrottledCallOptions,
): Promise<void> {
  await retryWhileThrottled(() => client.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: ref.id })), {
    deadline: options.deadline,
    backoff: options.throttle,
    clock: options.clock,
  });
}
