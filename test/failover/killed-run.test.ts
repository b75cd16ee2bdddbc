/**
 * A failover execute killed with SIGKILL half way (a laptop closed, `kill -9`, a lost runner): after
 * PromoteReadReplica, before the DNS switch. Run again, bound to the same plan, it goes on from where
 * the replica and the record are: the promotion is not called again, the record moves once.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@jest/globals';
import type { FailoverReport } from '../../src/failover/failover-report.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { createTopology, describe, recordSets, SECONDARY_REGION } from '../../harness/aws-topology.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import { node24Path } from '../../harness/node24.js';
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
  try {
    for (const name of ['output', 'summary']) await writeFile(join(dir, name), '');
    const entry = fileURLToPath(new URL('../../actions/failover/dist/index.js', import.meta.url));
    const action = spawn(node24Path(), [entry], {
      env: {
        ...process.env,
        ...MOTO_CREDENTIALS,
        RUNNER_TEMP: dir,
        GITHUB_OUTPUT: join(dir, 'output'),
        GITHUB_STEP_SUMMARY: join(dir, 'summary'),
        ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value])),
      },
      cwd: dir,
      stdio: 'ignore',
    });
    const ended = new Promise((resolve) => action.on('close', resolve));
    try {
      // The test stack reports a replica `modifying` once PromoteReadReplica was accepted.
      await waitUntil('the replica being promoted', async () => {
        const replica = await describe(topology.replicaId, SECONDARY_REGION);
        return replica.DBInstanceStatus === 'modifying';
      });
    } finally {
      action.kill('SIGKILL');
      await ended;
    }
    expect((await recordSets(topology.zoneId, topology.recordName))[0]?.ResourceRecords).toEqual([
      { Value: topology.primaryAddress },
    ]);

    const reportPath = join(dir, 'rerun.json');
    const rerun = await runBundledAction(
      'failover',
      { ...inputs, 'report-path': reportPath },
      { env: MOTO_CREDENTIALS },
    );
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
    await rm(dir, { recursive: true, force: true });
  }
}, 300_000);
