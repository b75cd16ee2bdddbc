import { join } from 'node:path';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { createTopology, rdsIn, type Topology } from '../../../harness/aws-topology.js';
import { startHealthServer } from '../../../harness/health-server.js';
import { startStreamingReplica, type StreamingReplica } from '../../../harness/streaming-replica.js';
import { waitUntil } from '../../../harness/wait.js';
import type { DrillRun } from '../drill-run.js';
import { DATABASE, REPORT, SECONDARY_REGION } from '../settings.js';
import type { DrillStep } from '../step.js';

/**
 * What RDS does to the database while it promotes a replica: the drill's standby leaves recovery as
 * soon as moto reports the promotion under way, so the action's writable check meets a real primary.
 * `stop()` ends the watch (the failover is over) and waits for it.
 */
function promoteStandbyWithRds(
  drill: DrillRun,
  topology: Topology,
  standby: StreamingReplica,
): { stop(): Promise<void> } {
  let active = true;
  const underway = async () => {
    if (!active) return true;
    const described = await rdsIn(SECONDARY_REGION).send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: topology.replicaId }),
    );
    const instance = described.DBInstances?.[0];
    return instance?.DBInstanceStatus === 'modifying' || !instance?.ReadReplicaSourceDBInstanceIdentifier;
  };
  const watch = waitUntil(`RDS promotes ${topology.replicaId}`, underway, { timeoutMs: 10 * 60_000, intervalMs: 200 })
    .then(() => (active ? standby.promote() : undefined))
    .catch((error: unknown) => drill.say(`the standby was not promoted: ${String(error)}`));
  return {
    stop: () => {
      active = false;
      return watch;
    },
  };
}

/** failover.yml's two jobs against RDS and Route 53 in moto, a real streaming replica and a local health endpoint: the plan, then execute. */
export const failOver: DrillStep = {
  name: 'failover to the replica region (actions/failover, execute)',
  async run(drill) {
    const replica = (drill.started.replica = await startStreamingReplica(drill.production));
    const health = (drill.started.health = await startHealthServer(200));
    const topology = await createTopology();
    const promoting = promoteStandbyWithRds(drill, topology, replica);
    const failover = {
      'replica-id': topology.replicaId,
      region: SECONDARY_REGION,
      'hosted-zone-id': topology.zoneId,
      'record-name': topology.recordName,
      'health-url': health.url,
      'replica-database-url': replica.url(DATABASE),
      'endpoint-url': drill.stack.awsEndpoint,
    };
    try {
      // As failover.yml runs it: the plan the reviewers see, then execute bound to the record that plan saw.
      // The plan's report stays out of reports/: the drill report is the execute run's.
      const plan = await drill.action('failover', {
        ...failover,
        'report-path': join(drill.options.outDir, 'failover-plan-report.json'),
      });
      const run = await drill.action('failover', {
        ...failover,
        mode: 'execute',
        confirm: topology.replicaId,
        'expected-record-value': plan.outputs['record-value'] ?? '',
        'report-path': drill.reportPath(REPORT.failover),
      });
      return `${topology.recordName} now points at ${run.outputs.endpoint}; healthy after ${run.outputs['duration-seconds']} s`;
    } finally {
      await promoting.stop();
    }
  },
};
