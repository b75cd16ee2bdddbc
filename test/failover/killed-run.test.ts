/**
 * A failover execute killed with SIGKILL half way (a laptop closed, `kill -9`, a lost runner): after
 * PromoteReadReplica, before the DNS switch. Run again, bound to the same plan, it goes on from where
 * the replica and the record are: the promotion is not called again, the record moves once.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@jest/globals';
import type { FailoverReport } from '../../src/failover/failover-report.js';
import { killBundledActionWhen, runBundledAction } from '../../harness/bundled-action.js';
import { createTopology, describe, holdPromotion, recordSets, SECONDARY_REGION } from '../../harness/aws-topology.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';

test('killed after PromoteReadReplica and before the DNS switch: the re-run skips the promotion, switches the record once and passes', async () => {
  const topology = await createTopology();
  const dir = await mkdtemp(join(tmpdir(), 'dr-failover-killed-'));
  const inputs = {
    'replica-id': topology.replicaId,
    region: SECONDARY_REGION,
    'hosted-zone-id': topology.zoneId,
    'record-name': topology.recordName,
    'endpoint-url': stackFromEnv().awsEndpoint,
    mode: 'execute',
    confirm: topology.replicaId,
    'expected-record-value': topology.primaryAddress.toLowerCase(),
  };
  // The promotion stays under way until the re-run waits for it: how long the re-run takes to start
  // must not decide whether it finds the promotion under way or finished.
  await holdPromotion(SECONDARY_REGION, topology.replicaId, true);
  try {
    await killBundledActionWhen(
      'failover',
      inputs,
      {
        // The test stack reports a replica `modifying` once PromoteReadReplica was accepted.
        what: 'the replica being promoted',
        holds: async () => (await describe(topology.replicaId, SECONDARY_REGION)).DBInstanceStatus === 'modifying',
      },
      { env: MOTO_CREDENTIALS },
    );
    expect((await recordSets(topology.zoneId, topology.recordName))[0]?.ResourceRecords).toEqual([
      { Value: topology.primaryAddress },
    ]);

    const reportPath = join(dir, 'rerun.json');
    let output = '';
    let ended = false;
    const running = runBundledAction(
      'failover',
      { ...inputs, 'report-path': reportPath },
      { env: MOTO_CREDENTIALS, started: (action) => action.stdout.on('data', (chunk) => (output += String(chunk))) },
    ).finally(() => (ended = true));
    await waitUntil(
      'the re-run waits for the promotion under way',
      () => ended || output.includes(`promoting ${topology.replicaId}`),
    );
    await holdPromotion(SECONDARY_REGION, topology.replicaId, false);
    const rerun = await running;
    expect(rerun.stdout).not.toContain('::error::');
    expect(rerun.exitCode).toBe(0);
    expect(rerun.outputs).toMatchObject({ promoted: 'true', 'change-id': expect.stringMatching(/^C/) });
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as FailoverReport;
    expect(report.steps.find((step) => step.name === 'promote replica')?.detail).toMatch(
      /^a promotion already under way finished; /,
    );
    expect((await recordSets(topology.zoneId, topology.recordName))[0]?.ResourceRecords).toEqual([
      { Value: topology.replicaAddress },
    ]);
  } finally {
    await holdPromotion(SECONDARY_REGION, topology.replicaId, false);
    await rm(dir, { recursive: true, force: true });
  }
}, 300_000);
