import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from '@jest/globals';
import type { FailoverReport } from '../../src/failover/failover-report.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import {
  answeringEndpoint,
  refusingEndpoint,
  resettingEndpoint,
  unresolvableEndpoint,
  type FailingEndpoint,
} from '../helpers/failing-s3.js';

/**
 * The failover on the day the replica's region is out of reach: the bundled action, as on a runner,
 * reaches RDS at an endpoint that fails in each way a region can. It must fail in seconds, change
 * nothing, and say which service in which region did what to which call, and what to check, where
 * the SDK alone says `connect ECONNREFUSED 127.0.0.1:443`.
 */

const endpoints: FailingEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((endpoint) => endpoint.close()));
});

const unreachable = (what: string) =>
  new RegExp(
    `RDS in us-west-2 at \\S+ ${what} for DescribeDBInstances after \\d+ attempts \\(.+\\): check that RDS is up in us-west-2 and that this runner can reach it`,
  );

test.each<[string, () => Promise<FailingEndpoint> | FailingEndpoint, RegExp]>([
  ['refuses connections', refusingEndpoint, unreachable('refused the connection')],
  ['resets connections', resettingEndpoint, unreachable('dropped the connection')],
  ['has a name that does not resolve', unresolvableEndpoint, unreachable('has a host name that does not resolve')],
  ['answers every call with a server error', () => answeringEndpoint(500), unreachable('answered with HTTP 500')],
  [
    'denies (an answer that names its fault: its own words are kept)',
    () => answeringEndpoint(403),
    /^::error::(?!.*check that RDS is up).*Access Denied/,
  ],
])('a replica region that %s: the plan fails in seconds, saying so', async (_what, start, why) => {
  const endpoint = await start();
  endpoints.push(endpoint);
  const dir = await mkdtemp(join(tmpdir(), 'dr-actions-failover-unreachable-'));
  try {
    const startedAt = Date.now();
    const result = await runBundledAction(
      'failover',
      {
        'replica-id': 'saas-production-replica',
        region: 'us-west-2',
        'hosted-zone-id': 'Z0123456789ABCDEFGHIJ',
        'record-name': 'db.example.com',
        'endpoint-url': endpoint.url,
        'report-path': join(dir, 'failover.json'),
      },
      { env: { ...MOTO_CREDENTIALS } },
    );
    expect(result.exitCode).toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(60_000);
    const error = result.stdout.split('\n').find((line) => line.startsWith('::error::')) ?? '';
    expect(error).toMatch(why);
    const report = JSON.parse(await readFile(join(dir, 'failover.json'), 'utf8')) as FailoverReport;
    expect(report.passed).toBe(false);
    expect(report.details.promoted).toBe(false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
