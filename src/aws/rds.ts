import {
  AddTagsToResourceCommand,
  DescribeDBInstancesCommand,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { pollUntil, type Backoff, type PollOutcome } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';
import { unlessNotFound } from './errors.js';
import { parseInstanceRef, type InstanceRef } from './rds-instance-ref.js';
import { tagList, tagsOf } from './rds-tags.js';
import { retryWhileThrottled } from './throttling.js';

/** One DB instance as RDS describes it now: what failover (and restore tests) need to know of it. */
export interface InstanceState extends InstanceRef {
  arn?: string;
  status: string;
  engine: string;
  engineVersion: string;
  endpoint?: { address: string; port: number };
  /** The instance it replicates from; absent for a standalone instance. */
  source?: InstanceRef;
  /** Identifiers or ARNs of its read replicas. */
  replicas: string[];
  tags: Record<string, string>;
  /** The newest moment a point-in-time restore can reach (the last log shipped). */
  latestRestorableTime?: Date;
  createdAt?: Date;
  backupRetentionDays?: number;
  instanceClass?: string;
  publiclyAccessible?: boolean;
  deletionProtection?: boolean;
  /** DbiResourceId: stays with the instance through a rename, unlike its identifier and ARN. */
  resourceId?: string;
  subnetGroup?: string;
  securityGroupIds?: string[];
  multiAz?: boolean;
  /** MasterUserSecret.SecretArn: the Secrets Manager secret RDS keeps the master login in (ManageMasterUserPassword). */
  masterUserSecretArn?: string;
}

/**
 * Statuses an instance passes through on its own (a promotion under way, a reboot, a backup);
 * a caller waits these out. Any other status but 'available' needs a person.
 */
export const TRANSITIONAL_STATUSES = new Set([
  'backing-up',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'converting-to-vpc',
  'creating',
  'maintenance',
  'modifying',
  'moving-to-vpc',
  'rebooting',
  'renaming',
  'resetting-master-credentials',
  'starting',
  'storage-config-upgrade',
  'storage-initialization',
  'storage-optimization',
  'upgrading',
]);

export function toInstanceState(instance: DBInstance, region: string): InstanceState {
  const sourceText = instance.ReadReplicaSourceDBInstanceIdentifier;
  return {
    id: (instance.DBInstanceIdentifier ?? '').toLowerCase(),
    region,
    arn: instance.DBInstanceArn,
    status: instance.DBInstanceStatus ?? 'unknown',
    engine: instance.Engine ?? 'unknown',
    engineVersion: instance.EngineVersion ?? 'unknown',
    endpoint: instance.Endpoint?.Address
      ? { address: instance.Endpoint.Address, port: instance.Endpoint.Port ?? 5432 }
      : undefined,
    source: sourceText ? parseInstanceRef(sourceText, region) : undefined,
    replicas: instance.ReadReplicaDBInstanceIdentifiers ?? [],
    tags: tagsOf(instance.TagList),
    latestRestorableTime: instance.LatestRestorableTime,
    createdAt: instance.InstanceCreateTime,
    backupRetentionDays: instance.BackupRetentionPeriod,
    instanceClass: instance.DBInstanceClass,
    publiclyAccessible: instance.PubliclyAccessible,
    deletionProtection: instance.DeletionProtection,
    resourceId: instance.DbiResourceId,
    subnetGroup: instance.DBSubnetGroup?.DBSubnetGroupName,
    securityGroupIds: (instance.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? '').filter(Boolean),
    multiAz: instance.MultiAZ,
    masterUserSecretArn: instance.MasterUserSecret?.SecretArn,
  };
}

/** The instance as RDS describes it now, or undefined when RDS says it does not exist. */
export async function describeInstance(client: RDSClient, ref: InstanceRef): Promise<InstanceState | undefined> {
  const response = await unlessNotFound(
    client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ref.id })),
    'DBInstanceNotFoundFault',
    'DBInstanceNotFound',
  );
  const instance = response?.DBInstances?.[0];
  return instance ? toInstanceState(instance, ref.region) : undefined;
}

export function endpointText(state: Pick<InstanceState, 'endpoint'> | undefined): string | undefined {
  return state?.endpoint ? `${state.endpoint.address}:${state.endpoint.port}` : undefined;
}

/** True when `state` lists `replica` (by identifier or ARN) among its read replicas. */
export function listsReplica(state: InstanceState, replica: InstanceRef & { arn?: string }): boolean {
  return state.replicas.some((entry) => {
    const ref = parseInstanceRef(entry, state.region);
    return (
      (replica.arn !== undefined && entry === replica.arn) || (ref.id === replica.id && ref.region === replica.region)
    );
  });
}

/** Between retries of a throttled call: when to give up, how long to wait. */
export interface ThrottledCallOptions {
  /** Epoch ms. */
  deadline: number;
  throttle: Backoff;
  clock?: Clock;
}

const throttled = (options: ThrottledCallOptions) => ({
  deadline: options.deadline,
  backoff: options.throttle,
  clock: options.clock,
});

export async function addInstanceTags(
  client: RDSClient,
  arn: string,
  tags: Record<string, string>,
  options: ThrottledCallOptions,
): Promise<void> {
  await retryWhileThrottled(
    () => client.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: tagList(tags) })),
    throttled(options),
  );
}

export interface InstancePollOptions extends ThrottledCallOptions {
  poll: Backoff;
}

/**
 * Describes the instance with backoff until `isDone` accepts what RDS reports or the deadline
 * passes. RDS's own waiter (DBInstanceAvailable) cannot be used for a promotion: it is satisfied
 * by 'available', which RDS reports before a promotion starts, and does not look at the
 * replication source.
 */
export async function pollInstance(
  client: RDSClient,
  ref: InstanceRef,
  isDone: (state: InstanceState | undefined) => boolean,
  options: InstancePollOptions,
): Promise<PollOutcome<InstanceState | undefined>> {
  return pollUntil(
    async () => (await retryWhileThrottled(() => describeInstance(client, ref), throttled(options))).value,
    isDone,
    {
      deadline: options.deadline,
      backoff: options.poll,
      clock: options.clock,
    },
  );
}
