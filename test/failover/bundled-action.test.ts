import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe as suite, expect, test } from '@jest/globals';
import type { FailoverReport } from '../../src/failover/failover-report.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { stackFromEnv } from '../../harness/stack.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import { startHealthServer } from '../../harness/health-server.js';
import { createTopology, recordSets, snapshot, upsertRecord, type Topology } from '../../harness/aws-topology.js';

function inputsFor(topology: Topology, extra: Record<string, string>): Record<string, string> {
  return {
    'replica-id': topology.replicaId,
    region: 'us-west-2',
    'hosted-zone-id': topology.zoneId,
    'record-name': topology.recordName,
    'endpoint-url': stackFromEnv().awsEndpoint,
    ...extra,
  };
}

suite('actions/failover/dist/index.js as the runner runs it', () => {
  test('plan, a refused execute, then execute: outputs, summary and report', async () => {
    const topology = await createTopology();
    const health = await startHealthServer(200);
    const dir = await mkdtemp(join(tmpdir(), 'dr-actions-failover-e2e-'));
    const env = { ...MOTO_CREDENTIALS };
    try {
      const before = await snapshot(topology);
      const plan = await runBundledAction(
        'failover',
        inputsFor(topology, { 'health-url': health.url, 'report-path': join(dir, 'plan.json') }),
        { env },
      );
      expect(plan.exitCode).toBe(0);
      expect(plan.outputs).toEqual({
        mode: 'plan',
        promoted: 'false',
        endpoint: `${topology.replicaAddress}:5432`,
        'previous-record-value': topology.primaryAddress,
        'record-value': topology.primaryAddress.toLowerCase(),
        'change-id': '',
        'duration-seconds': expect.stringMatching(/^\d+(\.\d+)?$/),
        'report-path': join(dir, 'plan.json'),
      });
      expect(plan.summary).toContain('execute would proceed');
      expect(plan.summary).toContain('### What execute would do');
      expect((JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')) as FailoverReport).details.mode).toBe('plan');
      expect(await snapshot(topology)).toEqual(before);

      const refused = await runBundledAction(
        'failover',
        inputsFor(topology, { mode: 'execute', confirm: 'yes', 'report-path': join(dir, 'refused.json') }),
        { env },
      );
      expect(refused.exitCode).toBe(1);
      expect(refused.stdout).toContain("::error::confirm 'yes' does not equal replica-id");
      expect(await snapshot(topology)).toEqual(before);

      // The record moves after the plan was approved: execute, bound to the plan's record-value, promotes nothing.
      const approved = plan.outputs['record-value'] as string;
      const theirs = {
        Name: `${topology.recordName}.`,
        Type: 'CNAME' as const,
        TTL: 60,
        ResourceRecords: [{ Value: 'maintenance.example.net' }],
      };
      await upsertRecord(topology.zoneId, theirs);
      const stale = await runBundledAction(
        'failover',
        inputsFor(topology, {
          mode: 'execute',
          confirm: topology.replicaId,
          'expected-record-value': approved,
          'report-path': join(dir, 'stale.json'),
        }),
        { env },
      );
      expect(stale.exitCode).toBe(1);
      expect(stale.stdout).toContain(
        `::error::execute refused, nothing was changed: Approved record: ${topology.recordName}. CNAME holds maintenance.example.net, but the approved plan saw ${approved}`,
      );
      expect(stale.outputs['record-value']).toBe('maintenance.example.net');
      expect(await snapshot(topology)).toEqual({ ...before, record: [theirs] });
      await upsertRecord(topology.zoneId, { ...theirs, ResourceRecords: [{ Value: topology.primaryAddress }] });

      // Identifiers typed in capitals, as the README shows them, are the same identifier to RDS and to confirm.
      const executed = await runBundledAction(
        'failover',
        inputsFor(topology, {
          'replica-id': topology.replicaId.toUpperCase(),
          mode: 'execute',
          confirm: topology.replicaId.toUpperCase(),
          'expected-record-value': approved,
          'health-url': health.url,
          'health-timeout-seconds': '30',
          'report-path': join(dir, 'execute.json'),
        }),
        { env },
      );
      expect(executed.stdout).not.toContain('::error::');
      expect(executed.exitCode).toBe(0);
      expect(executed.outputs).toMatchObject({
        mode: 'execute',
        promoted: 'true',
        'previous-record-value': topology.primaryAddress,
        'change-id': expect.stringMatching(/^C[A-Z0-9]+$/),
      });
      expect((await recordSets(topology.zoneId, topology.recordName))[0]?.ResourceRecords).toEqual([
        { Value: topology.replicaAddress },
      ]);
      const report = JSON.parse(await readFile(join(dir, 'execute.json'), 'utf8')) as FailoverReport;
      expect(report.passed).toBe(true);
      expect(executed.summary).toContain('Failover to');
      expect(executed.summary).toContain('### Next steps');
      expect(executed.summary).toContain('Split-brain risk');
      expect(executed.summary).toContain('### How to roll back');
      expect(executed.summary).toContain('of RTO');
    } finally {
      await health.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
