import { DescribeReplicationGroupsCommand, type ReplicationGroup } from '@aws-sdk/client-elasticache';
import { createElastiCacheClient } from '../aws/clients.js';
import { unlessNotFound } from '../aws/errors.js';
import { defineChecks, verdict, type AuditCheck } from './check.js';
import type { AuditContext } from './context.js';
import type { CacheSettings } from './settings.js';
import { SENTENCE } from './plan.js';

export const CACHE_CHECKS = defineChecks('cache', {
  persistence: ['cache.persistence', SENTENCE.redis, 'high'],
});

export async function readReplicationGroup(
  ctx: AuditContext,
  cache: CacheSettings,
): Promise<ReplicationGroup | undefined> {
  const client = createElastiCacheClient(ctx.primary);
  const response = await unlessNotFound(
    client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: cache.replicationGroupId })),
    'ReplicationGroupNotFoundFault',
  );
  return response?.ReplicationGroups?.[0];
}

/**
 * "Redis persistence enabled": daily snapshots kept at least a day, or a Multi-AZ group with
 * automatic failover (ElastiCache's replacement for AOF, which it no longer offers on current Redis).
 */
export function cacheChecks(
  ctx: AuditContext,
  cache: CacheSettings,
  group: ReplicationGroup | undefined,
): AuditCheck[] {
  const id = cache.replicationGroupId;
  const fix = `aws elasticache modify-replication-group --region ${ctx.primary.region} --replication-group-id ${id} --snapshot-retention-limit 7 --snapshot-window 03:00-04:00 --apply-immediately`;
  if (!group)
    return [verdict(CACHE_CHECKS.persistence, false, `no replication group ${id} in ${ctx.primary.region}`, fix)];
  const retention = group.SnapshotRetentionLimit ?? 0;
  const multiAz = group.MultiAZ === 'enabled' && group.AutomaticFailover === 'enabled';
  const parts = [
    retention > 0
      ? `snapshots kept ${retention} days${group.SnapshotWindow ? ` (window ${group.SnapshotWindow})` : ''}`
      : 'no automatic snapshots',
    multiAz
      ? 'Multi-AZ with automatic failover'
      : `Multi-AZ ${group.MultiAZ ?? 'disabled'}, automatic failover ${group.AutomaticFailover ?? 'disabled'}`,
  ];
  return [
    verdict(
      CACHE_CHECKS.persistence,
      group.Status === 'available' && (retention > 0 || multiAz),
      `${id} is ${group.Status}: ${parts.join('; ')}`,
      fix,
    ),
  ];
}
