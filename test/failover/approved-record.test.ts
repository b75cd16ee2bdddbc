import { rm } from 'node:fs/promises';
import { describe as suite, expect, test } from '@jest/globals';
import { createRdsClient } from '../../src/aws/clients.js';
import { ConfigurationError } from '../../src/errors.js';
import { createClients, DEFAULT_PACING, type FailoverContext } from '../../src/failover/context.js';
import { executeFailover, type ExecutionOutcome } from '../../src/failover/execute.js';
import type { FailoverSettings } from '../../src/failover/inputs.js';
import { runPreflight, type Finding } from '../../src/failover/preflight.js';
import { normalizeRecordValue } from '../../src/aws/route53-record-value.js';
import { runFailover } from '../../src/failover/run-failover.js';
import { StepRecorder } from '../../src/report/report.js';
import { silentLogger } from '../../src/util/logger.js';
import { freePort } from '../../harness/free-port.js';
import {
  createTopology,
  runOptions,
  settingsFor,
  snapshot,
  upsertRecord,
  type Topology,
} from '../../harness/aws-topology.js';

type SourceRegion = 'answers' | 'does not answer';

/** A context whose RDS client for the source's region talks to a port nothing listens on when that region is down. */
async function contextFor(settings: FailoverSettings, sourceRegion: SourceRegion): Promise<FailoverContext> {
  const ctx: FailoverContext = { clients: createClients(settings), pacing: { ...DEFAULT_PACING }, log: silentLogger };
  if (sourceRegion === 'does not answer') {
    const deadRegion = `http://127.0.0.1:${await freePort()}`;
    ctx.clients.probeRds = (region) => createRdsClient({ region, endpointUrl: deadRegion }, { maxAttempts: 1 });
  }
  return ctx;
}

const pointAt = (topology: Topology, value: string) =>
  upsertRecord(topology.zoneId, {
    Name: `${topology.recordName}.`,
    Type: 'CNAME',
    TTL: 60,
    ResourceRecords: [{ Value: value }],
  });

const finding = (findings: Finding[], check: string) => findings.find((f) => f.check === check);

/** Execute as the workflow's execute job runs it, on the preflight it makes; what it threw, or undefined. */
async function execute(
  settings: FailoverSettings,
  ctx: FailoverContext,
): Promise<{ error: unknown; outcome: ExecutionOutcome; findings: Finding[] }> {
  const preflight = await runPreflight(settings, ctx);
  const outcome: ExecutionOutcome = { promoted: false, recordSwitched: false };
  const error = await executeFailover(settings, preflight, ctx, new StepRecorder(), outcome).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return { error, outcome, findings: preflight.findings };
}

suite('failover execute is bound to the record the approved plan saw', () => {
  test('plan outputs the record it saw as record-value, in the form expected-record-value takes', async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology);
    const plan = await runFailover(runOptions(settings));
    expect(plan.error).toBeUndefined();
    expect(plan.recordValue).toBe(topology.primaryAddress.toLowerCase());
    await rm(settings.reportPath, { force: true });
  });

  test.each<SourceRegion>(['answers', 'does not answer'])(
    'the source region %s: a record changed after the plan to the new primary by hand is refused before anything is promoted',
    async (sourceRegion) => {
      const topology = await createTopology();
      const approved = topology.primaryAddress.toLowerCase();
      await pointAt(topology, topology.replicaAddress);
      const settings = settingsFor(topology, {
        mode: 'execute',
        confirm: topology.replicaId,
        expectedRecordValue: approved,
      });
      const before = await snapshot(topology);
      const { error, outcome, findings } = await execute(settings, await contextFor(settings, sourceRegion));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toContain(
        `holds ${topology.replicaAddress.toLowerCase()}, but the approved plan saw ${approved} (expected-record-value)`,
      );
      expect((error as Error).message).toContain('run plan again and have the new plan approved');
      expect(finding(findings, 'Approved record')?.level).toBe('blocker');
      expect(outcome.promoted).toBe(false);
      expect(await snapshot(topology)).toEqual(before);
    },
  );

  test.each<SourceRegion>(['answers', 'does not answer'])(
    'the source region %s: the record the plan saw lets execute proceed',
    async (sourceRegion) => {
      const topology = await createTopology();
      const settings = settingsFor(topology, {
        mode: 'execute',
        confirm: topology.replicaId,
        expectedRecordValue: normalizeRecordValue(`${topology.primaryAddress.toUpperCase()}.`),
      });
      const { error, outcome, findings } = await execute(settings, await contextFor(settings, sourceRegion));
      expect(error).toBeUndefined();
      expect(outcome).toMatchObject({ promoted: true, recordSwitched: true });
      expect(finding(findings, 'Approved record')?.level).toBe('ok');
    },
  );

  test.each<[FailoverSettings['mode'], SourceRegion]>([
    ['plan', 'answers'],
    ['plan', 'does not answer'],
    ['execute', 'answers'],
    ['execute', 'does not answer'],
  ])(
    '%s, the source region %s: a record that is neither the old primary nor the replica blocks, with the way out',
    async (mode, sourceRegion) => {
      const topology = await createTopology();
      await pointAt(topology, 'maintenance.example.net');
      const settings = settingsFor(topology, { mode, confirm: mode === 'execute' ? topology.replicaId : '' });
      const before = await snapshot(topology);
      const { error, outcome, findings } = await execute(settings, await contextFor(settings, sourceRegion));
      const dns = finding(findings, 'DNS record');
      expect(dns?.level).toBe('blocker');
      expect(dns?.finding).toContain("is neither the old primary's endpoint");
      expect(dns?.finding).toContain(`nor the new primary's (${topology.replicaAddress})`);
      expect(dns?.finding).toMatch(
        new RegExp(
          `aws route53 change-resource-record-sets --hosted-zone-id ${topology.zoneId} --change-batch '\\{"Changes":\\[\\{"Action":"DELETE"`,
        ),
      );
      expect(dns?.finding).toContain('then run plan again');
      if (mode === 'execute') {
        expect(error).toBeInstanceOf(ConfigurationError);
        expect(outcome.promoted).toBe(false);
      }
      expect(await snapshot(topology)).toEqual(before);
    },
  );

  test("the source region does not answer: a record at what is named like the old primary's endpoint is a warning, never ok, and does not block", async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology);
    const preflight = await runPreflight(settings, await contextFor(settings, 'does not answer'));
    expect(preflight.blockers).toEqual([]);
    expect(finding(preflight.findings, 'DNS record')).toMatchObject({
      level: 'warning',
      finding: expect.stringContaining(
        "named like the old primary's endpoint, not confirmed (RDS in us-east-1 does not answer)",
      ),
    });
  });
});
