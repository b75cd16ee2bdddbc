import { readFile, rm } from 'node:fs/promises';
import { describe as suite, expect, test } from '@jest/globals';
import { ConfigurationError } from '../../src/errors.js';
import type { FailoverReport } from '../../src/failover/failover-report.js';
import { runFailover } from '../../src/failover/run-failover.js';
import { failoverMarkdown } from '../../src/failover/summary.js';
import { startHealthServer } from '../../harness/health-server.js';
import { createTopology, PRIMARY_REGION, runOptions, settingsFor, snapshot } from '../../harness/aws-topology.js';

suite('failover plan', () => {
  test('plan reads everything, changes nothing, and writes a passing report with the planned changes', async () => {
    const topology = await createTopology();
    const health = await startHealthServer(503);
    const settings = settingsFor(topology, {
      health: { url: health.url, display: health.url, expectStatus: 200, timeoutSeconds: 5 },
    });
    try {
      const before = await snapshot(topology);
      const result = await runFailover(runOptions(settings));
      const after = await snapshot(topology);

      expect(result.error).toBeUndefined();
      expect(after).toEqual(before);
      expect(before.replica.source).toBe(topology.primaryArn);
      expect(result.promoted).toBe(false);
      expect(result.changeId).toBe('');
      expect(result.endpoint).toBe(`${topology.replicaAddress}:5432`);
      expect(result.previousRecordValue).toBe(topology.primaryAddress);
      expect(health.requests).toBe(1); // preflight asks once; plan never polls

      const report = JSON.parse(await readFile(settings.reportPath, 'utf8')) as FailoverReport;
      expect(report).toMatchObject({ version: 1, kind: 'failover', passed: true, reasons: [] });
      expect(report.steps.map((s) => [s.name, s.status])).toEqual([['preflight', 'passed']]);
      expect(report.details.plannedChanges.map((c) => c.change)).toEqual([
        `Tag ${topology.replicaId} (us-west-2)`,
        `Promote ${topology.replicaId} (us-west-2) (PromoteReadReplica)`,
        `Route 53 db.${topology.zoneName}. CNAME (zone ${topology.zoneId}), then wait for INSYNC`,
        `Poll ${health.url} (up to 5.00 s)`,
      ]);
      const dns = report.details.plannedChanges[2];
      expect(dns?.before).toBe(`${topology.primaryAddress} (TTL 60)`);
      expect(dns?.after).toBe(`${topology.replicaAddress} (TTL 60)`);
      expect(report.details.source).toMatchObject({
        id: topology.primaryId,
        region: PRIMARY_REGION,
        status: 'available',
        answers: true,
      });
      expect(report.objectives.find((o) => o.name === 'RTO')).toMatchObject({
        scenario: 'regional outage',
        targetSeconds: 28_800,
        measuredSeconds: null,
      });
      // No replica-database-url: the lag is not known, and is never reported as zero.
      expect(report.details.replicationLag).toBeNull();
      expect(report.objectives.find((o) => o.name === 'RPO')?.measuredSeconds).toBeNull();

      const summary = failoverMarkdown(result);
      expect(summary).toContain('execute would proceed');
      expect(summary).toContain(
        `| ${topology.primaryAddress} (TTL 60) | ${topology.replicaAddress} (TTL 60) | planned |`,
      );
      expect(summary).toContain(`confirm: ${topology.replicaId}`);
      expect(summary).toContain('Split-brain risk');
      expect(summary).toContain('HTTP 503');
    } finally {
      await health.close();
      await rm(settings.reportPath, { force: true });
    }
  });

  test('a source-id the replica does not replicate from makes plan fail with the reason, and changes nothing', async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology, { source: { id: 'some-other-db', region: PRIMARY_REGION } });
    const before = await snapshot(topology);
    const result = await runFailover(runOptions(settings));
    expect(await snapshot(topology)).toEqual(before);
    expect(result.error).toBeInstanceOf(ConfigurationError);
    expect(result.error?.message).toContain(
      `replicates from ${topology.primaryId} (us-east-1), not from source-id some-other-db (us-east-1)`,
    );
    expect(result.report.passed).toBe(false);
    await rm(settings.reportPath, { force: true });
  });

  test('an instance that is not a replica and was never promoted is refused, with how to mark a manual promotion', async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology, { replicaId: topology.primaryId, region: PRIMARY_REGION });
    const result = await runFailover(runOptions(settings));
    expect(result.error).toBeInstanceOf(ConfigurationError);
    expect(result.error?.message).toContain('is not a read replica and has no dr-actions:promoted-from tag');
    expect(result.error?.message).toContain('aws rds add-tags-to-resource');
    await rm(settings.reportPath, { force: true });
  });

  test('a replica-id that does not exist in the region is a clear refusal', async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology, { replicaId: 'no-such-replica' });
    const result = await runFailover(runOptions(settings));
    expect(result.error?.message).toContain('no-such-replica (us-west-2) does not exist: check replica-id and region');
    await rm(settings.reportPath, { force: true });
  });

  test('a record of another type under the name, and a record outside the zone, are refused', async () => {
    const topology = await createTopology();
    const aliasSettings = settingsFor(topology, {
      record: {
        hostedZoneId: topology.zoneId,
        name: `${topology.recordName}.`,
        type: 'A',
        ttl: 60,
        alias: { dnsName: 'nlb.example.net.', hostedZoneId: 'Z26RNL4JYFTOTI' },
      },
    });
    const wrongType = await runFailover(runOptions(aliasSettings));
    expect(wrongType.error?.message).toContain(
      'has a CNAME record, and a CNAME cannot share a name with other records',
    );
    const outsideSettings = settingsFor(topology, {
      record: { hostedZoneId: topology.zoneId, name: 'db.elsewhere.example.org.', type: 'CNAME', ttl: 60 },
    });
    const outside = await runFailover(runOptions(outsideSettings));
    expect(outside.error?.message).toContain(`db.elsewhere.example.org. is not in hosted zone ${topology.zoneId}`);
    await Promise.all([aliasSettings, outsideSettings].map((s) => rm(s.reportPath, { force: true })));
  });
});
